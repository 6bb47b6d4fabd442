"""Row-level security switches (`row_level_security`, `force_row_level_security` on a table) on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, doc: dict, dialect: str = "postgres") -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": dialect, **doc}, sort_keys=False))
    return path


def switches(pg_conn, table: str) -> tuple[bool, bool]:
    return pg_conn.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass",
                           [table]).fetchone()


def test_enable_force_and_disable(pg_url, pg_conn, tmp_path) -> None:
    doc = {"tables": {"notes": {"columns": {"id": {"type": "bigint", "primary_key": True}},
                                "row_level_security": True, "force_row_level_security": True},
                      "plain": {"columns": {"id": {"type": "bigint", "primary_key": True}}}}}
    spec = write(tmp_path / "s.yaml", doc)
    plan = replan(spec, pg_url)
    # A new table gets its switches once created; a table without them plans nothing more.
    assert "~ row_security public.notes" in plan and "row_security public.plain" not in plan
    assert "(no policy on this table: only its owner and superusers will see or write rows)" in plan
    assert plan.index('CREATE TABLE "public"."notes"') < plan.index(
        'ALTER TABLE "public"."notes" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;')
    apply_ok(spec, pg_url)
    assert switches(pg_conn, "notes") == (True, True)
    assert switches(pg_conn, "plain") == (False, False)
    assert NO_CHANGES in replan(spec, pg_url)

    # Un-force, enable on the other table.
    doc["tables"]["notes"].pop("force_row_level_security")
    doc["tables"]["plain"]["row_level_security"] = True
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert 'ALTER TABLE "public"."notes" NO FORCE ROW LEVEL SECURITY;' in plan
    assert 'ALTER TABLE "public"."plain" ENABLE ROW LEVEL SECURITY;' in plan
    apply_ok(spec, pg_url)
    assert switches(pg_conn, "notes") == (True, False) and switches(pg_conn, "plain") == (True, False)
    assert NO_CHANGES in replan(spec, pg_url)

    # Off again (no --allow-destroy needed: nothing is dropped), and a table leaving the spec takes its own.
    del doc["tables"]["notes"]["row_level_security"]
    del doc["tables"]["plain"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert 'ALTER TABLE "public"."notes" DISABLE ROW LEVEL SECURITY;' in plan
    assert "row_security public.plain" not in plan
    apply_ok(spec, pg_url, "--allow-destroy")
    assert switches(pg_conn, "notes") == (False, False)
    assert NO_CHANGES in replan(spec, pg_url)


def test_inspect_writes_the_switches(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY);"
                    "ALTER TABLE app.t ENABLE ROW LEVEL SECURITY; CREATE TABLE public.u (id int PRIMARY KEY);"
                    "ALTER TABLE public.u FORCE ROW LEVEL SECURITY")
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "--schema", "public", "--schema", "app", "-o", str(inspected))[0] == 0
    doc = yaml.safe_load(inspected.read_text())
    assert doc["tables"]["app.t"]["row_level_security"] is True
    assert "force_row_level_security" not in doc["tables"]["app.t"]
    assert doc["tables"]["u"]["force_row_level_security"] is True and "row_level_security" not in doc["tables"]["u"]
    assert doc["tables"]["u"]["columns"]  # merged into the table's entry, not replacing it
    assert NO_CHANGES in replan(inspected, pg_url)


def test_sqlite_refuses_row_level_security(tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {"columns": {"id": {"type": "integer", "primary_key": True}},
                                                        "row_level_security": True}}}, dialect="sqlite")
    code, out = invoke("validate", str(spec))
    assert code == 1 and "s.yaml:" in out and "tables.t.row_level_security" in out
    assert "row-level security is not supported by dialect sqlite" in out
