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
    error TEXT
)"""

_COLUMNS = ("applied_at", "spec_hash", "plan_hash", "tool_version", "outcome", "statements", "error")


def write_history(conn: sqlite3.Connection, entry: dict[str, Any]) -> None:
    conn.execute(_CREATE)
    conn.execute(
        f'INSERT INTO "{HISTORY_TABLE}" ({", ".join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)',
        (entry["applied_at"], entry["spec_hash"], entry["plan_hash"], entry["tool_version"], entry["outcome"],
         json.dumps(entry.get("statements", [])), entry.get("error")),
    )


def read_history(conn: sqlite3.Connection, limit: int = 1) -> list[dict[str, Any]]:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (HISTORY_TABLE,)).fetchone()
    if not exists:
        return []
    rows = conn.execute(
        f'SELECT {", ".join(_COLUMNS)} FROM "{HISTORY_TABLE}" ORDER BY id DESC LIMIT ?', (limit,)).fetchall()
    result = [dict(zip(_COLUMNS, row, strict=True)) for row in rows]
    for row in result:
        row["statements"] = json.loads(row["statements"])
    return result
