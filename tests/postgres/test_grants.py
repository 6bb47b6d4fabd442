"""Managed roles and their privileges on a real PostgreSQL: roles created, grants added and revoked for a managed
role while an unmanaged role keeps its own, `all`, functions, inspect --role, and bad specs."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from psycopg import sql

from reconciler.backends.postgres.kinds import OBJECT_KINDS
from tests.cli.helpers import apply_ok, invoke, replan
from tests.postgres import roles

NO_CHANGES = "No changes. The database matches the spec."
role_names = roles.role_names  # the fixture


def write(path: Path, doc: dict, dialect: str = "postgres") -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": dialect, **doc}, sort_keys=False))
    return path


def held(pg_conn, role: str) -> set[tuple[str, str]]:
    """(object, privilege) the role holds on tables, sequences, the public schema and functions."""
    rows = pg_conn.execute("""
        SELECT c.relname, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a
        WHERE a.grantee = %(r)s::regrole AND c.relnamespace = 'public'::regnamespace
        UNION ALL SELECT 'schema public', a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a
        WHERE n.nspname = 'public' AND a.grantee = %(r)s::regrole
        UNION ALL SELECT p.oid::regprocedure::text, a.privilege_type FROM pg_proc p, aclexplode(p.proacl) a
        WHERE a.grantee = %(r)s::regrole""", {"r": role}).fetchall()
    return {(name, privilege) for name, privilege in rows}


# Where functions are a kind of the spec (the pg-functions branch), the hand-made function is declared too,
# as it is: a grant names a function of the spec, and the plan leaves it as it is.
SPEC_FUNCTIONS = {"functions": {"add(integer, integer)": {"returns": "integer", "arguments": ["a", "b"],
                                                         "body": "SELECT a + b"}}} if "function" in OBJECT_KINDS else {}
TABLES = {"orders": {"columns": {"id": {"type": "bigserial", "primary_key": True}, "total": {"type": "numeric"}}},
          "customers": {"columns": {"id": {"type": "bigint", "primary_key": True}}}}


def test_grants_added_and_revoked_for_managed_roles_only(pg_url, pg_conn, tmp_path, role_names) -> None:
    app_rw, app_ro, other = role_names("app_rw"), role_names("app_ro"), role_names("other")
    # An unmanaged role with privileges of its own, and one privilege the managed role was given by hand.
    pg_conn.execute(sql.SQL("CREATE ROLE {o}; CREATE ROLE {rw} LOGIN;"
                            "CREATE TABLE customers (id bigint PRIMARY KEY);"
                            "GRANT SELECT, DELETE ON customers TO {o}; GRANT TRUNCATE ON customers TO {rw}"
                            ).format(o=sql.Identifier(other), rw=sql.Identifier(app_rw)))
    pg_conn.execute("CREATE FUNCTION public.add(a integer, b integer) RETURNS integer LANGUAGE sql AS 'SELECT a + b'")
    doc = {"roles": {app_rw: {}, app_ro: {"login": False}},
           "tables": copy.deepcopy(TABLES), **SPEC_FUNCTIONS,
           "grants": {app_rw: {"schemas": {"public": ["usage"]},
                               "tables": {"orders": ["select", "insert"], "public.customers": ["all"]},
                               "sequences": {"orders_id_seq": ["usage"]},
                               "functions": {"add(int, int4)": ["execute"]}},
                      app_ro: {"tables": {"orders": ["select"]}}}}
    spec = write(tmp_path / "s.yaml", doc)
    plan = replan(spec, pg_url)
    # app_rw exists (its LOGIN is left alone: the spec does not say); app_ro is created NOLOGIN.
    assert f'CREATE ROLE "{app_ro}" NOLOGIN;' in plan and f'ROLE "{app_rw}"' not in plan
    assert (f'GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES, TRIGGER ON TABLE "public"."customers" TO "{app_rw}";'
            in plan), plan
    assert f'GRANT EXECUTE ON ROUTINE "public"."add"(integer, integer) TO "{app_rw}";' in plan
    assert plan.index('CREATE TABLE "public"."orders"') < plan.index(f'GRANT SELECT ON TABLE "public"."orders" TO '
                                                                     f'"{app_ro}"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    table_privileges = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}
    assert held(pg_conn, app_rw) == {("schema public", "USAGE"), ("orders", "SELECT"), ("orders", "INSERT"),
                                     ("orders_id_seq", "USAGE"), ("add(integer,integer)", "EXECUTE"),
                                     *(("customers", p) for p in table_privileges)}
    assert held(pg_conn, app_ro) == {("orders", "SELECT")}
    assert pg_conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [app_rw]).fetchone() == (True,)

    # Fewer privileges: revoked, before anything else; the unmanaged role keeps what it has.
    doc["grants"][app_rw] = {"tables": {"orders": ["select"], "customers": ["select"]}}
    del doc["grants"][app_ro]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert f'REVOKE INSERT ON TABLE "public"."orders" FROM "{app_rw}";' in plan
    assert f'REVOKE USAGE ON SCHEMA "public" FROM "{app_rw}";' in plan
    assert f'REVOKE EXECUTE ON ROUTINE "public"."add"(integer, integer) FROM "{app_rw}";' in plan
    assert f'REVOKE SELECT ON TABLE "public"."orders" FROM "{app_ro}";' in plan
    assert other not in plan
    apply_ok(spec, pg_url)  # a revoke drops nothing: no --allow-destroy
    assert NO_CHANGES in replan(spec, pg_url)
    assert held(pg_conn, app_rw) == {("orders", "SELECT"), ("customers", "SELECT")}
    assert held(pg_conn, app_ro) == set()
    assert held(pg_conn, other) == {("customers", "SELECT"), ("customers", "DELETE")}
    # PUBLIC's default EXECUTE on the function is left alone.
    assert pg_conn.execute("SELECT has_function_privilege('public', 'public.add(integer,integer)', 'EXECUTE')"
                           ).fetchone() == (True,)

    # A role left out of the spec is not managed any more: nothing of its is revoked, and it is never dropped.
    del doc["roles"][app_ro]
    pg_conn.execute(sql.SQL("GRANT SELECT ON customers TO {}").format(sql.Identifier(app_ro)))
    write(spec, doc)
    assert NO_CHANGES in replan(spec, pg_url)

    # login: given, it is managed.
    doc["roles"][app_rw] = {"login": False}
    write(spec, doc)
    assert f'ALTER ROLE "{app_rw}" NOLOGIN;' in replan(spec, pg_url)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [app_rw]).fetchone() == (False,)


def test_a_dropped_table_loses_its_grants_before_it_goes(pg_url, pg_conn, tmp_path, role_names) -> None:
    app = role_names("app")
    doc = {"roles": {app: {}}, "tables": copy.deepcopy(TABLES), "grants": {app: {"tables": {"orders": ["select"]}}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    del doc["tables"]["orders"]
    doc["grants"][app] = {"tables": {"customers": ["select"]}}
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert plan.index(f'REVOKE SELECT ON TABLE "public"."orders" FROM "{app}";') < plan.index(
        'DROP TABLE "public"."orders"')
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert held(pg_conn, app) == {("customers", "SELECT")}


def test_inspect_with_role_round_trips(pg_url, pg_conn, tmp_path, role_names) -> None:
    app, unlisted = role_names("app"), role_names("unlisted")
    pg_conn.execute(sql.SQL(
        "CREATE ROLE {a} LOGIN; CREATE ROLE {u}; CREATE SCHEMA billing;"
        "CREATE TABLE billing.invoices (id serial PRIMARY KEY); CREATE TABLE notes (id int);"
        "CREATE FUNCTION billing.total(numeric, text) RETURNS numeric LANGUAGE sql AS 'SELECT $1';"
        "GRANT USAGE ON SCHEMA billing TO {a}; GRANT ALL ON billing.invoices TO {a};"
        "GRANT USAGE, SELECT ON SEQUENCE billing.invoices_id_seq TO {a}; GRANT SELECT, UPDATE ON notes TO {a};"
        "GRANT EXECUTE ON FUNCTION billing.total(numeric, text) TO {a}; GRANT SELECT ON notes TO {u}"
    ).format(a=sql.Identifier(app), u=sql.Identifier(unlisted)))
    inspected = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", pg_url, "--schema", "public", "--schema", "billing", "--role", app,
                       "-o", str(inspected))
    assert code == 0, out
    doc = yaml.safe_load(inspected.read_text())
    assert doc["roles"] == {app: {"login": True}}
    assert doc["grants"] == {app: {
        "schemas": {"billing": ["usage"]},
        "tables": {"billing.invoices": ["all"], "notes": ["select", "update"]},
        "sequences": {"billing.invoices_id_seq": ["usage", "select"]},
        "functions": {"billing.total(numeric, text)": ["execute"]}}}
    assert NO_CHANGES in replan(inspected, pg_url)
    # Without --role: neither roles nor grants.
    code, out = invoke("inspect", "--url", pg_url)
    assert code == 0 and "grants" not in yaml.safe_load(out) and "roles" not in yaml.safe_load(out)


@pytest.mark.parametrize(("extra", "message"), [
    ({"grants": {"app": {"tables": {"t": ["select", "frobnicate"]}}}}, "grants.app.tables.t[1]"),
    ({"grants": {"app": {"sequences": {"s": ["execute"]}}}}, "grants.app.sequences.s[0]"),
    ({"grants": {"app": {"tables": {"missing": ["select"]}}}}, "table public.missing is not a table of the spec"),
    ({"grants": {"app": {"schemas": {"elsewhere": ["usage"]}}}}, "schema 'elsewhere' is not listed in schemas"),
    ({"grants": {"app": {"functions": {"f(nosuchtype)": ["execute"]}}}}, "unknown type"),
    ({"grants": {"app": {"functions": {"f": ["execute"]}}}}, "expected name(argument types)"),
    ({"grants": {"app": {"functions": {"f(vector(3; DROP TABLE t))": ["execute"]}}}},
     "cannot be an argument type of a function signature"),
    ({"grants": {"stranger": {"tables": {"t": ["select"]}}}}, "role 'stranger' is not listed in roles"),
    ({"roles": {"pg_monitor": {}}}, "role name 'pg_monitor' is reserved"),
    ({"roles": {"app": {"login": "yes"}}}, "roles.app.login"),
])
def test_bad_grants_are_refused_by_validate(tmp_path, extra: dict, message: str) -> None:
    doc = {"roles": {"app": {}}, "tables": {"t": {"columns": {"id": {"type": "int"}}}}, **extra}
    spec = write(tmp_path / "s.yaml", doc)
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out


@pytest.mark.parametrize("section", [{"roles": {"app": {}}}, {"grants": {"app": {"tables": {"t": ["select"]}}}}])
def test_sqlite_refuses_roles_and_grants(tmp_path, section: dict) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {"columns": {"id": {"type": "int"}}}}, **section},
                 dialect="sqlite")
    code, out = invoke("validate", str(spec))
    assert code == 1 and "s.yaml:8:1:" in out and f"unknown key {next(iter(section))!r}" in out, out


def test_a_saved_plan_with_grants_applies_and_goes_stale_on_a_hand_made_grant(pg_url, pg_conn, tmp_path,
                                                                             role_names) -> None:
    app = role_names("app")
    spec = write(tmp_path / "s.yaml", {"roles": {app: {}}, "tables": copy.deepcopy(TABLES),
                                       "grants": {app: {"tables": {"orders": ["select"]}}}})
    apply_ok(spec, pg_url)
    doc = yaml.safe_load(spec.read_text())
    doc["grants"][app]["tables"]["customers"] = ["select"]
    write(spec, doc)
    code, out = invoke("plan", str(spec), "--url", pg_url, "--format", "json")
    assert code == 0 and f"grant on table public.customers to {app}" in out, out
    saved = tmp_path / "plan.json"
    assert invoke("plan", str(spec), "--url", pg_url, "-out", str(saved))[0] == 0
    # A privilege given by hand since the plan was made: the plan is stale.
    pg_conn.execute(sql.SQL("GRANT UPDATE ON orders TO {}").format(sql.Identifier(app)))
    code, out = invoke("apply", str(saved), "--url", pg_url, "--auto-approve")
    assert code == 1 and "stale" in out, out
    pg_conn.execute(sql.SQL("REVOKE UPDATE ON orders FROM {}").format(sql.Identifier(app)))
    apply_ok(saved, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert held(pg_conn, app) == {("orders", "SELECT"), ("customers", "SELECT")}


def test_an_owners_privileges_are_neither_granted_nor_revoked(pg_url, pg_conn, tmp_path, role_names) -> None:
    owner = role_names("owner")
    pg_conn.execute(sql.SQL("CREATE ROLE {o}; CREATE TABLE customers (id bigint PRIMARY KEY);"
                            "CREATE TABLE orders (id bigserial PRIMARY KEY, total numeric NOT NULL);"
                            "ALTER TABLE customers OWNER TO {o}; GRANT SELECT ON orders TO {o}"
                            ).format(o=sql.Identifier(owner)))
    # It owns customers (named or not in the spec, nothing to do); orders is an ordinary grant.
    for tables in ({"orders": ["select"]}, {"orders": ["select"], "customers": ["select"]}):
        spec = write(tmp_path / "s.yaml", {"roles": {owner: {}}, "tables": copy.deepcopy(TABLES),
                                           "grants": {owner: {"tables": tables}}})
        assert NO_CHANGES in replan(spec, pg_url)
    code, out = invoke("inspect", "--url", pg_url, "--role", owner)
    assert code == 0 and yaml.safe_load(out)["grants"] == {owner: {"tables": {"orders": ["select"]}}}


def test_inspect_role_is_for_postgresql(sqlite_url) -> None:
    code, out = invoke("inspect", "--url", sqlite_url, "--role", "app")
    assert code != 0 and "--role: dialect sqlite has no schemas or roles" in out, out


def test_a_rebuilt_view_gets_its_grants_again(pg_url, pg_conn, tmp_path, role_names) -> None:
    app = role_names("app")
    doc = {"roles": {app: {}},
           "tables": {"users": {"columns": {"id": {"type": "bigint", "primary_key": True},
                                            "email": {"type": "varchar(100)"}}}},
           "views": {"emails": {"query": "SELECT email FROM users"}},
           "grants": {app: {"tables": {"emails": ["select"], "users": ["select"]}}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    # The view is dropped and created again around the column's new type: its privileges go with it.
    doc["tables"]["users"]["columns"]["email"]["type"] = "text"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert plan.index('CREATE VIEW "public"."emails"') < plan.index(
        f'GRANT SELECT ON TABLE "public"."emails" TO "{app}";')
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards", "access_exclusive_lock,table_rewrite")
    assert NO_CHANGES in replan(spec, pg_url)
    assert held(pg_conn, app) == {("emails", "SELECT"), ("users", "SELECT")}


def test_a_replaced_function_gets_its_grants_again(pg_url, pg_conn, tmp_path, role_names) -> None:
    app = role_names("app")
    doc = {"roles": {app: {}},
           "functions": {"answer()": {"returns": "integer", "body": "SELECT 42"}},
           "grants": {app: {"functions": {"answer()": ["execute"]}}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    # Another result type: dropped and created again, and EXECUTE granted once more.
    doc["functions"]["answer()"] = {"returns": "bigint", "body": "SELECT 42::bigint"}
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert plan.index('CREATE FUNCTION "public"."answer"') < plan.index(
        f'GRANT EXECUTE ON ROUTINE "public"."answer"() TO "{app}";'), plan
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert held(pg_conn, app) == {("answer()", "EXECUTE")}
