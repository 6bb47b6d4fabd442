"""Apply history in `schemactl.schemactl_history`: outside every managed schema, so never planned."""

from __future__ import annotations

import json
from typing import Any

from reconciler.backends import HISTORY_ADDED, HISTORY_FIELDS, HISTORY_LISTED

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
    rolled_back jsonb NOT NULL DEFAULT '[]',
    spec text,
    applied_by text,
    applied_from text,
    rollback_to bigint
)"""

# Columns added after the first release: a history table created by an older version gets them on its
# next write. Checked in the catalog first, because ALTER TABLE would lock the table on every apply.
# `spec` is the applied spec, compressed (reconciler.history.archive_spec), for `rollback`.
_ADDED_COLUMNS = {"failed_statement": "text", "rolled_back": "jsonb NOT NULL DEFAULT '[]'", "spec": "text",
                  "applied_by": "text", "applied_from": "text", "rollback_to": "bigint"}


def write_history(conn: Any, entry: dict[str, Any]) -> None:
    """Append one row. `statements` are the ones that persisted; `rolled_back` the ones that ran and were undone."""
    with conn.cursor() as cur:
        for statement in _CREATE.split(";"):
            cur.execute(statement)
        _add_missing_columns(cur)
        cur.execute(
            f'INSERT INTO "{HISTORY_SCHEMA}"."{HISTORY_TABLE}" ({", ".join(HISTORY_FIELDS)}) '
            "VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s::jsonb, %s, %s, %s, %s)",
            (entry["applied_at"], entry["spec_hash"], entry["plan_hash"], entry["tool_version"], entry["outcome"],
             json.dumps(list(entry.get("statements") or [])), entry.get("error"), entry.get("failed_statement"),
             json.dumps(list(entry.get("rolled_back") or [])), entry.get("spec"), entry.get("applied_by"),
             entry.get("applied_from"), entry.get("rollback_to")),
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


def _exists(cur: Any) -> bool:
    cur.execute("SELECT to_regclass(%s)", (f'"{HISTORY_SCHEMA}"."{HISTORY_TABLE}"',))
    return cur.fetchone()[0] is not None


def read_history(conn: Any, limit: int = 1) -> list[dict[str, Any]]:
    """The newest rows, newest first, each with its `id` and whether it holds its spec (`has_spec`)."""
    with conn.cursor() as cur:
        if not _exists(cur):
            return []
        # A table written by an older version may lack the newer columns: read those that exist.
        present = _present_columns(cur)
        names = ["id", *(n for n in HISTORY_LISTED if n in present)]
        has_spec = "spec IS NOT NULL" if "spec" in present else "false"
        cur.execute(
            f'SELECT {", ".join(names)}, {has_spec} FROM "{HISTORY_SCHEMA}"."{HISTORY_TABLE}" '
            "ORDER BY id DESC LIMIT %s", (limit,))
        rows = [{**HISTORY_ADDED, **dict(zip(names, row[:-1], strict=True)), "has_spec": row[-1]}
                for row in cur.fetchall()]
    for row in rows:
        row["applied_at"] = row["applied_at"].isoformat(timespec="seconds")
    return rows


def read_history_spec(conn: Any, entry_id: int) -> str | None:
    """The spec row `entry_id` recorded; None when it has none (or there is no such row)."""
    with conn.cursor() as cur:
        if not _exists(cur) or "spec" not in _present_columns(cur):
            return None
        cur.execute(f'SELECT spec FROM "{HISTORY_SCHEMA}"."{HISTORY_TABLE}" WHERE id = %s', (entry_id,))
        row = cur.fetchone()
    return None if row is None else row[0]
