"""Connect to PostgreSQL and apply rendered statements under the schemactl advisory lock.

Statements run in three phases, each in the order given:

1. `commit_first` statements (enum ADD VALUE), each committed on its own so
   that later statements may use the new value;
2. every other transactional statement, in ONE transaction: all or nothing;
3. statements PostgreSQL refuses inside a transaction (CONCURRENTLY, and the
   VALIDATE steps of online plans), one by one after the commit.

Phases 1 and 2 hold `pg_advisory_xact_lock(LOCK_KEY)`; phase 3 holds the
session-level lock on the same key, so two applies never interleave.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import psycopg
from psycopg import errors as pg_errors

from reconciler.backends import ApplyResult, ProgressCallback
from reconciler.changes import Change, Statement
from reconciler.errors import PlanError, TargetError
from reconciler.redact import password_of, redact_text, redact_url

# A fixed 64-bit key derived from the tool's name: every schemactl apply contends for the same lock.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"schemactl").digest()[:8], "big", signed=True)
CONNECT_TIMEOUT = 10

Record = Callable[[Any, str, list[str]], None]


def connect(url: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                               application_name="schemactl")
    except (psycopg.Error, ValueError) as exc:
        # `from None`: the original exception (and its traceback) may quote the URL.
        raise TargetError(f"cannot connect to {redact_url(url)}: {_reason(exc, url)}") from None


def _reason(exc: BaseException, url: str) -> str:
    password = password_of(url)
    secrets = (password, unquote(password)) if password else ()
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact_text(text, secrets)


def close(conn: psycopg.Connection[Any]) -> None:
    if not conn.closed:
        conn.close()


def describe_target(conn: psycopg.Connection[Any]) -> str:
    info = conn.info
    host = info.host if not info.host.startswith("/") else "localhost"
    return f"postgresql://{host}:{info.port}/{info.dbname}"


def error_message(exc: psycopg.Error, secrets: tuple[str, ...] = ()) -> str:
    diag = exc.diag
    message = diag.message_primary or str(exc).strip() or type(exc).__name__
    if diag.message_detail:
        message += f" (DETAIL: {diag.message_detail})"
    if diag.message_hint:
        message += f" (HINT: {diag.message_hint})"
    return redact_text(message, secrets)


@dataclass
class Run:
    """Bookkeeping for one execute() call."""

    conn: psycopg.Connection[Any]
    total: int
    progress: ProgressCallback | None
    lock_timeout: float
    done: int = 0
    committed: int = 0
    details: list[str] = field(default_factory=list)

    def before(self, statement: Statement) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total, statement.sql)


def _seconds_to_setting(seconds: float) -> str:
    return f"{max(int(seconds * 1000), 1)}ms"


def _acquire_xact_lock(cur: psycopg.Cursor[Any], run: Run) -> None:
    try:
        if run.lock_timeout <= 0:
            got = cur.execute("SELECT pg_catalog.pg_try_advisory_xact_lock(%s)", (LOCK_KEY,)).fetchone()
            if not got or not got[0]:
                raise pg_errors.LockNotAvailable("advisory lock busy")
        else:
            cur.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)",
                        (_seconds_to_setting(run.lock_timeout),))
            cur.execute("SELECT pg_catalog.pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            cur.execute("SET LOCAL lock_timeout TO DEFAULT")
    except pg_errors.LockNotAvailable:
        raise _busy(run) from None


def _busy(run: Run) -> PlanError:
    return PlanError(f"another schemactl apply holds the lock on {describe_target(run.conn)}")


@contextmanager
def _session_lock(cur: psycopg.Cursor[Any], run: Run) -> Iterator[None]:
    try:
        cur.execute("SELECT pg_catalog.set_config('lock_timeout', %s, false)",
                    (_seconds_to_setting(run.lock_timeout) if run.lock_timeout > 0 else "1ms",))
        cur.execute("SELECT pg_catalog.pg_advisory_lock(%s)", (LOCK_KEY,))
    except pg_errors.LockNotAvailable:
        raise _busy(run) from None
    finally:
        cur.execute("RESET lock_timeout")
    try:
        yield
    finally:
        cur.execute("SELECT pg_catalog.pg_advisory_unlock(%s)", (LOCK_KEY,))


def _statement_settings(statement: Statement) -> list[tuple[str, str]]:
    return [(name, value) for name, value in (("lock_timeout", statement.lock_timeout),
                                              ("statement_timeout", statement.statement_timeout)) if value]


def _run_statement(cur: psycopg.Cursor[Any], statement: Statement, run: Run, *, local: bool) -> None:
    run.before(statement)
    settings = _statement_settings(statement)
    for name, value in settings:
        # Bound to a parameter: the timeout text comes from options and must not be spliced in.
        cur.execute("SELECT pg_catalog.set_config(%s, %s, %s)", (name, value, local))
    try:
        cur.execute(statement.sql)
    finally:
        # Outside a transaction the setting sticks to the session; inside, a failure aborts the transaction anyway.
        if not local:
            for name, _ in settings:
                cur.execute(f"RESET {name}")
    if local:
        for name, _ in settings:
            cur.execute(f"SET LOCAL {name} TO DEFAULT")


class StatementFailed(Exception):
    def __init__(self, statement: Statement, error: psycopg.Error) -> None:
        super().__init__(statement.sql)
        self.statement, self.error = statement, error


def _transaction(run: Run, statements: list[Statement], record: Callable[[], None] | None = None) -> None:
    """Run statements in one transaction under the advisory lock; StatementFailed rolls everything back."""
    with run.conn.transaction(), run.conn.cursor() as cur:
        _acquire_xact_lock(cur, run)
        for statement in statements:
            try:
                _run_statement(cur, statement, run, local=True)
            except psycopg.Error as exc:
                raise StatementFailed(statement, exc) from exc
        if record is not None:
            record()


def _after_commit(run: Run, statements: list[Statement]) -> None:
    with run.conn.cursor() as cur, _session_lock(cur, run):
        for statement in statements:
            try:
                _run_statement(cur, statement, run, local=False)
            except psycopg.Error as exc:
                raise StatementFailed(statement, exc) from exc
            run.committed += 1


def _ensure_autocommit(conn: psycopg.Connection[Any]) -> None:
    # CONCURRENTLY needs autocommit, and explicit transactions make the phases explicit.
    if not conn.autocommit:
        conn.rollback()
        conn.autocommit = True


def execute(conn: psycopg.Connection[Any], steps: list[tuple[Change, list[Statement]]], *,
            lock_timeout: float, progress: ProgressCallback | None,
            record: Record | None = None) -> ApplyResult:
    statements = [s for _, stmts in steps for s in stmts]
    first = [s for s in statements if s.commit_first]
    main = [s for s in statements if s.transactional and not s.commit_first]
    later = [s for s in statements if not s.transactional and not s.commit_first]
    all_sql = [s.sql for s in first + main + later]
    _ensure_autocommit(conn)
    run = Run(conn, len(all_sql), progress, lock_timeout)
    try:
        for statement in first:
            _transaction(run, [statement])
            run.committed += 1
        recorder = (lambda: record(conn, "applied", all_sql)) if record is not None else None
        if main or recorder is not None:
            _transaction(run, main, recorder)
        run.committed += len(main)
        if later:
            _after_commit(run, later)
    except StatementFailed as failure:
        return _failed(run, failure, record, all_sql, bool(main) and run.committed < len(first) + len(main))
    return ApplyResult(applied=run.committed, total=run.total, details=run.details)


def _failed(run: Run, failure: StatementFailed, record: Record | None, all_sql: list[str],
            rolled_back: bool) -> ApplyResult:
    if rolled_back:
        run.details.append("the transaction was rolled back: none of its statements were applied")
    if run.committed:
        run.details.append(f"{run.committed} statement(s) were committed before the failure")
    if record is not None:
        try:
            with run.conn.transaction():
                record(run.conn, "failed", all_sql)
        except psycopg.Error as exc:
            run.details.append(f"could not record the failed apply: {error_message(exc)}")
    return ApplyResult(applied=run.committed, total=run.total, failed_statement=failure.statement.sql,
                       error=error_message(failure.error), details=run.details)
