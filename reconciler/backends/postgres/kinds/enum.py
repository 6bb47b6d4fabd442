"""Enum types, their labels in order and their comment."""

from __future__ import annotations

from typing import Any

from reconciler.changes import Action, Change
from reconciler.model import Enum

from ..catalog import Catalog, Rows
from ..render import Renderer, comment_sql
from ..types import qualified_name, quote_ident, sql_string

QUERY = "enum"
READ_ORDER = 30


def load(rows: Rows, catalog: Catalog) -> None:
    for schema, name, values, comment in rows:
        enum = Enum(name=name, values=list(values), schema=schema, comment=comment)
        catalog.db.enums[enum.key] = enum


# -- rendering ---------------------------------------------------------------------------------------


def enum_values_sql(values: list[str]) -> str:
    return ", ".join(sql_string(v) for v in values)


def _enum_create(r: Renderer) -> None:
    enum: Enum = r.change.after
    name = qualified_name(enum.schema, enum.name)
    r.add(f"CREATE TYPE {name} AS ENUM ({enum_values_sql(enum.values)})")
    if enum.comment is not None:
        r.add(comment_sql("TYPE", name, enum.comment))


def _enum_drop(r: Renderer) -> None:
    enum: Enum = r.change.before
    r.add(f"DROP TYPE {qualified_name(enum.schema, enum.name)}")


def only_added(before: list[str], after: list[str]) -> bool:
    """True when `after` is `before` with values inserted (nothing removed or reordered)."""
    kept = [v for v in after if v in before]
    return kept == before


def _enum_alter(r: Renderer) -> None:
    before: Enum = r.change.before
    after: Enum = r.change.after
    name = qualified_name(after.schema, after.name)
    if before.values != after.values:
        recreate = r.change.extra.get("recreate")
        if recreate is None:
            recreate = not only_added(before.values, after.values)
        if recreate:
            _enum_recreate(r, before, after)
        else:
            _enum_add_values(r, name, before, after)
    if before.comment != after.comment:
        r.add(comment_sql("TYPE", name, after.comment))


def _enum_add_values(r: Renderer, name: str, before: Enum, after: Enum) -> None:
    # Positions come from the desired order, so values added in one go land where the spec puts them.
    for position, value in enumerate(after.values):
        if value in before.values:
            continue
        where = (f" AFTER {sql_string(after.values[position - 1])}" if position > 0
                 else f" BEFORE {sql_string(after.values[1])}" if len(after.values) > 1 else "")
        # Committed before the main transaction: later statements may use the new value.
        r.add(f"ALTER TYPE {name} ADD VALUE IF NOT EXISTS {sql_string(value)}{where}", commit_first=True)


def enum_columns(change: Change) -> list[dict[str, Any]]:
    """The columns using a recreated enum: table, column, type, drop_default, default (see enrich_enum_changes)."""
    info = change.extra.get("column_info")
    if info is not None:
        return list(info)
    return [{"table": t, "column": c, "type": None, "drop_default": False, "default": None}
            for t, c in change.extra.get("columns", [])]


def _enum_recreate(r: Renderer, before: Enum, after: Enum) -> None:
    name = qualified_name(after.schema, after.name)
    old_name = f"{after.name}__old"
    r.add(f"ALTER TYPE {name} RENAME TO {quote_ident(old_name)}")
    r.add(f"CREATE TYPE {name} AS ENUM ({enum_values_sql(after.values)})")
    for use in enum_columns(r.change):
        schema, _, table_name = use["table"].partition(".")
        table = qualified_name(schema, table_name)
        col = quote_ident(use["column"])
        array = "[]" if (use["type"] or "").endswith("[]") else ""
        if use["drop_default"]:
            # The old default is typed with the old enum and cannot be cast automatically.
            r.add(f"ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT")
        r.add(f"ALTER TABLE {table} ALTER COLUMN {col} TYPE {name}{array} USING {col}::text{array}::{name}{array}")
        if use["default"] is not None and use["drop_default"]:
            r.add(f"ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {use['default']}")
    r.add(f"DROP TYPE {qualified_name(after.schema, old_name)}")


# (change kind, action) -> the renderer of that change (see render.render).
RENDER = {("enum", Action.CREATE): _enum_create, ("enum", Action.DROP): _enum_drop,
          ("enum", Action.ALTER): _enum_alter}
