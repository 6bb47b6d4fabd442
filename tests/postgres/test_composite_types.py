"""Composite types (`types:`) end to end on a real PostgreSQL: create, use as a column type, change, drop."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


DOC = {
    "types": {"address": {"attributes": {"street": "text", "zip": "varchar(10)"}, "comment": "postal address"},
              "geo": {"attributes": {"lat": "double precision", "lon": "double precision"}}},
    "tables": {"customers": {"columns": {"id": {"type": "int", "primary_key": True},
                                         "home": {"type": "address", "nullable": True},
                                         "places": {"type": "address[]", "nullable": True}}}},
}


def attributes(pg_conn, name: str) -> list[tuple[str, str]]:
    return pg_conn.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        f"WHERE attrelid = (SELECT typrelid FROM pg_type WHERE typname = '{name}') AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum").fetchall()


def test_create_change_and_drop(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", DOC)
    plan = replan(spec, pg_url)
    assert "+ composite_type public.address" in plan
    assert plan.index('CREATE TYPE "public"."address" AS') < plan.index('CREATE TABLE "public"."customers"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("INSERT INTO customers VALUES (1, ROW('Main St 1', '12345'), ARRAY[ROW('x', '1')::address])")
    assert pg_conn.execute("SELECT (home).zip FROM customers").fetchone() == ("12345",)
    assert pg_conn.execute("SELECT obj_description('public.address'::regtype, 'pg_type')").fetchone() == (
        "postal address",)

    # Add an attribute at the end and drop one: ALTER TYPE, the other values stay.
    doc = copy.deepcopy(DOC)
    doc["types"]["address"]["attributes"] = {"street": "text", "city": "text"}
    doc["types"]["address"]["comment"] = "changed"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ composite_type public.address" in plan
    assert 'ALTER TYPE "public"."address" DROP ATTRIBUTE "zip";' in plan
    assert 'ALTER TYPE "public"."address" ADD ATTRIBUTE "city" text;' in plan
    assert "data_loss" in plan and "customers.home" in plan
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert code == 1 and "data_loss" in out
    apply_ok(spec, pg_url, "--allow-hazards", "data_loss")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT (home).street FROM customers").fetchone() == ("Main St 1",)
    assert attributes(pg_conn, "address") == [("street", "text"), ("city", "text")]

    # A type no column uses: retyped in place, then reordered (recreated).
    doc["types"]["geo"]["attributes"] = {"lat": "numeric(9,6)", "lon": "double precision"}
    write(spec, doc)
    assert 'ALTER TYPE "public"."geo" ALTER ATTRIBUTE "lat" TYPE numeric(9,6);' in replan(spec, pg_url)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    doc["types"]["geo"]["attributes"] = {"lon": "double precision", "lat": "numeric(9,6)"}
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "-/+ composite_type public.geo" in plan and 'DROP TYPE "public"."geo";' in plan
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert attributes(pg_conn, "geo") == [("lon", "double precision"), ("lat", "numeric(9,6)")]

    # Reordering a type that a column uses is refused, naming the column.
    doc["types"]["address"]["attributes"] = {"city": "text", "street": "text"}
    write(spec, doc)
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 1 and "public.customers.home" in out and "reordered" in out

    # Drop the column and the type together.
    del doc["types"]["address"]
    del doc["tables"]["customers"]["columns"]["home"]
    del doc["tables"]["customers"]["columns"]["places"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert plan.index('DROP COLUMN "home"') < plan.index('DROP TYPE "public"."address"')
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT to_regtype('public.address')").fetchone() == (None,)


def test_inspect_of_hand_made_types_plans_empty(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("""
        CREATE SCHEMA geo;
        CREATE TYPE geo.point3 AS (x float8, y float8, "Z" float8);
        CREATE TYPE money_amount AS (amount numeric(12, 2), currency char(3));
        COMMENT ON TYPE money_amount IS '2024-01-01';
        CREATE TABLE orders (id int PRIMARY KEY, total money_amount, at geo.point3);
    """)
    code, out = invoke("inspect", "--url", pg_url)
    assert code == 0, out
    doc = yaml.safe_load(out)
    assert doc["types"]["money_amount"] == {"attributes": {"amount": "numeric(12,2)", "currency": "char(3)"},
                                            "comment": "2024-01-01"}
    assert doc["types"]["geo.point3"]["attributes"] == {"x": "double precision", "y": "double precision",
                                                        "Z": "double precision"}
    assert doc["tables"]["orders"]["columns"]["total"]["type"] == "money_amount"
    spec = tmp_path / "inspected.yaml"
    spec.write_text(out)
    assert NO_CHANGES in replan(spec, pg_url)


def test_bad_type_specs_are_refused(tmp_path) -> None:
    cases = [
        ({"types": {"t": {"attributes": {"a": "nosuchtype"}}}}, "unknown type"),
        ({"types": {"t": {"attributes": {}}}}, "types.t"),
        ({"types": {"t": {"attributes": {"a": "int"}}}, "tables": {"t": {"columns": {"id": {"type": "int"}}}}},
         "has the name of a table"),
        ({"tables": {"t": {"columns": {"a": {"type": "addr"}}}}}, 'unknown type "addr"'),
    ]
    for doc, message in cases:
        spec = write(tmp_path / "bad.yaml", doc)
        code, out = invoke("validate", str(spec))
        assert code == 1 and message in out, (doc, out)


def attribute_collations(pg_conn, name: str) -> list[tuple[str, str | None]]:
    return pg_conn.execute(
        "SELECT a.attname, CASE WHEN a.attcollation <> t.typcollation THEN c.collname END FROM pg_attribute a "
        "JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_collation c ON c.oid = a.attcollation "
        f"WHERE a.attrelid = (SELECT typrelid FROM pg_type WHERE typname = '{name}') AND a.attnum > 0 "
        "AND NOT a.attisdropped ORDER BY a.attnum").fetchall()


def test_an_attribute_collation_is_kept(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): `city text COLLATE "C"` was read and created without its collation."""
    pg_conn.execute('CREATE TYPE address AS (street text, city text COLLATE "C")')
    spec = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(spec))[0] == 0
    assert yaml.safe_load(spec.read_text())["types"]["address"]["attributes"] == {
        "street": "text", "city": {"type": "text", "collation": "C"}}
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("DROP TYPE address")
    apply_ok(spec, pg_url)
    assert attribute_collations(pg_conn, "address") == [("street", None), ("city", "C")]
    assert NO_CHANGES in replan(spec, pg_url)

    # A new collation on an attribute no column uses: ALTER ATTRIBUTE ... TYPE ... COLLATE, in place.
    write(spec, {"types": {"address": {"attributes": {"street": {"type": "text", "collation": "POSIX"},
                                                      "city": "text"}}}})
    plan = replan(spec, pg_url)
    assert 'ALTER TYPE "public"."address" ALTER ATTRIBUTE "street" TYPE text COLLATE "POSIX";' in plan, plan
    assert 'ALTER ATTRIBUTE "city" TYPE text;' in plan, plan
    apply_ok(spec, pg_url)
    assert attribute_collations(pg_conn, "address") == [("street", "POSIX"), ("city", None)]
    assert NO_CHANGES in replan(spec, pg_url)


def test_attribute_comments(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): COMMENT ON COLUMN type.attribute was neither read nor written."""
    pg_conn.execute("CREATE TYPE address AS (street text, zip text); COMMENT ON COLUMN address.zip IS 'Postal code'")
    spec = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(spec))[0] == 0
    assert yaml.safe_load(spec.read_text())["types"]["address"]["attributes"] == {
        "street": "text", "zip": {"type": "text", "comment": "Postal code"}}
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("DROP TYPE address")
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)

    def comments() -> list[tuple]:
        return pg_conn.execute("SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a "
                               "WHERE a.attrelid = (SELECT typrelid FROM pg_type WHERE typname = 'address') "
                               "AND a.attnum > 0 ORDER BY a.attnum").fetchall()

    assert comments() == [("street", None), ("zip", "Postal code")]
    # Changed, removed and added in place, beside a new attribute with a comment of its own.
    write(spec, {"types": {"address": {"attributes": {
        "street": {"type": "text", "comment": "Street"}, "zip": "text", "city": {"type": "text", "comment": "City"}}}}})
    plan = replan(spec, pg_url)
    assert 'COMMENT ON COLUMN "public"."address"."zip" IS NULL;' in plan, plan
    apply_ok(spec, pg_url)
    assert comments() == [("street", "Street"), ("zip", None), ("city", "City")]
    assert NO_CHANGES in replan(spec, pg_url)
