"""Row-level security policies on a real PostgreSQL: create, change, replace, drop, a policy calling a function
under SET ROLE, inspect, and bad specs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from psycopg import sql

from tests.cli.helpers import apply_ok, invoke, replan
from tests.postgres import roles

NO_CHANGES = "No changes. The database matches the spec."
role_names = roles.role_names  # the fixture


def write(path: Path, doc: dict, dialect: str = "postgres") -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": dialect, **doc}, sort_keys=False))
    return path


DOCUMENTS = {"columns": {"id": {"type": "bigint", "primary_key": True}, "owner": {"type": "text", "nullable": False},
                         "body": {"type": "text"}},
             "row_level_security": True}


def policies(pg_conn) -> dict[str, tuple]:
    rows = pg_conn.execute("SELECT policyname, permissive, roles::text[], cmd, qual, with_check FROM pg_policies "
                           "WHERE tablename = 'documents'").fetchall()
    return {row[0]: row[1:] for row in rows}


def test_a_policy_calling_a_function_filters_rows_under_set_role(pg_url, pg_conn, tmp_path, role_names) -> None:
    reader = role_names("reader")
    # The function lives in a schema the spec does not manage (functions are not this spec's business).
    pg_conn.execute("CREATE SCHEMA util; GRANT USAGE ON SCHEMA util TO PUBLIC;"
                    "CREATE FUNCTION util.current_owner() RETURNS text LANGUAGE sql STABLE"
                    " AS $$ SELECT current_user::text $$")
    spec = write(tmp_path / "s.yaml", {
        "roles": {reader: {}},
        "tables": {"documents": DOCUMENTS},
        "policies": {"documents.own_rows": {"command": "select", "roles": [reader],
                                            "using": "owner = util.current_owner()", "comment": "own rows only"}},
        "grants": {reader: {"schemas": {"public": ["usage"]}, "tables": {"documents": ["select"]}}}})
    plan = replan(spec, pg_url)
    assert "+ policy public.documents.own_rows" in plan
    assert "no policy on this table" not in plan
    # Role first, then the table, its switch, the policy and the grant.
    assert plan.index(f'CREATE ROLE "{reader}" NOLOGIN;') < plan.index('CREATE TABLE "public"."documents"') \
        < plan.index('CREATE POLICY "own_rows" ON "public"."documents" AS PERMISSIVE FOR SELECT') \
        < plan.index(f'GRANT SELECT ON TABLE "public"."documents" TO "{reader}";')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("INSERT INTO documents VALUES (1, 'alice', 'a'), (2, %s, 'mine'), (3, %s, 'mine too')",
                    [reader, reader])
    pg_conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(reader)))
    try:
        assert [r[0] for r in pg_conn.execute("SELECT id FROM documents ORDER BY id")] == [2, 3]
    finally:
        pg_conn.execute("RESET ROLE")
    assert pg_conn.execute("SELECT obj_description(oid, 'pg_policy') FROM pg_policy WHERE polname = 'own_rows'"
                           ).fetchone() == ("own rows only",)


def test_an_unqualified_function_call_is_no_change(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): `using: owner = current_owner()` (a function of the spec, in public)
    was compared with an empty search_path, so never matched the live `public.current_owner()`: ALTER POLICY on
    every plan. Checks calling a function the same way are no change either."""
    doc = {"functions": {"current_owner()": {"returns": "text", "volatility": "stable",
                                             "body": "SELECT current_user::text"}},
           "tables": {"documents": {**DOCUMENTS, "checks": {"owner_known": "owner <> current_owner() OR true"}}},
           "policies": {"documents.own": {"using": "owner = current_owner()",
                                          "with_check": "owner = CURRENT_OWNER()"}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    assert policies(pg_conn)["own"][3:] == ("(owner = current_owner())", "(owner = current_owner())")
    assert NO_CHANGES in replan(spec, pg_url)
    # A real change still is one.
    doc["policies"]["documents.own"]["using"] = "owner = lower(current_owner())"
    write(spec, doc)
    assert "~ policy public.documents.own" in replan(spec, pg_url)


def test_change_replace_and_drop(pg_url, pg_conn, tmp_path, role_names) -> None:
    writer, auditor = role_names("writer"), role_names("auditor")
    doc = {"roles": {writer: {}, auditor: {}},
           "tables": {"documents": DOCUMENTS},
           "policies": {"documents.writers": {"roles": [writer], "using": "owner = current_user",
                                              "with_check": "owner = current_user AND body IS NOT NULL"},
                        "documents.no_drafts": {"permissive": False, "command": "select",
                                                "using": "body NOT LIKE 'draft%'"}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    # Spelled differently from how PostgreSQL prints them, yet no change.
    assert NO_CHANGES in replan(spec, pg_url)
    assert policies(pg_conn)["no_drafts"][0] == "RESTRICTIVE"

    # Roles and expressions change in place; a new command means drop and create.
    doc["policies"]["documents.writers"].update({"roles": [writer, auditor], "using": "owner = session_user"})
    doc["policies"]["documents.no_drafts"]["command"] = "all"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ policy public.documents.writers" in plan
    # Roles in name order (auditor_... before writer_...).
    assert (f'ALTER POLICY "writers" ON "public"."documents" TO "{auditor}", "{writer}" USING (owner = session_user);'
            in plan), plan
    assert "-/+ policy public.documents.no_drafts" in plan
    assert plan.index('DROP POLICY "no_drafts" ON "public"."documents";') < plan.index(
        'CREATE POLICY "no_drafts" ON "public"."documents" AS RESTRICTIVE FOR ALL TO PUBLIC USING')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    live = policies(pg_conn)
    assert sorted(live["writers"][1]) == sorted([writer, auditor]) and live["no_drafts"][2] == "ALL"

    # A policy left out of the spec is dropped, with --allow-destroy.
    del doc["policies"]["documents.no_drafts"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "- policy public.documents.no_drafts" in plan
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert code == 1 and "--allow-destroy" in out
    apply_ok(spec, pg_url, "--allow-destroy")
    assert set(policies(pg_conn)) == {"writers"}
    assert NO_CHANGES in replan(spec, pg_url)

    # Dropping the table drops its policies with it: DROP POLICY runs first.
    write(spec, {"roles": doc["roles"], "tables": {"other": {"columns": {"id": {"type": "int"}}}}})
    plan = replan(spec, pg_url)
    assert plan.index('DROP POLICY "writers"') < plan.index('DROP TABLE "public"."documents"')
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)


def test_inspect_round_trips_hand_made_policies(pg_url, pg_conn, tmp_path, role_names) -> None:
    app = role_names("app")
    pg_conn.execute(sql.SQL(
        "CREATE ROLE {r}; CREATE TABLE documents (id int PRIMARY KEY, owner text, body text);"
        "ALTER TABLE documents ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY p_all ON documents TO {r} USING (owner = current_user) WITH CHECK (length(body) < 100);"
        "CREATE POLICY p_ins ON documents AS RESTRICTIVE FOR INSERT WITH CHECK (body IS NOT NULL);"
        "COMMENT ON POLICY p_ins ON documents IS 'no empty bodies';"
        "CREATE SCHEMA billing; CREATE TABLE billing.accounts (id int PRIMARY KEY);"
        "CREATE POLICY p ON billing.accounts FOR UPDATE USING (id > 0) WITH CHECK (id < 1000)"
    ).format(r=sql.Identifier(app)))
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "--schema", "public", "--schema", "billing", "-o", str(inspected))[0] == 0
    doc = yaml.safe_load(inspected.read_text())
    assert doc["policies"]["billing.accounts.p"] == {"command": "update", "using": "id > 0", "with_check": "id < 1000"}
    assert doc["policies"]["documents.p_ins"] == {"command": "insert", "permissive": False,
                                                  "with_check": "body IS NOT NULL", "comment": "no empty bodies"}
    assert doc["policies"]["documents.p_all"]["roles"] == [app]
    assert "roles" not in doc and "grants" not in doc  # roles only with --role
    assert NO_CHANGES in replan(inspected, pg_url)
    # Applied to an empty database it builds them again.
    pg_conn.execute("DROP TABLE documents; DROP SCHEMA billing CASCADE")
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)
    assert set(policies(pg_conn)) == {"p_all", "p_ins"}
    assert pg_conn.execute("SELECT count(*) FROM pg_policies WHERE schemaname = 'billing'").fetchone() == (1,)


TABLE = {"t": {"columns": {"id": {"type": "int"}, "owner": {"type": "text"}}}}


@pytest.mark.parametrize(("policies_spec", "message"), [
    ({"nowhere.p": {"using": "true"}}, "public.nowhere, which is not a table of the spec"),
    ({"t.p": {"command": "truncate"}}, "policies.t.p.command"),
    ({"t.p": {"command": "insert", "using": "true"}}, "a policy for insert has only with_check"),
    ({"t.p": {"command": "select", "with_check": "true"}}, "a policy for select has only using"),
    ({"t.p": {"using": "true); DROP TABLE t; --"}}, "using:"),
    ({"t.p": {"using": "owner = "}}, "using:"),
    ({"p": {"using": "true"}}, "expected table.policy or schema.table.policy"),
])
def test_bad_policies_are_refused_by_validate(tmp_path, policies_spec: dict, message: str) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": TABLE, "policies": policies_spec})
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out


def test_sqlite_refuses_policies(tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": TABLE, "policies": {"t.p": {"using": "true"}}}, dialect="sqlite")
    code, out = invoke("validate", str(spec))
    assert code == 1 and "s.yaml:" in out and "policies" in out, out


def test_hostile_names_of_tables_policies_and_roles(pg_url, pg_conn, tmp_path, role_names) -> None:
    odd_role = role_names('Odd "R\'')
    doc = {"roles": {odd_role: {}},
           "tables": {'My "Docs"': {"columns": {"id": {"type": "int"}}, "row_level_security": True}},
           "policies": {'My "Docs".it\'s "odd"': {"roles": [odd_role], "using": "id > 0", "comment": "it's; odd"}},
           "grants": {odd_role: {"tables": {'My "Docs"': ["select"]}}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    row = pg_conn.execute("SELECT policyname, roles::text[], qual FROM pg_policies").fetchone()
    assert row == ('it\'s "odd"', [odd_role], "(id > 0)")
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "--role", odd_role, "-o", str(inspected))[0] == 0
    assert NO_CHANGES in replan(inspected, pg_url)
