"""SQLite's view of a diff: fold what it cannot ALTER into one rebuild per table, add hazards, order.

SQLite alters a table in place only to rename it or a column, add a column
without constraints, or drop an unused column (3.35+); indexes are created
and dropped freely. Every other change to an existing table is applied by
rebuilding it, and all such changes of one table become one `table` `alter`
change with extra["rebuild"] = True whose `attributes` and extra["changes"]
keep the individual differences visible in the plan.
"""

from __future__ import annotations

import sqlite3

from sqlglot import exp

from reconciler.changes import (
    CHECK,
    COLUMN,
    FOREIGN_KEY,
    INDEX,
    PRIMARY_KEY,
    TABLE,
    UNIQUE,
    Action,
    AttributeChange,
    Change,
    Hazard,
)
from reconciler.model import Column, Database, Table

from .render import can_add_in_place_default
from .types import parse_expression

_SQLITE_VERSION = tuple(int(p) for p in sqlite3.sqlite_version.split("."))
DROP_COLUMN_SUPPORTED = _SQLITE_VERSION >= (3, 35, 0)
_INLINE_KINDS = (PRIMARY_KEY, UNIQUE, CHECK, FOREIGN_KEY)


def fold(changes: list[Change], current: Database, desired: Database) -> list[Change]:
    created = {c.after.key for c in changes if c.kind == TABLE and c.action == Action.CREATE}
    dropped = {c.before.key for c in changes if c.kind == TABLE and c.action == Action.DROP}
    # Sub-changes may name a renamed table by either name; group them under the desired one.
    new_key_of = {c.before.key: c.after.key for c in changes if c.kind == TABLE and c.action == Action.RENAME}
    result: list[Change] = []
    per_table: dict[str, list[Change]] = {}
    for change in changes:
        if change.kind == TABLE:
            if change.action != Action.ALTER or change.extra.get("rebuild"):
                result.append(annotate(change))
            # A plain table alter only changes the comment, which SQLite does not store.
            continue
        key = new_key_of.get(change.table or "", change.table or "")
        if key in dropped:
            continue  # dropped with its table
        if key in created:
            if change.kind not in _INLINE_KINDS:
                result.append(annotate(change))
            # Constraints, foreign keys included, are written inside the table's CREATE TABLE.
            continue
        per_table.setdefault(key, []).append(change)
    old_key_of = {new: old for old, new in new_key_of.items()}
    for key, group in per_table.items():
        live = current.tables.get(old_key_of.get(key, key))
        wanted = desired.tables.get(key)
        if live is not None and wanted is not None and any(needs_rebuild(c, live, current) for c in group):
            result.append(rebuild_change(key, group, live, wanted))
        else:
            result.extend(annotate(c) for c in group)
    return result


def needs_rebuild(change: Change, live: Table, current: Database) -> bool:
    if change.kind == INDEX:
        return False
    if change.kind != COLUMN:
        return True
    if change.action == Action.RENAME:
        return False
    if change.action == Action.CREATE:
        return not can_add_column(change.after)
    if change.action == Action.DROP:
        return not can_drop_column(change.before.name, live, current)
    return True


def can_add_column(column: Column) -> bool:
    """ALTER TABLE ADD COLUMN's rules; constraints on the column come as separate changes and force a rebuild."""
    default = column.default.expression if column.default else None
    if not column.nullable and (default is None or default.strip().upper() == "NULL"):
        return False
    return can_add_in_place_default(default)


def can_drop_column(name: str, live: Table, current: Database) -> bool:
    """DROP COLUMN refuses columns that keys, indexes or constraints use; rebuild those instead."""
    if not DROP_COLUMN_SUPPORTED:
        return False
    lowered = name.lower()
    used: set[str] = set(live.primary_key.columns if live.primary_key else [])
    for unique in live.uniques.values():
        used.update(unique.columns)
    for fk in live.foreign_keys.values():
        used.update(fk.columns)
    for check in live.checks.values():
        used.update(_columns_in(check.expression))
    for index in live.indexes.values():
        used.update(e.column for e in index.elements if e.column)
        for expression in [e.expression for e in index.elements if e.expression] + [index.where]:
            used.update(_columns_in(expression))
    for table in current.tables.values():
        for fk in table.foreign_keys.values():
            if fk.ref_table.lower() == live.name.lower():
                used.update(fk.ref_columns)
    return lowered not in {u.lower() for u in used}


def _columns_in(expression: str | None) -> set[str]:
    if not expression:
        return set()
    try:
        tree = parse_expression(expression)
    except ValueError:
        # Unparseable: assume every column may be used, which only costs a rebuild.
        return {"*"} | {expression}
    return {c.name for c in tree.find_all(exp.Column)}


def rebuild_change(key: str, group: list[Change], live: Table, wanted: Table) -> Change:
    sources = {c.after.name: c.before.name for c in group if c.kind == COLUMN and c.action == Action.RENAME}
    change = Change(
        action=Action.ALTER, kind=TABLE, address=f"table {key}", before=live, after=wanted,
        attributes=[a for c in group for a in _describe(c)],
        extra={"rebuild": True, "sources": sources, "changes": group},
        prevented=any(c.prevented for c in group))
    change.add_hazard(Hazard.TABLE_REWRITE,
                      f"table {key} is rebuilt: copied into a new table that replaces it")
    for sub in group:
        annotate(sub)
        for hazard in sub.hazards:
            change.add_hazard(hazard)
        for note in sub.notes:
            if note not in change.notes:
                change.notes.append(note)
    return change


def _describe(change: Change) -> list[AttributeChange]:
    """One line per difference, named by the folded change's address."""
    if change.attributes:
        return [AttributeChange(name=f"{change.address} {a.name}", old=a.old, new=a.new) for a in change.attributes]
    old = change.before.name if change.before is not None and hasattr(change.before, "name") else change.before
    new = change.after.name if change.after is not None and hasattr(change.after, "name") else change.after
    return [AttributeChange(name=f"{change.action.value} {change.address}", old=old, new=new)]


def annotate(change: Change) -> Change:
    for hazard, note in _hazards(change):
        change.add_hazard(hazard, note)
    return change


def _hazards(change: Change) -> list[tuple[Hazard, str]]:
    """The hazards of one change to an EXISTING table (the core clears them for objects of a new table).

    Constraints SQLite cannot ALTER in are added by the table rebuild, which copies every row into
    the new table and so checks each against them: a full scan that fails on violating rows.
    """
    if change.action == Action.DROP:
        return _drop_hazards(change)
    if change.kind == COLUMN:
        return _column_hazards(change)
    if change.action in (Action.CREATE, Action.REPLACE):
        return _added_hazards(change)
    return []


def _drop_hazards(change: Change) -> list[tuple[Hazard, str]]:
    name = change.before.name
    if change.kind == TABLE:
        return [(Hazard.DATA_LOSS, f"table {name} is dropped with its rows")]
    if change.kind == COLUMN:
        return [(Hazard.DATA_LOSS, f"column {name} is dropped with its data")]
    if change.kind == INDEX:
        return [(Hazard.INDEX_DROPPED, f"index {name} is dropped")]
    return []


def _column_hazards(change: Change) -> list[tuple[Hazard, str]]:
    if change.action == Action.CREATE and not can_add_column(change.after):
        if not change.after.nullable and change.after.default is None:
            return [(Hazard.FULL_SCAN_VALIDATION, f"the rebuild checks new NOT NULL column {change.after.name} "
                                                  "on every row"),
                    (Hazard.MAY_FAIL_ON_DATA,
                     f"new column {change.after.name} is NOT NULL without a default: fails if rows exist")]
    elif change.action == Action.ALTER and change.before.nullable and not change.after.nullable:
        return [(Hazard.FULL_SCAN_VALIDATION, f"the rebuild checks every row of {change.after.name} for NULLs"),
                (Hazard.MAY_FAIL_ON_DATA, f"column {change.after.name} becomes NOT NULL: fails if it holds NULLs")]
    return []


def _added_hazards(change: Change) -> list[tuple[Hazard, str]]:
    """A constraint or index added (or replaced) on a table that has rows."""
    address = change.address
    if change.kind == INDEX:
        # SQLite holds the database's write lock while it builds the index.
        found = [(Hazard.BLOCKS_WRITES, f"building {address} blocks writes to the database")]
        if change.after.unique:
            found.append((Hazard.MAY_FAIL_ON_DATA, f"{address} fails if existing rows hold duplicates"))
        return found
    violation = {
        UNIQUE: "fails if existing rows hold duplicates",
        PRIMARY_KEY: "fails if existing rows hold duplicates",
        CHECK: "fails if existing rows violate it",
        FOREIGN_KEY: "fails if existing rows have no parent",
    }.get(change.kind)
    if violation is None:
        return []
    found = [(Hazard.FULL_SCAN_VALIDATION, f"the rebuild checks every existing row against {address}"),
             (Hazard.MAY_FAIL_ON_DATA, f"{address} {violation}")]
    if change.kind in (UNIQUE, PRIMARY_KEY):
        # As on PostgreSQL: the key's index is built over every existing row.
        found.insert(0, (Hazard.BLOCKS_WRITES, f"building the index of {address} blocks writes to the database"))
    return found


def _phase(change: Change) -> int:
    kind, action = change.kind, change.action
    if kind == TABLE:
        return {Action.RENAME: 0, Action.DROP: 4, Action.CREATE: 5}.get(action, 6)
    if kind == COLUMN:
        return {Action.RENAME: 1, Action.DROP: 3}.get(action, 7)
    if kind == INDEX:
        return 2 if action == Action.DROP else 8
    return 9


def order(changes: list[Change]) -> list[Change]:
    """Renames first so later statements use new names; drops before creates so names are free.

    Foreign keys are not enforced during the apply (execute turns them off and checks
    them once before COMMIT), so tables need no dependency order among themselves.
    """
    return sorted(changes, key=_phase)
