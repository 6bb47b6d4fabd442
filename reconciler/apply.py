"""The `apply` stage: guards, confirmation, execution under the target's lock, verification."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler import __version__
from reconciler.backends import ApplyResult, Backend, Progress, ProgressCallback
from reconciler.changes import Action, Change, Hazard
from reconciler.errors import PlanError
from reconciler.plan import Plan
from reconciler.spec.loader import LoadedSpec

CONFIRM_PROMPT = "Do you want to apply these changes? Only 'yes' will be accepted:"


@dataclass
class Guards:
    allow_destroy: bool = False
    allow_hazards: set[str] = field(default_factory=set)


def check_prevented(plan: Plan) -> None:
    """A plan that destroys a prevent_destroy object fails, in `plan` as in `apply`."""
    prevented = [p.change for p in plan.changes if p.change.prevented]
    if prevented:
        raise PlanError(
            "the plan would destroy objects marked prevent_destroy, which no flag allows:\n"
            + "\n".join(f"  - {c.address}" for c in prevented)
            + "\nChange the spec (or remove prevent_destroy in a reviewed change first)."
        )


def check_guards(plan: Plan, guards: Guards) -> None:
    """Refuse protected, destructive or hazardous changes that were not explicitly allowed: every reason at
    once, so that one retry with the flags it names goes through."""
    check_prevented(plan)
    # Replacing an index or constraint loses no data (its hazards are guarded below); replacing a
    # collection or anything else that carries data_loss is a destroy.
    destroys = [p.change for p in plan.changes
                if p.change.action == Action.DROP
                or (p.change.action == Action.REPLACE and Hazard.DATA_LOSS in p.change.hazards)]
    refuse_destroys = bool(destroys) and not guards.allow_destroy
    # The hazards that would still be refused with the --allow-destroy this refusal asks for.
    allow_destroy = guards.allow_destroy or refuse_destroys
    refused: dict[str, list[Change]] = {}
    for planned in plan.changes:
        for hazard in planned.change.hazards:
            if hazard == Hazard.DATA_LOSS and allow_destroy:
                continue
            if hazard == Hazard.INDEX_DROPPED and allow_destroy and planned.change.action == Action.DROP:
                continue
            if hazard.value not in guards.allow_hazards:
                refused.setdefault(hazard.value, []).append(planned.change)
    if not refuse_destroys and not refused:
        return
    parts: list[str] = []
    flags: list[str] = []
    if refuse_destroys:
        parts.append("the plan destroys objects; re-run with --allow-destroy to allow it:\n"
                     + "\n".join(f"  - {c.address} ({c.action.value})" for c in destroys))
        flags.append("--allow-destroy")
    if refused:
        names = ",".join(sorted(refused))
        parts.append(("and the plan" if parts else "the plan") + " has hazards that were not allowed:\n"
                     + "\n".join(f"  - {name}: " + ", ".join(c.address for c in changes)
                                 for name, changes in sorted(refused.items())))
        flags.append(f"--allow-hazards {names}")
    raise PlanError("\n".join(parts) + f"\nRe-run with {' '.join(flags)} (or allow them for the environment).")


def history_entry(plan: Plan, loaded: LoadedSpec | None = None, *, rollback_to: int | None = None) -> dict[str, Any]:
    """What every history record of this apply holds besides its outcome: with the spec applied (`loaded`)
    archived, so that `rollback` can go back to it; `rollback_to`: the record a rollback goes back to."""
    from reconciler.history import applied_by, applied_from, archive_spec

    return {
        "applied_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "spec_hash": plan.spec_hash,
        "plan_hash": plan.plan_hash(),
        "tool_version": __version__,
        "spec": None if loaded is None else archive_spec(loaded),
        "applied_by": applied_by(),
        "applied_from": applied_from(),
        "rollback_to": rollback_to,
    }


def execute_plan(
    backend: Backend,
    conn: Any,
    plan: Plan,
    *,
    lock_timeout: float,
    progress: Progress | ProgressCallback | None,
    loaded: LoadedSpec | None = None,
    rollback_to: int | None = None,
    **options: Any,
) -> ApplyResult:
    """Run `plan` through the backend, recording the outcome in the target's history (with the spec
    `loaded`, when given, for a later rollback)."""
    entry = history_entry(plan, loaded, rollback_to=rollback_to)

    def record(record_conn: Any, outcome: str, statements: list[str], error: str | None = None, *,
               failed_statement: str | None = None, rolled_back: Sequence[str] = ()) -> None:
        # `statements` persisted; `rolled_back` ran in a transaction that was undone; `failed_statement`
        # failed, or was running when the apply was interrupted.
        backend.write_history(record_conn, {**entry, "outcome": outcome, "statements": statements, "error": error,
                                            "failed_statement": failed_statement, "rolled_back": list(rolled_back)})

    steps = [(p.change, p.statements) for p in plan.changes]
    return backend.execute(conn, steps, lock_timeout=lock_timeout, progress=progress, record=record, **options)


class ProgressPrinter(Progress):
    """On stderr, so that stdout stays the plan: each statement as it starts (`[3/12]   0.4s CREATE ...`, the
    time since the apply started), a heartbeat every `interval` seconds while one runs
    (`[3/12] still running: CREATE ... (25s)`), its duration once it has run (`[3/12] done in 1.2s`), and the
    total at the end (`summary`). Call `stop` when the apply is over, however it ended."""

    heartbeats = True

    def __init__(self, echo: Callable[[str], None], *, interval: float = 10.0) -> None:
        self.echo, self.interval, self.start = echo, interval, time.monotonic()
        self.lock = threading.Lock()
        # step -> (first line of the statement, started, last reported)
        self.running: dict[int, tuple[str, float, float]] = {}
        self.count = self.total = 0
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def _say(self, text: str) -> None:
        with self.lock:
            self.echo(text)

    def started(self, step: int, total: int, statement: str) -> None:
        line = _first_line(statement)
        now = time.monotonic()
        with self.lock:
            self.running[step] = (line, now, now)
            self.echo(f"[{step}/{total}] {now - self.start:6.1f}s {line}")
            self.total = total
        if self._beat is None and self.interval > 0:
            self._beat = threading.Thread(target=self._heartbeat, name="schemactl-progress", daemon=True)
            self._beat.start()

    def finished(self, step: int, total: int, statement: str) -> None:
        with self.lock:
            entry = self.running.pop(step, None)
            self.count += 1
            if entry is not None:
                self.echo(f"[{step}/{total}] done in {time.monotonic() - entry[1]:.1f}s")

    def _heartbeat(self) -> None:
        while not self._stop.wait(min(self.interval / 2, 1.0)):
            now = time.monotonic()
            with self.lock:
                for step, (line, started, reported) in list(self.running.items()):
                    if now - reported >= self.interval:
                        self.running[step] = (line, started, now)
                        self.echo(f"[{step}/{self.total}] still running: {line} ({now - started:.0f}s)")

    def stop(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)

    def summary(self) -> None:
        self.stop()
        plural = "" if self.count == 1 else "s"
        self._say(f"Applied {self.count} statement{plural} in {time.monotonic() - self.start:.1f}s.")


def _first_line(statement: str) -> str:
    first_line = statement.strip().splitlines()[0] if statement.strip() else ""
    return first_line[:97] + "..." if len(first_line) > 100 else first_line
