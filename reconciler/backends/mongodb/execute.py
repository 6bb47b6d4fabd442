"""Run a plan's mongosh statements with pymongo.

MongoDB has no transactional DDL. The plan orders steps so that stopping
after any step leaves a state the next `plan` completes (see `order.py`);
this module runs them one command at a time, databases in parallel up to
`parallel`, and reports exactly which step failed and which were applied.
An interrupt (Ctrl-C, or SIGTERM turned into KeyboardInterrupt by the CLI)
stops scheduling, lets the commands already sent finish, records the apply
as interrupted and re-raises as `ApplyInterrupted`, which says what is in place.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import OperationFailure, PyMongoError

from reconciler.backends import ApplyResult, Progress, ProgressCallback, as_progress
from reconciler.backends.mongodb.connection import MongoConnection, server_message
from reconciler.backends.mongodb.lock import ApplyLock, held_lock
from reconciler.backends.mongodb.mongosh import parse
from reconciler.backends.mongodb.render import DUPLICATE_CHECK
from reconciler.changes import Change, Statement

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
    # The step whose command was sent and has not answered (only left set by an interrupt).
    running: _Step | None = None
    # (collection, index) dropped by an applied step: a failed create of the same index then says so.
    dropped: set[tuple[str, str]] = field(default_factory=set)


class StepFailed(Exception):
    """A command the server accepted whose answer means the step failed (duplicates found)."""


class ApplyInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during an apply; `report` says what was applied (the CLI prints it)."""

    def __init__(self, report: str, result: ApplyResult) -> None:
        super().__init__(report)
        self.report, self.result = report, result


class _Progress:
    """Serialises progress reports from worker threads and repeats long-running steps."""

    def __init__(self, progress: Progress | ProgressCallback | None, total: int, interval: float) -> None:
        self.progress, self.total, self.interval = as_progress(progress), total, interval
        self.lock = threading.Lock()
        self.running: dict[int, tuple[_Step, float]] = {}

    def start(self, step: _Step) -> None:
        with self.lock:
            self.running[step.number] = (step, time.monotonic())
            self.progress.started(step.number, self.total, step.sql)

    def done(self, step: _Step, *, ran: bool = True) -> None:
        with self.lock:
            self.running.pop(step.number, None)
            if ran:
                self.progress.finished(step.number, self.total, step.sql)

    def tick(self) -> None:
        if self.progress.heartbeats:
            return  # it says so itself
        now = time.monotonic()
        with self.lock:
            for step, started in list(self.running.values()):
                elapsed = now - started
                if elapsed >= self.interval:
                    self.progress.still_running(step.number, self.total, step.sql, elapsed)


def execute(
    conn: MongoConnection,
    steps: list[tuple[Change, list[Statement]]],
    *,
    lock_timeout: float,
    progress: Progress | ProgressCallback | None,
    record: Callable[..., None] | None = None,
    parallel: int = 1,
    fail_fast: bool = False,
    progress_interval: float = 10.0,
) -> ApplyResult:
    runs = _plan_runs(steps)
    total = sum(len(r.steps) for r in runs.values())
    # Inside `hold_apply_lock` the apply already holds the lock (and renews it): taking it again would wait
    # on ourselves until --lock-timeout.
    lock = held_lock(conn)
    own_lock = lock is None
    if lock is None:
        lock = ApplyLock(conn.ops.collection(conn.history_database, conn.lock_collection), target=conn.url)
        lock.acquire(lock_timeout)
    stop = threading.Event()
    reporter = _Progress(progress, total, progress_interval)
    heartbeat_done = threading.Event()

    def heartbeat() -> None:
        # Says long index builds are still running, and keeps our own lock's lease alive during them.
        last_renew = time.monotonic()
        while not heartbeat_done.wait(min(progress_interval, 5.0)):
            reporter.tick()
            if own_lock and time.monotonic() - last_renew > lock.lease.total_seconds() / 3:
                lock.renew()
                last_renew = time.monotonic()

    beat = threading.Thread(target=heartbeat, name="schemactl-heartbeat", daemon=True)
    beat.start()
    try:
        interrupted = _run_all(conn, runs, reporter, stop, parallel, fail_fast)
        return _conclude(conn, runs, total, interrupted, record)
    finally:
        heartbeat_done.set()
        beat.join(timeout=1)
        if own_lock:
            lock.release()


def _conclude(conn: MongoConnection, runs: dict[str, _DatabaseRun], total: int, interrupted: bool,
              record: Callable[..., None] | None) -> ApplyResult:
    """The result, recorded in the history; raised as ApplyInterrupted after an interrupt."""
    result = _result(runs, total, "apply interrupted" if interrupted else "stopped by --fail-fast")
    if interrupted:
        result.error = _interrupted_error(runs)
    if record is not None:
        outcome = "interrupted" if interrupted else "failed" if result.error else "applied"
        record(conn, outcome, [s.sql for r in runs.values() for s in r.applied], result.error)
    if interrupted:
        raise ApplyInterrupted(_interrupt_report(result, runs), result)
    return result


def _run_all(conn: MongoConnection, runs: dict[str, _DatabaseRun], reporter: _Progress, stop: threading.Event,
             parallel: int, fail_fast: bool) -> bool:
    """Run every database's steps, `parallel` databases at once; True when an interrupt stopped them.

    Plain threads over a shared queue rather than a pool: on an interrupt the queue simply stops
    being served. Each thread sets its own `done` event, and the main thread waits on those, not
    on Thread.join: an interrupt inside join (Python 3.11) marks a running thread as stopped, and
    a pool can lose track of a thread whose start the interrupt cut short.
    """
    queue = deque(runs.values())
    taking = threading.Lock()
    interrupted = threading.Event()
    count = max(1, min(parallel, len(runs) or 1))
    done = [threading.Event() for _ in range(count)]
    # The `done` events of the threads that really run: one an interrupt kept from starting never sets its own.
    begun: list[threading.Event] = []

    def worker(finished: threading.Event) -> None:
        with taking:
            begun.append(finished)
        try:
            while not stop.is_set():
                with taking:
                    if not queue:
                        return
                    run = queue.popleft()
                if _run_database(conn, run, reporter, stop, fail_fast):
                    interrupted.set()
        finally:
            finished.set()

    try:
        for i, finished in enumerate(done):
            threading.Thread(target=worker, args=(finished,), name=f"schemactl-apply-{i}", daemon=True).start()
        for finished in done:
            finished.wait()
    except KeyboardInterrupt:
        interrupted.set()
    if interrupted.is_set():
        # No new step anywhere, no database not yet started; the commands already sent finish.
        stop.set()
        with taking:
            started = list(begun)
        _wait_for(started)
    return interrupted.is_set()


def _wait_for(done: list[threading.Event]) -> None:
    try:
        for finished in done:
            finished.wait()
    except KeyboardInterrupt:
        # A second interrupt: stop waiting. The steps still running are reported as such.
        pass


def _run_database(conn: MongoConnection, run: _DatabaseRun, reporter: _Progress, stop: threading.Event,
                  fail_fast: bool) -> bool:
    """Run one database's steps in order until one fails or `stop` is set; True if interrupted here."""
    for step in run.steps:
        if stop.is_set():
            return False
        run.started = True
        reporter.start(step)
        run.running = step
        command: dict[str, Any] | None = None
        ran = False
        try:
            database, command = parse(step.sql)
            check_answer(command, conn.ops.run(database, command))
            ran = True
        except (PyMongoError, ValueError, StepFailed) as exc:
            run.running = None
            run.failed, run.error = step, describe_failure(command, exc, dropped=_drop_undone(run, command))
            if fail_fast:
                stop.set()
            return False
        except KeyboardInterrupt:
            # Raised in this thread (a test; signals go to the main thread): the step's outcome is unknown.
            stop.set()
            return True
        finally:
            reporter.done(step, ran=ran)
        run.running = None
        run.applied.append(step)
        if "dropIndexes" in command:
            run.dropped.add((command["dropIndexes"], command["index"]))
    return False


def _drop_undone(run: _DatabaseRun, command: dict[str, Any] | None) -> bool:
    """Whether `command` re-creates an index an earlier step of this run dropped."""
    if not command or "createIndexes" not in command:
        return False
    return (command["createIndexes"], command["indexes"][0]["name"]) in run.dropped


def check_answer(command: dict[str, Any], answer: dict[str, Any]) -> None:
    """Fail the step when the answer says so: a duplicate check that found a duplicate key."""
    comment = command.get("comment")
    if "aggregate" not in command or not isinstance(comment, str) or not comment.startswith(DUPLICATE_CHECK):
        return
    rows = (answer.get("cursor") or {}).get("firstBatch") or []
    if not rows:
        return
    group_id = command["pipeline"][-3]["$group"]["_id"]
    key = {path[1:]: rows[0]["_id"].get(name) for name, path in group_id.items()}
    index = comment[len(DUPLICATE_CHECK):]
    raise StepFailed(f"unique index {index} on collection {command['aggregate']} cannot be built: more than one "
                     f"document has the key {key}. Remove or merge the duplicates, then apply again; nothing was "
                     f"dropped: {index} is still there as it was.")


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


def command_or_none(sql: str) -> dict[str, Any] | None:
    try:
        return parse(sql)[1]
    except ValueError:
        return None


def describe_failure(command: dict[str, Any] | None, exc: BaseException, *, dropped: bool = False) -> str:
    """The server's error, made specific for the failures a user can fix."""
    if isinstance(exc, StepFailed):
        return str(exc)
    reason = server_message(exc)
    index = command["indexes"][0] if command and "createIndexes" in command else None
    duplicate = isinstance(exc, OperationFailure) and exc.code == 11000 and index is not None
    if duplicate:
        reason = f"more than one document has the key {_duplicate_key(exc)}"
    if dropped and index is not None:
        # The old definition is gone and the new one is not there: say exactly that.
        fix = " Remove or merge the duplicates;" if duplicate else ""
        return (f"index {index['name']} on collection {command['createIndexes']} was dropped but could not be "  # type: ignore[index]
                f"created again: {reason}.{fix} It does not exist now; the next `schemactl plan` creates it.")
    if duplicate:
        return (f"unique index {index['name']} on collection {command['createIndexes']} cannot be built: "  # type: ignore[index]
                f"{reason}. Remove or merge the duplicates, then apply again; the index was not created.")
    return reason


def _duplicate_key(exc: OperationFailure) -> Any:
    details = exc.details or {}
    key = details.get("keyValue")
    if key is None:
        match = _DUP_KEY.search(details.get("errmsg", "") or str(exc))
        key = match.group(1) if match else "(not reported)"
    return key


def _result(runs: dict[str, _DatabaseRun], total: int, stopped_by: str) -> ApplyResult:
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
        elif run.running is not None:
            details.append(f"{run.name}: step {run.running.number} ({run.running.address}) was running when the "
                           f"apply stopped and may have completed on the server; {len(run.applied)} of "
                           f"{len(run.steps)} steps applied before it")
        elif not run.started and run.steps:
            details.append(f"{run.name}: not started ({stopped_by}); {len(run.steps)} steps not run")
        elif len(run.applied) < len(run.steps):
            details.append(f"{run.name}: {stopped_by} after {len(run.applied)} of {len(run.steps)} steps")
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


def _applied_numbers(runs: dict[str, _DatabaseRun]) -> list[int]:
    return sorted(s.number for r in runs.values() for s in r.applied)


def _interrupted_error(runs: dict[str, _DatabaseRun]) -> str:
    numbers = _applied_numbers(runs)
    return f"interrupted; applied steps: {', '.join(map(str, numbers)) or 'none'}"


def _interrupt_report(result: ApplyResult, runs: dict[str, _DatabaseRun]) -> str:
    numbers = _applied_numbers(runs)
    running = sorted(r.running.number for r in runs.values() if r.running is not None)
    lines = [f"Interrupted. MongoDB changes are not transactional: {result.applied} of {result.total} steps "
             f"were applied and are in place (steps {', '.join(map(str, numbers)) or 'none'})."]
    if running:
        lines.append(f"Step(s) {', '.join(map(str, running))} were running and may have completed on the server.")
    lines.append("No further steps were started. Run `schemactl plan` to see what is left; "
                 "applying it completes the rest.")
    return "\n".join(lines + result.details)
