"""Apply history in `schemactl.schemactl_history`: outside every managed schema, so never planned."""

from __future__ import annotations

import json
from typing import Any

HISTORY_SCHEMA = "schemactl"
HISTORY_TABLE = "schemactl_history"

_CREATE = f"""
CREATE SCHEMA IF NOT EXISTS "{HISTORY_SCHEMA}";
CREATE TABLE IF NOT EXISTS "{HISTORY_SCHEMA}"."{HISTORY_TABLE}" (
    id bigserial PRIMARY KEY,
    applied_at timestamptz NOT NULL,
    spec_hash text NOT NULL,
    plan_hash text NOT NULL,
    tool_version text NOT NULL,
    outcome text NOT NULL,
    statements jsonb NOT NULL,
    error text,
    failed_statement text,
    rolled_back jsonb NOT NULL DEFAULT '[]'
)"""

# Columns added after the first release: a history table created by an older version gets them on its
# next write. Checked in the catalog first, because ALTER TABLE would lock the table on every apply.
_ADDED_COLUMNS = {"failed_statement": "text", "rolled_back": "jsonb NOT NULL DEFAULT '[]'"}
_COLUMNS = ("applied_at", "spec_hash", "plan_hash", "tool_version", "outcome", "statements", "error",
            "failed_statement", "rolled_back")


def write_history(conn: Any, entry: dict[str, Any]) -> None:
    """Append one row. `statements` are the ones that persisted; `rolled_back` the ones that ran and were undone."""
    with conn.cursor() as cur:
        for statement in _CREATE.split(";"):
            cur.execute(statement)
        _add_missing_columns(cur)
        cur.execute(
            f'INSERT INTO "{HISTORY_SCHEMA}"."{HISTORY_TABLE}" ({", ".join(_COLUMNS)}) '
            "VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s::jsonb)",
            (entry["applied_at"], entry["spec_hash"], entry["plan_hash"], entry["tool_version"], entry["outcome"],
             json.dumps(list(entry.get("statements") or [])), entry.get("error"), entry.get("failed_statement"),
             json.dumps(list(entry.get("rolled_back") or []))),
        )


def _present_columns(cur: Any) -> set[str]:
    cur.execute("SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                "AND NOT attisdropped", (f'"{HISTORY_SCHEMA}"."{HISTORY_TABLE}"',))
    return {row[0] for row in cur.fetchall()}


def _add_missing_columns(cur: Any) -> None:
    present = _present_columns(cur)
    for name, definition in _ADDED_COLUMNS.items():
        if name not in present:
            cur.execute(f'ALTER TABLE "{HISTORY_SCHEMA}"."{HISTORY_TABLE}" ADD COLUMN IF NOT EXISTS {name} {definition}')


def read_history(conn: Any, limit: int = 1) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", (f'"{HISTORY_SCHEMA}"."{HISTORY_TABLE}"',))
        if cur.fetchone()[0] is None:
            return []
        # A table written by an older version may lack the newer columns: read those that exist.
        present = _present_columns(cur)
        names = [n for n in _COLUMNS if n in present]
        cur.execute(
            f'SELECT {", ".join(names)} FROM "{HISTORY_SCHEMA}"."{HISTORY_TABLE}" ORDER BY id DESC LIMIT %s',
            (limit,))
        rows = [{"failed_statement": None, "rolled_back": [], **dict(zip(names, row, strict=True))}
                for row in cur.fetchall()]
    for row in rows:
        row["applied_at"] = row["applied_at"].isoformat(timespec="seconds")
    return rows
