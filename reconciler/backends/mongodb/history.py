"""Apply records in `schemactl_history` (configurable) of the history database.

A record's number (`id`, what `history` shows and `rollback --to` takes) is its place in insertion order,
1 for the first: documents are never deleted, and ObjectIds grow with insertion.
"""

from __future__ import annotations

from typing import Any

from reconciler.backends import HISTORY_ADDED
from reconciler.backends.mongodb.connection import MongoConnection


def write_history(conn: MongoConnection, entry: dict[str, Any]) -> None:
    document = dict(entry)
    document.setdefault("target", conn.url)
    conn.ops.collection(conn.history_database, conn.history_collection).insert_one(document)


def read_history(conn: MongoConnection, limit: int = 1) -> list[dict[str, Any]]:
    """The newest records, newest first, each with its number (`id`) and whether it holds its spec."""
    collection = conn.ops.collection(conn.history_database, conn.history_collection)
    # ObjectIds grow with insertion time: newest first without trusting clocks in applied_at.
    # The specs stay on the server: only a rollback reads one (read_history_spec).
    docs = [dict(doc) for doc in collection.find({}, {"spec": 0}).sort("_id", -1).limit(limit)]
    if not docs:
        return []
    ids = [doc["_id"] for doc in docs]
    with_spec = {doc["_id"] for doc in collection.find({"_id": {"$in": ids}, "spec": {"$exists": True, "$ne": None}},
                                                       {"_id": 1})}
    # Counted up to the newest one read, so that a record written meanwhile does not shift the numbers.
    newest = collection.count_documents({"_id": {"$lte": ids[0]}})
    rows = []
    for number, doc in zip(range(newest, 0, -1), docs, strict=False):
        key = doc.pop("_id")
        rows.append({**HISTORY_ADDED, **doc, "id": number, "has_spec": key in with_spec})
    return rows


def read_history_spec(conn: MongoConnection, entry_id: int) -> str | None:
    """The spec record `entry_id` holds; None when it has none (or there is no such record)."""
    if entry_id < 1:
        return None
    collection = conn.ops.collection(conn.history_database, conn.history_collection)
    for doc in collection.find({}, {"spec": 1}).sort("_id", 1).skip(entry_id - 1).limit(1):
        return doc.get("spec")
    return None
