"""Read the live state of the managed databases into the model.

One `listCollections` per database, then one `listIndexes` per collection,
all through a thread pool: with hundreds of tenant databases the round
trips, not the server, are what takes time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pymongo.errors import OperationFailure, PyMongoError

from reconciler.backends.mongodb.connection import MongoConnection, server_message
from reconciler.backends.mongodb.expand import managed_names
from reconciler.backends.mongodb.lock import held_lock
from reconciler.backends.mongodb.model import (
    LOCK_COLLECTION,
    RESERVED_DATABASES,
    MongoDatabase,
    MongoDeployment,
)
from reconciler.backends.mongodb.normalize import collection_from_server
from reconciler.errors import TargetError
from reconciler.redact import redact_text


def ignored_collection(name: str, conn: MongoConnection) -> bool:
    """System collections and schemactl's own bookkeeping are never part of the schema."""
    return (name.startswith("system.") or name in (conn.history_collection, conn.lock_collection,
                                                    "schemactl_history", LOCK_COLLECTION))


def inspect(conn: MongoConnection, desired: MongoDeployment | None) -> MongoDeployment:
    if desired is not None:
        conn.configure(desired.history_database, desired.history_collection)
    try:
        # An apply plans only once it holds the lock (now that the spec has said where the lock lives).
        held_lock(conn)
        return _inspect(conn, desired)
    except OperationFailure as exc:
        if exc.code in (13, 18):
            raise TargetError(f"not authorised to read {conn.url}: {server_message(exc)} "
                              "(the user needs listDatabases, listCollections and listIndexes)") from None
        raise TargetError(f"reading {conn.url} failed: {server_message(exc)}") from None
    except PyMongoError as exc:
        raise TargetError(f"reading {conn.url} failed: {redact_text(str(exc))}") from None


def _inspect(conn: MongoConnection, desired: MongoDeployment | None) -> MongoDeployment:
    ops = conn.ops
    discovered = sorted(ops.database_names())
    if desired is None:
        # `schemactl inspect` without a spec: every user database.
        managed = [n for n in discovered if n not in RESERVED_DATABASES]
    else:
        present = set(discovered)
        managed = [n for n in managed_names(desired, discovered) if n in present]
    model = MongoDeployment(discovered=discovered, server_version=ops.server_version(),
                            history_database=conn.history_database, history_collection=conn.history_collection)
    if not managed:
        return model
    workers = max(1, conn.inspect_workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="schemactl-inspect") as pool:
        listings = dict(zip(managed, pool.map(ops.list_collections, managed), strict=True))
        wanted: list[tuple[str, dict[str, Any]]] = [
            (db, entry) for db in managed for entry in listings[db]
            # Views have no indexes or options schemactl manages.
            if entry.get("type", "collection") != "view" and not ignored_collection(entry["name"], conn)
        ]
        indexes = list(pool.map(lambda item: ops.list_indexes(item[0], item[1]["name"]), wanted))
    for db in managed:
        model.databases[db] = MongoDatabase(name=db)
    for (db, entry), index_docs in zip(wanted, indexes, strict=True):
        coll = collection_from_server(entry, index_docs)
        model.databases[db].collections[coll.name] = coll
    for database in model.databases.values():
        database.collections = dict(sorted(database.collections.items()))
    return model
