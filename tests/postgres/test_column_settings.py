"""Column statistics targets and storage on a real PostgreSQL: set on new and existing columns, changed, back to
the defaults, kept across a type change, inspect of hand-made ones, and bad specs."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, doc: dict, dialect: str = "postgres") -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": dialect, **doc}, sort_keys=False))
    return path


def settings(pg_conn, table: str = "docs") -> dict:
    return {name: (target, storage) for name, target, storage in pg_conn.execute(
        "SELECT attname, attstattarget, attstorage FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped", [table]).fetchall()}


BASE = {"tables": {"docs": {"columns": {
    "id": {"type": "bigint", "statistics": 1000},
    "body": {"type": "text", "storage": "external"},
    "title": {"type": "text", "statistics": 200, "storage": "main"},
    "n": {"type": "integer", "storage": "plain"},
    "tags": {"type": "text", "storage": "extended"}}}}}


def test_column_settings_create_change_reset(pg_url, pg_conn, tmp_path) -> None:
    doc = copy.deepcopy(BASE)
    spec = write(tmp_path / "s.yaml", doc)
    plan = replan(spec, pg_url)
    assert plan.index('CREATE TABLE "public"."docs"') < plan.index(
        'ALTER TABLE "public"."docs" ALTER COLUMN "id" SET STATISTICS 1000, ALTER COLUMN "body" SET STORAGE '
        'EXTERNAL, ALTER COLUMN "title" SET STATISTICS 200, ALTER COLUMN "title" SET STORAGE MAIN')
    apply_ok(spec, pg_url)
    # `storage: extended` on text and `plain` on integer are their types' defaults: nothing to do again.
    assert NO_CHANGES in replan(spec, pg_url)
    assert settings(pg_conn) == {"id": (1000, "p"), "body": (-1, "e"), "title": (200, "m"), "n": (-1, "p"),
                                 "tags": (-1, "x")}

    # Changed; left out: back to the defaults (RESET is SET STATISTICS -1, SET STORAGE the type's).
    doc["tables"]["docs"]["columns"]["id"] = {"type": "bigint", "statistics": 0}
    doc["tables"]["docs"]["columns"]["body"] = {"type": "text"}
    doc["tables"]["docs"]["columns"]["title"] = {"type": "text", "storage": "external"}
    doc["tables"]["docs"]["columns"]["added"] = {"type": "jsonb", "nullable": True, "storage": "main",
                                                 "statistics": 10}
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ column_settings public.docs" in plan
    assert ('ALTER COLUMN "id" SET STATISTICS 0, ALTER COLUMN "body" SET STORAGE EXTENDED, '
            'ALTER COLUMN "title" SET STATISTICS -1, ALTER COLUMN "title" SET STORAGE EXTERNAL, '
            'ALTER COLUMN "added" SET STATISTICS 10, ALTER COLUMN "added" SET STORAGE MAIN') in plan
    assert plan.index('ADD COLUMN "added"') < plan.index('ALTER COLUMN "added" SET STATISTICS 10')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert settings(pg_conn)["title"] == (-1, "e") and settings(pg_conn)["added"] == (10, "m")

    # A type change resets the storage to the new type's: set again after it.
    doc["tables"]["docs"]["columns"]["title"]["type"] = "varchar(200)"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert plan.index('ALTER COLUMN "title" TYPE') < plan.index('ALTER COLUMN "title" SET STORAGE EXTERNAL')
    assert "storage of title set again: its type change resets it" in plan
    apply_ok(spec, pg_url, "--allow-hazards", "table_rewrite,access_exclusive_lock,may_fail_on_data,data_loss")
    assert NO_CHANGES in replan(spec, pg_url)
    assert settings(pg_conn)["title"] == (-1, "e")

    # All settings out of the spec: every column back to its defaults.
    write(spec, {"tables": {"docs": {"columns": {
        name: {"type": column["type"], **({"nullable": True} if column.get("nullable") else {})}
        for name, column in doc["tables"]["docs"]["columns"].items()}}}})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert settings(pg_conn) == {"id": (-1, "p"), "body": (-1, "x"), "title": (-1, "x"), "n": (-1, "p"),
                                 "tags": (-1, "x"), "added": (-1, "x")}


def test_inspect_of_hand_made_settings_plans_empty(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("""
        CREATE SCHEMA app;
        CREATE TABLE app."T t" ("a b" text, n numeric, k int, plain text);
        ALTER TABLE app."T t" ALTER COLUMN "a b" SET STORAGE EXTERNAL, ALTER COLUMN n SET STORAGE EXTENDED,
            ALTER COLUMN k SET STATISTICS 300;
    """)
    inspected = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", pg_url, "--schema", "app", "-o", str(inspected))
    assert code == 0 and "Warning" not in out, out
    columns = yaml.safe_load(inspected.read_text())["tables"]["app.T t"]["columns"]
    assert columns["a b"] == {"type": "text", "nullable": True, "storage": "external"}
    assert columns["n"] == {"type": "numeric", "nullable": True, "storage": "extended"}  # numeric's default: main
    assert columns["k"] == {"type": "integer", "nullable": True, "statistics": 300}
    assert columns["plain"] == {"type": "text", "nullable": True}
    assert NO_CHANGES in replan(inspected, pg_url)
    pg_conn.execute("DROP SCHEMA app CASCADE")
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)
    assert settings(pg_conn, 'app."T t"') == {"a b": (-1, "e"), "n": (-1, "x"), "k": (300, "p"), "plain": (-1, "x")}


@pytest.mark.parametrize(("column", "message"), [
    ({"type": "text", "storage": "compressed"}, "tables.t.columns.c.storage"),
    ({"type": "text", "statistics": 10001}, "tables.t.columns.c.statistics"),
    ({"type": "text", "statistics": "high"}, "tables.t.columns.c.statistics"),
    ({"type": "bigint", "storage": "main"}, "a bigint column is stored plain"),
    ({"type": "timestamptz", "storage": "external"}, "only storage: plain fits it"),
])
def test_bad_settings_are_refused_by_validate(tmp_path, column: dict, message: str) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {"columns": {"c": column}}}})
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_other_dialects_refuse_them(tmp_path, dialect: str) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {"columns": {"c": {"type": "text", "storage": "main"}}}}},
                 dialect)
    code, out = invoke("validate", str(spec))
    assert code == 1 and f"storage is not supported by dialect {dialect}" in out, out


def test_renamed_tables_and_columns_keep_or_reset_their_settings(pg_url, pg_conn, tmp_path) -> None:
    doc = {"tables": {"docs": {"columns": {"body": {"type": "text", "storage": "external", "statistics": 300},
                                           "other": {"type": "text", "storage": "main"}},
                               "replica_identity": "full"}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    # Renamed table and column, settings kept: only the renames.
    doc = {"tables": {"papers": {"renamed_from": "docs", "replica_identity": "full", "columns": {
        "text": {"type": "text", "storage": "external", "statistics": 300, "renamed_from": "body"},
        "other": {"type": "text", "storage": "main"}}}}}
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "SET STORAGE" not in plan and "SET STATISTICS" not in plan and "REPLICA IDENTITY" not in plan, plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    # Renamed again, the settings left out: back to the defaults in the same apply.
    doc = {"tables": {"pages": {"renamed_from": "papers", "columns": {
        "words": {"type": "text", "renamed_from": "text"}, "other": {"type": "text"}}}}}
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert 'ALTER TABLE "public"."pages" REPLICA IDENTITY DEFAULT;' in plan
    assert ('ALTER TABLE "public"."pages" ALTER COLUMN "words" SET STATISTICS -1, ALTER COLUMN "words" SET STORAGE '
            'EXTENDED, ALTER COLUMN "other" SET STORAGE EXTENDED;') in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert settings(pg_conn, "pages") == {"words": (-1, "x"), "other": (-1, "x")}
