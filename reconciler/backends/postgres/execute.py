"""Connect to PostgreSQL and apply rendered statements under the schemactl advisory lock.

Statements run in three phases, each in the order given:

1. `commit_first` statements (enum ADD VALUE), each committed on its own so
   that later statements may use the new value;
2. every other transactional statement, in ONE transaction: all or nothing;
3. statements PostgreSQL refuses inside a transaction (CONCURRENTLY, and the
   VALIDATE steps of online plans), one by one after the commit.

Phases 1 and 2 hold `pg_advisory_xact_lock(LOCK_KEY)`; phase 3 holds the
session-level lock on the same key, so two applies never interleave.

The history row tells what happened: "applied" is written once the last
statement ran (inside the phase-2 transaction when phase 3 is empty, so it
commits with the changes or not at all); a failure or an interrupt is written
after the rollback, in a short transaction of its own, with the statements
that persisted, the failing (or interrupted) statement, and the statements
that ran in the rolled-back transaction.

When the connection is lost (the session was terminated, the server restarted,
the network went silent: see `session`), the failure is recorded on a new
connection once the server answers again (within the connect timeout); the old
session, if the server still has it, is ended first. When the answer to a COMMIT
never came (lost, or an interrupt arrived), the server is asked what became of
the transaction (`txid_status`), so that what is reported and recorded is what
happened: committed, rolled back, or, if the server cannot be asked, unknown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from reconciler.backends import ApplyResult, ConnectOptions, Progress, ProgressCallback, as_progress
from reconciler.changes import Change, Statement
from reconciler.durations import postgres_duration
from reconciler.errors import Interrupted, PlanError
from reconciler.redact import redact_text

from . import session

# A fixed 64-bit key derived from the tool's name: every schemactl apply contends for the same lock.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"schemactl").digest()[:8], "big", signed=True)

# record(conn, outcome, statements_persisted, error=None, *, failed_statement=None, rolled_back=()):
# writes one history row (reconciler.apply.execute_plan supplies it).
Record = Callable[..., None]

OUTCOME_APPLIED = "applied"
OUTCOME_FAILED = "failed"
OUTCOME_INTERRUPTED = "interrupted"


def connect(url: str, *, read_only: bool = False, options: ConnectOptions | None = None) -> psycopg.Connection[Any]:
    """A session with schemactl's settings and timeouts (see `session`); TargetError, redacted, when it fails."""
    return session.open_session(url, read_only=read_only, options=options or ConnectOptions())


def run_statement_sql(cur: psycopg.Cursor[Any], sql: str) -> None:
    """Send one rendered statement. binary=True makes psycopg use the extended protocol, which takes
    exactly one statement: a `;` smuggled into an expression fails instead of starting a second one."""
    cur.execute(sql, binary=True)


close = session.close
describe_target = session.display


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
    """Bookkeeping for one execute() call: what ran, what persisted, what was rolled back."""

    conn: psycopg.Connection[Any]
    total: int
    progress: Progress
    lock_timeout: float
    done: int = 0
    #: Committed: these changed the database whatever happens next.
    persisted: list[str] = field(default_factory=list)
    #: Run in the open transaction, not committed yet.
    pending: list[str] = field(default_factory=list)
    #: Run in a transaction that was then rolled back: none of them persisted.
    rolled_back: list[str] = field(default_factory=list)
    #: The statement the server is executing (None between statements).
    running: Statement | None = None
    #: Set when a transaction of this run was rolled back.
    rolled_back_transaction: bool = False
    details: list[str] = field(default_factory=list)
    #: The id of the open transaction, to ask the server what became of it when its COMMIT got no answer.
    xid: int | None = None
    #: Ran in a transaction whose COMMIT got no answer, and the server could not be asked: committed or not.
    in_doubt: list[str] = field(default_factory=list)
    #: The "applied" history row committed.
    recorded: bool = False
    #: The connection the run started on; `conn` is a new one after a reconnect.
    original: psycopg.Connection[Any] | None = None
    #: Seconds a reconnect was tried for, when the server did not answer again.
    unreachable_for: float | None = None

    def before(self, statement: Statement) -> None:
        self.done += 1
        self.progress.started(self.done, self.total, statement.sql)

    def ran(self, statement: Statement, *, in_transaction: bool) -> None:
        self.running = None
        (self.pending if in_transaction else self.persisted).append(statement.sql)
        self.progress.finished(self.done, self.total, statement.sql)

    def committed(self) -> None:
        self.persisted.extend(self.pending)
        self.pending = []

    def rolled_back_now(self) -> None:
        self.rolled_back.extend(self.pending)
        self.pending = []
        self.rolled_back_transaction = True

    def doubtful_now(self) -> None:
        self.in_doubt.extend(self.pending)
        self.pending = []

    def usable(self) -> psycopg.Connection[Any] | None:
        """An idle, open connection: this one, or a new one once the server answers again (None if it does not)."""
        conn = self.conn
        if not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE:
            return conn
        new = session.reopen(conn)  # ends the old session first, if the server still has it
        if not conn.closed:
            conn.close()
        if new is None:
            guard = getattr(conn, "guard", None)
            self.unreachable_for = guard.options.connect_timeout if guard is not None else 0.0
            return None
        self.conn = new
        return new

    @property
    def reconnected(self) -> bool:
        return self.original is not None and self.conn is not self.original


@dataclass
class Phases:
    """The statements of a plan split by how they run (see the module docstring)."""

    first: list[Statement]
    main: list[Statement]
    later: list[Statement]

    @classmethod
    def of(cls, steps: list[tuple[Change, list[Statement]]]) -> Phases:
        statements = [s for _, stmts in steps for s in stmts]
        return cls(first=[s for s in statements if s.commit_first],
                   main=[s for s in statements if s.transactional and not s.commit_first],
                   later=[s for s in statements if not s.transactional and not s.commit_first])

    @property
    def total(self) -> int:
        return len(self.first) + len(self.main) + len(self.later)


def _seconds_to_setting(seconds: float) -> str:
    # At least 1ms: 0 would mean "wait forever", the opposite of a short wait.
    return postgres_duration(max(seconds, 0.001))


def _acquire_xact_lock(cur: psycopg.Cursor[Any], run: Run) -> None:
    """The advisory lock, and the transaction's id (txid_current), kept to ask about its COMMIT later."""
    try:
        if run.lock_timeout <= 0:
            got = cur.execute("SELECT pg_catalog.pg_try_advisory_xact_lock(%s), pg_catalog.txid_current()",
                              (LOCK_KEY,)).fetchone()
            if not got or not got[0]:
                raise pg_errors.LockNotAvailable("advisory lock busy")
        else:
            cur.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)",
                        (_seconds_to_setting(run.lock_timeout),))
            got = cur.execute("SELECT pg_catalog.pg_advisory_xact_lock(%s), pg_catalog.txid_current()",
                              (LOCK_KEY,)).fetchone()
            cur.execute("SET LOCAL lock_timeout TO DEFAULT")
        run.xid = got[1] if got else None
    except pg_errors.LockNotAvailable:
        raise _busy(run) from None
    except psycopg.Error as exc:
        raise StatementFailed(_BEGIN, exc, in_transaction=True, conn=cur.connection) from exc


def _busy(run: Run) -> PlanError:
    return PlanError(f"another schemactl apply holds the lock on {describe_target(run.conn)}")


@contextmanager
def _session_lock(cur: psycopg.Cursor[Any], run: Run) -> Iterator[None]:
    try:
        cur.execute("SELECT pg_catalog.set_config('lock_timeout', %s, false)",
                    (_seconds_to_setting(run.lock_timeout) if run.lock_timeout > 0 else "1ms",))
        cur.execute("SELECT pg_catalog.pg_advisory_lock(%s)", (LOCK_KEY,))
        cur.execute("RESET lock_timeout")
    except pg_errors.LockNotAvailable:
        cur.execute("RESET lock_timeout")
        raise _busy(run) from None
    except psycopg.Error as exc:
        raise StatementFailed(_SESSION_LOCK, exc, in_transaction=False, conn=cur.connection) from exc
    try:
        yield
    finally:
        if not cur.connection.closed:  # a lost connection took the lock with it
            cur.execute("SELECT pg_catalog.pg_advisory_unlock(%s)", (LOCK_KEY,))


def _statement_settings(statement: Statement) -> list[tuple[str, str]]:
    return [(name, value) for name, value in (("lock_timeout", statement.lock_timeout),
                                              ("statement_timeout", statement.statement_timeout)) if value]


def _run_statement(cur: psycopg.Cursor[Any], statement: Statement, run: Run, *, local: bool) -> None:
    run.before(statement)
    settings = _statement_settings(statement)
    run.running = statement
    try:
        for name, value in settings:
            # Bound to a parameter: the timeout text comes from options and must not be spliced in.
            cur.execute("SELECT pg_catalog.set_config(%s, %s, %s)", (name, value, local))
        run_statement_sql(cur, statement.sql)
    except psycopg.Error as exc:
        raise StatementFailed(statement, exc, in_transaction=local, conn=cur.connection) from exc
    finally:
        # Outside a transaction the setting sticks to the session; inside, a failure aborts the transaction anyway.
        if not local and not cur.connection.closed:
            for name, _ in settings:
                cur.execute(f"RESET {name}")
    run.ran(statement, in_transaction=local)
    if local:
        for name, _ in settings:
            cur.execute(f"SET LOCAL {name} TO DEFAULT")


class StatementFailed(Exception):
    """`error` ended `statement`. `lost`: the connection is gone with it. `committed`: the statement was the
    COMMIT, whose answer was lost, and the server says the transaction committed all the same."""

    def __init__(self, statement: Statement, error: BaseException, *, in_transaction: bool,
                 conn: psycopg.Connection[Any], committed: bool = False) -> None:
        super().__init__(statement.sql)
        self.statement, self.error, self.in_transaction = statement, error, in_transaction
        self.lost = session.is_lost(conn, error)
        self.committed = committed


# Not statements of the plan, but steps that fail like one and are reported the same way.
_BEGIN = Statement("BEGIN (and the apply lock)")
_SESSION_LOCK = Statement("SELECT pg_advisory_lock (the apply lock)")
_COMMIT = Statement("COMMIT")
_RECORD = Statement('INSERT INTO "schemactl"."schemactl_history" (the record of this apply)')


def _transaction(run: Run, statements: list[Statement], record: Callable[[], None] | None = None) -> None:
    """Run statements in one transaction under the advisory lock; StatementFailed rolls everything back.

    `record` writes the history row as the last step, so that the row commits with the statements or not at all.
    """
    run.pending, run.xid = [], None
    conn = run.conn
    committing = False
    try:
        with conn.transaction(), conn.cursor() as cur:
            _acquire_xact_lock(cur, run)
            for statement in statements:
                _run_statement(cur, statement, run, local=True)
            if record is not None:
                _record_in_transaction(record, conn)
            committing = True
    except BaseException as exc:
        lost = isinstance(exc, psycopg.Error) and session.is_lost(conn, exc)
        if committing and (lost or isinstance(exc, KeyboardInterrupt)):
            # The COMMIT may have been sent and carried out, its answer lost or interrupted: ask the server.
            fate = _fate(run)
            if fate == "committed":
                run.committed()
                run.recorded = run.recorded or record is not None
                if isinstance(exc, KeyboardInterrupt):
                    raise
                raise StatementFailed(_COMMIT, exc, in_transaction=True, conn=conn, committed=True) from exc
            if fate is None:
                run.doubtful_now()
                if isinstance(exc, KeyboardInterrupt):
                    raise
                raise StatementFailed(_COMMIT, exc, in_transaction=True, conn=conn) from exc
        run.rolled_back_now()
        if committing and isinstance(exc, psycopg.Error):
            # COMMIT itself failed (a deferred constraint): the transaction was rolled back.
            raise StatementFailed(_COMMIT, exc, in_transaction=True, conn=conn) from exc
        raise
    run.committed()
    run.recorded = run.recorded or record is not None


def _fate(run: Run) -> str | None:
    """What became of the transaction `run.xid`: "committed", "aborted", or None when the server cannot say."""
    if run.xid is None:
        return None
    conn = run.usable()
    if conn is None:
        return None
    try:
        row = conn.execute("SELECT pg_catalog.txid_status(%s)", (run.xid,)).fetchone()
    except psycopg.Error:
        return None
    return row[0] if row and row[0] in ("committed", "aborted") else None


def _record_in_transaction(record: Callable[[], None], conn: psycopg.Connection[Any]) -> None:
    try:
        record()
    except psycopg.Error as exc:
        raise StatementFailed(_RECORD, exc, in_transaction=True, conn=conn) from exc


def _after_commit(run: Run, statements: list[Statement], record: Callable[[], None] | None) -> None:
    """Run statements one by one outside a transaction, then record the apply once all of them ran."""
    with run.conn.cursor() as cur, _session_lock(cur, run):
        for statement in statements:
            _run_statement(cur, statement, run, local=False)
        if record is not None:
            _transaction(run, [], record)


def _ensure_autocommit(conn: psycopg.Connection[Any]) -> None:
    # CONCURRENTLY needs autocommit, and explicit transactions make the phases explicit.
    if not conn.autocommit:
        conn.rollback()
        conn.autocommit = True


def execute(conn: psycopg.Connection[Any], steps: list[tuple[Change, list[Statement]]], *,
            lock_timeout: float, progress: Progress | ProgressCallback | None,
            record: Record | None = None) -> ApplyResult:
    """Run the phases; record the outcome only once it is known (see `_run_phases` and `_record_outcome`)."""
    phases = Phases.of(steps)
    _ensure_autocommit(conn)
    run = Run(conn, phases.total, as_progress(progress), lock_timeout, original=conn)
    try:
        _run_phases(run, phases, record)
    except StatementFailed as failure:
        return _failed(run, failure, record)
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM (turned into KeyboardInterrupt by the CLI): an open transaction is rolled back;
        # what had committed stays. The report says which.
        raise Interrupted(_interrupted(run, record)) from None
    finally:
        if run.reconnected:
            close(run.conn)
    return ApplyResult(applied=len(run.persisted), total=run.total, details=run.details)


def _run_phases(run: Run, phases: Phases, record: Record | None) -> None:
    """The "applied" row is written after the last statement: inside the main transaction when nothing runs
    after it (so the row commits with the changes or not at all), otherwise after the statements that run
    outside the transaction. A failure or interrupt before that point is recorded instead."""
    applied = (lambda: record(run.conn, OUTCOME_APPLIED, run.persisted + run.pending)) if record else None
    for statement in phases.first:
        _transaction(run, [statement])
    if phases.later:
        if phases.main:
            _transaction(run, phases.main)
        _after_commit(run, phases.later, applied)
    elif phases.main or applied is not None:
        _transaction(run, phases.main, applied)


def _failed(run: Run, failure: StatementFailed, record: Record | None) -> ApplyResult:
    if failure.statement is _RECORD and not run.rolled_back:
        run.details.append("every statement was applied, but the apply could not be recorded")
    elif failure.committed:
        run.details.append("the connection was lost at COMMIT, but the server committed the transaction")
    elif run.in_doubt:
        run.details.append(f"the connection was lost at COMMIT and the server could not be asked whether it "
                           f"committed: {len(run.in_doubt)} statement(s) may or may not be applied; "
                           "run `schemactl plan` to see")
    elif failure.in_transaction:
        run.details.append("the transaction was rolled back: none of its statements were applied")
    elif failure.lost:
        run.details.append("the connection was lost while the statement ran outside a transaction: whether it "
                           "completed is unknown; run `schemactl plan` to see")
    if run.persisted:
        run.details.append(f"{len(run.persisted)} statement(s) were committed before the failure")
    if failure.lost:
        message = f"connection lost: {session.one_line(failure.error, first_line=True)}"
    else:
        message = error_message(failure.error)  # type: ignore[arg-type]  # not lost: a psycopg.Error
    _record_outcome(run, record, OUTCOME_FAILED, "; ".join([message, *run.details]), failure.statement.sql)
    return ApplyResult(applied=len(run.persisted), total=run.total, failed_statement=failure.statement.sql,
                       error=message, details=run.details)


def _interrupted(run: Run, record: Record | None) -> str:
    """Record an interrupted apply, and say what really happened to the target."""
    if run.in_doubt:
        return ("Interrupted during COMMIT, and the server could not be asked whether it committed: "
                f"{len(run.persisted) + len(run.in_doubt)} of {run.total} statement(s) may be applied. "
                "Run `schemactl plan` to see what is left.")
    if run.total and len(run.persisted) == run.total:
        if not run.recorded:  # interrupted between the last statement and its record: it is applied all the same
            _record_outcome(run, record, OUTCOME_APPLIED, None, None)
        return (f"Interrupted after the changes were committed: all {run.total} statement(s) were applied"
                + (", and the apply is recorded as applied." if run.recorded else "."))
    notes = ["interrupted (Ctrl-C or SIGTERM)"]
    if run.rolled_back_transaction:
        notes.append("the transaction was rolled back: none of its statements were applied")
    if run.persisted:
        notes.append(f"{len(run.persisted)} statement(s) were committed before the interruption")
    stopped = run.running.sql if run.running is not None else None
    _record_outcome(run, record, OUTCOME_INTERRUPTED, "; ".join(notes), stopped)
    rolled_back = "the transaction was rolled back" if run.rolled_back_transaction else ""
    if not run.persisted:
        said = f"Interrupted. Nothing was applied{': ' if rolled_back else ''}{rolled_back}."
    else:
        said = (f"Interrupted. {len(run.persisted)} of {run.total} statement(s) were committed and stay applied; "
                f"{rolled_back + ', and ' if rolled_back else ''}the rest did not run.")
    return " ".join([said, *run.details, "Run `schemactl plan` to see what is left."])


def _record_outcome(run: Run, record: Record | None, outcome: str, error: str | None,
                    statement: str | None) -> None:
    """Record the outcome in a short transaction of its own, after the rollback; on a new connection if the
    old one was lost (and the server answers again within the connect timeout).

    Never allowed to hide the failure itself: a history write that fails is reported as a detail.
    """
    if record is None:
        return
    conn = run.usable()
    if conn is None:
        run.details.append(f"the {outcome} apply could not be recorded: the server did not answer again "
                           f"within {run.unreachable_for or 0:g}s")
        return
    try:
        with conn.transaction():
            record(conn, outcome, list(run.persisted), error,
                   failed_statement=statement, rolled_back=list(run.rolled_back))
    except psycopg.Error as exc:
        run.details.append(f"could not record the {outcome} apply: {error_message(exc)}")
        return
    if outcome == OUTCOME_APPLIED:
        run.recorded = True
    if run.reconnected:
        run.details.append(f"the {outcome} apply was recorded after reconnecting")
