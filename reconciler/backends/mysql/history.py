"""Apply history in the `schemactl_history` table of the URL's database (skipped by inspection)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.backends import HISTORY_FIELDS, HISTORY_LISTED

from .types import quote_ident

HISTORY_TABLE = "schemactl_history"

_CREATE = f"""CREATE TABLE IF NOT EXISTS {quote_ident(HISTORY_TABLE)} (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    applied_at VARCHAR(64) NOT NULL,
    spec_hash VARCHAR(128) NOT NULL,
    plan_hash VARCHAR(128) NOT NULL,
    tool_version VARCHAR(64) NOT NULL,
    outcome VARCHAR(32) NOT NULL,
    statements LONGTEXT NOT NULL,
    error LONGTEXT,
    failed_statement LONGTEXT,
    rolled_back LONGTEXT NOT NULL,
    spec LONGTEXT,
    applied_by VARCHAR(255),
    applied_from VARCHAR(255),
    rollback_to BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""

# Stored as JSON text.
_LISTS = ("statements", "rolled_back")


def write_history(conn: Any, entry: dict[str, Any]) -> None:
    """Append one row (its own statement: the session autocommits, as MySQL's DDL does anyway)."""
    values = {**{name: entry.get(name) for name in HISTORY_FIELDS},
              **{name: json.dumps(list(entry.get(name) or [])) for name in _LISTS}}
    with conn.cursor() as cursor:
        cursor.execute(_CREATE)
        # Values go as driver parameters, never into the text.
        cursor.execute(f"INSERT INTO {quote_ident(HISTORY_TABLE)} ({', '.join(HISTORY_FIELDS)}) "
                       f"VALUES ({', '.join('%s' for _ in HISTORY_FIELDS)})", [values[name] for name in HISTORY_FIELDS])


def _exists(cursor: Any) -> bool:
    cursor.execute("SELECT COUNT(*) FROM information_schema.TABLES "
                   "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (HISTORY_TABLE,))
    return bool(cursor.fetchone()[0])


def read_history(conn: Any, limit: int = 1) -> list[dict[str, Any]]:
    """The newest rows, newest first, each with its `id` and whether it holds its spec (`has_spec`)."""
    names = ("id", *HISTORY_LISTED)
    with conn.cursor() as cursor:
        if not _exists(cursor):
            return []
        cursor.execute(f"SELECT {', '.join(names)}, spec IS NOT NULL FROM {quote_ident(HISTORY_TABLE)} "
                       "ORDER BY id DESC LIMIT %s", (int(limit),))
        rows = [{**dict(zip(names, row[:-1], strict=True)), "has_spec": bool(row[-1])} for row in cursor.fetchall()]
    for row in rows:
        for name in _LISTS:
            row[name] = json.loads(row[name])
    return rows


def read_history_spec(conn: Any, entry_id: int) -> str | None:
    """The spec row `entry_id` recorded; None when it has none (or there is no such row)."""
    with conn.cursor() as cursor:
        if not _exists(cursor):
            return None
        cursor.execute(f"SELECT spec FROM {quote_ident(HISTORY_TABLE)} WHERE id = %s", (int(entry_id),))
        row = cursor.fetchone()
    return None if row is None else row[0]
