"""The comparison of a table's primary key and of its named constraints (unique, foreign key, check,
exclusion): the four compare alike, by name, pairing the ones that differ only by name as renames."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.changes import PRIMARY_KEY, Action, AttributeChange, Change
from reconciler.model import PrimaryKey

from .compare import alter_or_replace, ordered_union, renamed_members


def diff_primary_key(key: str, live_pk: PrimaryKey | None, pk: PrimaryKey | None) -> list[Change]:
    if live_pk is not None and pk is not None and live_pk.name != pk.name and live_pk.columns == pk.columns:
        return [Change(Action.RENAME, PRIMARY_KEY, f"primary_key {key}", before=live_pk, after=pk, table=key,
                       attributes=[AttributeChange("name", live_pk.name, pk.name)])]
    if live_pk != pk:
        return alter_or_replace(PRIMARY_KEY, f"primary_key {key}", live_pk, pk, key)
    return []


def diff_members(kind: str, key: str, live: dict[str, Any], desired: dict[str, Any]) -> list[Change]:
    desired = {name: _accepting_validated(member, live.get(name)) for name, member in desired.items()}
    changes, live, desired = renamed_members(kind, key, live, desired, _same_but_name)
    for name in ordered_union(desired, live):
        before, after = live.get(name), desired.get(name)
        if before != after:
            changes += alter_or_replace(kind, f"{kind} {key}.{name}", before, after, key)
    return changes


def _accepting_validated(wanted: Any, live: Any) -> Any:
    """A check or foreign key the spec wants NOT VALID is satisfied by the live one validated: only a
    validated one asked for is a change (`not_valid` means: never scan the existing rows for it)."""
    if live is not None and getattr(wanted, "valid", True) is False and live.valid:
        return replace(wanted, valid=True)
    return wanted


def _same_but_name(a: Any, b: Any) -> bool:
    return replace(a, name=b.name) == b
