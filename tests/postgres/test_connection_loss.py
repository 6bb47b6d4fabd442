"""A connection lost in the middle of an apply (session terminated, server restarted): one line naming the
target and the statement, and a `failed` history row written on a new connection once the server answers.

schemactl runs as a subprocess; its apply waits on a lock the test holds, so that the session is lost while
a statement runs, every time.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from reconciler.backends.postgres import BACKEND
from reconciler.backends.postgres.execute import LOCK_KEY
from tests.cli.helpers import invoke
from tests.support.pgserver import PASSWORD, PgServer

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
version: 1
dialect: postgres
tables:
  notes:
    columns:
      id: {type: integer, primary_key: true}
      body: {type: text}
"""
# A new table (created in the transaction), then a column on `notes`, which waits for the test's lock.
CHANGED = BASE + "  audit:\n    columns:\n      id: {type: integer, primary_key: true}\n"
CHANGED = CHANGED.replace("      body: {type: text}\n", "      body: {type: text}\n      extra: {type: text, nullable: true}\n")
ALTER = 'ALTER TABLE "public"."notes" ADD COLUMN "extra" text'


def start_apply(spec: Path, url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(spec), "--url", url, "--auto-approve",
                             "--quiet", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def waiting_session(watcher: psycopg.Connection, proc: subprocess.Popen, condition: str) -> int:
    """The pid of the apply's session once it waits as `condition` says."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = watcher.execute(f"SELECT pid FROM pg_stat_activity WHERE application_name = 'schemactl' AND {condition}"
                              ).fetchone()
        if row:
            return row[0]
        if proc.poll() is not None:
            raise AssertionError(f"apply ended early: {proc.communicate()}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"apply never waited: {proc.communicate()}")


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"apply still running after its connection was lost\n{err}")
    return proc.returncode, out, err


def error_line(err: str, url: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    [line] = lines
    redacted = url.replace(f":{PASSWORD}@", ":***@")
    assert line.startswith("Error: ") and PASSWORD not in line and redacted in line, line
    return line


def last_history(url: str) -> dict:
    with psycopg.connect(url, autocommit=True) as conn:
        return BACKEND.read_history(conn, 1)[0]


def assert_failed_and_recorded(code: int, out: str, err: str, url: str) -> None:
    assert code == 1, err
    line = error_line(err, url)
    assert f"(0 of 2 steps applied) at {ALTER}: connection lost: terminating connection due to administrator " \
           "command" in line, line
    assert "the failed apply was recorded after reconnecting" in out, out
    row = last_history(url)
    assert row["outcome"] == "failed" and row["failed_statement"] == ALTER + ";"
    assert "terminating connection" in row["error"] and "rolled back" in row["error"]
    assert row["statements"] == [] and any('"audit"' in s for s in row["rolled_back"])


def converges(spec: Path, url: str) -> None:
    assert invoke("plan", str(spec), "--url", url)[1].strip().endswith("Plan: 2 to add, 0 to change, 0 to destroy.")
    code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")
    assert code == 0, out
    assert invoke("plan", str(spec), "--url", url)[1].strip() == "No changes. The database matches the spec."


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    return tmp_path / "schema.yaml"


def test_a_session_terminated_during_a_statement_is_one_line_and_recorded(spec: Path, pg_url: str,
                                                                          pg_conn: psycopg.Connection) -> None:
    spec.write_text(BASE)
    assert invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet")[0] == 0
    spec.write_text(CHANGED)
    with psycopg.connect(pg_url) as locker:
        locker.execute("LOCK TABLE notes IN ACCESS SHARE MODE")
        proc = start_apply(spec, pg_url)
        pid = waiting_session(pg_conn, proc, "wait_event_type = 'Lock'")
        pg_conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        code, out, err = finish(proc)
        locker.rollback()
    assert_failed_and_recorded(code, out, err, pg_url)
    converges(spec, pg_url)


def test_a_server_restart_during_a_statement_is_one_line_and_recorded_once_it_is_back(spec: Path) -> None:
    with PgServer() as server:
        url = server.create_database("app")
        spec.write_text(BASE)
        assert invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")[0] == 0
        spec.write_text(CHANGED)
        watcher, locker = psycopg.connect(url, autocommit=True), psycopg.connect(url)
        try:
            locker.execute("LOCK TABLE notes IN ACCESS SHARE MODE")
            proc = start_apply(spec, url)
            waiting_session(watcher, proc, "wait_event_type = 'Lock'")
            server.restart()  # a fast shutdown ends every session (these two too), then the server starts again
        finally:
            watcher.close()
            locker.close()
        code, out, err = finish(proc)
        assert_failed_and_recorded(code, out, err, url)
        converges(spec, url)


def test_a_session_terminated_while_waiting_for_the_apply_lock_is_one_line(spec: Path, pg_url: str,
                                                                           pg_conn: psycopg.Connection) -> None:
    spec.write_text(BASE)
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        proc = start_apply(spec, pg_url, "--lock-timeout", "60")
        pid = waiting_session(pg_conn, proc, "query LIKE '%%pg_try_advisory_lock%%'")
        pg_conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        code, _, err = finish(proc)
    assert code == 1, err
    line = error_line(err, pg_url)
    # The server's FATAL message, or libpq's, depending on when the next poll finds the session gone.
    assert "lost the connection to" in line and "while taking the apply lock: " in line, line
