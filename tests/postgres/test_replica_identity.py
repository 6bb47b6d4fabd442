"""REPLICA IDENTITY of tables on a real PostgreSQL: set on a new table (USING INDEX after its index), changed,
back to DEFAULT, set again when its index is rebuilt, inspect of hand-made ones, and bad specs."""

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


def identity(pg_conn, table: str) -> tuple:
    return pg_conn.execute(
        "SELECT c.relreplident, (SELECT i.indexrelid::regclass::text FROM pg_index i "
        "WHERE i.indrelid = c.oid AND i.indisreplident) FROM pg_class c WHERE c.oid = %s::regclass",
        [table]).fetchone()


BASE = {"tables": {
    "events": {"columns": {"id": {"type": "bigint", "primary_key": True}, "code": {"type": "text"},
                           "note": {"type": "text", "nullable": True}},
               "indexes": [{"name": "events_code", "columns": ["code"], "unique": True}],
               "replica_identity": {"index": "events_code"}},
    "audit": {"columns": {"id": {"type": "bigint"}}, "replica_identity": "full"}}}


def test_replica_identity_create_change_default(pg_url, pg_conn, tmp_path) -> None:
    doc = copy.deepcopy(BASE)
    spec = write(tmp_path / "s.yaml", doc)
    plan = replan(spec, pg_url)
    assert plan.index('CREATE UNIQUE INDEX "events_code"') \
        < plan.index('ALTER TABLE "public"."events" REPLICA IDENTITY USING INDEX "events_code";')
    assert 'ALTER TABLE "public"."audit" REPLICA IDENTITY FULL;' in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert identity(pg_conn, "events") == ("i", "events_code") and identity(pg_conn, "audit") == ("f", None)

    # Changed; and back to DEFAULT by leaving it out (or saying default).
    doc["tables"]["events"]["replica_identity"] = "nothing"
    del doc["tables"]["audit"]["replica_identity"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ replica_identity public.events" in plan and "index events_code -> nothing" in plan
    assert 'ALTER TABLE "public"."events" REPLICA IDENTITY NOTHING;' in plan
    assert 'ALTER TABLE "public"."audit" REPLICA IDENTITY DEFAULT;' in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert identity(pg_conn, "events") == ("n", None) and identity(pg_conn, "audit") == ("d", None)

    doc["tables"]["events"]["replica_identity"] = "default"
    write(spec, doc)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert identity(pg_conn, "events") == ("d", None)

    # A table leaving the spec takes its identity along: no change of its own.
    doc["tables"]["audit"]["replica_identity"] = "full"
    write(spec, doc)
    apply_ok(spec, pg_url)
    del doc["tables"]["audit"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "replica_identity" not in plan
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)


def test_the_identity_is_set_again_when_its_index_is_rebuilt(pg_url, pg_conn, tmp_path) -> None:
    doc = copy.deepcopy(BASE)
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    doc["tables"]["events"]["indexes"][0]["columns"] = ["code", "id"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "set again: index events_code is dropped and created again" in plan
    assert plan.index('CREATE UNIQUE INDEX "events_code"') \
        < plan.index('ALTER TABLE "public"."events" REPLICA IDENTITY USING INDEX "events_code";')
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards", "data_loss,table_rewrite,access_exclusive_lock,blocks_writes,index_dropped,"
             "dependent_objects,may_fail_on_data")
    assert NO_CHANGES in replan(spec, pg_url)
    assert identity(pg_conn, "events") == ("i", "events_code")


def test_inspect_of_hand_made_identities_plans_empty(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("""
        CREATE SCHEMA app;
        CREATE TABLE app."Odd t" (id int PRIMARY KEY, k text NOT NULL CONSTRAINT "k key" UNIQUE);
        ALTER TABLE app."Odd t" REPLICA IDENTITY USING INDEX "k key";
        CREATE TABLE app.n (id int) ;
        ALTER TABLE app.n REPLICA IDENTITY NOTHING, ENABLE ROW LEVEL SECURITY;
        CREATE TABLE app.d (id int);
    """)
    inspected = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", pg_url, "--schema", "app", "-o", str(inspected))
    assert code == 0 and "replica identity" not in out, out
    doc = yaml.safe_load(inspected.read_text())
    assert doc["tables"]["app.Odd t"]["replica_identity"] == {"index": "k key"}
    # Beside another kind's attribute of the same table entry (the two used to overwrite each other).
    assert doc["tables"]["app.n"]["replica_identity"] == "nothing"
    assert doc["tables"]["app.n"]["row_level_security"] is True
    assert "replica_identity" not in doc["tables"]["app.d"]
    assert NO_CHANGES in replan(inspected, pg_url)
    pg_conn.execute("DROP SCHEMA app CASCADE")
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)
    assert identity(pg_conn, 'app."Odd t"') == ("i", 'app."k key"')


def _with(identity: object, **column: object) -> dict:
    doc = copy.deepcopy(BASE)
    doc["tables"]["events"]["replica_identity"] = identity
    doc["tables"]["events"]["columns"]["code"].update(column)
    return doc


@pytest.mark.parametrize(("doc", "message"), [
    (_with("sometimes"), "tables.events.replica_identity"),
    (_with({"index": "nope"}), "replica_identity: no index 'nope' on table public.events"),
    (_with({"index": "events_code"}, nullable=True), "covers nullable column 'code'"),
    (_with({"idx": "events_code"}), "tables.events.replica_identity"),
])
def test_bad_identities_are_refused_by_validate(tmp_path, doc: dict, message: str) -> None:
    spec = write(tmp_path / "s.yaml", doc)
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_other_dialects_refuse_it(tmp_path, dialect: str) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {"columns": {"id": {"type": "int"}},
                                                        "replica_identity": "full"}}}, dialect)
    code, out = invoke("validate", str(spec))
    assert code == 1 and "replica identity is not supported by dialect" in out, out
