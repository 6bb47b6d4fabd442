"""Text -> enum and enum -> other enum: the obvious `USING col::text::enum` when every existing value is a
label of the new enum (the plan says so), a refusal naming the values otherwise, the spec's `using:` first."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, enums: dict, column: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", "enums": enums, "tables": {
        "tickets": {"columns": {"id": {"type": "bigint", "primary_key": True}, "state": column}}}}))
    return path


def test_text_to_enum_converts_when_every_value_is_a_label(tmp_path, pg_url, pg_conn):
    spec = write(tmp_path / "s.yaml", {}, {"type": "text", "nullable": True})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO tickets VALUES (1, 'open'), (2, 'closed'), (3, NULL)")
    write(spec, {"ticket_state": ["open", "closed", "archived"]}, {"type": "ticket_state", "nullable": True})
    plan = replan(spec, pg_url)
    assert 'USING "state"::text::"public"."ticket_state"' in plan
    assert "converted with USING" in plan and "every existing value of state is a label" in plan
    apply_ok(spec, pg_url, "--allow-hazards", "access_exclusive_lock,table_rewrite")
    assert replan(spec, pg_url).startswith(NO_CHANGES)
    assert pg_conn.execute("SELECT state::text, pg_typeof(state)::text FROM tickets ORDER BY id").fetchall() == [
        ("open", "ticket_state"), ("closed", "ticket_state"), (None, "ticket_state")]


def test_enum_to_other_enum(tmp_path, pg_url, pg_conn):
    spec = write(tmp_path / "s.yaml", {"old_state": ["open", "closed"]}, {"type": "old_state"})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO tickets VALUES (1, 'open')")
    write(spec, {"old_state": ["open", "closed"], "new_state": ["open", "closed", "waiting"]},
          {"type": "new_state"})
    plan = replan(spec, pg_url)
    assert 'USING "state"::text::"public"."new_state"' in plan
    apply_ok(spec, pg_url, "--allow-hazards", "access_exclusive_lock,table_rewrite")
    assert replan(spec, pg_url).startswith(NO_CHANGES)
    assert pg_conn.execute("SELECT pg_typeof(state)::text FROM tickets").fetchone() == ("new_state",)


def test_values_that_are_not_labels_are_named(tmp_path, pg_url, pg_conn):
    spec = write(tmp_path / "s.yaml", {}, {"type": "text"})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO tickets VALUES (1, 'open'), (2, 'Open '), (3, 'done')")
    write(spec, {"ticket_state": ["open", "closed"]}, {"type": "ticket_state"})
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 1
    assert "existing values are not labels of public.ticket_state" in out
    assert "'Open '" in out and "'done'" in out and "'open'" not in out


def test_the_specs_using_wins(tmp_path, pg_url, pg_conn):
    spec = write(tmp_path / "s.yaml", {}, {"type": "text"})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO tickets VALUES (1, 'OPEN')")
    write(spec, {"ticket_state": ["open", "closed"]},
          {"type": "ticket_state", "using": "lower(state)::ticket_state"})
    plan = replan(spec, pg_url)
    assert "USING lower(state)::ticket_state" in plan and "converted with USING" not in plan
    apply_ok(spec, pg_url, "--allow-hazards", "access_exclusive_lock,table_rewrite,may_fail_on_data")
    assert pg_conn.execute("SELECT state::text FROM tickets").fetchone() == ("open",)
