from __future__ import annotations

import threading
import time

import psycopg
import pytest

from reconciler.backends.postgres import BACKEND
from reconciler.backends.postgres.execute import LOCK_KEY
from reconciler.changes import Action, Change, Statement
from reconciler.errors import PlanError, TargetError
from tests.support.pgserver import PASSWORD

CHANGE = Change(Action.CREATE, "table", "table public.t")


def steps(*statements: Statement) -> list[tuple[Change, list[Statement]]]:
    return [(CHANGE, list(statements))]


def tables(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1")]


@pytest.mark.parametrize("mangle", [
    lambda url: url.replace(f":{PASSWORD}@", ":wrong-pw-123@"),
    lambda url: url.replace("127.0.0.1", "no-such-host.invalid"),
    lambda url: url.rsplit("/", 1)[0] + "/no_such_database",
    lambda url: url.rsplit(":", 1)[0] + ":1/x",
    lambda url: url + "?sslmode=bogus",
])
def test_connect_errors_are_redacted(pg_url: str, mangle) -> None:
    url = mangle(pg_url)
    secret = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    with pytest.raises(TargetError) as info:
        BACKEND.connect(url)
    message = str(info.value)
    assert secret not in message
    assert "***" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_connect_and_close(pg_url: str) -> None:
    conn = BACKEND.connect(pg_url)
    assert conn.execute("SELECT 1").fetchone() == (1,)
    BACKEND.close(conn)
    assert conn.closed


@pytest.fixture
def conn(pg_url: str):
    conn = BACKEND.connect(pg_url)
    yield conn
    BACKEND.close(conn)


def test_execute_runs_everything_and_reports_progress(conn) -> None:
    seen: list[tuple[int, int, str]] = []
    records: list[tuple[str, list[str], str]] = []

    def record(c, outcome: str, sql: list[str]) -> None:
        # Inside the transaction: the table created by the plan is visible.
        records.append((outcome, sql, c.info.transaction_status.name))
        c.execute("CREATE TABLE history (plan text)")

    result = BACKEND.execute(conn, steps(
        Statement('CREATE TABLE "t" (id int);'),
        Statement('CREATE INDEX CONCURRENTLY "t_id_idx" ON "t" ("id");', transactional=False),
        Statement('INSERT INTO "t" VALUES (1);', lock_timeout="2s"),
    ), lock_timeout=5, progress=lambda i, n, sql: seen.append((i, n, sql)), record=record)
    assert result.applied == result.total == 3 and result.error is None
    assert [s[0] for s in seen] == [1, 2, 3]
    assert "CONCURRENTLY" in seen[2][2]  # non-transactional statements run after the commit
    assert records[0][0] == "applied" and records[0][2] == "INTRANS" and len(records[0][1]) == 3
    assert tables(conn) == ["history", "t"]
    assert conn.execute("SHOW lock_timeout").fetchone() == ("0",)


def test_execute_is_all_or_nothing(conn) -> None:
    outcomes: list[str] = []
    result = BACKEND.execute(conn, steps(
        Statement('CREATE TABLE "a" (id int);'),
        Statement('CREATE TABLE "b" (id int REFERENCES "missing"(id));'),
        Statement('CREATE TABLE "c" (id int);'),
    ), lock_timeout=5, progress=None, record=lambda c, outcome, sql, *_, **__: outcomes.append(outcome))
    assert result.applied == 0 and result.total == 3
    assert result.failed_statement == 'CREATE TABLE "b" (id int REFERENCES "missing"(id));'
    assert 'relation "missing" does not exist' in (result.error or "")
    assert any("rolled back" in d for d in result.details)
    assert outcomes == ["failed"]
    assert tables(conn) == []


def test_commit_first_statements_are_visible_to_the_main_transaction(conn) -> None:
    conn.execute("CREATE TYPE mood AS ENUM ('ok')")
    result = BACKEND.execute(conn, steps(
        Statement("CREATE TABLE t (m mood NOT NULL DEFAULT 'great');"),
        Statement("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'great';", commit_first=True),
    ), lock_timeout=5, progress=None)
    assert result.error is None, result.error
    assert tables(conn) == ["t"]


def test_lock_is_held_during_apply_and_released_after(conn, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        started = time.monotonic()
        with pytest.raises(PlanError, match="another schemactl apply holds the lock on postgresql://"):
            BACKEND.execute(conn, steps(Statement("CREATE TABLE t (id int);")), lock_timeout=0.3, progress=None)
        assert time.monotonic() - started < 3
        other.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    assert tables(conn) == []
    result = BACKEND.execute(conn, steps(Statement("CREATE TABLE t (id int);")), lock_timeout=0.3, progress=None)
    assert result.error is None
    assert not conn.execute("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'").fetchall()


def test_concurrent_executes_serialise(pg_url: str) -> None:
    events: list[str] = []
    errors: list[BaseException] = []

    def apply(name: str) -> None:
        try:
            conn = BACKEND.connect(pg_url)
            try:
                result = BACKEND.execute(conn, steps(
                    Statement(f"CREATE TABLE {name} (id int);"),
                    Statement("SELECT pg_sleep(0.4);"),
                ), lock_timeout=10, progress=lambda i, n, sql: events.append(f"{name}:{i}"))
                assert result.error is None, result.error
            finally:
                BACKEND.close(conn)
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=apply, args=(n,)) for n in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    # Each apply's statements run back to back: no interleaving.
    first = events[0].split(":")[0]
    assert [e.split(":")[0] for e in events] == [first, first] + [("two" if first == "one" else "one")] * 2


def test_non_transactional_failure_reports_what_was_committed(conn) -> None:
    result = BACKEND.execute(conn, steps(
        Statement("CREATE TABLE t (id int);"),
        Statement("CREATE INDEX CONCURRENTLY t_missing_idx ON t (nope);", transactional=False),
    ), lock_timeout=5, progress=None)
    assert result.applied == 1 and result.failed_statement and "nope" in (result.error or "")
    assert tables(conn) == ["t"]
