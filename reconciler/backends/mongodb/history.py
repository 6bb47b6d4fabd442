"""Apply records in `schemactl_history` (configurable) of the history database."""

from __future__ import annotations

from typing import Any

from reconciler.backends.mongodb.connection import MongoConnection


def write_history(conn: MongoConnection, entry: dict[str, Any]) -> None:
    document = dict(entry)
    document.setdefault("target", conn.url)
    conn.ops.collection(conn.history_database, conn.history_collection).insert_one(document)


def read_history(conn: MongoConnection, limit: int = 1) -> list[dict[str, Any]]:
    collection = conn.ops.collection(conn.history_database, conn.history_collection)
    # ObjectIds grow with insertion time: newest first without trusting clocks in applied_at.
    cursor = collection.find({}, {"_id": 0}).sort("_id", -1).limit(limit)
    return [dict(doc) for doc in cursor]
