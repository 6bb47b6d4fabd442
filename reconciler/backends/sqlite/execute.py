"""Connecting to a SQLite file and applying statements in one locked transaction."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from reconciler.backends import ApplyResult, Progress, ProgressCallback, as_progress
from reconciler.changes import Change, Statement
from reconciler.errors import ApplyError, Interrupted, PlanError, TargetError

from .history import HISTORY_TABLE
from .types import quote_ident

OUTCOME_APPLIED = "applied"
OUTCOME_FAILED = "failed"
OUTCOME_INTERRUPTED = "interrupted"


def database_path(url: str) -> str:
    """`sqlite:///relative/x.db` -> `relative/x.db`; `sqlite:////abs/x.db` -> `/abs/x.db`."""
    scheme, sep, rest = url.partition(":")
    if not sep or scheme.lower() != "sqlite" or not rest.startswith("///"):
        raise TargetError(f"invalid SQLite URL {url!r}: expected sqlite:///relative/path.db or sqlite:////abs/path.db")
    path = unquote(rest[3:].split("?", 1)[0])
    if not path:
        raise TargetError(f"invalid SQLite URL {url!r}: no database file path")
    return path


def connect(url: str, *, read_only: bool = False) -> sqlite3.Connection:
    path = database_path(url)
    try:
        # isolation_level=None: the module must not open transactions behind our back;
        # execute() issues BEGIN IMMEDIATE / COMMIT itself. Read-only opens never create the file.
        if read_only and not Path(path).exists():
            if not Path(path).absolute().parent.is_dir():
                raise TargetError(f"cannot open SQLite database {path}: its directory does not exist")
            # A database apply has yet to create reads as an empty one; the file is not created.
            conn = sqlite3.connect(":memory:", isolation_level=None)
        elif read_only:
            conn = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True, isolation_level=None)
        else:
            conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise TargetError(f"cannot open SQLite database {path}: {exc}") from None
    try:
        # Opening is lazy; reading the header is what fails for directories and non-database files.
        conn.execute("PRAGMA schema_version").fetchone()
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise TargetError(f"cannot open SQLite database {path}: {exc}") from None
    return conn


def close(conn: sqlite3.Connection) -> None:
    conn.close()


@dataclass
class _Run:
    """What one execute() call ran; nothing of it persists until COMMIT."""

    total: int
    progress: Progress
    step: int = 0
    #: Statements that ran in the open transaction.
    done: list[str] = field(default_factory=list)
    #: The statement executing now (None between statements).
    running: str | None = None
    #: COMMIT was issued.
    committing: bool = False

    def before(self, statement: Statement) -> None:
        self.step += 1
        self.progress.started(self.step, self.total, statement.sql)


def execute(
    conn: sqlite3.Connection,
    steps: list[tuple[Change, list[Statement]]],
    *,
    lock_timeout: float,
    progress: Progress | ProgressCallback | None,
    record: Callable[..., None] | None = None,
) -> ApplyResult:
    """Run every statement in one transaction; all or nothing.

    Foreign key enforcement is switched off for the duration (it cannot change inside a
    transaction, and the rebuild procedure drops and renames referenced tables), then the
    whole database is checked once before COMMIT. The "applied" history row is the last
    write of the transaction, so it commits with the changes or not at all. A failure or an
    interrupt (Ctrl-C, SIGTERM) rolls everything back, is recorded in a transaction of its
    own, and is raised again (ApplyError; Interrupted, saying whether the changes were committed).
    """
    run = _Run(total=sum(len(statements) for _change, statements in steps), progress=as_progress(progress))
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        _begin(conn, lock_timeout)
        try:
            _run_steps(conn, steps, run)
            _check_foreign_keys(conn)
            if record is not None:
                _record_applied(conn, record, run)
            run.committing = True
            _commit(conn)
        except BaseException as exc:
            if run.committing and not conn.in_transaction and isinstance(exc, KeyboardInterrupt):
                # Interrupted just after COMMIT: applied, and recorded as such in the same transaction.
                raise Interrupted(f"Interrupted after the changes were committed: all {run.total} statement(s) "
                                  "were applied" + (", and the apply is recorded as applied."
                                                    if record is not None else ".")) from None
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if record is not None:
                _record_stop(conn, record, run, exc)
            if isinstance(exc, KeyboardInterrupt):
                raise Interrupted("Interrupted. Nothing was applied: the transaction was rolled back. "
                                  "Run `schemactl plan` to see what is left.") from None
            raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA legacy_alter_table = OFF")
    return ApplyResult(applied=run.total, total=run.total)


def _run_steps(conn: sqlite3.Connection, steps: list[tuple[Change, list[Statement]]], run: _Run) -> None:
    for change, statements in steps:
        # Dropping the old table during a rebuild drops its triggers too.
        triggers = _triggers_of(conn, change.after.name) if change.extra.get("rebuild") else []
        for statement in statements:
            run.before(statement)
            _run(conn, change, statement, run)
            run.progress.finished(run.step, run.total, statement.sql)
        for trigger in triggers:
            _run(conn, change, Statement(trigger), run)


def _record_applied(conn: sqlite3.Connection, record: Callable[..., None], run: _Run) -> None:
    try:
        record(conn, OUTCOME_APPLIED, list(run.done))
    except sqlite3.Error as exc:
        raise ApplyError(f"cannot record the apply in {HISTORY_TABLE}: {exc}; nothing was applied") from None


def _commit(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        # SQLite keeps the transaction open when COMMIT fails (busy): the caller rolls it back.
        raise ApplyError(f"cannot commit the apply transaction: {exc}; nothing was applied") from None


def _record_stop(conn: sqlite3.Connection, record: Callable[..., None], run: _Run, exc: BaseException) -> None:
    """History of a failed or interrupted apply, after the rollback: nothing persisted, `run.done` was undone.

    Never allowed to hide the failure itself.
    """
    rolled_back = "the transaction was rolled back: none of its statements were applied"
    if isinstance(exc, KeyboardInterrupt):
        outcome, error, statement = OUTCOME_INTERRUPTED, "interrupted (Ctrl-C or SIGTERM)", run.running
    elif isinstance(exc, Exception):
        outcome, error, statement = OUTCOME_FAILED, str(exc), getattr(exc, "statement", None)
    else:
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
        record(conn, outcome, [], f"{error}; {rolled_back}", failed_statement=statement, rolled_back=list(run.done))
        conn.execute("COMMIT")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _begin(conn: sqlite3.Connection, lock_timeout: float) -> None:
    # BEGIN IMMEDIATE takes the write lock up front: it is the apply lock, and the busy
    # timeout is how long a second apply waits for it.
    conn.execute(f"PRAGMA busy_timeout = {max(0, int(lock_timeout * 1000))}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise PlanError(f"another schemactl apply holds the lock on the SQLite database "
                            f"(waited {lock_timeout:g}s): {exc}") from None
        raise ApplyError(f"cannot start the apply transaction: {exc}") from None


def _triggers_of(conn: sqlite3.Connection, table: str) -> list[str]:
    rows = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL "
                        "ORDER BY rowid", (table,)).fetchall()
    return [row[0] for row in rows]


def _one_line(sql: str, limit: int = 240) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _run(conn: sqlite3.Connection, change: Change, statement: Statement, run: _Run) -> None:
    run.running = statement.sql
    try:
        conn.execute(statement.sql)
    except sqlite3.Error as exc:
        error = ApplyError(f"{change.address}: statement failed: {_one_line(statement.sql)}: {exc}")
        error.statement = statement.sql  # type: ignore[attr-defined]
        error.sqlite_message = str(exc)  # type: ignore[attr-defined]
        raise error from None
    run.running = None
    run.done.append(statement.sql)


def _check_foreign_keys(conn: sqlite3.Connection) -> None:
    violations = conn.execute("PRAGMA foreign_key_check").fetchall()
    if not violations:
        return
    table, rowid, parent, _fkid = violations[0]
    count = len(violations)
    raise ApplyError(
        f"foreign key check failed: {count} row(s) violate foreign keys, e.g. row {rowid} of table "
        f"{quote_ident(table)} references a missing row of {quote_ident(parent)}; nothing was applied")
