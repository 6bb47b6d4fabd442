"""Pieces every plan format shares: how a change and an attribute value are described."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from reconciler.changes import Action, Change
from reconciler.plan import Plan, PlannedChange


def summary_line(plan: Plan) -> str:
    if plan.empty:
        return "No changes. The database matches the spec."
    add, change, destroy = plan.counts()
    return f"Plan: {add} to add, {change} to change, {destroy} to destroy."


def scope_line(plan: Plan) -> str | None:
    """How a limited plan says so (None for a whole one)."""
    if plan.scope.empty:
        return None
    return (f"Scope: {' '.join(plan.scope.flags())}: only what it selects was compared; "
            "nothing outside it is changed or dropped.")


def describe_value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, default=_fields_or_text, ensure_ascii=False)
    return str(value)


def _fields_or_text(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return str(value)


@dataclass
class ChangeGroup:
    """Changes identical but for their database (MongoDB tenants), shown once."""

    planned: list[PlannedChange]

    @property
    def first(self) -> Change:
        return self.planned[0].change

    @property
    def databases(self) -> list[str]:
        return [p.change.extra["database"] for p in self.planned if "database" in p.change.extra]


def group_changes(plan: Plan) -> list[ChangeGroup]:
    """Group changes carrying the same `extra["group"]` across databases; others stand alone."""
    groups: list[ChangeGroup] = []
    by_key: dict[tuple, ChangeGroup] = {}
    for planned in plan.changes:
        change = planned.change
        group = change.extra.get("group")
        if group is None or "database" not in change.extra:
            groups.append(ChangeGroup([planned]))
            continue
        key = (change.action, change.kind, group, tuple(h.value for h in change.hazards),
               tuple((a.name, repr(a.old), repr(a.new)) for a in change.attributes))
        if key in by_key:
            by_key[key].planned.append(planned)
        else:
            by_key[key] = ChangeGroup([planned])
            groups.append(by_key[key])
    return groups


def headline(group: ChangeGroup) -> str:
    change = group.first
    symbol = change.action.symbol
    if len(group.planned) > 1:
        return f"{symbol} {len(group.planned)} databases ({', '.join(_short(group.databases))}): {change.extra['group']}"
    label = change.address
    if change.action == Action.RENAME:
        label += f" (renamed from {change.attributes[0].old})" if change.attributes else ""
    return f"{symbol} {label}"


def _short(names: list[str], limit: int = 3) -> list[str]:
    return names if len(names) <= limit else [*names[:limit], f"... {len(names) - limit} more"]
