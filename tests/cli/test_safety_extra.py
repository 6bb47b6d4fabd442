"""Safety promises of the README checked end to end through the CLI, on real PostgreSQL and SQLite."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from reconciler.backends.postgres.execute import LOCK_KEY
from reconciler.cli import main
from tests.cli.helpers import invoke

ROOT = Path(__file__).resolve().parents[2]
NO_CHANGES = "No changes. The database matches the spec."

PG_SPEC = """\
version: 1
dialect: postgres
tables:
  accounts:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: text}
  notes:
    columns:
      id: {type: integer, primary_key: true}
      account_id: {type: integer}
      body: {type: text}
"""

# A foreign key, a check and an index added to tables that already hold rows.
PG_CONSTRAINED = PG_SPEC.replace(
    "      account_id: {type: integer}\n", "      account_id: {type: integer, references: accounts(id)}\n") + """\
    indexes:
      - {columns: [body]}
    checks:
      body_not_empty: "length(body) > 0"
"""

SQLITE_SPEC = """\
version: 1
dialect: sqlite
tables:
  items:
    columns:
      id: {type: integer, primary_key: true}
      name: {type: text}
"""


def apply_ok(spec: Path, url: str, *extra: str) -> str:
    code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet", *extra)
    assert code == 0, out
    return out


def replan(spec: Path, url: str, *extra: str) -> str:
    return invoke("plan", str(spec), "--url", url, *extra)[1].strip()


def pg_columns(conn: psycopg.Connection, table: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum", (table,))]


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def sqlite_schema(url: str) -> list[tuple[str, str]]:
    with sqlite3.connect(sqlite_path(url)) as conn:
        return conn.execute("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'schemactl%' "
                            "ORDER BY name").fetchall()


@pytest.fixture
def pg_spec(tmp_path: Path, pg_url: str, pg_conn: psycopg.Connection) -> Path:
    spec = tmp_path / "schema.yaml"
    spec.write_text(PG_SPEC)
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO accounts VALUES (1, 'a@example.com')")
    pg_conn.execute("INSERT INTO notes VALUES (10, 1, 'hello')")
    return spec


# -- interrupting a SQLite apply ---------------------------------------------------------------------------


def test_sigint_during_a_sqlite_apply_leaves_the_file_unchanged_and_the_next_plan_completes(tmp_path, sqlite_url):
    spec = tmp_path / "schema.yaml"
    spec.write_text(SQLITE_SPEC)
    apply_ok(spec, sqlite_url)
    with sqlite3.connect(sqlite_path(sqlite_url)) as conn:
        conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 800) "
                     "INSERT INTO items SELECT i, 'item ' || i FROM n")
    before = sqlite_schema(sqlite_url)
    # A check that is slow to evaluate on every row: the rebuild's copy takes long enough to interrupt.
    spec.write_text(SQLITE_SPEC + "    checks:\n      slow: length(hex(zeroblob(1000000 + id))) > 0\n"
                    + "  tags:\n    columns:\n      id: {type: integer, primary_key: true}\n")
    hazards = "table_rewrite,full_scan_validation,may_fail_on_data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(spec), "--url", sqlite_url, "--auto-approve",
         "--allow-hazards", hazards], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        seen = _wait_for_progress(proc, 'INSERT INTO "items__new"')
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, seen + err
    assert "Interrupted" in err and "Traceback" not in err
    assert sqlite_schema(sqlite_url) == before
    with sqlite3.connect(sqlite_path(sqlite_url)) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (800,)
        assert conn.execute("SELECT outcome FROM schemactl_history ORDER BY id DESC LIMIT 1").fetchone() == (
            "interrupted",)
    assert replan(spec, sqlite_url).endswith("Plan: 1 to add, 1 to change, 0 to destroy.")
    apply_ok(spec, sqlite_url, "--allow-hazards", hazards)
    assert replan(spec, sqlite_url) == NO_CHANGES


def _wait_for_progress(proc: subprocess.Popen, needle: str) -> str:
    """Read the apply's stderr up to the progress line of the statement containing `needle`."""
    seen = ""
    deadline = time.monotonic() + 60
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError(f"apply ended before {needle!r}: {seen}{proc.communicate()}")
        seen += line
        if needle in line:
            return seen
    raise AssertionError(f"never saw {needle!r}: {seen}")


# -- saved plans, online statements, renames on PostgreSQL ----------------------------------------------------


def test_an_edited_saved_plan_is_refused_on_postgres(pg_spec, pg_url, pg_conn, tmp_path):
    pg_spec.write_text(PG_SPEC.replace("      body: {type: text}\n",
                                       "      body: {type: text}\n      title: {type: text, nullable: true}\n"))
    plan_file = tmp_path / "plan.json"
    assert invoke("plan", str(pg_spec), "--url", pg_url, "-out", str(plan_file))[0] == 0
    document = json.loads(plan_file.read_text())
    document["changes"][0]["statements"][0]["sql"] = 'DROP TABLE "public"."accounts" CASCADE;'
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    code, out = invoke("apply", str(edited), "--url", pg_url, "--auto-approve")
    assert code == 1 and "edited" in out and "refusing to apply it" in out and "Traceback" not in out
    assert pg_columns(pg_conn, "accounts") == ["id", "email"] and "title" not in pg_columns(pg_conn, "notes")
    # The file as planned still applies.
    code, out = invoke("apply", str(plan_file), "--url", pg_url, "--auto-approve", "--quiet")
    assert code == 0, out
    assert replan(pg_spec, pg_url) == NO_CHANGES


def test_online_mode_validates_constraints_separately_and_builds_indexes_concurrently(pg_spec, pg_url, pg_conn):
    pg_spec.write_text(PG_CONSTRAINED)
    code, sql = invoke("plan", str(pg_spec), "--url", pg_url, "--online", "--format", "sql")
    assert code == 0, sql
    lines = [line for line in sql.splitlines() if line and not line.startswith("--")]
    fk_add = _line(lines, 'ADD CONSTRAINT "notes_account_id_fkey" FOREIGN KEY')
    check_add = _line(lines, 'ADD CONSTRAINT "body_not_empty" CHECK')
    assert lines[fk_add].endswith("NOT VALID;") and lines[check_add].endswith("NOT VALID;")
    assert fk_add < _line(lines, 'VALIDATE CONSTRAINT "notes_account_id_fkey"')
    assert check_add < _line(lines, 'VALIDATE CONSTRAINT "body_not_empty"')
    assert _line(lines, "CREATE INDEX CONCURRENTLY") > max(fk_add, check_add)
    # In the plan every statement that runs outside the transaction is marked.
    code, text = invoke("plan", str(pg_spec), "--url", pg_url, "--online", "--no-color")
    for statement in ("VALIDATE CONSTRAINT", "CREATE INDEX CONCURRENTLY"):
        marked = [line for line in text.splitlines() if statement in line]
        assert marked and all("-- runs outside the transaction" in line for line in marked), text
    assert all("-- runs outside the transaction" not in line for line in text.splitlines() if "NOT VALID" in line)

    code, out = invoke("apply", str(pg_spec), "--url", pg_url, "--online", "--auto-approve", "--quiet",
                       "--allow-hazards", "full_scan_validation,may_fail_on_data")
    assert code == 0, out
    validated = dict(pg_conn.execute("SELECT conname, convalidated FROM pg_constraint "
                                     "WHERE conrelid = 'notes'::regclass AND contype IN ('f', 'c')").fetchall())
    assert validated == {"notes_account_id_fkey": True, "body_not_empty": True}
    [(valid,)] = pg_conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'notes_body_idx'::regclass")
    assert valid is True
    assert replan(pg_spec, pg_url) == NO_CHANGES
    assert replan(pg_spec, pg_url, "--online") == NO_CHANGES


def _line(lines: list[str], text: str) -> int:
    return next(i for i, line in enumerate(lines) if text in line)


RENAMED = {
    "postgres": (PG_SPEC, "      body: {type: text}\n", "column public.notes.title"),
    "sqlite": (SQLITE_SPEC, "      name: {type: text}\n", "column items.title"),
}


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_a_rename_from_a_column_that_does_not_exist_fails_the_plan(dialect, tmp_path, request):
    url = request.getfixturevalue("pg_url" if dialect == "postgres" else "sqlite_url")
    base, last_column, address = RENAMED[dialect]
    spec = tmp_path / "schema.yaml"
    spec.write_text(base)
    apply_ok(spec, url)
    before = replan_inspect(url, tmp_path)
    spec.write_text(base.replace(last_column, last_column + "      title: {type: text, renamed_from: heading}\n"))
    for command, extra in (("plan", ()), ("apply", ("--auto-approve", "--allow-hazards", "may_fail_on_data"))):
        code, out = invoke(command, str(spec), "--url", url, *extra)
        assert code == 1, out
        assert f"Error: {address} is renamed from heading, but neither exists; refusing to guess" in out
        assert "Traceback" not in out
    assert replan_inspect(url, tmp_path) == before


def replan_inspect(url: str, tmp_path: Path) -> str:
    """The live schema as `schemactl inspect` writes it."""
    out = tmp_path / "live.yaml"
    code, text = invoke("inspect", "--url", url, "-o", str(out))
    assert code == 0, text
    return out.read_text()


# -- status --------------------------------------------------------------------------------------------------


def test_status_on_postgres_shows_the_last_apply_and_drift_after_a_manual_change(pg_spec, pg_url, pg_conn):
    code, out = invoke("status", str(pg_spec), "--url", pg_url)
    assert code == 0, out
    last = next(line for line in out.splitlines() if line.startswith("Last apply:"))
    assert re.match(r"Last apply: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 outcome=applied tool=\S+ spec=sha256:", last)
    assert "Drift: none. The database matches the spec." in out
    pg_conn.execute("ALTER TABLE notes ADD COLUMN sneaky integer")
    pg_conn.execute("CREATE INDEX notes_body_manual ON notes (body)")
    code, out = invoke("status", str(pg_spec), "--url", pg_url)
    assert code == 0, out
    assert "outcome=applied" in out
    assert "Drift: Plan: 0 to add, 0 to change, 2 to destroy." in out
    assert "  - column public.notes.sneaky" in out and "  - index public.notes.notes_body_manual" in out


def test_status_shows_a_failed_apply(pg_spec, pg_url):
    pg_spec.write_text(PG_SPEC.replace("      body: {type: text}\n",
                                       "      body: {type: text}\n      required: {type: text}\n"))
    code, out = invoke("apply", str(pg_spec), "--url", pg_url, "--auto-approve", "--quiet",
                       "--allow-hazards", "may_fail_on_data")
    assert code == 1 and "contains null values" in out
    code, out = invoke("status", str(pg_spec), "--url", pg_url)
    assert "outcome=failed" in out and "Drift: Plan: 1 to add, 0 to change, 0 to destroy." in out


# -- environments --------------------------------------------------------------------------------------------


def _project(tmp_path: Path, spec: Path, **settings: str) -> Path:
    project = tmp_path / "schemactl.yaml"
    lines = "".join(f"    {key}: {value}\n" for key, value in settings.items())
    project.write_text(f"version: 1\nenvironments:\n  prod:\n    spec: {spec.name}\n    url_env: PROD_DB_URL\n{lines}")
    return project


def test_environment_allow_hazards_online_and_lock_timeout_take_effect(pg_spec, pg_url, pg_conn, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("PROD_DB_URL", pg_url)
    pg_spec.write_text(PG_CONSTRAINED)
    env = ("--env", "prod", "--auto-approve", "--quiet")

    # Without the environment's allowance the hazards are refused; nothing changes.
    project = _project(tmp_path, pg_spec, online="true")
    code, out = invoke("apply", *env, "--config", str(project))
    assert code == 1 and "the plan has hazards that were not allowed" in out
    assert "full_scan_validation" in out and "blocks_writes" not in out  # online: the index is built concurrently
    code, out = invoke("plan", "--env", "prod", "--config", str(project), "--format", "sql")
    assert "CREATE INDEX CONCURRENTLY" in out and "NOT VALID" in out

    # lock_timeout: a second apply waits that long for the apply lock, not the default 30 s.
    project = _project(tmp_path, pg_spec, online="true", lock_timeout="0.5",
                       allow_hazards="[full_scan_validation, may_fail_on_data]")
    with psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        started = time.monotonic()
        code, out = invoke("apply", *env, "--config", str(project))
        elapsed = time.monotonic() - started
        other.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    assert code == 1 and "another schemactl apply holds the lock" in out and "waited 0.5s" in out
    assert elapsed < 10

    # allow_hazards: the same apply now goes through, online.
    code, out = invoke("apply", *env, "--config", str(project))
    assert code == 0, out
    [(valid,)] = pg_conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'notes_body_idx'::regclass")
    assert valid is True
    assert replan(pg_spec, pg_url) == NO_CHANGES


def test_environment_allow_hazards_on_sqlite(tmp_path, sqlite_url, monkeypatch):
    monkeypatch.setenv("PROD_DB_URL", sqlite_url)
    spec = tmp_path / "schema.yaml"
    spec.write_text(SQLITE_SPEC)
    apply_ok(spec, sqlite_url)
    spec.write_text(SQLITE_SPEC + "    indexes:\n      - {columns: [name]}\n")
    code, out = invoke("apply", "--env", "prod", "--config", str(_project(tmp_path, spec)), "--auto-approve")
    assert code == 1 and "  - blocks_writes: index items.items_name_idx" in out
    project = _project(tmp_path, spec, allow_hazards="[blocks_writes]")
    code, out = invoke("apply", "--env", "prod", "--config", str(project), "--auto-approve", "--quiet")
    assert code == 0, out
    assert replan(spec, sqlite_url) == NO_CHANGES


# -- progress ------------------------------------------------------------------------------------------------

PROGRESS = re.compile(r"^\[(\d+)/(\d+)\]\s+\d+\.\ds \S")


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_progress_lines_go_to_stderr_and_quiet_removes_them(dialect, tmp_path, request):
    url = request.getfixturevalue("pg_url" if dialect == "postgres" else "sqlite_url")
    base = PG_SPEC if dialect == "postgres" else SQLITE_SPEC
    spec = tmp_path / "schema.yaml"
    spec.write_text(base)
    result = CliRunner().invoke(main, ["apply", str(spec), "--url", url, "--auto-approve"])
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if PROGRESS.match(line)]
    steps = [PROGRESS.match(line).groups() for line in progress]
    assert steps and [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
    assert {int(total) for _, total in steps} == {len(steps)}
    assert "CREATE TABLE" in progress[0]
    assert not any(PROGRESS.match(line) for line in result.stdout.splitlines())

    spec.write_text(base.replace("tables:\n", "tables:\n  extra:\n    columns:\n      id: {type: integer}\n"))
    result = CliRunner().invoke(main, ["apply", str(spec), "--url", url, "--auto-approve", "--quiet"])
    assert result.exit_code == 0, result.output
    assert not any(PROGRESS.match(line) for line in result.output.splitlines())
    assert "Apply complete!" in result.stdout


def test_a_failed_online_validate_is_seen_and_completed_by_the_next_plan(pg_spec, pg_url, pg_conn):
    # Existing rows violate both new constraints: NOT VALID succeeds, VALIDATE fails after the commit.
    pg_conn.execute("INSERT INTO notes VALUES (11, 99, '')")
    pg_spec.write_text(PG_CONSTRAINED)
    hazards = ("--allow-hazards", "full_scan_validation,may_fail_on_data")
    code, out = invoke("apply", str(pg_spec), "--url", pg_url, "--online", "--auto-approve", "--quiet", *hazards)
    assert code == 1 and "VALIDATE CONSTRAINT" in out, out
    assert dict(pg_conn.execute("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'notes'::regclass"
                                " AND contype IN ('f', 'c')").fetchall()) == {
        "notes_account_id_fkey": False, "body_not_empty": False}
    plan = replan(pg_spec, pg_url, "--no-color")
    assert "check public.notes.body_not_empty" in plan and "valid: false -> true" in plan, plan
    assert "foreign_key public.notes.notes_account_id_fkey" in plan
    code, status = invoke("status", str(pg_spec), "--url", pg_url)
    assert "Drift: none" not in status
    pg_conn.execute("DELETE FROM notes WHERE id = 11")
    code, out = invoke("apply", str(pg_spec), "--url", pg_url, "--online", "--auto-approve", "--quiet", *hazards)
    assert code == 0, out
    assert replan(pg_spec, pg_url) == NO_CHANGES
