"""What every relational kind's comparison builds its changes with: the drop (and its hazards), create,
alter-or-replace of a named object, and the pairing of objects that differ only by name (implicit renames)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from typing import Any

from reconciler.changes import COLUMN, INDEX, TABLE, Action, AttributeChange, Change, Hazard


def drop_change(kind: str, address: str, obj: Any, table: str | None = None, **extra: Any) -> Change:
    change = Change(Action.DROP, kind, address, before=obj, table=table, extra=dict(extra))
    # The hazards hold for every backend; the backend's annotate_hazards explains them (once: a note here
    # would say the same thing again in other words).
    if kind in (TABLE, COLUMN):
        change.add_hazard(Hazard.DATA_LOSS)
    elif kind == INDEX:
        change.add_hazard(Hazard.INDEX_DROPPED)
    return change


def replace_or(kind: str, address: str, before: Any, after: Any, table: str) -> list[Change]:
    if before is None:
        return [Change(Action.CREATE, kind, address, after=after, table=table)]
    if after is None:
        return [drop_change(kind, address, before, table=table)]
    return [Change(Action.REPLACE, kind, address, before=before, after=after, table=table,
                   attributes=_object_attributes(before, after))]


def _object_attributes(before: Any, after: Any) -> list[AttributeChange]:
    return [AttributeChange(f.name, getattr(before, f.name), getattr(after, f.name))
            for f in fields(before) if f.name != "renamed_from" and getattr(before, f.name) != getattr(after, f.name)]


#: What changes on a key, index or constraint without rebuilding it (COMMENT ON, ALTER INDEX SET).
_IN_PLACE = ("comment", "with_")


def alter_or_replace(kind: str, address: str, before: Any, after: Any, table: str) -> list[Change]:
    if before is not None and after is not None:
        in_place = [a for a in _IN_PLACE if hasattr(before, a) and getattr(before, a) != getattr(after, a)]
        if in_place and replace(before, **{a: getattr(after, a) for a in in_place}) == after:
            return [Change(Action.ALTER, kind, address, before=before, after=after, table=table,
                           attributes=[AttributeChange(a.rstrip("_"), getattr(before, a), getattr(after, a))
                                       for a in in_place])]
    return replace_or(kind, address, before, after, table)


def renamed_members(kind: str, key: str, live: dict[str, Any], desired: dict[str, Any],
                    same: Callable[[Any, Any], bool]) -> tuple[list[Change], dict[str, Any], dict[str, Any]]:
    """Pair objects that differ only by name (a table rename leaves `old_pkey` behind) as renames."""
    changes = []
    live_only = {n: o for n, o in live.items() if n not in desired}
    wanted_only = {n: o for n, o in desired.items() if n not in live}
    for name, obj in list(wanted_only.items()):
        matches = [n for n, old in live_only.items() if same(old, obj)]
        if len(matches) == 1:
            old = live_only.pop(matches[0])
            del wanted_only[name]
            changes.append(Change(Action.RENAME, kind, f"{kind} {key}.{name}", before=old, after=obj, table=key,
                                  attributes=[AttributeChange("name", old.name, name)]))
    renamed_from = {c.attributes[0].old for c in changes}
    renamed_to = {c.attributes[0].new for c in changes}
    return (changes, {n: o for n, o in live.items() if n not in renamed_from},
            {n: o for n, o in desired.items() if n not in renamed_to})


def ordered_union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(first)
    seen.update(dict.fromkeys(second))
    return list(seen)
