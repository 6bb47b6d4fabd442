"""Partial ownership on a real PostgreSQL: `ignore:` patterns, `inspect --ignore`, the bookkeeping-table hint,
and `-target` partial plans."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from tests.cli.helpers import apply_ok, invoke, replan

ROOT = Path(__file__).resolve().parents[2]
NO_CHANGES = "No changes. The database matches the spec."

USERS = {"users": {"columns": {"id": {"type": "bigint", "primary_key": True}, "email": {"type": "text"}}}}


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


def tables(pg_conn) -> set[str]:
    return {r[0] for r in pg_conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}


def columns(pg_conn, table: str) -> list[str]:
    return [r[0] for r in pg_conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "ORDER BY ordinal_position", (table,))]


def test_ignored_tables_and_columns_survive_apply_allow_destroy(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
    pg_conn.execute("CREATE TABLE audit_2024 (id int PRIMARY KEY, at timestamptz)")
    pg_conn.execute("CREATE INDEX audit_2024_at ON audit_2024 (at)")
    pg_conn.execute("CREATE TABLE scratch (id int)")
    pg_conn.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, legacy_name text, legacy_flag bool)")
    pg_conn.execute("CREATE INDEX users_legacy_idx ON users (legacy_name)")
    # Not matched by the index pattern, but on an ignored column: ignored with it.
    pg_conn.execute("CREATE INDEX users_flag ON users (legacy_flag, email)")
    spec = write(tmp_path / "s.yaml", {
        "ignore": {"tables": ["alembic_version", "audit_*"], "columns": ["users.legacy_*"],
                   "indexes": ["/users_legacy_.*/"]},
        "tables": USERS})
    plan = replan(spec, pg_url)
    # Only the undeclared, unignored table is dropped; nothing of the ignored ones is even shown.
    assert "- table public.scratch" in plan
    for hidden in ("alembic_version", "audit_2024", "legacy", "users_legacy_idx"):
        assert hidden not in plan, plan
    apply_ok(spec, pg_url, "--allow-destroy")
    assert tables(pg_conn) == {"alembic_version", "audit_2024", "users"}
    assert columns(pg_conn, "users") == ["id", "email", "legacy_name", "legacy_flag"]
    assert pg_conn.execute("SELECT to_regclass('public.users_legacy_idx'), to_regclass('public.users_flag')"
                           ).fetchone() == ("users_legacy_idx", "users_flag")
    assert NO_CHANGES in replan(spec, pg_url)


def test_ignored_schema_and_enum(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE SCHEMA legacy")
    pg_conn.execute("CREATE TABLE legacy.old (id int)")
    pg_conn.execute("CREATE TYPE public.old_mood AS ENUM ('sad')")
    spec = write(tmp_path / "s.yaml", {"schemas": ["public", "legacy"],
                                       "ignore": {"tables": ["legacy.*"], "enums": ["old_*"]}, "tables": USERS})
    apply_ok(spec, pg_url, "--allow-destroy")
    assert pg_conn.execute("SELECT to_regclass('legacy.old'), to_regtype('public.old_mood')").fetchone() == \
        ("legacy.old", "old_mood")
    assert NO_CHANGES in replan(spec, pg_url)


def test_validate_refuses_declared_and_ignored_and_bad_regex(tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"ignore": {"tables": ["users"]}, "tables": USERS})
    code, out = invoke("validate", str(spec))
    assert code == 1
    assert "s.yaml:5:" in out and "ignore.tables[0]: pattern 'users' ignores table public.users, which this spec " \
        "declares" in out
    spec = write(tmp_path / "s.yaml", {"ignore": {"columns": ["*.email"]}, "tables": USERS})
    code, out = invoke("validate", str(spec))
    assert code == 1 and "ignores column public.users.email" in out
    spec = write(tmp_path / "s.yaml", {"ignore": {"tables": ["ok", "/audit_(/"]}, "tables": USERS})
    code, out = invoke("validate", str(spec))
    assert code == 1 and "ignore.tables[1]: bad regular expression '/audit_(/'" in out
    spec = write(tmp_path / "s.yaml", {"ignore": {"tables": "users"}, "tables": USERS})
    code, out = invoke("validate", str(spec))
    assert code == 1 and "ignore.tables" in out


def test_inspect_ignore_leaves_objects_out_and_plans_empty(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
    pg_conn.execute("CREATE TABLE users (id bigint PRIMARY KEY, legacy_name text, email text NOT NULL)")
    out_file = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", pg_url, "--ignore", "tables:alembic_*", "--ignore",
                       "columns:/users\\.legacy_.*/", "-o", str(out_file))
    assert code == 0, out
    doc = yaml.safe_load(out_file.read_text())
    assert set(doc["tables"]) == {"users"}
    assert set(doc["tables"]["users"]["columns"]) == {"id", "email"}
    assert doc["ignore"] == {"tables": ["alembic_*"], "columns": ["/users\\.legacy_.*/"]}
    assert NO_CHANGES in replan(out_file, pg_url)
    code, out = invoke("inspect", "--url", pg_url, "--ignore", "alembic_version")
    assert code == 1 and "expected KIND:PATTERN" in out


def test_bookkeeping_table_is_dropped_with_a_hint(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY)")
    spec = write(tmp_path / "s.yaml", {"tables": USERS})
    plan = replan(spec, pg_url)
    assert "- table public._prisma_migrations" in plan
    assert 'add "_prisma_migrations" to ignore.tables' in plan
    code, out = invoke("plan", str(spec), "--url", pg_url, "--format", "json")
    assert code == 0
    drop = next(c for c in json.loads(out)["changes"] if c["address"] == "table public._prisma_migrations")
    assert any("ignore.tables" in n for n in drop["notes"])


TWO_TABLES = {
    "orgs": {"columns": {"id": {"type": "bigint", "primary_key": True}}},
    "users": {"columns": {"id": {"type": "bigint", "primary_key": True}, "org_id": {"type": "bigint"},
                          "mood": {"type": "mood"}},
              "indexes": [{"name": "users_org_idx", "columns": ["org_id"]}],
              "foreign_keys": [{"name": "users_org_fk", "columns": ["org_id"], "references": {"table": "orgs",
                                                                                            "columns": ["id"]}}]},
    "notes": {"columns": {"id": {"type": "bigint", "primary_key": True}}},
}


def target_spec(tmp_path: Path) -> Path:
    return write(tmp_path / "s.yaml", {"enums": {"mood": ["ok", "sad"]}, "tables": TWO_TABLES})


def test_target_plans_only_its_objects_and_what_they_need(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE TABLE scratch (id int)")
    spec = target_spec(tmp_path)
    code, out = invoke("plan", str(spec), "--url", pg_url, "-target", "table public.users")
    assert code == 0, out
    # users, its index and foreign key, the table the key references and the enum a column uses.
    for shown in ("+ table public.users", "+ index public.users.users_org_idx",
                  "+ foreign_key public.users.users_org_fk", "+ table public.orgs", "+ enum public.mood"):
        assert shown in out, out
    assert "notes" not in out and "scratch" not in out
    assert "Partial plan: only -target 'table public.users'" in out
    for fmt, marker in (("json", '"Partial plan: only -target'), ("markdown", "Partial plan"),
                        ("sql", "-- Partial plan: only -target")):
        code, text = invoke("plan", str(spec), "--url", pg_url, "--target", "public.users", "--format", fmt)
        assert code == 0 and marker in text, text
        if fmt == "json":
            document = json.JSONDecoder().raw_decode(text)[0]  # the warning follows on stderr
            assert document["targets"] == ["public.users"]
            jsonschema.validate(document, json.loads((ROOT / "schemas" / "plan.schema.json").read_text()))

    out = apply_ok(spec, pg_url, "-target", "public.users")
    assert "Partial plan" in out
    assert tables(pg_conn) == {"orgs", "users", "scratch"}
    rest = replan(spec, pg_url)
    assert "+ table public.notes" in rest and "- table public.scratch" in rest
    assert "public.users" not in rest and "Partial plan" not in rest
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)


def test_target_of_a_member_and_unknown_address(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL)")
    pg_conn.execute("CREATE TABLE junk (id int)")
    spec = write(tmp_path / "s.yaml", {"tables": {"users": {
        "columns": {"id": {"type": "bigint", "primary_key": True}, "email": {"type": "text"}},
        "indexes": [{"name": "users_email_idx", "columns": ["email"]}]}}})
    code, out = invoke("plan", str(spec), "--url", pg_url, "-target", "index public.users.users_email_idx")
    assert code == 0, out
    assert "+ index public.users.users_email_idx" in out and "junk" not in out
    # An object already in sync is no error: its partial plan is empty.
    code, out = invoke("plan", str(spec), "--url", pg_url, "-target", "table public.users")
    assert code == 0 and NO_CHANGES in out, out
    code, out = invoke("plan", str(spec), "--url", pg_url, "-target", "table public.nope")
    assert code == 1 and "-target 'table public.nope' matches no" in out
    apply_ok(spec, pg_url, "-target", "index public.users.users_email_idx", "--allow-hazards", "blocks_writes")
    assert "- table public.junk" in replan(spec, pg_url)


def test_saved_partial_plan_applies_and_ignores_survive(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE TABLE schema_migrations (version text)")
    spec = write(tmp_path / "s.yaml", {"ignore": {"tables": ["schema_migrations"]},
                                       "tables": {**USERS, "notes": TWO_TABLES["notes"]}})
    saved = tmp_path / "plan.json"
    code, out = invoke("plan", str(spec), "--url", pg_url, "-target", "notes", "-out", str(saved))
    assert code == 0, out
    # Changing an ignored table does not make the saved plan stale.
    pg_conn.execute("ALTER TABLE schema_migrations ADD COLUMN at timestamptz")
    code, out = invoke("apply", str(saved), "--url", pg_url, "--auto-approve", "--quiet")
    assert code == 0, out
    assert tables(pg_conn) == {"notes", "schema_migrations"}
    assert "+ table public.users" in replan(spec, pg_url)


def test_foreign_key_to_an_ignored_table(pg_url, pg_conn, tmp_path) -> None:
    """A table owned elsewhere may be referenced: validate does not want it declared, the database checks it."""
    pg_conn.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, secret text)")
    spec = write(tmp_path / "s.yaml", {"ignore": {"tables": ["accounts"]}, "tables": {"users": {"columns": {
        "id": {"type": "bigint", "primary_key": True},
        "account_id": {"type": "bigint", "references": "accounts(id)"}}}}})
    code, out = invoke("validate", str(spec))
    assert code == 0, out
    apply_ok(spec, pg_url)
    assert pg_conn.execute("SELECT confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'").fetchone() == \
        ("accounts",)
    assert NO_CHANGES in replan(spec, pg_url)
    # Without the ignore pattern the reference is to a table the spec does not have.
    spec = write(tmp_path / "s.yaml", {"tables": {"users": {"columns": {
        "id": {"type": "bigint", "primary_key": True},
        "account_id": {"type": "bigint", "references": "accounts(id)"}}}}})
    code, out = invoke("validate", str(spec))
    assert code == 1 and "references missing table 'public.accounts'" in out
