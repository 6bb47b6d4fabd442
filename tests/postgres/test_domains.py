"""PostgreSQL domains end to end: spec -> apply -> re-plan, alters, drops, inspect, hazards."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from reconciler.backends import RenderOptions
from reconciler.backends.postgres import BACKEND
from reconciler.changes import Action, Hazard
from reconciler.cli import main
from reconciler.errors import PlanError
from reconciler.model import CheckConstraint, Default, Domain
from reconciler.relational import diff_databases
from tests.cli.helpers import apply_ok, replan
from tests.postgres.helpers import inspect, model_from_spec

NO_CHANGES = "No changes. The database matches the spec."

SPEC = """\
version: 1
dialect: postgres
schemas: [public, audit]
enums:
  level: [low, high]
domains:
  email_address:
    type: text
    checks:
      email_has_at: "VALUE ~ '@'"
    comment: An e-mail address
    collation: C
  positive_int:
    type: int4
    nullable: false
    default: 1
    checks:
      positive: "VALUE > 0"
  short_code:
    type: "varchar(8)"
    default: "abc"
    checks:
      known: "VALUE IN ('abc', 'def')"
  audit.severity:
    type: level
    default: low
  small_positive:
    type: positive_int
    checks:
      small: "VALUE < 100"
tables:
  accounts:
    columns:
      id: {type: bigint, identity: always, primary_key: true}
      email: {type: email_address}
      backup_emails: {type: "email_address[]", nullable: true}
      quota: {type: positive_int}
      code: {type: short_code, nullable: true}
      severity: {type: audit.severity, nullable: true}
      rank: {type: small_positive, nullable: true}
"""


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def write(tmp_path: Path, text: str, name: str = "schema.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path




def test_create_apply_and_replan_is_empty(tmp_path, pg_url) -> None:
    spec = write(tmp_path, SPEC)
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 0, out
    assert "+ domain public.email_address" in out and "+ domain audit.severity" in out
    code, sql = invoke("plan", str(spec), "--url", pg_url, "--format", "sql")
    assert 'CREATE DOMAIN "public"."email_address" AS text COLLATE "C" CONSTRAINT "email_has_at" CHECK ' \
           "(VALUE ~ '@');" in sql
    assert 'CREATE DOMAIN "public"."positive_int" AS integer DEFAULT 1 NOT NULL CONSTRAINT "positive"' in sql
    assert "COMMENT ON DOMAIN \"public\".\"email_address\" IS 'An e-mail address';" in sql
    # Enums first, then domains (the one based on a domain after its base), then tables.
    assert sql.index("CREATE TYPE") < sql.index('CREATE DOMAIN "audit"."severity"') \
        < sql.index('CREATE DOMAIN "public"."small_positive"') < sql.index("CREATE TABLE")
    assert sql.index('"positive_int" AS') < sql.index('"small_positive" AS')
    apply_ok(spec, pg_url)
    assert replan(spec, pg_url) == NO_CHANGES

    with psycopg.connect(pg_url, autocommit=True) as conn:
        live = inspect(conn, ["public", "audit"])
        assert live.domains["public.email_address"] == Domain(
            name="email_address", type="text", schema="public", collation="C", comment="An e-mail address",
            checks={"email_has_at": CheckConstraint("email_has_at", "VALUE ~ '@'::text")})
        assert live.domains["public.positive_int"] == Domain(
            name="positive_int", type="integer", schema="public", nullable=False, default=Default("1"),
            checks={"positive": CheckConstraint("positive", "VALUE > 0")})
        assert live.domains["audit.severity"].type == "public.level"
        assert live.tables["public.accounts"].columns["backup_emails"].type == "public.email_address[]"
        assert live.tables["public.accounts"].columns["severity"].type == "audit.severity"


def test_domain_checks_reject_bad_rows(tmp_path, pg_url) -> None:
    apply_ok(write(tmp_path, SPEC), pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO accounts (email) VALUES ('a@b.c')")
        row = conn.execute("SELECT quota, code, severity::text FROM accounts").fetchone()
        assert row == (1, "abc", "low")  # domain defaults apply to columns without their own
        with pytest.raises(psycopg.errors.CheckViolation, match="email_has_at"):
            conn.execute("INSERT INTO accounts (email) VALUES ('nobody')")
        with pytest.raises(psycopg.errors.CheckViolation, match="email_has_at"):
            conn.execute("INSERT INTO accounts (email, backup_emails) VALUES ('a@b', ARRAY['nope'])")
        with pytest.raises(psycopg.errors.CheckViolation, match="positive"):
            conn.execute("INSERT INTO accounts (email, quota) VALUES ('a@b', 0)")
        with pytest.raises(psycopg.errors.CheckViolation, match="small"):
            conn.execute("INSERT INTO accounts (email, rank) VALUES ('a@b', 500)")
        with pytest.raises(psycopg.errors.NotNullViolation):
            conn.execute("INSERT INTO accounts (email, quota) VALUES ('a@b', NULL)")


ALTER_BASE = """\
version: 1
dialect: postgres
domains:
  email_address:
    type: text
    checks:
      email_has_at: "VALUE ~ '@'"
tables:
  people:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: email_address, nullable: true}
"""


def test_alter_default_not_null_checks_and_comment(tmp_path, pg_url) -> None:
    spec = write(tmp_path, ALTER_BASE)
    apply_ok(spec, pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO people VALUES (1, 'x@y')")

    steps = [
        # default
        ALTER_BASE.replace("    type: text\n", "    type: text\n    default: 'n@a'\n"),
        # NOT NULL, comment, a replaced and an added check
        ALTER_BASE.replace("    type: text\n", "    type: text\n    default: 'n@a'\n    nullable: false\n"
                           "    comment: mail\n")
        .replace("\"VALUE ~ '@'\"", "\"VALUE ~ '.@.'\"\n      email_short: \"length(VALUE) < 200\""),
        # drop a check, the default, NOT NULL and the comment again
        ALTER_BASE.replace("      email_has_at: \"VALUE ~ '@'\"\n", "      email_short: \"length(VALUE) < 200\"\n"),
    ]
    for i, text in enumerate(steps):
        spec = write(tmp_path, text, f"step{i}.yaml")
        code, out = invoke("plan", str(spec), "--url", pg_url)
        assert "~ domain public.email_address" in out, out
        apply_ok(spec, pg_url, "--allow-hazards", "full_scan_validation,may_fail_on_data")
        assert replan(spec, pg_url) == NO_CHANGES, i

    with psycopg.connect(pg_url, autocommit=True) as conn:
        live = inspect(conn).domains["public.email_address"]
        assert live.nullable and live.default is None and live.comment is None
        assert list(live.checks) == ["email_short"]


def test_new_check_on_a_domain_in_use_is_a_hazard_and_online_uses_not_valid(tmp_path, pg_url) -> None:
    apply_ok(write(tmp_path, ALTER_BASE), pg_url)
    tighter = write(tmp_path, ALTER_BASE.replace("    type: text\n", "    type: text\n    nullable: false\n")
                    + "", "tighter.yaml")
    tighter.write_text(tighter.read_text().replace(
        "\"VALUE ~ '@'\"", "\"VALUE ~ '@'\"\n      email_short: \"length(VALUE) < 200\""))
    code, out = invoke("apply", str(tighter), "--url", pg_url, "--auto-approve", "--quiet")
    assert code != 0 and "full_scan_validation" in out and "may_fail_on_data" in out

    with psycopg.connect(pg_url, autocommit=True) as conn:
        current = inspect(conn)
        desired = BACKEND.canonicalize(conn, BACKEND.build_model(_load(tighter)), current)
    [change] = BACKEND.diff(current, desired)
    assert change.action == Action.ALTER and change.extra["checks_added"] == ["email_short"]
    assert change.extra["columns"] == [("public.people", "email")]
    BACKEND.annotate_hazards(change, RenderOptions(online=True))
    assert {Hazard.FULL_SCAN_VALIDATION, Hazard.MAY_FAIL_ON_DATA} <= set(change.hazards)
    statements = BACKEND.render(change, RenderOptions(online=True))
    sqls = [s.sql for s in statements]
    assert 'ALTER DOMAIN "public"."email_address" SET NOT NULL;' in sqls
    assert sqls[-2:] == [
        'ALTER DOMAIN "public"."email_address" ADD CONSTRAINT "email_short" CHECK (length(VALUE) < 200) NOT VALID;',
        'ALTER DOMAIN "public"."email_address" VALIDATE CONSTRAINT "email_short";']
    assert statements[-1].transactional is False


def _load(path: Path):
    from reconciler.spec.loader import load_spec
    from reconciler.spec.validate import validate_document

    loaded = load_spec(path, env={})
    validate_document(loaded)
    return loaded


def test_drop_domain_after_its_columns(tmp_path, pg_url) -> None:
    apply_ok(write(tmp_path, SPEC), pg_url)
    without = SPEC.split("domains:")[0] + "tables:\n  accounts:\n    columns:\n" \
        "      id: {type: bigint, identity: always, primary_key: true}\n" \
        "      email: {type: text}\n"
    spec = write(tmp_path, without, "without.yaml")
    code, out = invoke("plan", str(spec), "--url", pg_url, "--format", "sql")
    assert code == 0, out
    assert out.index('DROP COLUMN "backup_emails"') < out.index('DROP DOMAIN "public"."email_address"')
    # Dependants first: small_positive is based on positive_int.
    assert out.index('DROP DOMAIN "public"."small_positive"') < out.index('DROP DOMAIN "public"."positive_int"')
    hazards = ("--allow-hazards", "access_exclusive_lock,table_rewrite")  # email: domain -> text
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet", *hazards)
    assert code != 0 and "--allow-destroy" in out
    apply_ok(spec, pg_url, "--allow-destroy", *hazards)
    assert replan(spec, pg_url) == NO_CHANGES
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert inspect(conn, ["public", "audit"]).domains == {}


def test_base_type_change(tmp_path, pg_url) -> None:
    spec = write(tmp_path, ALTER_BASE)
    apply_ok(spec, pg_url)
    retyped = write(tmp_path, ALTER_BASE.replace("type: text", "type: varchar(100)"), "retyped.yaml")
    code, out = invoke("plan", str(retyped), "--url", pg_url)
    assert code != 0
    assert "changing the base type of a domain in use (public.people.email) is not supported" in out

    # Unused: replaced (drop + create), nothing to destroy.
    unused = write(tmp_path, ALTER_BASE.split("tables:")[0].replace("type: text", "type: varchar(100)")
                   + "tables: {}\n", "unused.yaml")
    apply_ok(write(tmp_path, ALTER_BASE.split("tables:")[0] + "tables: {}\n", "empty.yaml"), pg_url,
             "--allow-destroy")
    code, out = invoke("plan", str(unused), "--url", pg_url, "--format", "sql")
    assert 'DROP DOMAIN "public"."email_address";' in out
    assert 'CREATE DOMAIN "public"."email_address" AS character varying(100)' in out
    apply_ok(unused, pg_url)
    assert replan(unused, pg_url) == NO_CHANGES


HAND_BUILT = """
CREATE SCHEMA billing;
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE DOMAIN email AS citext CHECK (VALUE ~ '@') CONSTRAINT email_len CHECK (length(VALUE) < 300);
CREATE DOMAIN "Money Amount" AS numeric(12,2) NOT NULL DEFAULT 0 CONSTRAINT non_negative CHECK (VALUE >= 0);
CREATE DOMAIN billing.currency AS char(3) DEFAULT 'EUR' CHECK (VALUE IN ('EUR', 'USD'));
CREATE DOMAIN happy AS mood DEFAULT 'ok';
CREATE DOMAIN label AS text COLLATE "C";
CREATE DOMAIN amount_small AS "Money Amount" CHECK (VALUE < 1000);
COMMENT ON DOMAIN email IS 'an address';
CREATE TABLE invoices (
    id serial PRIMARY KEY,
    contact email NOT NULL,
    cc email[],
    total "Money Amount",
    small amount_small,
    currency billing.currency,
    feeling happy,
    tag label DEFAULT 'x'
);
"""


def test_inspect_hand_built_database_plans_empty(tmp_path, pg_url, pg_server) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION citext")
        conn.execute(HAND_BUILT)
    code, text = invoke("inspect", "--url", pg_url, "--schema", "public", "--schema", "billing")
    assert code == 0, text
    assert "domains:" in text and "billing.currency:" in text
    spec = write(tmp_path, text, "inspected.yaml")
    assert replan(spec, pg_url) == NO_CHANGES
    # The inspected spec also builds the same database from scratch.
    name = "domains_copy_" + pg_url.rsplit("/", 1)[1][-8:]
    copy_url = pg_server.create_database(name)
    try:
        apply_ok(spec, copy_url)
        assert replan(spec, copy_url) == NO_CHANGES
        with psycopg.connect(copy_url) as a, psycopg.connect(pg_url) as b:
            scope = ["public", "billing"]
            assert inspect(a, scope) == inspect(b, scope)
    finally:
        pg_server.drop_database(name)


def test_sqlite_rejects_domains_with_position(tmp_path) -> None:
    spec = write(tmp_path, "version: 1\ndialect: sqlite\ndomains:\n  email: {type: text}\n"
                           "tables:\n  t:\n    columns:\n      id: {type: integer}\n")
    code, out = invoke("validate", str(spec))
    assert code != 0
    assert f"{spec}:4:3" in out and "domains are not supported by dialect sqlite" in out


def test_spec_errors_for_domains(tmp_path) -> None:
    with pytest.raises(Exception, match="unknown type"):
        model_from_spec(tmp_path, {"domains": {"d": {"type": "nonsense"}}, "tables": {}})
    with pytest.raises(Exception, match="invalid check expression"):
        model_from_spec(tmp_path, {"domains": {"d": {"type": "text", "checks": {"c": "VALUE >"}}}, "tables": {}})
    with pytest.raises(Exception, match="has the name of a domain"):
        model_from_spec(tmp_path, {"domains": {"d": {"type": "text"}},
                                   "tables": {"d": {"columns": {"id": {"type": "d"}}}}})


def test_diff_is_pure_and_plain(tmp_path) -> None:
    desired = model_from_spec(tmp_path, {"domains": {"d": {"type": "text", "default": "x"}}, "tables": {
        "t": {"columns": {"a": {"type": "d"}, "b": {"type": "d[]"}, "c": {"type": "public.d"}}}}})
    assert desired.tables["public.t"].columns["b"].type == "public.d[]"
    assert desired.tables["public.t"].columns["c"].type == "public.d"
    assert desired.domains["public.d"].default == Default("'x'")
    changes = diff_databases(type(desired)(dialect="postgres", schemas=["public"]), desired)
    assert [(c.kind, c.action) for c in changes] == [("domain", "create"), ("table", "create")]
    with pytest.raises(PlanError):
        live = model_from_spec(tmp_path, {"domains": {"d": {"type": "text"}}, "tables": {
            "t": {"columns": {"a": {"type": "d"}}}}})
        wanted = model_from_spec(tmp_path, {"domains": {"d": {"type": "integer"}}, "tables": {
            "t": {"columns": {"a": {"type": "d"}}}}})
        diff_databases(live, wanted)


def test_canonicalize_asks_the_server_for_domain_expressions(tmp_path, pg_conn) -> None:
    pg_conn.execute("CREATE DOMAIN code AS varchar(8) DEFAULT 'abc' CHECK (VALUE IN ('abc', 'def'))")
    current = inspect(pg_conn)
    assert current.domains["public.code"].checks["code_check"].expression != "VALUE IN ('abc', 'def')"
    spec = {"domains": {"code": {
        "type": "varchar(8)", "default": "abc", "checks": {"code_check": "VALUE IN ('abc', 'def')"}}}}
    # canonicalize rewrites its argument in place, so each side gets its own model.
    offline = BACKEND.canonicalize(None, model_from_spec(tmp_path, spec), current)
    online = BACKEND.canonicalize(pg_conn, model_from_spec(tmp_path, spec), current)
    assert [c.attributes[0].name for c in BACKEND.diff(current, offline)] == ["checks"]
    assert BACKEND.diff(current, online) == []


def test_check_comments(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): COMMENT ON CONSTRAINT ... ON DOMAIN was neither read nor written."""
    pg_conn.execute("CREATE DOMAIN code AS text CONSTRAINT code_upper CHECK (VALUE = upper(VALUE))"
                    " CONSTRAINT code_len CHECK (length(VALUE) > 1);"
                    "COMMENT ON CONSTRAINT code_upper ON DOMAIN code IS 'Upper case only'")
    spec = tmp_path / "inspected.yaml"
    result = CliRunner().invoke(main, ["inspect", "--url", pg_url, "-o", str(spec)])
    assert result.exit_code == 0, result.output
    assert "comment: Upper case only" in spec.read_text()
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("DROP DOMAIN code")
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)

    def comments() -> list[tuple]:
        return pg_conn.execute("SELECT conname, obj_description(oid, 'pg_constraint') FROM pg_constraint "
                               "WHERE contypid = 'code'::regtype ORDER BY conname").fetchall()

    assert comments() == [("code_len", None), ("code_upper", "Upper case only")]
    # Changed in place; a check added again (new expression) gets its comment after it.
    spec.write_text("version: 1\ndialect: postgres\ndomains:\n  code:\n    type: text\n    checks:\n"
                    "      code_upper: VALUE = upper(VALUE)\n"
                    "      code_len: {expression: length(VALUE) > 2, comment: Two at least}\n")
    plan = replan(spec, pg_url)
    assert """COMMENT ON CONSTRAINT "code_upper" ON DOMAIN "public"."code" IS NULL;""" in plan, plan
    apply_ok(spec, pg_url)
    assert comments() == [("code_len", "Two at least"), ("code_upper", None)]
    assert NO_CHANGES in replan(spec, pg_url)
