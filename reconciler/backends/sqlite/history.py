"""Apply history in the `schemactl_history` table of the same file (skipped by inspection)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

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
    rolled_back TEXT NOT NULL DEFAULT '[]'
)"""

# Columns added after the first release: a history table created by an older version gets them on its next write.
_ADDED_COLUMNS = {"failed_statement": "TEXT", "rolled_back": "TEXT NOT NULL DEFAULT '[]'"}
_COLUMNS = ("applied_at", "spec_hash", "plan_hash", "tool_version", "outcome", "statements", "error",
            "failed_statement", "rolled_back")
# Stored as JSON text.
_LISTS = ("statements", "rolled_back")


def write_history(conn: sqlite3.Connection, entry: dict[str, Any]) -> None:
    """Append one row. `statements` are the ones that persisted; `rolled_back` the ones that ran and were undone."""
    conn.execute(_CREATE)
    present = _present_columns(conn)
    for name, definition in _ADDED_COLUMNS.items():
        if name not in present:
            conn.execute(f'ALTER TABLE "{HISTORY_TABLE}" ADD COLUMN {name} {definition}')
    values = {**{name: entry.get(name) for name in _COLUMNS},
              **{name: json.dumps(list(entry.get(name) or [])) for name in _LISTS}}
    conn.execute(
        f'INSERT INTO "{HISTORY_TABLE}" ({", ".join(_COLUMNS)}) VALUES ({", ".join("?" for _ in _COLUMNS)})',
        [values[name] for name in _COLUMNS],
    )


def _present_columns(conn: sqlite3.Connection) -> set[str]:
    return {row[1] for row in conn.execute(f'PRAGMA table_info("{HISTORY_TABLE}")')}


def read_history(conn: sqlite3.Connection, limit: int = 1) -> list[dict[str, Any]]:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (HISTORY_TABLE,)).fetchone()
    if not exists:
        return []
    # A table written by an older version may lack the newer columns: read those that exist.
    present = _present_columns(conn)
    names = [name for name in _COLUMNS if name in present]
    rows = conn.execute(
        f'SELECT {", ".join(names)} FROM "{HISTORY_TABLE}" ORDER BY id DESC LIMIT ?', (limit,)).fetchall()
    result = [{"failed_statement": None, "rolled_back": "[]", **dict(zip(names, row, strict=True))} for row in rows]
    for row in result:
        for name in _LISTS:
            row[name] = json.loads(row[name])
    return result
