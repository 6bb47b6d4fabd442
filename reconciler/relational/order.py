"""The relational apply order (`Backend.order` of PostgreSQL and MySQL): the table family's steps every
relational backend has, a backend's own kinds placed around them (`Placement`, `ObjectKind.create_before`),
then the diff's own order within a step. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.changes import (
    CHECK,
    COLUMN,
    EXCLUSION,
    FOREIGN_KEY,
    INDEX,
    PRIMARY_KEY,
    TABLE,
    UNIQUE,
    Action,
    Change,
)
from reconciler.objects import ObjectKind

# The relational apply order of the table family every relational backend has. Drops of dependants come
# before what they depend on; creates of dependencies before their dependants; foreign keys are added
# last so that cycles between tables never block a create. A backend's own kinds place themselves
# around these steps (`Placement`, `ObjectKind.create_before`).
_PHASES: list[tuple[str, tuple[Action, ...]]] = [
    (FOREIGN_KEY, (Action.DROP, Action.REPLACE)),
    (INDEX, (Action.DROP, Action.REPLACE)),
    (CHECK, (Action.DROP, Action.REPLACE)),
    (EXCLUSION, (Action.DROP, Action.REPLACE)),
    (UNIQUE, (Action.DROP, Action.REPLACE)),
    (PRIMARY_KEY, (Action.DROP, Action.REPLACE)),
    (TABLE, (Action.RENAME,)),
    (COLUMN, (Action.RENAME,)),
    (INDEX, (Action.RENAME,)),
    (PRIMARY_KEY, (Action.RENAME,)),
    (UNIQUE, (Action.RENAME,)),
    (FOREIGN_KEY, (Action.RENAME,)),
    (CHECK, (Action.RENAME,)),
    (EXCLUSION, (Action.RENAME,)),
    # A replaced table (PostgreSQL partitioning changed) is dropped and created again here.
    (TABLE, (Action.REPLACE, Action.CREATE, Action.ALTER)),
    (COLUMN, (Action.CREATE, Action.ALTER)),
    (PRIMARY_KEY, (Action.CREATE,)),
    (UNIQUE, (Action.CREATE,)),
    (CHECK, (Action.CREATE,)),
    (INDEX, (Action.CREATE,)),
    (EXCLUSION, (Action.CREATE,)),
    (FOREIGN_KEY, (Action.CREATE,)),
    # Comments and storage parameters of keys, indexes and constraints, once they all exist.
    (PRIMARY_KEY, (Action.ALTER,)),
    (UNIQUE, (Action.ALTER,)),
    (CHECK, (Action.ALTER,)),
    (EXCLUSION, (Action.ALTER,)),
    (INDEX, (Action.ALTER,)),
    (FOREIGN_KEY, (Action.ALTER,)),
    (COLUMN, (Action.DROP,)),
    (TABLE, (Action.DROP,)),
]


@dataclass(frozen=True)
class Placement:
    """Where some actions of a backend's kind run: just before or just after one step (kind, action) of
    the relational order, or of another placement. A kind module declares its own (PostgreSQL's
    `ORDER`), so its ordering rules sit with its comparison and rendering."""

    kind: str
    actions: tuple[Action, ...]
    before: tuple[str, Action] | None = None
    after: tuple[str, Action] | None = None

    def __post_init__(self) -> None:
        if (self.before is None) == (self.after is None):
            raise ValueError(f"a placement of {self.kind} needs one anchor: before or after")

    @property
    def anchor(self) -> tuple[str, Action]:
        anchor = self.before or self.after
        assert anchor is not None  # __post_init__
        return anchor


def relational_phases(placements: Iterable[Placement] = ()) -> dict[tuple[str, str], int]:
    """(kind, action) -> its step's position: the table family's steps with the placements inserted,
    each next to its anchor (which may be another placement, placed first)."""
    steps = list(_PHASES)
    pending = list(placements)
    while pending:
        unplaced = []
        for placement in pending:
            kind, action = placement.anchor
            at = next((i for i, (k, actions) in enumerate(steps) if k == kind and action in actions), None)
            if at is None:
                unplaced.append(placement)
            else:
                steps.insert(at if placement.before else at + 1, (placement.kind, placement.actions))
        if len(unplaced) == len(pending):
            raise ValueError(f"placements whose anchors no step has: {unplaced}")
        pending = unplaced
    return {(kind, action): i for i, (kind, actions) in enumerate(steps) for action in actions}


def relational_order(changes: list[Change], kinds: Iterable[ObjectKind] = (),
                     placements: Iterable[Placement] = ()) -> list[Change]:
    """Phase order, then the diff's own order (spec order) within a phase; stable and deterministic.

    A registered object kind's creations and changes come just before the creations of its
    `create_before` kind, its drops just after that kind's drops.
    """
    phases = relational_phases(placements)
    phase_of: dict[tuple[str, str], float] = dict(phases)
    for kind in kinds:
        before, after = phases[(kind.create_before, Action.CREATE)], phases[(kind.create_before, Action.DROP)]
        for action in (Action.CREATE, Action.ALTER, Action.REPLACE, Action.RENAME):
            phase_of[(kind.name, action)] = before - 0.5
        if kind.alter_after is not None:
            phase_of[(kind.name, Action.ALTER)] = phases[(kind.alter_after, Action.CREATE)] + 0.5
        phase_of[(kind.name, Action.DROP)] = after + 0.5
    last = len(phases)
    indexed = list(enumerate(changes))
    indexed.sort(key=lambda ic: (phase_of.get((ic[1].kind, ic[1].action), last), ic[0]))
    return [c for _, c in indexed]
