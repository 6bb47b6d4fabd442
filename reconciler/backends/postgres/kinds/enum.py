"""Enum types, their labels in order and their comment."""

from __future__ import annotations

from typing import Any

from reconciler.changes import CHECK, EXCLUSION, INDEX, TABLE, Action, AttributeChange, Change, Hazard
from reconciler.model import Database, Enum
from reconciler.relational.compare import drop_change
from reconciler.relational.order import Placement

from ..catalog import Catalog, Rows
from ..render import Renderer, comment_sql
from ..types import qualified_name, quote_ident, sql_string

ENUM = "enum"
QUERY = "enum"
READ_ORDER = 30
DIFF_ORDER = 30
# Created before the domains (a domain may be based on an enum) and tables using them, dropped after
# them. A changed enum goes after the drops: a recreated one needs the indexes and checks that mention
# it gone first (new values are added by statements that run and commit before everything else anyway).
ORDER = (Placement(ENUM, (Action.CREATE,), before=("domain", Action.CREATE)),
         Placement(ENUM, (Action.ALTER,), before=(TABLE, Action.RENAME)),
         Placement(ENUM, (Action.DROP,), after=("domain", Action.DROP)))


def load(rows: Rows, catalog: Catalog) -> None:
    for schema, name, values, comment in rows:
        enum = Enum(name=name, values=list(values), schema=schema, comment=comment)
        catalog.db.enums[enum.key] = enum


# -- comparison ------------------------------------------------------------------------------------


def diff_enums(current: Database, desired: Database) -> list[Change]:
    changes = []
    for key, enum in desired.enums.items():
        live = current.enums.get(key)
        if live is None:
            changes.append(Change(Action.CREATE, ENUM, f"enum {key}", after=enum))
            continue
        attrs = []
        extra: dict[str, Any] = {}
        if live.values != enum.values:
            attrs.append(AttributeChange("values", live.values, enum.values))
            added = _insertions(live.values, enum.values)
            if added is not None:
                extra["added"] = added
            else:
                extra["recreate"] = True
                extra["columns"] = [(t.key, c.name) for t in current.tables.values()
                                    for c in t.columns.values() if uses_type(c.type, enum.key)]
        if live.comment != enum.comment:
            attrs.append(AttributeChange("comment", live.comment, enum.comment))
        if attrs:
            change = Change(Action.ALTER, ENUM, f"enum {key}", before=live, after=enum, attributes=attrs, extra=extra)
            if extra.get("recreate"):
                # The hazards hold for every backend; the backend's annotate_hazards explains them.
                if any(v not in enum.values for v in live.values):
                    change.add_hazard(Hazard.DATA_LOSS)
                change.add_hazard(Hazard.TABLE_REWRITE)
                change.add_hazard(Hazard.MAY_FAIL_ON_DATA)
            changes.append(change)
    for key, enum in current.enums.items():
        if key not in desired.enums:
            drop = drop_change(ENUM, f"enum {key}", enum)
            drop.add_hazard(Hazard.DATA_LOSS, "the type is dropped")
            changes.append(drop)
    return changes


def rebuild_enum_dependents(changes: list[Change], current: Database, desired: Database) -> list[Change]:
    """Indexes, exclusions and checks whose expressions name a recreated enum are dropped before it and created after.

    PostgreSQL re-parses them when the column changes type, and a literal still cast to the old type
    (`status <> 'draft'::status__old`) makes that fail. So they are split into a drop (ordered before
    the enum) and a create (after it), even when the spec does not change them.
    """
    recreated = [c.after for c in changes if c.kind == ENUM and c.extra.get("recreate")]
    if not recreated:
        return changes
    casts = tuple(f"::{spelling}" for enum in recreated for spelling in type_spellings(enum.key))
    dependent: dict[tuple[str, str, str], Any] = {}
    for table in current.tables.values():
        for kind, indexed in ((INDEX, table.indexes), (EXCLUSION, table.exclusions)):
            for index in indexed.values():
                texts = [index.where or ""] + [e.expression or "" for e in index.elements]
                if any(cast in text for text in texts for cast in casts):
                    dependent[(kind, table.key, index.name)] = index
        for check in table.checks.values():
            if any(cast in check.expression for cast in casts):
                dependent[(CHECK, table.key, check.name)] = check
    if not dependent:
        return changes
    result: list[Change] = []
    handled: set[tuple[str, str, str]] = set()
    for change in changes:
        key = (change.kind, change.table or "", getattr(change.before, "name", ""))
        if key in dependent and change.action in (Action.REPLACE, Action.DROP):
            handled.add(key)
            result.append(drop_change(change.kind, change.address, change.before, table=change.table))
            if change.action == Action.REPLACE:
                result.append(Change(Action.CREATE, change.kind, change.address, after=change.after,
                                     table=change.table, attributes=change.attributes))
            continue
        result.append(change)
    for (kind, table_key, name), live in dependent.items():
        wanted_table = desired.tables.get(table_key)
        members = {INDEX: wanted_table.indexes, EXCLUSION: wanted_table.exclusions,
                   CHECK: wanted_table.checks}[kind] if wanted_table else {}
        if (kind, table_key, name) in handled or name not in members:
            continue
        address = f"{kind} {table_key}.{name}"
        note = "rebuilt around the enum it mentions, which is recreated"
        drop = drop_change(kind, address, live, table=table_key)
        drop.notes.append(note)
        create = Change(Action.CREATE, kind, address, after=members[name], table=table_key)
        create.notes.append(note)
        result += [drop, create]
    return result


def type_spellings(type_key: str) -> list[str]:
    schema, _, name = type_key.partition(".")
    # However the type's printer chose to quote each part (format_type quotes only where needed).
    return [f"{s}.{n}" for s in (schema, _quoted(schema)) for n in (name, _quoted(name))]


def _quoted(name: str) -> str:
    # As format_type prints a name that needs quoting: embedded quotes doubled.
    return '"' + name.replace('"', '""') + '"'


def uses_type(column_type: str, type_key: str) -> bool:
    """Whether a column (or domain) type is the user type `type_key` (an enum, a domain) or an array of it."""
    base = column_type.removesuffix("[]")
    name = type_key.partition(".")[2]
    return base in (*type_spellings(type_key), name, _quoted(name))


def _insertions(old: list[str], new: list[str]) -> list[tuple[str, str | None]] | None:
    """Values added to `old` keeping its order, each with the value it follows; None if not pure insertion."""
    if [v for v in new if v in old] != old or len(set(new)) != len(new):
        return None
    added = []
    for i, value in enumerate(new):
        if value not in old:
            added.append((value, new[i - 1] if i else None))
    return added


def after_diff(changes: list[Change], current: Database, desired: Database) -> list[Change]:
    """The pass over the whole change list (the tables' too), once every kind is compared: a recreated
    enum loses values, so it is flagged `prevented` when the spec protects it, like a destroying change
    (`reconciler.relational.mark_prevented`); then what names it is rebuilt around it."""
    for change in changes:
        if change.kind == ENUM and change.extra.get("recreate"):
            change.prevented = bool(getattr(change.after, "prevent_destroy", False))
    return rebuild_enum_dependents(changes, current, desired)


DIFF = diff_enums
AFTER_DIFF = after_diff


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
