"""Standalone sequences end to end on a real PostgreSQL: create, change, drop, OWNED BY, inspect."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path




INVOICES = {"invoices": {"columns": {
    "id": {"type": "bigint", "identity": "always", "primary_key": True},
    "invoice_no": {"type": "bigint", "default": {"sql": "nextval('public.invoice_no_seq')"}}}}}


def test_create_change_and_drop(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {
        "sequences": {"invoice_no_seq": {"start": 1000, "increment": 5, "cache": 10, "comment": "invoice numbers",
                                         "owned_by": "invoices.invoice_no"},
                      "countdown": {"type": "integer", "increment": -1, "cycle": True}},
        "tables": INVOICES})
    plan = replan(spec, pg_url)
    assert "+ sequence public.invoice_no_seq" in plan
    # The sequence comes before the table whose default calls it, its owner after the table.
    assert plan.index('CREATE SEQUENCE "public"."invoice_no_seq"') < plan.index('CREATE TABLE "public"."invoices"')
    assert plan.index('CREATE TABLE "public"."invoices"') < plan.index("OWNED BY")
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("INSERT INTO invoices DEFAULT VALUES; INSERT INTO invoices DEFAULT VALUES")
    assert [r[0] for r in pg_conn.execute("SELECT invoice_no FROM invoices ORDER BY id")] == [1000, 1005]
    row = pg_conn.execute("SELECT seqtypid::regtype::text, seqmin, seqmax, seqcycle FROM pg_sequence "
                          "WHERE seqrelid = 'public.countdown'::regclass").fetchone()
    assert row == ("integer", -(2**31), -1, True)

    # Change options in place, then drop one.
    doc = yaml.safe_load(spec.read_text())
    doc["sequences"]["invoice_no_seq"].update({"increment": 1, "cache": 1, "comment": "renumbered"})
    del doc["sequences"]["countdown"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ sequence public.invoice_no_seq" in plan and "- sequence public.countdown" in plan
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert code == 1 and "--allow-destroy" in out
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT seqincrement, seqcache, obj_description(seqrelid, 'pg_class') FROM pg_sequence "
                           "WHERE seqrelid = 'public.invoice_no_seq'::regclass").fetchone() == (1, 1, "renumbered")
    assert pg_conn.execute("SELECT to_regclass('public.countdown')").fetchone() == (None,)


def test_a_serial_column_of_a_renamed_table_stays_serial(pg_url, tmp_path) -> None:
    """Renaming a table keeps its serial sequence's name (users_id_seq): the column is still a serial, not a
    default and a sequence of its own (a name-based rule once got this wrong)."""
    spec = write(tmp_path / "s.yaml", {"tables": {"users": {"columns": {"id": {"type": "serial", "primary_key": True}}}}})
    apply_ok(spec, pg_url)
    write(spec, {"tables": {"people": {"renamed_from": "users",
                                       "columns": {"id": {"type": "serial", "primary_key": True}}}}})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)


def test_a_sequence_with_every_default_option_and_no_owner_is_read(pg_url, pg_conn, tmp_path) -> None:
    """Regression: `CREATE SEQUENCE s` (every option its default, no OWNED BY) was invisible to inspect and plan,
    so a spec holding it planned CREATE SEQUENCE on every run (and apply then failed: it exists)."""
    spec = write(tmp_path / "s.yaml", {"sequences": {"plain_seq": {}}})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("CREATE SEQUENCE hand_seq")
    out = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(out))[0] == 0
    assert yaml.safe_load(out.read_text())["sequences"] == {"hand_seq": {}, "plain_seq": {}}


def test_inspect_round_trips_a_hand_made_sequence(pg_url, pg_conn, tmp_path) -> None:
    """The inspected spec of a database with a standalone sequence builds the same database again."""
    pg_conn.execute("CREATE SCHEMA billing; CREATE SEQUENCE public.invoice_no_seq START 500 MAXVALUE 99999;"
                    "CREATE TABLE invoices (id serial PRIMARY KEY,"
                    " invoice_no bigint NOT NULL DEFAULT nextval('invoice_no_seq'));"
                    "ALTER SEQUENCE invoice_no_seq OWNED BY invoices.invoice_no;"
                    "COMMENT ON SEQUENCE invoice_no_seq IS 'numbers'")
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(inspected))[0] == 0
    doc = yaml.safe_load(inspected.read_text())
    assert doc["sequences"] == {"invoice_no_seq": {"max_value": 99999, "start": 500,
                                                   "owned_by": "invoices.invoice_no", "comment": "numbers"}}
    # The serial column's own sequence is the column's business, not a standalone sequence.
    assert doc["tables"]["invoices"]["columns"]["id"]["type"] == "serial"
    assert NO_CHANGES in replan(inspected, pg_url)
    # Applied to an empty database (the "relation public.invoice_no_seq does not exist").
    pg_conn.execute("DROP TABLE invoices; DROP SCHEMA billing")
    pg_conn.execute("DROP SEQUENCE IF EXISTS invoice_no_seq")
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)


@pytest.mark.parametrize(("sequence", "message"), [
    ({"type": "int"}, "sequences.s.type"),
    ({"increment": 0}, "sequences.s.increment"),
    ({"type": "smallint", "max_value": 100000}, "must be ordered and fit smallint"),
    ({"start": 0}, "start 0 is outside"),
    ({"owned_by": "nowhere.x"}, "owned_by 'nowhere.x'"),
])
def test_bad_sequences_are_refused_by_validate(tmp_path, sequence: dict, message: str) -> None:
    spec = write(tmp_path / "s.yaml", {"sequences": {"s": sequence}})
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out
