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
    error text
)"""


def write_history(conn: Any, entry: dict[str, Any]) -> None:
    with conn.cursor() as cur:
        for statement in _CREATE.split(";"):
            cur.execute(statement)
        cur.execute(
            f'INSERT INTO "{HISTORY_SCHEMA}"."{HISTORY_TABLE}" '
            "(applied_at, spec_hash, plan_hash, tool_version, outcome, statements, error) "
            "VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s)",
            (entry["applied_at"], entry["spec_hash"], entry["plan_hash"], entry["tool_version"], entry["outcome"],
             json.dumps(entry.get("statements", [])), entry.get("error")),
        )


def read_history(conn: Any, limit: int = 1) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", (f'"{HISTORY_SCHEMA}"."{HISTORY_TABLE}"',))
        if cur.fetchone()[0] is None:
            return []
        cur.execute(
            f'SELECT applied_at, spec_hash, plan_hash, tool_version, outcome, statements, error '
            f'FROM "{HISTORY_SCHEMA}"."{HISTORY_TABLE}" ORDER BY id DESC LIMIT %s', (limit,))
        names = ["applied_at", "spec_hash", "plan_hash", "tool_version", "outcome", "statements", "error"]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    for row in rows:
        row["applied_at"] = row["applied_at"].isoformat(timespec="seconds")
    return rows
