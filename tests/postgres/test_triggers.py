"""Triggers end to end on a real PostgreSQL: a trigger function at work, in-place changes, recreation, drop,
inspect of hand-made triggers, and the specs validate refuses."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


BASE = {
    "tables": {"orders": {"columns": {
        "id": {"type": "bigint", "identity": "always", "primary_key": True},
        "status": {"type": "text", "default": "new"},
        "updated_at": {"type": "timestamptz", "nullable": True},
        "note": {"type": "text", "nullable": True}}}},
    "functions": {"touch_updated_at()": {
        "returns": "trigger", "language": "plpgsql",
        "body": "BEGIN\n  NEW.updated_at := now();\n  NEW.note := TG_ARGV[0];\n  RETURN NEW;\nEND\n"}},
    "triggers": {"orders.touch": {
        "timing": "before", "events": ["insert", "update"], "update_of": ["status"], "for_each": "row",
        "when": "NEW.status IS DISTINCT FROM 'x' AND NEW.id IN (1, 2, 3)", "function": "touch_updated_at",
        "arguments": ["set by 'touch'"]}},
}


def test_a_trigger_calling_a_function_end_to_end(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", BASE)
    plan = replan(spec, pg_url)
    assert "+ trigger public.orders.touch" in plan
    # The function before the table, the trigger after both.
    assert plan.index('CREATE FUNCTION "public"."touch_updated_at"') < plan.index('CREATE TABLE "public"."orders"') \
        < plan.index('CREATE TRIGGER "touch"')
    apply_ok(spec, pg_url)
    # WHEN as written and as PostgreSQL prints it (lower-case new, = ANY (ARRAY[...])) are the same condition.
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("INSERT INTO orders DEFAULT VALUES")
    assert pg_conn.execute("SELECT updated_at IS NOT NULL, note FROM orders").fetchone() == (True, "set by 'touch'")


def test_change_in_place_recreate_and_drop(pg_url, pg_conn, tmp_path) -> None:
    doc = copy.deepcopy(BASE)
    doc["triggers"]["orders.audit"] = {"timing": "after", "events": ["delete"], "for_each": "row",
                                       "function": "touch_updated_at", "constraint": True, "deferrable": True}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)

    # Enabled state and comment: in place.
    doc["triggers"]["orders.touch"].update({"enabled": False, "comment": "keeps updated_at"})
    doc["triggers"]["orders.audit"]["enabled"] = "replica"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ trigger public.orders.touch" in plan and "~ trigger public.orders.audit" in plan
    assert 'ALTER TABLE "public"."orders" DISABLE TRIGGER "touch";' in plan
    assert 'ALTER TABLE "public"."orders" ENABLE REPLICA TRIGGER "audit";' in plan
    assert "CREATE" not in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert dict(pg_conn.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'orders'::regclass "
                                "AND NOT tgisinternal")) == {"touch": "D", "audit": "R"}

    # Events, WHEN and arguments: recreated (CREATE OR REPLACE; a constraint trigger is dropped first),
    # keeping the enabled state and comment the spec says.
    doc["triggers"]["orders.touch"].update({"events": ["update"], "when": "NEW.note IS NULL", "arguments": []})
    doc["triggers"]["orders.audit"]["initially_deferred"] = True
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "-/+ trigger public.orders.touch" in plan and "-/+ trigger public.orders.audit" in plan
    assert 'CREATE OR REPLACE TRIGGER "touch"' in plan
    assert plan.index('DROP TRIGGER IF EXISTS "audit"') < plan.index('CREATE CONSTRAINT TRIGGER "audit"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    row = pg_conn.execute("SELECT tgtype, tgenabled, obj_description(oid, 'pg_trigger') FROM pg_trigger "
                          "WHERE tgname = 'touch'").fetchone()
    assert row == (1 | 2 | 16, "D", "keeps updated_at")
    assert pg_conn.execute("SELECT tginitdeferred, tgenabled FROM pg_trigger WHERE tgname = 'audit'").fetchone() == \
        (True, "R")

    # Dropping a trigger and its function together: the trigger goes first.
    del doc["triggers"]
    del doc["functions"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "- trigger public.orders.touch" in plan and "- function public.touch_updated_at()" in plan
    assert plan.index('DROP TRIGGER IF EXISTS "touch"') < plan.index('DROP FUNCTION "public"."touch_updated_at"')
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal").fetchone() == (0,)


def test_a_function_of_an_unmanaged_schema(pg_url, pg_conn, tmp_path) -> None:
    """A trigger may call a function the spec does not manage when it names its schema."""
    doc = {"tables": BASE["tables"], "triggers": {"orders.skip_same": {
        "timing": "before", "events": ["update"], "for_each": "row",
        "function": "pg_catalog.suppress_redundant_updates_trigger"}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("INSERT INTO orders DEFAULT VALUES")
    assert pg_conn.execute("UPDATE orders SET status = status").rowcount == 0


def test_inspect_of_hand_made_triggers_plans_empty(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("""
        CREATE SCHEMA app;
        CREATE TABLE app."Orders" (id int PRIMARY KEY, status text, n int);
        CREATE FUNCTION app.bump() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.n := 1; RETURN NEW; END$$;
        CREATE TRIGGER "Bump it" BEFORE UPDATE OF status, n ON app."Orders" FOR EACH ROW
            WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.n > 0) EXECUTE FUNCTION app.bump('a', 'b''c');
        CREATE CONSTRAINT TRIGGER later AFTER INSERT OR DELETE ON app."Orders" DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION app.bump();
        CREATE TRIGGER stmt AFTER TRUNCATE ON app."Orders" EXECUTE FUNCTION app.bump();
        ALTER TABLE app."Orders" DISABLE TRIGGER stmt;
        COMMENT ON TRIGGER later ON app."Orders" IS 'deferred';
    """)
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "--schema", "app", "-o", str(inspected))[0] == 0
    doc = yaml.safe_load(inspected.read_text())
    assert doc["triggers"]["app.Orders.Bump it"] == {
        "timing": "before", "events": ["update"], "update_of": ["status", "n"], "for_each": "row",
        "when": "old.status IS DISTINCT FROM new.status AND new.n > 0", "function": "app.bump",
        "arguments": ["a", "b'c"]}
    assert doc["triggers"]["app.Orders.stmt"]["enabled"] is False
    assert NO_CHANGES in replan(inspected, pg_url)
    pg_conn.execute("DROP SCHEMA app CASCADE")
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)


def _with_trigger(trigger: dict, **sections: dict) -> dict:
    return {**copy.deepcopy({k: v for k, v in BASE.items() if k != "triggers"}), **sections,
            "triggers": {"orders.t": trigger}}


ROW = {"timing": "before", "events": ["insert"], "for_each": "row", "function": "touch_updated_at"}


@pytest.mark.parametrize(("doc", "message"), [
    (_with_trigger({**ROW, "function": "missing"}), "no function public.missing() in the functions of the spec"),
    ({"triggers": {"nowhere.t": ROW}}, "triggers.nowhere.t: no table or view public.nowhere"),
    (_with_trigger({**ROW, "timing": "sometime"}), "triggers.orders.t.timing"),
    (_with_trigger({**ROW, "update_of": ["nope"], "events": ["update"]}), "update_of: no column 'nope'"),
    (_with_trigger({**ROW, "update_of": ["status"]}), "update_of: needs the update event"),
    (_with_trigger({**ROW, "constraint": True}), "a constraint trigger is timing: after, for_each: row"),
    (_with_trigger({**ROW, "deferrable": True}), "only a constraint trigger"),
    (_with_trigger({**ROW, "events": ["truncate"]}), "truncate triggers are for_each: statement"),
    (_with_trigger({**ROW, "for_each": "statement", "when": "NEW.id > 1"}), "cannot name NEW or OLD"),
    (_with_trigger({**ROW, "when": "1; DROP TABLE orders"}), "triggers.orders.t"),
    (_with_trigger({**ROW}, functions={"f()": {"returns": "int", "body": "SELECT 1"}}),
     "no function public.touch_updated_at()"),
    (_with_trigger({**ROW, "function": "f"}, functions={"f()": {"returns": "int", "body": "SELECT 1"}}),
     "returns integer, not trigger"),
])
def test_bad_triggers_are_refused_by_validate(tmp_path, doc: dict, message: str) -> None:
    spec = write(tmp_path / "s.yaml", doc)
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out


def test_triggers_are_refused_for_sqlite(tmp_path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"version": 1, "dialect": "sqlite", "triggers": {"t.x": ROW}}, sort_keys=False))
    code, out = invoke("validate", str(spec))
    assert code == 1 and "s.yaml:3:1" in out and "unknown key 'triggers'" in out, out


def test_hostile_names_and_arguments_round_trip(pg_url, pg_conn, tmp_path) -> None:
    """The WHEN condition is found in pg_get_triggerdef's text whatever the names and arguments hold."""
    pg_conn.execute("""
        CREATE TABLE "t WHEN (x" ("EXECUTE" int, "a.b" text);
        CREATE FUNCTION "f.x"() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
        CREATE TRIGGER "g WHEN (" BEFORE UPDATE OF "EXECUTE" ON "t WHEN (x" FOR EACH ROW
            WHEN (NEW."EXECUTE" > 0) EXECUTE FUNCTION "f.x"(') EXECUTE FUNCTION x(', 'WHEN (');
    """)
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(inspected))[0] == 0
    doc = yaml.safe_load(inspected.read_text())
    assert doc["triggers"]['t WHEN (x.g WHEN ('] == {
        "timing": "before", "events": ["update"], "update_of": ["EXECUTE"], "for_each": "row",
        "when": 'new."EXECUTE" > 0', "function": '"f.x"', "arguments": [") EXECUTE FUNCTION x(", "WHEN ("]}
    assert NO_CHANGES in replan(inspected, pg_url)
    pg_conn.execute('DROP TABLE "t WHEN (x"; DROP FUNCTION "f.x"')
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)


VIEW_DOC = {
    "tables": {"orders": {"columns": {
        "id": {"type": "bigint", "primary_key": True},
        "status": {"type": "text"}}}},
    "views": {"open_orders": {"query": "SELECT id, status FROM orders WHERE status = 'open'"}},
    "functions": {
        "insert_open_order()": {"returns": "trigger", "language": "plpgsql",
                                "body": "BEGIN\n  INSERT INTO public.orders VALUES (NEW.id, 'open');\n  RETURN NEW;\nEND\n"},
        "count_statements()": {"returns": "trigger", "language": "plpgsql",
                               "body": "BEGIN\n  PERFORM set_config('app.hits', '1', true);\n  RETURN NULL;\nEND\n"}},
    "triggers": {
        "open_orders.insert_order": {"timing": "instead_of", "events": ["insert"], "for_each": "row",
                                     "function": "insert_open_order", "comment": "writes through"},
        "open_orders.notice": {"timing": "before", "events": ["insert", "update"], "update_of": ["status"],
                               "function": "count_statements"}},
}


def _view_triggers(pg_conn) -> dict:
    return dict(pg_conn.execute("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                                "WHERE tgrelid = 'open_orders'::regclass ORDER BY tgname").fetchall())


def test_triggers_on_a_view_create_change_drop(pg_url, pg_conn, tmp_path) -> None:
    doc = copy.deepcopy(VIEW_DOC)
    spec = write(tmp_path / "s.yaml", doc)
    plan = replan(spec, pg_url)
    # After the view they are on.
    assert plan.index('CREATE VIEW "public"."open_orders"') < plan.index('CREATE TRIGGER "insert_order"') \
        and plan.index('CREATE VIEW "public"."open_orders"') < plan.index('CREATE TRIGGER "notice"')
    assert 'INSTEAD OF INSERT ON "public"."open_orders"' in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("INSERT INTO open_orders VALUES (7, 'ignored')")
    assert pg_conn.execute("SELECT id, status FROM orders").fetchall() == [(7, "open")]

    # A change recreates it in place (CREATE OR REPLACE TRIGGER); the comment changes in place.
    doc["triggers"]["open_orders.insert_order"].update({"events": ["insert", "update"], "comment": "both"})
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "-/+ trigger public.open_orders.insert_order" in plan
    assert 'CREATE OR REPLACE TRIGGER "insert_order" INSTEAD OF INSERT OR UPDATE ON "public"."open_orders"' in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert "INSTEAD OF INSERT OR UPDATE" in _view_triggers(pg_conn)["insert_order"]

    # Dropping the view with its triggers: the triggers go first.
    del doc["views"], doc["triggers"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert plan.index('DROP TRIGGER IF EXISTS "insert_order"') < plan.index('DROP VIEW IF EXISTS "public"."open_orders"')
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal").fetchone() == (0,)


def test_triggers_of_a_rebuilt_view_are_created_again(pg_url, pg_conn, tmp_path) -> None:
    doc = copy.deepcopy(VIEW_DOC)
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)

    # A definition PostgreSQL cannot replace in place (a column removed): the view is dropped and created,
    # and its triggers with it (the comment too).
    doc["views"]["open_orders"]["query"] = "SELECT status, id FROM orders WHERE status = 'open'"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert plan.index('DROP VIEW IF EXISTS "public"."open_orders"') < plan.index('CREATE VIEW "public"."open_orders"') \
        < plan.index('CREATE TRIGGER "insert_order"')
    assert 'COMMENT ON TRIGGER "insert_order"' in plan and 'CREATE TRIGGER "notice"' in plan
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert set(_view_triggers(pg_conn)) == {"insert_order", "notice"}

    # Rebuilt around a column type change under it, while one of its triggers changes: created once, as wanted.
    doc["tables"]["orders"]["columns"]["status"]["type"] = "varchar(20)"
    doc["triggers"]["open_orders.notice"]["timing"] = "after"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "rebuilt around the type change of public.orders.status" in plan
    assert plan.index('ALTER COLUMN "status" TYPE') < plan.index('CREATE TRIGGER "notice" AFTER INSERT')
    assert "CREATE OR REPLACE TRIGGER" not in plan
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards", "access_exclusive_lock,may_fail_on_data,table_rewrite")
    assert NO_CHANGES in replan(spec, pg_url)
    assert "AFTER INSERT OR UPDATE OF status" in _view_triggers(pg_conn)["notice"]


def test_inspect_of_hand_made_view_triggers_plans_empty(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("""
        CREATE TABLE t (a int, b int);
        CREATE VIEW "V w" AS SELECT a, b FROM t;
        CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
        CREATE TRIGGER s1 AFTER UPDATE OF a ON "V w" FOR EACH STATEMENT EXECUTE FUNCTION f('x');
        CREATE TRIGGER "i 1" INSTEAD OF INSERT OR DELETE ON "V w" FOR EACH ROW EXECUTE FUNCTION f();
        COMMENT ON TRIGGER "i 1" ON "V w" IS 'instead';
    """)
    inspected = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", pg_url, "-o", str(inspected))
    assert code == 0 and "trigger on a view" not in out, out
    doc = yaml.safe_load(inspected.read_text())
    assert doc["triggers"]["V w.i 1"] == {"timing": "instead_of", "events": ["insert", "delete"], "for_each": "row",
                                          "function": "f", "comment": "instead"}
    assert doc["triggers"]["V w.s1"] == {"timing": "after", "events": ["update"], "update_of": ["a"],
                                         "for_each": "statement", "function": "f", "arguments": ["x"]}
    assert NO_CHANGES in replan(inspected, pg_url)
    pg_conn.execute('DROP VIEW "V w"; DROP TABLE t; DROP FUNCTION f')
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)


def _on_view(trigger: dict) -> dict:
    return {**copy.deepcopy({k: v for k, v in VIEW_DOC.items() if k != "triggers"}),
            "triggers": {"open_orders.t": trigger}}


INSTEAD = {"timing": "instead_of", "events": ["insert"], "for_each": "row", "function": "insert_open_order"}


@pytest.mark.parametrize(("doc", "message"), [
    (_on_view({**INSTEAD, "for_each": "statement"}), "an instead_of trigger is for_each: row"),
    (_on_view({**INSTEAD, "when": "NEW.id > 1"}), "an instead_of trigger has no condition"),
    (_on_view({**INSTEAD, "events": ["update"], "update_of": ["id"]}), "an instead_of trigger has no column list"),
    (_on_view({**INSTEAD, "timing": "after"}), "row triggers on a view are instead_of"),
    (_on_view({**INSTEAD, "timing": "after", "for_each": "statement", "events": ["truncate"]}),
     "a view has no truncate triggers"),
    (_on_view({**INSTEAD, "enabled": False}), "a view's triggers cannot be disabled"),
    (_on_view({**INSTEAD, "timing": "after", "for_each": "statement", "events": ["update"], "update_of": ["x"]}),
     "update_of: no column 'x' in view public.open_orders"),
    (_with_trigger({**ROW, "timing": "instead_of"}), "instead_of triggers are for views"),
])
def test_bad_view_triggers_are_refused_by_validate(tmp_path, doc: dict, message: str) -> None:
    spec = write(tmp_path / "s.yaml", doc)
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out
