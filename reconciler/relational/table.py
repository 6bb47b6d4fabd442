"""The comparison of tables: renames (`renamed_from`), created and dropped tables, and, for a table on
both sides, its attributes and then each member kind's comparison (`column`, `constraint`, `index`)."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

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
    AttributeChange,
    Change,
)
from reconciler.errors import PlanError
from reconciler.model import Database, Table, qualified

from .column import diff_columns, resolve_column_renames
from .compare import drop_change
from .constraint import diff_members, diff_primary_key
from .index import diff_indexes


def _resolve_table_renames(current: Database, desired: Database) -> dict[str, str]:
    """Map desired table key -> live key for tables whose `renamed_from` still names a live table."""
    renames: dict[str, str] = {}
    for key, table in desired.tables.items():
        if not table.renamed_from:
            continue
        old_key = qualified(table.schema, table.renamed_from)
        if key in current.tables and old_key in current.tables:
            raise PlanError(f"table {key} is renamed from {table.renamed_from}, but both exist; "
                            "drop one or remove renamed_from")
        if key in current.tables:
            continue  # already renamed earlier
        if old_key not in current.tables:
            if current.tables:  # an empty database is simply created
                raise PlanError(f"table {key} is renamed from {table.renamed_from}, but neither exists; "
                                "refusing to guess (remove renamed_from to create it empty)")
            continue
        renames[key] = old_key
    return renames


def diff_tables(current: Database, desired: Database) -> list[Change]:
    changes: list[Change] = []
    renames = _resolve_table_renames(current, desired)
    renamed_old = set(renames.values())
    # What the renames do to everything that names a table or column: PostgreSQL and SQLite
    # carry indexes, keys and foreign keys (in any table) along with a rename.
    new_table_name = {renames[k]: desired.tables[k].name for k in renames}
    new_column_name: dict[str, dict[str, str]] = {}
    for key, table in desired.tables.items():
        live = current.tables.get(renames.get(key, key))
        if live is not None:
            new_column_name[renames.get(key, key)] = {
                old: new for new, old in resolve_column_renames(live, table).items()}
    renaming = bool(new_table_name) or any(new_column_name.values())
    for key, table in desired.tables.items():
        live_key = renames.get(key, key)
        live = current.tables.get(live_key)
        if live is None:
            changes.append(Change(Action.CREATE, TABLE, f"table {key}", after=table))
            changes += [Change(Action.CREATE, INDEX, f"index {key}.{ix.name}", after=ix, table=key,
                               extra={"new_table": True})
                        for ix in table.indexes.values()]
            changes += [Change(Action.CREATE, FOREIGN_KEY, f"foreign_key {key}.{fk.name}", after=fk, table=key,
                               extra={"new_table": True})
                        for fk in table.foreign_keys.values()]
            continue
        if live_key != key:
            renamed = copy.copy(live)
            renamed.name, renamed.schema = table.name, table.schema
            changes.append(Change(Action.RENAME, TABLE, f"table {key}", before=live, after=table,
                                  attributes=[AttributeChange("name", live.name, table.name)]))
            live = renamed
        if renaming:
            live = _as_renamed(live, live_key, new_table_name, new_column_name)
        # Most tables of a large schema are unchanged: one dataclass equality check skips the
        # member-by-member walk. Equal means no renames, no changes in diff_table.
        if live != table:
            changes += diff_table(live, table)
    for key, live in current.tables.items():
        if key in desired.tables or key in renamed_old:
            continue
        changes.append(drop_change(TABLE, f"table {key}", live))
        # Foreign keys go first so that tables referencing each other can be dropped in any order.
        changes += [drop_change(FOREIGN_KEY, f"foreign_key {key}.{fk.name}", fk, table=key, dropped_table=True)
                    for fk in live.foreign_keys.values()]
    return changes


def _as_renamed(live: Table, live_key: str, table_names: dict[str, str],
                column_names: dict[str, dict[str, str]]) -> Table:
    """The live table's keys, indexes and foreign keys as they read once the planned renames are done."""
    own = column_names.get(live_key, {})

    def cols(names: list[str], mapping: dict[str, str] = own) -> list[str]:
        return [mapping.get(n, n) for n in names]

    view = copy.copy(live)
    if live.primary_key is not None:
        view.primary_key = replace(live.primary_key, columns=cols(live.primary_key.columns))
    view.uniques = {n: replace(u, columns=cols(u.columns)) for n, u in live.uniques.items()}
    view.indexes = {n: replace(ix, include=cols(ix.include), elements=[
        replace(e, column=own.get(e.column, e.column)) if e.column else e for e in ix.elements])
        for n, ix in live.indexes.items()}
    view.exclusions = {n: replace(x, elements=[replace(e, column=own.get(e.column, e.column)) if e.column else e
                                               for e in x.elements])
                       for n, x in live.exclusions.items()}
    foreign_keys = {}
    for name, fk in live.foreign_keys.items():
        target = qualified(fk.ref_schema, fk.ref_table)
        foreign_keys[name] = replace(fk, columns=cols(fk.columns), on_delete_columns=cols(fk.on_delete_columns),
                                     ref_table=table_names.get(target, fk.ref_table),
                                     ref_columns=cols(fk.ref_columns, column_names.get(target, {})))
    view.foreign_keys = foreign_keys
    return view


def diff_table(live: Table, table: Table) -> list[Change]:
    """Changes inside one table that exists on both sides (after any table rename)."""
    key = table.key
    changes: list[Change] = []
    table_attrs = [AttributeChange(a, getattr(live, a), getattr(table, a)) for a in ("comment", "unlogged", "options")
                   if getattr(live, a) != getattr(table, a)]
    if table_attrs:
        changes.append(Change(Action.ALTER, TABLE, f"table {key}", before=live, after=table, attributes=table_attrs))
    changes += diff_columns(live, table)
    changes += diff_primary_key(key, live.primary_key, table.primary_key)
    changes += diff_members(UNIQUE, key, live.uniques, table.uniques)
    changes += diff_indexes(key, live, table)
    changes += diff_members(FOREIGN_KEY, key, live.foreign_keys, table.foreign_keys)
    changes += diff_members(CHECK, key, live.checks, table.checks)
    changes += diff_members(EXCLUSION, key, live.exclusions, table.exclusions)
    changes += _rebuild_around_replaced_columns(changes, live, table)
    return changes


_MEMBERS = ((UNIQUE, "uniques"), (INDEX, "indexes"), (FOREIGN_KEY, "foreign_keys"), (CHECK, "checks"),
            (EXCLUSION, "exclusions"))


def _rebuild_around_replaced_columns(changes: list[Change], live: Table, table: Table) -> list[Change]:
    """A column whose generation expression changes is dropped and added again (PostgreSQL 15 has no
    SET EXPRESSION), which drops its indexes and constraints with it: drop them first, add them after."""
    replaced = {c.after.name for c in changes if c.kind == COLUMN and c.action == Action.ALTER
                and any(a.name == "generated" for a in c.attributes) and c.after.generated is not None}
    if not replaced:
        return []
    key = table.key
    touched = {(c.kind, c.address) for c in changes}
    extra: list[Change] = []
    primary = [(PRIMARY_KEY, f"primary_key {key}", live.primary_key, table.primary_key)]
    members = [(kind, f"{kind} {key}.{name}", obj, getattr(table, attr).get(name))
               for kind, attr in _MEMBERS for name, obj in getattr(live, attr).items()]
    for kind, address, before, after in [*primary, *members]:
        if before is None or after is None or (kind, address) in touched or not _mentions(before, replaced):
            continue
        drop = drop_change(kind, address, before, table=key)
        drop.extra["rebuilt_around"] = sorted(replaced)
        extra += [drop, Change(Action.CREATE, kind, address, after=after, table=key)]
    return extra


def _mentions(obj: Any, columns: set[str]) -> bool:
    """Whether a key, index or constraint names one of the columns (in expressions: as a whole word)."""
    names = set(getattr(obj, "columns", []) or []) | set(getattr(obj, "include", []) or [])
    texts = [getattr(obj, "expression", None), getattr(obj, "where", None)]
    for element in getattr(obj, "elements", []) or []:
        names.add(element.column)
        texts.append(element.expression)
    if names & columns:
        return True
    pattern = re.compile("|".join(rf'(?<![\w"]){re.escape(c)}(?![\w"])|"{re.escape(c)}"' for c in columns))
    return any(t and pattern.search(t) for t in texts)
