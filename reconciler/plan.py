"""The `plan` stage: order changes by dependency, attach statements and hazards, fingerprint.

A `Plan` is everything a reviewer sees and everything `apply` needs: the
ordered changes with their rendered statements, the hazards, a fingerprint of
the live schema it was computed against, and a hash of the spec.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reconciler import __version__
from reconciler.backends import Backend, PlanScope, RenderOptions
from reconciler.changes import (
    Action,
    Change,
    Hazard,
    Statement,
)

if TYPE_CHECKING:
    from reconciler.ignore import IgnoreRules

FORMAT_VERSION = 1

@dataclass
class PlannedChange:
    change: Change
    statements: list[Statement]


@dataclass
class Plan:
    dialect: str
    target: str
    changes: list[PlannedChange]
    spec_hash: str
    # The fingerprint, or how to compute it: hashing a large live schema is only worth doing when
    # the plan is saved or printed as JSON.
    fingerprint_source: str | Callable[[], str]
    tool_version: str = __version__
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    online: bool = False
    #: What the plan was limited to (`--tenants-only`, `--indexes-only` ...); every format says so.
    scope: PlanScope = field(default_factory=PlanScope)
    #: Things the reader must not miss (an empty spec that drops everything), shown in every format.
    warnings: list[str] = field(default_factory=list)
    #: Mermaid `erDiagram` of the tables (collections) the plan touches and their neighbours, coloured by
    #: change (`reconciler.diagram.plan_diagram`), or how to draw it: only the markdown and JSON formats (and a
    #: saved plan) show it, so a text plan never draws it. Never hashed.
    diagram_source: str | None | Callable[[], str | None] = None
    #: `-target` addresses of a partial plan (empty: the whole plan).
    targets: list[str] = field(default_factory=list)

    @property
    def live_fingerprint(self) -> str:
        if callable(self.fingerprint_source):
            self.fingerprint_source = self.fingerprint_source()
        return self.fingerprint_source

    @property
    def diagram(self) -> str | None:
        if callable(self.diagram_source):
            self.diagram_source = self.diagram_source()
        return self.diagram_source

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> tuple[int, int, int]:
        add = change = destroy = 0
        for planned in self.changes:
            action = planned.change.action
            if action == Action.CREATE:
                add += 1
            elif action in (Action.ALTER, Action.RENAME):
                change += 1
            elif action == Action.DROP:
                destroy += 1
            elif action == Action.REPLACE:
                add += 1
                destroy += 1
        return add, change, destroy

    def statements(self) -> list[Statement]:
        return [s for planned in self.changes for s in planned.statements]

    def hazards(self) -> list[str]:
        return sorted({h.value for planned in self.changes for h in planned.change.hazards})

    def plan_hash(self) -> str:
        """Hash of exactly what would run, and against what; a saved plan is refused if it was edited."""
        payload = {
            "dialect": self.dialect,
            "spec_hash": self.spec_hash,
            "live_fingerprint": self.live_fingerprint,
            "statements": [[s.sql, s.transactional, s.commit_first, s.lock_timeout, s.statement_timeout]
                           for s in self.statements()],
        }
        return sha256_json(payload)


# Keys of a spec that scope it or say where history goes, rather than declare objects.
_NOT_OBJECTS = frozenset({"version", "dialect", "schema", "schemas", "history_database", "history_collection"})


def declares_no_objects(spec_data: Any) -> bool:
    """True for a spec with only `version` and `dialect` (and scope settings): it declares no object at all."""
    return isinstance(spec_data, dict) and not any(v for k, v in spec_data.items() if k not in _NOT_OBJECTS)


def warn_if_empty_spec(plan: Plan, spec_data: Any) -> None:
    """An empty spec (often the wrong file, or a directory with none in it) plans to drop everything: say so."""
    destroy = plan.counts()[2]
    if destroy and declares_no_objects(spec_data):
        plan.warnings.append(f"Warning: the spec declares no objects: this plan drops everything in the managed "
                             f"schemas of the target ({destroy} to destroy). Check the spec path if that is not meant.")


def sha256_json(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def fingerprint(backend: Backend, model: Any) -> str:
    return sha256_json(backend.fingerprint_data(model))


def empty_model(backend: Backend) -> Any:
    """The model of a spec that declares nothing."""
    from reconciler.spec.loader import LoadedSpec, Positions

    return backend.build_model(LoadedSpec({"version": 1, "dialect": backend.name}, Positions(), [], ""))


def object_addresses(backend: Backend, *models: Any) -> set[str]:
    """The address of every object in the models, as a plan creating them prints it."""
    empty = empty_model(backend)
    return {c.address for model in models for c in backend.diff(empty, model)}


def make_plan(
    backend: Backend,
    current: Any,
    desired: Any,
    *,
    target: str,
    spec_hash: str,
    options: RenderOptions | None = None,
    ignore: IgnoreRules | None = None,
    pruned: dict[str, list[str]] | None = None,
    targets: Sequence[str] = (),
) -> Plan:
    """`ignore`: changes of ignored objects are left out (the models should already be pruned of them, see
    `Backend.prune_ignored`, which reports in `pruned` what it took out of kept tables); `targets`: only the
    changes of these addresses and what they need (a partial plan, which says so)."""
    # Imported here: `schemactl --help` and `validate` need neither (start-up time).
    from reconciler.hooks import attach_hooks
    from reconciler.ignore import (
        bookkeeping_hint,
        filter_changes,
        partial_plan_note,
        refuse_lost_ignored,
        select_targets,
    )

    options = options or RenderOptions()
    changes = backend.diff(current, desired)
    if ignore:
        # MongoDB templates expand to databases only the diff sees: the changes are filtered too.
        changes = filter_changes(changes, ignore)
    refuse_lost_ignored(changes, pruned or {})
    if targets:
        changes = select_targets(changes, targets, known=lambda: object_addresses(backend, current, desired))
    for change in changes:
        bookkeeping_hint(change)
        backend.annotate_hazards(change, options)
        # Objects created together with their table touch no existing rows: nothing to warn about.
        if change.extra.get("new_table"):
            change.hazards.clear()
            change.notes.clear()
        # A change the backend found to lose data (a narrowing type change) on a protected object.
        if Hazard.DATA_LOSS in change.hazards and getattr(change.after, "prevent_destroy", False):
            change.prevented = True
    planned = [PlannedChange(change, backend.render(change, options)) for change in backend.order(changes)]
    unmatched_hooks = attach_hooks(planned, desired.hooks, backend.render_hook) if planned else []
    plan = Plan(dialect=backend.name, target=target, changes=planned, spec_hash=spec_hash,
                fingerprint_source=lambda: fingerprint(backend, current), online=options.online,
                warnings=unmatched_hooks, targets=list(targets))
    if targets:
        plan.warnings.append(partial_plan_note(targets))
    return plan
