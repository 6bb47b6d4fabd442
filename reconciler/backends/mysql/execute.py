"""Connecting to MySQL/MariaDB (PyMySQL, loaded here only), the apply lock, and running a plan.

MySQL commits every DDL statement implicitly: there is no transactional apply. `execute` runs the statements
one at a time, stops at the first failure, and reports (and records in the history) exactly which ones were
applied; those stay applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from reconciler.backends import ApplyResult, ConnectOptions, Progress, ProgressCallback, as_progress
from reconciler.changes import Change, Statement
from reconciler.errors import ApplyError, Interrupted, PlanError, TargetError
from reconciler.redact import redact_url

from .types import sql_string

#: The session's sql_mode: strict, and without NO_BACKSLASH_ESCAPES (`sql_string` doubles backslashes);
#: the same on MySQL 8 and MariaDB. The script preamble sets it too.
SQL_MODE = "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
#: The name of the apply lock (GET_LOCK is server-wide: the database name is added).
LOCK_PREFIX = "schemactl-apply:"


def connection_arguments(url: str) -> dict[str, Any]:
    """`mysql://user:password@host:port/database?unix_socket=/path` -> PyMySQL's keyword arguments."""
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/"))
    if parts.scheme.lower() not in ("mysql", "mariadb") or not database or "/" in database:
        raise TargetError(f"invalid MySQL URL {redact_url(url)!r}: expected mysql://user:password@host:port/database")
    arguments: dict[str, Any] = {"host": parts.hostname or "localhost", "port": parts.port or 3306,
                                 "user": unquote(parts.username or "root"), "password": unquote(parts.password or ""),
                                 "database": database}
    query = parse_qs(parts.query)
    if "unix_socket" in query:
        arguments["unix_socket"] = query["unix_socket"][-1]
    return arguments


def connect(url: str, *, read_only: bool, options: ConnectOptions | None = None) -> Any:
    import pymysql

    options = options or ConnectOptions()
    arguments = connection_arguments(url)
    network = options.network_timeout or None
    try:
        conn = pymysql.connect(**arguments, charset="utf8mb4", autocommit=True,
                               connect_timeout=options.connect_timeout or 31536000,
                               read_timeout=network, write_timeout=network)
    except pymysql.MySQLError as exc:
        raise TargetError(f"cannot connect to {redact_url(url)}: {exc}") from None
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SET SESSION sql_mode = {sql_string(SQL_MODE)}")
            if read_only:
                # Every later transaction of the session refuses writes, DDL included (plan, status, inspect).
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
    except pymysql.MySQLError as exc:
        conn.close()
        raise TargetError(f"cannot set up the session on {redact_url(url)}: {exc}") from None
    return conn


@contextmanager
def read_only_snapshot(conn: Any) -> Iterator[None]:
    """One read-only transaction around inspection, on the apply's connection too."""
    with conn.cursor() as cursor:
        cursor.execute("START TRANSACTION READ ONLY")
    try:
        yield
    finally:
        with conn.cursor() as cursor:
            cursor.execute("COMMIT")


@contextmanager
def hold_apply_lock(conn: Any, lock_timeout: float) -> Iterator[None]:
    """GET_LOCK on `schemactl-apply:<database>`, from before inspection to the end of the apply."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT CONCAT(%s, DATABASE())", (LOCK_PREFIX,))
        name = cursor.fetchone()[0]
        # GET_LOCK waits whole seconds; 0 means do not wait.
        cursor.execute("SELECT GET_LOCK(%s, %s)", (name, max(0, int(round(lock_timeout)))))
        if cursor.fetchone()[0] != 1:
            raise PlanError(f"another schemactl apply holds the lock on this database "
                            f"(waited {lock_timeout:g}s; see --lock-timeout)")
    try:
        yield
    finally:
        with conn.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", (name,))


def _one_line(sql: str, limit: int = 240) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def execute(
    conn: Any,
    steps: list[tuple[Change, list[Statement]]],
    *,
    lock_timeout: float,
    progress: Progress | ProgressCallback | None,
    record: Callable[..., None] | None = None,
) -> ApplyResult:
    """Each statement on its own (each commits itself); the first failure stops the apply.

    The result says how many ran; the history records those as `statements` (they persisted), the failed
    one as `failed_statement`. An interrupt (Ctrl-C, SIGTERM) between or during statements is recorded as
    interrupted and raised as `Interrupted`, saying which statements are in place.
    """
    import pymysql

    reporter = as_progress(progress)
    total = sum(len(statements) for _change, statements in steps)
    done: list[str] = []
    running: str | None = None
    try:
        for change, statements in steps:
            for statement in statements:
                running = statement.sql
                reporter.started(len(done) + 1, total, statement.sql)
                try:
                    with conn.cursor() as cursor:
                        cursor.execute(statement.sql)
                except pymysql.MySQLError as exc:
                    error = f"{change.address}: statement failed: {_one_line(statement.sql)}: {exc}"
                    if record is not None:
                        try:
                            record(conn, "failed", list(done), f"{error}; the {len(done)} statement(s) before it "
                                   "stay applied (MySQL commits each DDL statement)", failed_statement=statement.sql)
                        except pymysql.MySQLError as history_error:
                            error += f" (and the history could not be written: {history_error})"
                    return ApplyResult(applied=len(done), total=total, failed_statement=statement.sql, error=error)
                done.append(statement.sql)
                running = None
                reporter.finished(len(done), total, statement.sql)
    except KeyboardInterrupt:
        report = (f"Interrupted after {len(done)} of {total} statement(s) were applied (MySQL commits each DDL "
                  "statement, so they stay applied)")
        if running is not None:
            report += f"; the statement running then may or may not have completed: {_one_line(running)}"
        if record is not None:
            try:
                record(conn, "interrupted", list(done), "interrupted (Ctrl-C or SIGTERM)", failed_statement=running)
            except pymysql.MySQLError:
                pass
        raise Interrupted(report + ". Run `schemactl plan` to see what is left.") from None
    if record is not None:
        try:
            record(conn, "applied", list(done))
        except pymysql.MySQLError as exc:
            raise ApplyError(f"all {total} statement(s) were applied, but the history could not be written: "
                             f"{exc}") from None
    return ApplyResult(applied=total, total=total)
