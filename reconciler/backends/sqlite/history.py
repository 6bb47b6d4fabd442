"""Apply history in the `schemactl_history` table of the same file (skipped by inspection)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from reconciler.backends import HISTORY_ADDED, HISTORY_FIELDS, HISTORY_LISTED

HISTORY_TABLE = "schemactl_history"

_CREATE = f"""CREATE TABLE IF NOT EXISTS "{HISTORY_TABLE}" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    applied_at TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    plan_hash TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    outcome TEXT NOT NULL,
    statements TEXT NOT NULL,
    error TEXT,
    failed_statement TEXT,
    rolled_back TEXT NOT NULL DEFAULT '[]',
    spec TEXT,
    applied_by TEXT,
    applied_from TEXT,
    rollback_to INTEGER
)"""

# Columns added after the first release: a history table created by an older version gets them on its next write.
# `spec` is the applied spec, compressed (reconciler.history.archive_spec), for `rollback`.
_ADDED_COLUMNS = {"failed_statement": "TEXT", "rolled_back": "TEXT NOT NULL DEFAULT '[]'", "spec": "TEXT",
                  "applied_by": "TEXT", "applied_from": "TEXT", "rollback_to": "INTEGER"}
_DEFAULTS: dict[str, Any] = {**HISTORY_ADDED, "rolled_back": "[]"}  # stored as JSON text, decoded as it is
# Stored as JSON text.
_LISTS = ("statements", "rolled_back")


def write_history(conn: sqlite3.Connection, entry: dict[str, Any]) -> None:
    """Append one row. `statements` are the ones that persisted; `rolled_back` the ones that ran and were undone."""
    conn.execute(_CREATE)
    present = _present_columns(conn)
    for name, definition in _ADDED_COLUMNS.items():
        if name not in present:
            conn.execute(f'ALTER TABLE "{HISTORY_TABLE}" ADD COLUMN {name} {definition}')
    values = {**{name: entry.get(name) for name in HISTORY_FIELDS},
              **{name: json.dumps(list(entry.get(name) or [])) for name in _LISTS}}
    conn.execute(
        f'INSERT INTO "{HISTORY_TABLE}" ({", ".join(HISTORY_FIELDS)}) VALUES ({", ".join("?" for _ in HISTORY_FIELDS)})',
        [values[name] for name in HISTORY_FIELDS],
    )


def _present_columns(conn: sqlite3.Connection) -> set[str]:
    return {row[1] for row in conn.execute(f'PRAGMA table_info("{HISTORY_TABLE}")')}


def _exists(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (HISTORY_TABLE,)).fetchone() is not None


def read_history(conn: sqlite3.Connection, limit: int = 1) -> list[dict[str, Any]]:
    """The newest rows, newest first, each with its `id` and whether it holds its spec (`has_spec`)."""
    if not _exists(conn):
        return []
    # A table written by an older version may lack the newer columns: read those that exist.
    present = _present_columns(conn)
    names = ["id", *(name for name in HISTORY_LISTED if name in present)]
    has_spec = "spec IS NOT NULL" if "spec" in present else "0"
    rows = conn.execute(
        f'SELECT {", ".join(names)}, {has_spec} FROM "{HISTORY_TABLE}" ORDER BY id DESC LIMIT ?', (limit,)).fetchall()
    result = [{**_DEFAULTS, **dict(zip(names, row[:-1], strict=True)), "has_spec": bool(row[-1])} for row in rows]
    for row in result:
        for name in _LISTS:
            row[name] = json.loads(row[name])
    return result


def read_history_spec(conn: sqlite3.Connection, entry_id: int) -> str | None:
    """The spec row `entry_id` recorded; None when it has none (or there is no such row)."""
    if not _exists(conn) or "spec" not in _present_columns(conn):
        return None
    row = conn.execute(f'SELECT spec FROM "{HISTORY_TABLE}" WHERE id = ?', (entry_id,)).fetchone()
    return None if row is None else row[0]
