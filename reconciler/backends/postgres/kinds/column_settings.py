"""Per-column settings of a table: `statistics: n` (ALTER COLUMN SET STATISTICS, the planner's statistics target)
and `storage: plain | external | extended | main` (SET STORAGE) on a column in its spec.

Its own kind keyed by table, built from the `tables:` section like `row_security`, so the column kind and the
shared table diff stay as they are. The live object holds every column whose type is not plain (with its type's
default storage, what a column without `storage:` wants) or whose target is set; a column it does not hold is
plain by its type with the default target. A table that stays but whose spec sets nothing has its settings put
back to the defaults (`complete_settings`); a column whose type the plan changes gets its storage again (ALTER
COLUMN TYPE resets it to the new type's). Always an ALTER TABLE, after the columns are created and changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Statement
from reconciler.objects import ObjectKind

from ..catalog import Catalog, Rows
from ..types import qualified_name, quote_ident
from .replica_identity import renamed_tables

QUERY = "column_settings"
READ_ORDER = 75
STORAGE = {"p": "plain", "e": "external", "x": "extended", "m": "main"}
_KEYWORDS = {"plain": "PLAIN", "external": "EXTERNAL", "extended": "EXTENDED", "main": "MAIN"}


@dataclass
class ColumnSetting:
    #: SET STATISTICS n; None: the default (-1).
    statistics: int | None = None
    #: SET STORAGE; in a spec None: the type's default.
    storage: str | None = None
    #: Live: the type's storage (what RESET would give); None in a spec.
    type_storage: str | None = field(default=None, compare=False)


@dataclass
class ColumnSettings:
    schema: str
    table: str
    columns: dict[str, ColumnSetting] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.table}"


#: Built-in fixed-length types (and enums): PostgreSQL stores them plain and refuses any other storage.
_FIXED_LENGTH = re.compile(r"(smallint|integer|bigint|real|double precision|boolean|uuid|date|time|timestamp|"
                           r"interval|money|oid)\b")


def build(key: str, spec: dict[str, Any], context: Any) -> ColumnSettings | None:
    columns = {}
    for name, column in (spec.get("columns") or {}).items():
        if isinstance(column, dict) and (column.get("statistics") is not None or column.get("storage") is not None):
            target = column.get("statistics")
            columns[name] = ColumnSetting(None if target in (None, -1) else int(target), column.get("storage"))
    if not columns:
        return None
    schema, name = context.split(key)
    table = context.db.tables.get(f"{schema}.{name}")
    for column_name, setting in columns.items():
        column = table.columns.get(column_name) if table is not None else None
        if column is None or setting.storage in (None, "plain") or column.type.endswith("]"):
            continue
        if _FIXED_LENGTH.match(column.type) or column.type in context.db.enums:
            raise ValueError(f"columns.{column_name}.storage: a {column.type} column is stored plain "
                             f"(its type has a fixed length); only storage: plain fits it")
    return ColumnSettings(schema, name, columns)


def to_spec(settings: ColumnSettings) -> tuple[str, dict[str, Any]]:
    """Attributes of the table's columns in `tables:` (merged into them by the backend's `to_spec`): only the
    settings that differ from the defaults."""
    columns: dict[str, Any] = {}
    for name, setting in settings.columns.items():
        entry: dict[str, Any] = {}
        if setting.statistics is not None:
            entry["statistics"] = setting.statistics
        if setting.storage is not None and setting.storage != setting.type_storage:
            entry["storage"] = setting.storage
        if entry:
            columns[name] = entry
    return (settings.table if settings.schema == "public" else settings.key), {"columns": columns}


def load(rows: Rows, catalog: Catalog) -> None:
    objects = catalog.db.objects.setdefault("column_settings", {})
    for schema, table, column, target, storage, type_storage in rows:
        settings = objects.setdefault(f"{schema}.{table}", ColumnSettings(schema, table))
        settings.columns[column] = ColumnSetting(None if target < 0 else target, STORAGE[storage], STORAGE[type_storage])


def _change(key: str, live: ColumnSettings | None, wanted: ColumnSettings, differences: dict[str, ColumnSetting],
            ) -> Change:
    before = live or ColumnSettings(wanted.schema, wanted.table)
    after = ColumnSettings(wanted.schema, wanted.table, differences)
    attributes = [AttributeChange(f"{name}", _shown(before.columns.get(name)), _shown(setting))
                  for name, setting in differences.items()]
    return Change(Action.ALTER, KIND.name, KIND.address(key), before=before, after=after, attributes=attributes,
                  table=after.key)


def _shown(setting: ColumnSetting | None) -> str:
    if setting is None:
        return "defaults"
    parts = []
    if setting.statistics is not None:
        parts.append(f"statistics {setting.statistics}")
    if setting.storage is not None:
        parts.append(f"storage {setting.storage}")
    return ", ".join(parts) or "defaults"


def diff(kind: ObjectKind, key: str, before: Any, after: Any) -> list[Change]:
    return []  # all in `complete_settings`, which sees the tables and the column changes


def complete_settings(changes: list[Change], current: Any, desired: Any) -> list[Change]:
    live_objects = current.objects.get(KIND.name, {})
    wanted_objects = desired.objects.get(KIND.name, {})
    retyped: dict[str, set[str]] = {}
    for change in changes:
        if change.kind == "column" and change.action == Action.ALTER and \
                {a.name for a in change.attributes} & {"type"}:
            retyped.setdefault(change.table, set()).add(change.before.name)
    old_keys = {new: old for old, new in renamed_tables(current, desired).items()}
    for key, table in desired.tables.items():
        if table.partition_of is not None:
            continue
        old_key = old_keys.get(key, key)  # a table the plan renames: its settings are the old name's
        live, wanted = live_objects.get(old_key), wanted_objects.get(key)
        if live is None and wanted is None:
            continue
        live_table = current.tables.get(old_key)
        live_names = set(live_table.columns) if live_table is not None else set()
        live = _renamed_columns(live, table, live_names)
        live_names |= {name for name, column in table.columns.items()
                       if column.renamed_from in live_names and name not in live_names}
        differences = _differences_for(live, wanted, table, live_names, retyped.get(key, set()))
        if differences:
            change = _change(key, live, wanted or ColumnSettings(table.schema, table.name), differences)
            for name in sorted(retyped.get(key, set()) & {n for n, d in differences.items() if d.storage}):
                change.notes.append(f"storage of {name} set again: its type change resets it to the new type's")
            changes.append(change)
    return changes


def _renamed_columns(live: ColumnSettings | None, table: Any, live_names: set[str]) -> ColumnSettings | None:
    """The live settings with the columns the plan renames under their new names."""
    if live is None:
        return None
    columns = dict(live.columns)
    for name, column in table.columns.items():
        if column.renamed_from in columns and name not in live_names:
            columns[name] = columns.pop(column.renamed_from)
    return ColumnSettings(live.schema, live.table, columns)


def _differences_for(live: ColumnSettings | None, wanted: ColumnSettings | None, table: Any, live_names: set[str],
                     retyped: set[str]) -> dict[str, ColumnSetting]:
    found: dict[str, ColumnSetting] = {}
    have = live.columns if live is not None else {}
    want = wanted.columns if wanted is not None else {}
    for name in table.columns:
        held, asked = have.get(name), want.get(name, ColumnSetting())
        live_target = held.statistics if held is not None else None
        target = None
        if asked.statistics != live_target:
            target = -1 if asked.statistics is None else asked.statistics
        if name in retyped:
            # ALTER COLUMN TYPE leaves the new type's storage: only a storage the spec names is set again.
            storage = asked.storage
        elif held is not None:
            wanted_storage = asked.storage or held.type_storage
            storage = wanted_storage if wanted_storage != held.storage else None
        elif name in live_names:  # listed by no row: a plain type's column, stored plain
            storage = asked.storage if asked.storage not in (None, "plain") else None
        else:  # a new column: created with its type's storage
            storage = asked.storage
        if target is not None or storage is not None:
            found[name] = ColumnSetting(target, storage)
    return found


def adopt_live_settings(desired: Any, current: Any) -> None:
    """Canonicalize (desired in the live form): a table whose spec asks for exactly what it holds (its settings
    left out are the defaults it has) takes the live object, so that the two models are equal, as for any other
    kind whose spelling differs but not its meaning. Any difference leaves the spec's object to the diff."""
    live_objects = current.objects.get(KIND.name, {})
    if not live_objects:
        return
    wanted = desired.objects.setdefault(KIND.name, {})
    for key, live in live_objects.items():
        table, live_table = desired.tables.get(key), current.tables.get(key)
        if table is None or live_table is None or table.partition_of is not None:
            continue
        if set(table.columns) != set(live_table.columns) or any(
                column.type != live_table.columns[name].type for name, column in table.columns.items()):
            continue
        if not _differences_for(live, wanted.get(key), table, set(live_table.columns), set()):
            wanted[key] = ColumnSettings(live.schema, live.table, dict(live.columns))
    if not wanted:
        del desired.objects[KIND.name]


def render(change: Change, options: Any) -> list[Statement]:
    after: ColumnSettings = change.after
    clauses = []
    for name, setting in after.columns.items():
        column = quote_ident(name)
        if setting.statistics is not None:
            clauses.append(f"ALTER COLUMN {column} SET STATISTICS {int(setting.statistics)}")
        if setting.storage is not None:
            clauses.append(f"ALTER COLUMN {column} SET STORAGE {_KEYWORDS[setting.storage]}")
    return [Statement(f"ALTER TABLE {qualified_name(after.schema, after.table)} {', '.join(clauses)};")]


# After the tables and columns are created and changed (a type change resets the storage).
KIND = ObjectKind(name="column_settings", section="tables", build=build, to_spec=to_spec, render=render,
                  create_before="foreign_key", diff=diff, after_diff=complete_settings)
