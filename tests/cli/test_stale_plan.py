"""A stale saved plan says, in the words of the plan, what changed in the target since it was made; bounded."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.cli.helpers import invoke

SPEC = """\
version: 1
dialect: postgres
tables:
  notes:
    columns:
      id: {type: integer, primary_key: true}
      body: {type: text}
  gone_later:
    columns:
      id: {type: integer, primary_key: true}
"""


def _saved_plan(tmp_path: Path, url: str) -> Path:
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC)
    assert invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")[0] == 0
    spec.write_text(SPEC + "  extra:\n    columns:\n      id: {type: integer, primary_key: true}\n")
    plan_file = tmp_path / "plan.json"
    code, out = invoke("plan", str(spec), "--url", url, "-out", str(plan_file))
    assert code == 0, out
    return plan_file


def test_a_stale_plan_names_each_object_created_dropped_or_changed(tmp_path, pg_url, pg_conn):
    plan_file = _saved_plan(tmp_path, pg_url)
    pg_conn.execute("CREATE TABLE zz (id integer)")
    pg_conn.execute("DROP TABLE gone_later")
    pg_conn.execute("ALTER TABLE notes ADD COLUMN sneaky integer")
    pg_conn.execute("ALTER TABLE notes ALTER COLUMN body DROP NOT NULL")
    pg_conn.execute("COMMENT ON TABLE notes IS 'hi'")
    code, out = invoke("apply", str(plan_file), "--url", pg_url, "--auto-approve")
    assert code == 1
    assert "Saved plan is stale" in out
    assert "table public.zz was created" in out
    assert "table public.gone_later was dropped" in out
    assert "column public.notes.sneaky was created" in out
    assert "column public.notes.body was changed (nullable)" in out
    assert "table public.notes was changed (comment)" in out
    assert "dictionary item" not in out and "root" not in out and "['" not in out, out
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('public.extra')").fetchone() == (None,)


def test_the_list_of_changes_is_capped(tmp_path, pg_url, pg_conn):
    plan_file = _saved_plan(tmp_path, pg_url)
    pg_conn.execute("DO $$ BEGIN FOR i IN 1..300 LOOP EXECUTE format('CREATE TABLE %I (id integer)', 'z' || i); "
                    "END LOOP; END $$")
    code, out = invoke("apply", str(plan_file), "--url", pg_url, "--auto-approve")
    assert code == 1
    created = [line for line in out.splitlines() if line.strip().startswith("table public.z")]
    assert len(created) == 20, out
    assert "... and 280 more" in out
    assert len(out) < 3000
