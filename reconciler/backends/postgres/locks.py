"""How many entries of the server's shared lock table a plan's transaction holds, against how many there are.

Every object a transaction locks takes an entry until COMMIT: a created table takes one for itself, one for
its row type, two for its TOAST table and index (when a row can outgrow a page), two for each primary key or
unique constraint (the index and the constraint), one per sequence; a rewritten table takes its heap, TOAST
and indexes twice (old and new). Counted from what PostgreSQL 15 holds (see tests/postgres/test_locks.py),
and on the high side. The table has room for `max_locks_per_transaction` entries per server process and
prepared transaction, shared by every session; past that, a statement fails with "out of shared memory".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
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
    Change,
    Hazard,
)
from reconciler.model import Database, Table

from .kinds.domain import DOMAIN
from .kinds.enum import ENUM
from .kinds.extension import EXTENSION
from .kinds.schema import SCHEMA

# Bytes a value takes at most; a row that can outgrow TOAST_TUPLE_THRESHOLD gets a TOAST table.
_TOAST_THRESHOLD = 2032
_FIXED = {
    "boolean": 1, "bool": 1, '"char"': 1, "smallint": 2, "int2": 2, "integer": 4, "int": 4, "int4": 4,
    "bigint": 8, "int8": 8, "real": 4, "float4": 4, "double precision": 8, "float8": 8, "date": 4,
    "oid": 4, "money": 8, "uuid": 16, "interval": 16, "serial": 4, "bigserial": 8, "smallserial": 2,
    "inet": 19, "cidr": 19, "macaddr": 6, "macaddr8": 8,
}
_TIMES = re.compile(r"^(timestamp|time)(\(\d\))?( with(out)? time zone)?$|^(timestamptz|timetz)(\(\d\))?$")
_BOUNDED_TEXT = re.compile(r"^(character varying|varchar|character|char|bpchar)\((\d+)\)$")
_NUMERIC = re.compile(r"^(numeric|decimal)\((\d+)(,\s*\d+)?\)$")
# The transaction also takes: the apply's advisory lock, and the history row (table, key, sequence, TOAST).
_BASELINE = 8
# CREATE EXTENSION runs a script: a guess.
_EXTENSION = 20

SETTINGS = ("max_locks_per_transaction", "max_connections", "autovacuum_max_workers", "autovacuum_worker_slots",
            "max_worker_processes", "max_wal_senders", "max_prepared_transactions")


def _width(type_: str, enums: set[str]) -> int | None:
    """The most bytes a value of the type takes, or None when it is unbounded (text, arrays, json...)."""
    spelled = type_.strip().lower()
    if spelled.endswith("]"):
        return None
    if spelled in _FIXED:
        return _FIXED[spelled]
    if _TIMES.match(spelled):
        return 12
    if match := _BOUNDED_TEXT.match(spelled):
        return 4 * int(match.group(2)) + 4
    if match := _NUMERIC.match(spelled):
        return int(match.group(2)) // 2 + 10
    if type_.strip() in enums or type_.strip().replace('"', "") in enums:
        return 4
    return None


def _needs_toast(table: Table, enums: set[str]) -> bool:
    total = 24
    for column in table.columns.values():
        width = _width(column.type, enums)
        if width is None:
            return True
        total += width
    return total > _TOAST_THRESHOLD


def _sequences(table: Table) -> int:
    return sum(1 for c in table.columns.values() if c.identity or c.serial or c.type.lower().endswith("serial"))


def _indexes(table: Table) -> int:
    # An exclusion constraint has an index of its own, like a unique constraint.
    return len(table.indexes) + len(table.uniques) + len(table.exclusions) + (1 if table.primary_key else 0)


def _created(table: Table | None, enums: set[str]) -> int:
    if table is None:
        return 6
    keys = len(table.uniques) + len(table.exclusions) + (1 if table.primary_key else 0)
    return 2 + (2 if _needs_toast(table, enums) else 0) + 2 * keys + _sequences(table)


def _rewritten(table: Table | None) -> int:
    if table is None:
        return 16
    return 2 * (1 + 2 + _indexes(table)) + 2 + _sequences(table)


def _dropped(table: Table | None) -> int:
    if table is None:
        return 12
    constraints = (len(table.uniques) + len(table.foreign_keys) + len(table.checks) + len(table.exclusions)
                   + (1 if table.primary_key else 0))
    return 1 + 2 + 2 + _indexes(table) + constraints + _sequences(table)


def _table_key(change: Change, models: Iterable[Database]) -> str:
    """The owning table's key: `change.table`, or (in a saved plan) the longest table key the address starts with."""
    rest = change.address.split(" ", 1)[-1]
    if change.kind == TABLE:
        return rest
    if change.table:
        return change.table
    guess = rest.rsplit(".", 1)[0]
    keys = [key for model in models for key in model.tables if rest.startswith(key + ".")]
    return max(keys, key=len) if keys else guess


def estimate(changes: list[tuple[Change, bool]], current: Database, desired: Database) -> int:
    """Lock-table entries the main transaction holds for `changes` (change, runs in the main transaction)."""
    held: dict[str, int] = {}

    def claim(key: str, entries: int) -> None:
        held[key] = max(held.get(key, 0), entries)

    enums = set(desired.enums) | set(current.enums)
    models = (desired, current)
    in_transaction = [change for change, main in changes if main]
    for change in in_transaction:
        kind, action = change.kind, change.action
        if kind in (SCHEMA, ENUM, DOMAIN, EXTENSION):
            claim(change.address, _EXTENSION if kind == EXTENSION else 2)
            continue
        key = _table_key(change, models)
        table_key = f"table {key}"
        live, wanted = current.tables.get(key), desired.tables.get(key)
        claim(f"schema {key.split('.', 1)[0]}", 1)
        if kind == TABLE:
            if action == Action.CREATE:
                claim(table_key, _created(wanted, enums))
            elif action == Action.DROP:
                claim(table_key, _dropped(live))
            else:
                claim(table_key, 2)
        elif kind == COLUMN:
            # Adding an identity or serial column fills it in: a rewrite, with or without the hazard.
            rewrite = Hazard.TABLE_REWRITE in change.hazards or (
                action == Action.CREATE and bool(getattr(change.after, "identity", None)
                                                 or getattr(change.after, "serial", None)))
            claim(table_key, _rewritten(live) if rewrite else 2)
        else:  # index, primary key, unique, foreign key, check
            claim(table_key, 1)
            per_object = {INDEX: 1, PRIMARY_KEY: 2, UNIQUE: 2, FOREIGN_KEY: 1, CHECK: 1, EXCLUSION: 2}.get(kind, 1)
            claim(change.address, per_object * (2 if action == Action.REPLACE else 1))
            if kind == FOREIGN_KEY:  # the referenced table too (a saved plan has no `after`: look it up)
                name = change.address.split(" ", 1)[-1][len(key) + 1:]
                fk = change.after or (wanted.foreign_keys.get(name) if wanted is not None else None)
                if fk is not None and getattr(fk, "ref_table", None):
                    claim(f"table {fk.ref_schema or key.split('.', 1)[0]}.{fk.ref_table}", 1)
    if not held:
        return 0
    return sum(held.values()) + _BASELINE


@dataclass
class Capacity:
    per_process: int
    processes: int
    in_use: int

    @property
    def total(self) -> int:
        return self.per_process * self.processes


def read_capacity(conn: Any) -> Capacity:
    """The server's lock table (read-only: pg_settings and pg_locks)."""
    rows = dict(conn.execute("SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY(%s)",
                             (list(SETTINGS),)).fetchall())
    setting = {name: int(value) for name, value in rows.items()}
    autovacuum = setting.get("autovacuum_worker_slots", setting.get("autovacuum_max_workers", 3) + 1)
    processes = (setting.get("max_connections", 100) + autovacuum + setting.get("max_worker_processes", 8)
                 + setting.get("max_wal_senders", 0) + setting.get("max_prepared_transactions", 0))
    in_use = conn.execute("SELECT count(*) FROM pg_catalog.pg_locks WHERE NOT fastpath AND pid <> "
                          "pg_catalog.pg_backend_pid()").fetchone()[0]
    if not conn.autocommit:
        conn.rollback()
    return Capacity(setting.get("max_locks_per_transaction", 64), processes, in_use)


def warning(needed: int, capacity: Capacity) -> str | None:
    """What to say when the estimate does not fit in what the server guarantees."""
    free = capacity.total - capacity.in_use
    if needed <= free:
        return None
    enough = math.ceil((needed + capacity.in_use) * 1.1 / capacity.processes)
    in_use = f", {capacity.in_use:,} in use now" if capacity.in_use else ""
    return (f"the apply transaction would hold about {needed:,} locks, but the server's lock table is sized for "
            f"{capacity.total:,} (max_locks_per_transaction = {capacity.per_process} x {capacity.processes} "
            f"server processes and prepared transactions{in_use}): it may fail with \"out of shared memory\". "
            f"Raise max_locks_per_transaction to at least {enough} (a server restart is needed), or apply the "
            "spec in smaller steps (README, Safety: the lock estimate).")
