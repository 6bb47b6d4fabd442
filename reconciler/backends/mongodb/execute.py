"""Run a plan's mongosh statements with pymongo.

MongoDB has no transactional DDL. The plan orders steps so that stopping
after any step leaves a state the next `plan` completes (see `order.py`);
this module runs them one command at a time, databases in parallel up to
`parallel`, and reports exactly which step failed and which were applied.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import OperationFailure, PyMongoError

from reconciler.backends import ApplyResult, ProgressCallback
from reconciler.backends.mongodb.connection import MongoConnection
from reconciler.backends.mongodb.lock import ApplyLock
from reconciler.backends.mongodb.mongosh import parse
from reconciler.changes import Change, Statement
from reconciler.redact import redact_text

_DUP_KEY = re.compile(r"dup key: (\{.*\})")


@dataclass
class _Step:
    number: int
    database: str
    sql: str
    address: str


@dataclass
class _DatabaseRun:
    name: str
    steps: list[_Step]
    applied: list[_Step] = field(default_factory=list)
    failed: _Step | None = None
    error: str | None = None
    started: bool = False


class _Progress:
    """Serialises progress reports from worker threads and repeats long-running steps."""

    def __init__(self, callback: ProgressCallback | None, total: int, interval: float) -> None:
        self.callback, self.total, self.interval = callback, total, interval
        self.lock = threading.Lock()
        self.running: dict[int, tuple[_Step, float]] = {}

    def start(self, step: _Step) -> None:
        with self.lock:
            self.running[step.number] = (step, time.monotonic())
            if self.callback:
                self.callback(step.number, self.total, step.sql)

    def done(self, step: _Step) -> None:
        with self.lock:
            self.running.pop(step.number, None)

    def tick(self) -> None:
        now = time.monotonic()
        with self.lock:
            for step, started in list(self.running.values()):
                elapsed = now - started
                if self.callback and elapsed >= self.interval:
                    self.callback(step.number, self.total, f"{step.sql}  (still running, {elapsed:.0f}s)")


def execute(
    conn: MongoConnection,
    steps: list[tuple[Change, list[Statement]]],
    *,
    lock_timeout: float,
    progress: ProgressCallback | None,
    record: Callable[..., None] | None = None,
    parallel: int = 1,
    fail_fast: bool = False,
    progress_interval: float = 10.0,
) -> ApplyResult:
    runs = _plan_runs(steps)
    total = sum(len(r.steps) for r in runs.values())
    lock = ApplyLock(conn.ops.collection(conn.history_database, conn.lock_collection), target=conn.url)
    lock.acquire(lock_timeout)
    stop = threading.Event()
    reporter = _Progress(progress, total, progress_interval)
    heartbeat_done = threading.Event()

    def heartbeat() -> None:
        # Keeps the lock lease alive during long index builds, and says they are still running.
        last_renew = time.monotonic()
        while not heartbeat_done.wait(min(progress_interval, 5.0)):
            reporter.tick()
            if time.monotonic() - last_renew > lock.lease.total_seconds() / 3:
                lock.renew()
                last_renew = time.monotonic()

    beat = threading.Thread(target=heartbeat, name="schemactl-heartbeat", daemon=True)
    beat.start()
    try:
        workers = max(1, min(parallel, len(runs) or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="schemactl-apply") as pool:
            list(pool.map(lambda run: _run_database(conn, run, reporter, stop, fail_fast), runs.values()))
        result = _result(runs, total)
        if record is not None:
            outcome = "failed" if result.error else "applied"
            record(conn, outcome, [s.sql for r in runs.values() for s in r.applied], result.error)
        return result
    finally:
        heartbeat_done.set()
        beat.join(timeout=1)
        lock.release()


def _plan_runs(steps: list[tuple[Change, list[Statement]]]) -> dict[str, _DatabaseRun]:
    runs: dict[str, _DatabaseRun] = {}
    number = 0
    for change, statements in steps:
        for statement in statements:
            number += 1
            database = change.extra.get("database") or parse(statement.sql)[0]
            runs.setdefault(database, _DatabaseRun(database, [])).steps.append(
                _Step(number, database, statement.sql, change.address))
    return runs


def _run_database(conn: MongoConnection, run: _DatabaseRun, reporter: _Progress, stop: threading.Event,
                  fail_fast: bool) -> None:
    for step in run.steps:
        if stop.is_set():
            return
        run.started = True
        reporter.start(step)
        try:
            database, command = parse(step.sql)
            conn.ops.run(database, command)
        except (PyMongoError, ValueError) as exc:
            run.failed, run.error = step, describe_failure(command_or_none(step.sql), exc)
            if fail_fast:
                stop.set()
            return
        finally:
            reporter.done(step)
        run.applied.append(step)


def command_or_none(sql: str) -> dict[str, Any] | None:
    try:
        return parse(sql)[1]
    except ValueError:
        return None


def describe_failure(command: dict[str, Any] | None, exc: BaseException) -> str:
    """The server's error, made specific for the failures a user can fix."""
    message = redact_text(str(exc))
    if isinstance(exc, OperationFailure) and exc.code == 11000 and command and "createIndexes" in command:
        details = exc.details or {}
        index = command["indexes"][0]
        key = details.get("keyValue")
        if key is None:
            match = _DUP_KEY.search(details.get("errmsg", "") or message)
            key = match.group(1) if match else "(not reported)"
        return (f"unique index {index['name']} on collection {command['createIndexes']} cannot be built: "
                f"more than one document has the key {key}. Remove or merge the duplicates, then apply again; "
                f"the index was not created.")
    return message


def _result(runs: dict[str, _DatabaseRun], total: int) -> ApplyResult:
    applied = sum(len(r.applied) for r in runs.values())
    failures = sorted((r for r in runs.values() if r.failed), key=lambda r: r.failed.number)  # type: ignore[union-attr]
    details: list[str] = []
    many = len(runs) > 1
    for run in runs.values():
        if run.failed is not None:
            done = ", ".join(str(s.number) for s in run.applied) or "none"
            skipped = [s.number for s in run.steps if s not in run.applied and s is not run.failed]
            details.append(f"{run.name}: FAILED at step {run.failed.number} of {total} ({run.failed.address}): "
                           f"{run.error}")
            details.append(f"{run.name}: applied steps: {done}; not run: "
                           f"{', '.join(map(str, skipped)) or 'none'}")
        elif not run.started and run.steps:
            details.append(f"{run.name}: not started (stopped by --fail-fast); {len(run.steps)} steps not run")
        elif len(run.applied) < len(run.steps):
            details.append(f"{run.name}: stopped by --fail-fast after {len(run.applied)} of {len(run.steps)} steps")
        elif many:
            details.append(f"{run.name}: {len(run.applied)} of {len(run.steps)} steps applied")
    if failures:
        details.append("MongoDB changes are not transactional: the steps listed as applied are in place. "
                       "Run `schemactl plan` again; it plans exactly what is left.")
        first = failures[0]
        error = (first.error or "") if len(failures) == 1 else \
            f"{first.error} (and {len(failures) - 1} more databases failed; see the summary above)"
        return ApplyResult(applied=applied, total=total, failed_statement=first.failed.sql,  # type: ignore[union-attr]
                           error=f"{first.name}: {error}", details=details)
    return ApplyResult(applied=applied, total=total, details=details)
