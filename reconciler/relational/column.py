"""The comparison of a table's columns: renames (`renamed_from`), added, altered (attribute by attribute)
and dropped columns."""

from __future__ import annotations

from typing import Any

from reconciler.changes import COLUMN, Action, AttributeChange, Change, Hazard
from reconciler.errors import PlanError
from reconciler.model import Column, Table, to_plain

from .compare import drop_change

COLUMN_ATTRIBUTES = ("type", "nullable", "default", "identity", "serial", "comment", "collation", "generated",
                     "identity_options")


def resolve_column_renames(live: Table, table: Table) -> dict[str, str]:
    renames: dict[str, str] = {}
    for name, column in table.columns.items():
        if not column.renamed_from or name in live.columns:
            if column.renamed_from and column.renamed_from in live.columns and name in live.columns:
                raise PlanError(f"column {table.key}.{name} is renamed from {column.renamed_from}, "
                                "but both exist; drop one or remove renamed_from")
            continue
        if column.renamed_from not in live.columns:
            raise PlanError(f"column {table.key}.{name} is renamed from {column.renamed_from}, but neither "
                            "exists; refusing to guess (remove renamed_from to add it empty)")
        renames[name] = column.renamed_from
    return renames


def diff_columns(live: Table, table: Table) -> list[Change]:
    key = table.key
    changes: list[Change] = []
    renames = resolve_column_renames(live, table)
    renamed_old = set(renames.values())
    for name, column in table.columns.items():
        old_name = renames.get(name, name)
        live_col = live.columns.get(old_name)
        address = f"column {key}.{name}"
        if live_col is None:
            change = Change(Action.CREATE, COLUMN, address, after=column, table=key, extra={"table": table})
            if not column.nullable and column.default is None and not column.identity and not column.serial \
                    and column.generated is None:
                change.add_hazard(Hazard.MAY_FAIL_ON_DATA)  # explained by the backend
            changes.append(change)
            continue
        if old_name != name:
            changes.append(Change(Action.RENAME, COLUMN, address, before=live_col, after=column, table=key,
                                  attributes=[AttributeChange("name", old_name, name)]))
        attrs = column_differences(live_col, column)
        if attrs:
            changes.append(Change(Action.ALTER, COLUMN, address, before=live_col, after=column, table=key,
                                  attributes=attrs, extra={"table": table}))
    for name, live_col in live.columns.items():
        if name not in table.columns and name not in renamed_old:
            changes.append(drop_change(COLUMN, f"column {key}.{name}", live_col, table=key, table_obj=live))
    return changes


def column_differences(live: Column, column: Column) -> list[AttributeChange]:
    attrs = []
    for attr in COLUMN_ATTRIBUTES:
        old, new = getattr(live, attr), getattr(column, attr)
        if attr == "default":
            old = old.expression if old else None
            new = new.expression if new else None
        elif attr == "identity_options":
            # Shown as the options set, not as the dataclass.
            old, new = _set_options(old), _set_options(new)
        if old != new:
            attrs.append(AttributeChange(attr, old, new))
    return attrs


def _set_options(options: Any) -> dict[str, Any] | None:
    if options is None:
        return None
    return {k: v for k, v in to_plain(options).items() if v not in (None, False)}
