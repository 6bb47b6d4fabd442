"""Object kinds a backend registers: the core's diff, order and spec stages dispatch on them.

A registered kind keeps its objects in `Database.objects[kind.name]` (key -> model object) and owns
everything about them in one module of its backend: the spec section and its JSON Schema fragment,
spec -> model, catalog rows -> model, comparison (`diff`, or plain equality of the dataclasses),
rendering, and where its changes go in a plan (`create_before`: drops run in reverse).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Statement


@dataclass(frozen=True)
class ObjectKind:
    #: The change kind and the `Database.objects` key ("sequence").
    name: str
    #: The top-level spec section its objects are written in ("sequences").
    section: str
    #: Spec section entry -> model object: `build(key, value, context)`; raise ValueError to reject it,
    #: return None when the entry holds nothing of this kind (a kind reading another kind's section).
    build: Callable[[str, Any, Any], Any]
    #: Model object -> (spec key, spec value), the inverse of `build`.
    to_spec: Callable[[Any], tuple[str, Any]]
    #: One change -> its statements.
    render: Callable[[Change, Any], list[Statement]]
    #: Creations run just before this kind's creations; drops in reverse, just after its drops.
    create_before: str
    #: Alterations run just after this kind's creations (default: with the creations).
    alter_after: str | None = None
    #: Changes for one object (`before` None: created; `after` None: dropped). Default: `diff_object`.
    diff: Callable[[ObjectKind, str, Any, Any], list[Change]] | None = None
    #: Adds the backend's hazards to one change of this kind.
    hazards: Callable[[Change], None] | None = None
    #: A pass over the whole change list once every kind has compared its objects:
    #: `after_diff(changes, current, desired) -> changes`, for changes one object's comparison cannot see
    #: (a view dropped and recreated around a type change of a column it reads).
    after_diff: Callable[[list[Change], Any, Any], list[Change]] | None = None

    def address(self, key: str) -> str:
        return f"{self.name} {key}"


def attribute_changes(before: Any, after: Any) -> list[AttributeChange]:
    """The compared fields that differ between two dataclass objects of one kind."""
    if not (is_dataclass(before) and is_dataclass(after)):
        return [] if before == after else [AttributeChange("value", before, after)]
    return [AttributeChange(f.name, getattr(before, f.name), getattr(after, f.name))
            for f in fields(before) if f.compare and getattr(before, f.name) != getattr(after, f.name)]


def created_dropped_or_same(kind: ObjectKind, key: str, before: Any, after: Any) -> list[Change] | None:
    """The changes of an object that is new, gone or unchanged; None when both exist and differ, which is
    where a kind's own `diff` decides (alter in place, replace, rebuild)."""
    if before is None:
        return [Change(Action.CREATE, kind.name, kind.address(key), after=after)]
    if after is None:
        return [Change(Action.DROP, kind.name, kind.address(key), before=before)]
    return [] if before == after else None


def diff_object(kind: ObjectKind, key: str, before: Any, after: Any) -> list[Change]:
    """Create, drop, or alter with the differing attributes; nothing when equal."""
    simple = created_dropped_or_same(kind, key, before, after)
    if simple is not None:
        return simple
    return [Change(Action.ALTER, kind.name, kind.address(key), before=before, after=after,
                   attributes=attribute_changes(before, after))]


def diff_objects(current: Mapping[str, Mapping[str, Any]], desired: Mapping[str, Mapping[str, Any]],
                 kinds: Iterable[ObjectKind]) -> list[Change]:
    """Each kind's objects compared (`kind.diff`, or `diff_object`): created, dropped, altered."""
    changes: list[Change] = []
    for kind in kinds:
        differ = kind.diff or diff_object
        live, wanted = current.get(kind.name, {}), desired.get(kind.name, {})
        for key, obj in wanted.items():
            changes += differ(kind, key, live.get(key), obj)
        for key, obj in live.items():
            if key not in wanted:
                changes += differ(kind, key, obj, None)
    return changes


def run_after_diffs(changes: list[Change], current: Any, desired: Any, kinds: Iterable[ObjectKind]) -> list[Change]:
    """The kinds' `after_diff` passes, in registration order, over the complete change list."""
    for kind in kinds:
        if kind.after_diff is not None:
            changes = kind.after_diff(changes, current, desired)
    return changes
