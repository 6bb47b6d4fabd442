"""Extended statistics on a real PostgreSQL: created after their table, target and comment changed in place,
other changes recreate, dropped, inspect of hand-made ones, and the specs validate refuses."""

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


BASE = {
    "schemas": ["public", "app"],
    "tables": {"app.orders": {"columns": {"id": {"type": "bigint"}, "city": {"type": "text"},
                                          "zip": {"type": "text"}, "country": {"type": "text"}}}},
    "statistics": {"app.orders_geo": {"table": "orders", "columns": ["city", "zip"]}},
}


def held(pg_conn) -> list[tuple]:
    return pg_conn.execute(
        "SELECT s.stxname, s.stxkind::text[], s.stxstattarget, "
        "ARRAY(SELECT a.attname FROM unnest(s.stxkeys::int2[]) k JOIN pg_attribute a "
        "      ON a.attrelid = s.stxrelid AND a.attnum = k), obj_description(s.oid, 'pg_statistic_ext') "
        "FROM pg_statistic_ext s ORDER BY 1").fetchall()


def test_statistics_create_change_drop(pg_url, pg_conn, tmp_path) -> None:
    doc = copy.deepcopy(BASE)
    spec = write(tmp_path / "s.yaml", doc)
    plan = replan(spec, pg_url)
    assert "+ statistics app.orders_geo" in plan
    assert plan.index('CREATE TABLE "app"."orders"') < plan.index(
        'CREATE STATISTICS "app"."orders_geo" (ndistinct, dependencies, mcv) ON "city", "zip" FROM "app"."orders";')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert held(pg_conn) == [("orders_geo", ["d", "f", "m"], -1, ["city", "zip"], None)]

    # Target and comment: in place.
    doc["statistics"]["app.orders_geo"].update({"target": 500, "comment": "city and zip go together"})
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ statistics app.orders_geo" in plan and "CREATE STATISTICS" not in plan
    assert 'ALTER STATISTICS "app"."orders_geo" SET STATISTICS 500;' in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert held(pg_conn) == [("orders_geo", ["d", "f", "m"], 500, ["city", "zip"], "city and zip go together")]

    # Columns and kinds: dropped and created again, keeping target and comment. The columns are compared in
    # table order, which is how PostgreSQL keeps them.
    doc["statistics"]["app.orders_geo"].update({"columns": ["country", "city", "zip"], "kinds": ["dependencies"]})
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "-/+ statistics app.orders_geo" in plan
    assert plan.index('DROP STATISTICS IF EXISTS "app"."orders_geo";') < plan.index(
        'CREATE STATISTICS "app"."orders_geo" (dependencies) ON "city", "zip", "country"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert held(pg_conn) == [("orders_geo", ["f"], 500, ["city", "zip", "country"], "city and zip go together")]

    # Dropped; and a column the statistics use dropped with them.
    del doc["statistics"]
    del doc["tables"]["app.orders"]["columns"]["zip"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert plan.index('DROP STATISTICS IF EXISTS "app"."orders_geo";') < plan.index('DROP COLUMN "zip"')
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards", "data_loss,access_exclusive_lock")
    assert NO_CHANGES in replan(spec, pg_url)
    assert held(pg_conn) == []


def test_inspect_of_hand_made_statistics_plans_empty(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("""
        CREATE SCHEMA "s.x";
        CREATE TABLE "T t" ("a b" int, c int, d int);
        CREATE STATISTICS "s.x"."St" (mcv, ndistinct) ON d, "a b" FROM "T t";
        ALTER STATISTICS "s.x"."St" SET STATISTICS 42;
        COMMENT ON STATISTICS "s.x"."St" IS 'it''s';
        CREATE STATISTICS plain ON c, d FROM "T t";
        CREATE STATISTICS on_expr ON (c + d), c FROM "T t";
    """)
    inspected = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", pg_url, "--schema", "public", "--schema", "s.x", "-o", str(inspected))
    assert code == 0, out
    assert "not written to the spec: extended statistics on expressions public.on_expr" in out
    doc = yaml.safe_load(inspected.read_text())
    assert doc["statistics"] == {
        "plain": {"table": "T t", "columns": ["c", "d"]},
        '"s.x".St': {"table": "public.T t", "columns": ["a b", "d"], "kinds": ["ndistinct", "mcv"], "target": 42,
                   "comment": "it's"}}
    pg_conn.execute("DROP STATISTICS on_expr")
    assert NO_CHANGES in replan(inspected, pg_url)
    pg_conn.execute('DROP STATISTICS "s.x"."St", plain')
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)
    assert len(held(pg_conn)) == 2


def _with(stats: dict) -> dict:
    doc = copy.deepcopy(BASE)
    doc["statistics"] = {"app.s": stats}
    return doc


@pytest.mark.parametrize(("doc", "message"), [
    (_with({"table": "nope", "columns": ["a", "b"]}), "no table app.nope in the tables of the spec"),
    (_with({"table": "orders", "columns": ["city", "nope"]}), "no column 'nope' in table app.orders"),
    (_with({"table": "orders", "columns": ["city"]}), "statistics.app.s.columns"),
    (_with({"table": "orders", "columns": ["city", "city"]}), "a column is listed twice"),
    (_with({"table": "orders", "columns": ["city", "zip"], "kinds": ["histogram"]}), "statistics.app.s.kinds[0]"),
    (_with({"table": "elsewhere.orders", "columns": ["city", "zip"]}), "schema 'elsewhere' is not listed"),
])
def test_bad_statistics_are_refused_by_validate(tmp_path, doc: dict, message: str) -> None:
    spec = write(tmp_path / "s.yaml", doc)
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out


def test_statistics_are_refused_for_sqlite(tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"statistics": {"s": {"table": "t", "columns": ["a", "b"]}}}, "sqlite")
    code, out = invoke("validate", str(spec))
    assert code == 1 and "unknown key 'statistics'" in out, out
