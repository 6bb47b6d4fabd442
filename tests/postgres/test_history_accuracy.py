"""The history row of every apply tells the truth: what persisted, what was rolled back, what failed.

Each test plans and applies a real spec through `reconciler.apply.execute_plan` (the path the CLI
takes) on a throwaway PostgreSQL database, then reads `schemactl.schemactl_history` back.
"""

from __future__ import annotations

import _thread
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from reconciler.apply import execute_plan
from reconciler.backends import ApplyResult, RenderOptions
from reconciler.backends.postgres import BACKEND
from reconciler.plan import Plan
from reconciler.spec import load_model
from reconciler.workflow import open_target, plan_for_target

BASE = """\
version: 1
dialect: postgres
enums:
  mood: [ok]
tables:
  accounts:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: text}
"""


class Interrupt:
    """A progress callback that raises KeyboardInterrupt (Ctrl-C) before the first statement matching `when`."""

    def __init__(self, when: Callable[[str], bool]) -> None:
        self.when, self.fired = when, False

    def __call__(self, step: int, total: int, sql: str) -> None:
        if not self.fired and self.when(sql):
            self.fired = True
            raise KeyboardInterrupt


def apply_spec(url: str, spec: Path, text: str, *, online: bool = False,
               progress: Callable[[int, int, str], None] | None = None) -> tuple[Plan, ApplyResult]:
    spec.write_text(text)
    loaded, desired = load_model(str(spec))
    with open_target(url, loaded.dialect, read_only=False) as target:
        plan = plan_for_target(target, loaded, desired, RenderOptions(online=online)).plan
        result = execute_plan(target.backend, target.conn, plan, lock_timeout=5, progress=progress)
    return plan, result


def planned(url: str, spec: Path, online: bool = False) -> Plan:
    loaded, desired = load_model(str(spec))
    with open_target(url, loaded.dialect, read_only=True) as target:
        return plan_for_target(target, loaded, desired, RenderOptions(online=online)).plan


def statements(plan: Plan) -> list[str]:
    return [s.sql for p in plan.changes for s in p.statements]


def run_order(plan: Plan) -> list[str]:
    """The order the executor runs them in: committed-first, the transaction, then what runs after the commit."""
    every = [s for p in plan.changes for s in p.statements]
    return ([s.sql for s in every if s.commit_first]
            + [s.sql for s in every if s.transactional and not s.commit_first]
            + [s.sql for s in every if not s.transactional and not s.commit_first])


def history(url: str) -> list[dict[str, Any]]:
    """Every row, oldest first."""
    with psycopg.connect(url, autocommit=True) as conn:
        return list(reversed(BACKEND.read_history(conn, 100)))


def columns(conn: psycopg.Connection, table: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum", (table,))]


def tables(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1")]


@pytest.fixture
def spec(tmp_path: Path, pg_url: str, pg_conn: psycopg.Connection) -> Path:
    path = tmp_path / "schema.yaml"
    _, result = apply_spec(pg_url, path, BASE)
    assert result.error is None, result.error
    pg_conn.execute("INSERT INTO accounts VALUES (1, 'a@x'), (2, 'a@x')")
    return path


def test_a_successful_apply_is_one_applied_row_with_every_statement(spec, pg_url):
    [row] = history(pg_url)
    assert row["outcome"] == "applied" and row["error"] is None
    assert row["failed_statement"] is None and row["rolled_back"] == []
    assert any("CREATE TABLE" in s for s in row["statements"])


def test_failure_in_the_transaction_records_nothing_persisted_but_what_was_attempted(spec, pg_url, pg_conn):
    # A new enum value (committed first, on its own), a new table (runs, then is rolled back) and a NOT
    # NULL column without a default on a table with rows (fails).
    text = (BASE.replace("[ok]", "[ok, great]")
            + "  audit:\n    columns:\n      id: {type: integer, primary_key: true}\n"
            + "  notes:\n    columns:\n      id: {type: integer, primary_key: true}\n")
    text = text.replace("      email: {type: text}\n", "      email: {type: text}\n      required: {type: text}\n")
    plan, result = apply_spec(pg_url, spec, text)
    assert result.error and "required" in result.error
    failing = next(s for s in statements(plan) if '"required"' in s)
    add_value = next(s for s in statements(plan) if "ADD VALUE" in s)
    assert result.failed_statement == failing

    row = history(pg_url)[-1]
    assert row["outcome"] == "failed"
    # Only the enum value persisted; the rest of the transaction was attempted and rolled back.
    assert row["statements"] == [add_value]
    assert row["failed_statement"] == failing
    order = run_order(plan)
    assert row["rolled_back"] == order[1:order.index(failing)]
    assert any('"audit"' in s for s in row["rolled_back"])
    assert "contains null values" in row["error"]
    assert "audit" not in tables(pg_conn) and "required" not in columns(pg_conn, "accounts")
    assert len(history(pg_url)) == 2

    # The next plan still holds everything but the enum value, and completes it.
    pg_conn.execute("DELETE FROM accounts")
    assert "ADD VALUE" not in " ".join(statements(planned(pg_url, spec)))
    _, result = apply_spec(pg_url, spec, text)
    assert result.error is None, result.error
    assert planned(pg_url, spec).empty
    assert history(pg_url)[-1]["outcome"] == "applied"


def test_failure_after_the_commit_records_the_committed_statements_as_applied(spec, pg_url, pg_conn):
    # Online: the column is added in the transaction; the unique index over duplicate emails is built
    # CONCURRENTLY after the commit, and fails.
    text = (BASE.replace("      email: {type: text}\n",
                         "      email: {type: text}\n      nick: {type: text, nullable: true}\n")
            + "    indexes:\n      - {columns: [email], unique: true}\n")
    plan, result = apply_spec(pg_url, spec, text, online=True)
    assert result.error and "could not create unique index" in result.error
    concurrently = next(s for s in statements(plan) if "CREATE UNIQUE INDEX CONCURRENTLY" in s)
    order = run_order(plan)

    rows = history(pg_url)
    assert [r["outcome"] for r in rows] == ["applied", "failed"]  # never "applied" for this apply
    row = rows[-1]
    # The transaction and the statements after it up to the failing one (DROP INDEX CONCURRENTLY IF EXISTS).
    assert row["statements"] == order[:order.index(concurrently)]
    assert any('"nick"' in s for s in row["statements"])
    assert row["failed_statement"] == concurrently and row["rolled_back"] == []
    assert "could not create unique index" in row["error"]
    assert "nick" in columns(pg_conn, "accounts")

    # The failed build left an invalid index; the next plan rebuilds it once the data allows.
    pg_conn.execute("UPDATE accounts SET email = email || id")
    repair = planned(pg_url, spec, online=True)
    assert [p.change.address for p in repair.changes] == ["index public.accounts.accounts_email_idx"]
    _, result = apply_spec(pg_url, spec, text, online=True)
    assert result.error is None, result.error
    assert planned(pg_url, spec).empty
    assert history(pg_url)[-1]["outcome"] == "applied"


def test_interrupt_in_the_transaction_rolls_back_and_records_it(spec, pg_url, pg_conn):
    text = (BASE + "  audit:\n    columns:\n      id: {type: integer, primary_key: true}\n"
            + "  notes:\n    columns:\n      id: {type: integer, primary_key: true}\n")
    before = statements(planned_after_write(pg_url, spec, text))
    with pytest.raises(KeyboardInterrupt) as info:
        apply_spec(pg_url, spec, text, progress=Interrupt(lambda sql: '"notes"' in sql))
    assert info.value.report.startswith("Interrupted. Nothing was applied: the transaction was rolled back.")
    assert tables(pg_conn) == ["accounts"]
    row = history(pg_url)[-1]
    assert row["outcome"] == "interrupted"
    assert row["statements"] == [] and row["failed_statement"] is None
    assert row["rolled_back"] == [s for s in before if '"audit"' in s]
    assert "rolled back" in row["error"]
    # Nothing changed: the next plan is the same plan, and completes.
    assert statements(planned(pg_url, spec)) == before
    _, result = apply_spec(pg_url, spec, text)
    assert result.error is None and planned(pg_url, spec).empty


def test_interrupt_after_the_commit_records_what_was_committed(spec, pg_url, pg_conn):
    pg_conn.execute("UPDATE accounts SET email = email || id")
    text = (BASE.replace("      email: {type: text}\n",
                         "      email: {type: text}\n      nick: {type: text, nullable: true}\n")
            + "    indexes:\n      - {columns: [email]}\n")
    plan = planned_after_write(pg_url, spec, text, online=True)
    order = run_order(plan)
    build = next(s for s in order if s.startswith("CREATE INDEX CONCURRENTLY"))
    with pytest.raises(KeyboardInterrupt) as info:
        apply_spec(pg_url, spec, text, online=True, progress=Interrupt(lambda sql: sql == build))
    # What the CLI prints: the committed part stays, nothing is said to be rolled back.
    committed = order.index(build)
    assert info.value.report.startswith(f"Interrupted. {committed} of {len(order)} statement(s) were committed and "
                                        "stay applied; the rest did not run.")
    rows = history(pg_url)
    assert [r["outcome"] for r in rows] == ["applied", "interrupted"]
    # The transaction and the DROP INDEX CONCURRENTLY IF EXISTS before the build persisted.
    assert rows[-1]["statements"] == order[:order.index(build)]
    assert rows[-1]["rolled_back"] == [] and rows[-1]["failed_statement"] is None
    assert "nick" in columns(pg_conn, "accounts")
    # The index is all that is left, and the next apply builds it.
    assert [p.change.address for p in planned(pg_url, spec, online=True).changes] == [
        "index public.accounts.accounts_email_idx"]
    _, result = apply_spec(pg_url, spec, text, online=True)
    assert result.error is None and planned(pg_url, spec).empty
    assert history(pg_url)[-1]["outcome"] == "applied"


def test_an_online_apply_is_recorded_applied_only_after_the_statements_outside_the_transaction(
        spec, pg_url, pg_conn):
    pg_conn.execute("UPDATE accounts SET email = email || id")
    text = BASE + "    indexes:\n      - {columns: [email], unique: true}\n"
    seen: list[str] = []

    def watch(step: int, total: int, sql: str) -> None:
        # While the index is built, this apply has no row yet.
        if "CONCURRENTLY" in sql and not seen:
            seen.extend(r["outcome"] for r in history(pg_url))

    plan, result = apply_spec(pg_url, spec, text, online=True, progress=watch)
    assert result.error is None, result.error
    assert seen == ["applied"]  # the row of the first apply only
    rows = history(pg_url)
    assert [r["outcome"] for r in rows] == ["applied", "applied"]
    assert rows[-1]["statements"] == statements(plan)


def planned_after_write(url: str, spec: Path, text: str, online: bool = False) -> Plan:
    spec.write_text(text)
    return planned(url, spec, online)


def test_interrupt_while_the_server_runs_a_statement_names_it(pg_url, pg_conn):
    # SIGINT arriving while psycopg waits for the server: psycopg cancels the query, the transaction is
    # rolled back, and the row names the statement that was running.
    from reconciler.changes import Action, Change, Statement

    entries: list[dict[str, Any]] = []

    def record(conn: Any, outcome: str, done: list[str], error: str | None = None, **fields: Any) -> None:
        entries.append({"outcome": outcome, "statements": done, "error": error, **fields})

    sleep = Statement("SELECT pg_catalog.pg_sleep(30);")
    steps = [(Change(Action.CREATE, "table", "table public.t"), [Statement("CREATE TABLE t (id int);"), sleep])]
    conn = BACKEND.connect(pg_url)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            BACKEND.execute(conn, steps, lock_timeout=5, progress=None, record=record)
    finally:
        timer.cancel()
        BACKEND.close(conn)
    assert time.monotonic() - started < 10
    assert tables(pg_conn) == []
    [entry] = entries
    assert entry["outcome"] == "interrupted" and entry["failed_statement"] == sleep.sql
    assert entry["statements"] == [] and entry["rolled_back"] == ["CREATE TABLE t (id int);"]
    assert not pg_conn.execute("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' "
                               "AND pid <> pg_backend_pid()").fetchall()


def test_a_history_row_that_cannot_be_written_is_reported_truthfully(spec, pg_url, pg_conn):
    pg_conn.execute("UPDATE accounts SET email = email || id")
    pg_conn.execute("""
        CREATE FUNCTION schemactl.no_history() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'history is read-only'; END $$;
        CREATE TRIGGER no_history BEFORE INSERT ON schemactl.schemactl_history
        FOR EACH ROW EXECUTE FUNCTION schemactl.no_history();
    """)
    # Recorded inside the transaction: the failing record rolls the whole apply back.
    text = BASE.replace("      email: {type: text}\n", "      email: {type: text}\n      nick: {type: text, nullable: true}\n")
    plan, result = apply_spec(pg_url, spec, text)
    assert result.failed_statement and "schemactl_history" in result.failed_statement
    assert "history is read-only" in (result.error or "")
    assert any("rolled back" in d for d in result.details)
    assert any("could not record the failed apply" in d for d in result.details)
    assert "nick" not in columns(pg_conn, "accounts")
    # Recorded after the statements that run outside the transaction: those stay applied, and say so.
    text = BASE + "    indexes:\n      - {columns: [email]}\n"
    plan, result = apply_spec(pg_url, spec, text, online=True)
    assert "history is read-only" in (result.error or "")
    assert "every statement was applied, but the apply could not be recorded" in result.details
    assert planned(pg_url, spec).empty
    assert [r["outcome"] for r in history(pg_url)] == ["applied"]
