"""The few server calls the backend makes, behind one small interface.

`ServerOps` is pymongo against a server (`connection.make_ops` builds it);
`ReadOnlyOps` wraps the ops of a read-only connection. History and the lock
use plain collection CRUD through `Ops.collection`.
"""

from __future__ import annotations

from typing import Any, Protocol


class Ops(Protocol):
    def database_names(self) -> list[str]: ...

    def list_collections(self, database: str) -> list[dict[str, Any]]: ...

    def list_indexes(self, database: str, collection: str) -> list[dict[str, Any]]: ...

    def run(self, database: str, command: dict[str, Any]) -> dict[str, Any]:
        """Run one command document (first key is the command name) in `database`."""

    def collection(self, database: str, name: str) -> Any:
        """A pymongo-compatible collection for CRUD (history, lock)."""

    def server_version(self) -> str | None: ...


class ServerOps:
    def __init__(self, client: Any) -> None:
        self.client = client

    def database_names(self) -> list[str]:
        return list(self.client.list_database_names())

    def list_collections(self, database: str) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self.client[database].list_collections()]

    def list_indexes(self, database: str, collection: str) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self.client[database][collection].list_indexes()]

    def run(self, database: str, command: dict[str, Any]) -> dict[str, Any]:
        # A dict keeps insertion order, so the command name stays the first key as the server requires.
        return dict(self.client[database].command(command))

    def collection(self, database: str, name: str) -> Any:
        return self.client[database][name]

    def server_version(self) -> str | None:
        try:
            return str(self.client.server_info().get("version"))
        except Exception:  # noqa: BLE001 - a version is only decoration in the plan
            return None


# The commands and collection methods a read-only connection (plan, status, inspect) may use.
READ_COMMANDS = frozenset({"listCollections", "listIndexes", "listDatabases", "collStats", "count", "dbStats",
                           "buildInfo", "ping", "serverStatus"})
_READ_METHODS = frozenset({"find", "find_one", "count_documents", "estimated_document_count", "distinct",
                           "list_indexes", "index_information", "options", "name", "full_name"})


class ReadOnlyOps:
    """The `Ops` of a read-only connection: every write is refused before it reaches the server."""

    def __init__(self, ops: Ops) -> None:
        self.ops = ops

    def database_names(self) -> list[str]:
        return self.ops.database_names()

    def list_collections(self, database: str) -> list[dict[str, Any]]:
        return self.ops.list_collections(database)

    def list_indexes(self, database: str, collection: str) -> list[dict[str, Any]]:
        return self.ops.list_indexes(database, collection)

    def run(self, database: str, command: dict[str, Any]) -> dict[str, Any]:
        name = next(iter(command), "")
        if name not in READ_COMMANDS:
            raise PermissionError(f"read-only connection: refusing to run {name!r}")
        return self.ops.run(database, command)

    def collection(self, database: str, name: str) -> Any:
        return _ReadOnlyCollection(self.ops.collection(database, name))

    def server_version(self) -> str | None:
        return self.ops.server_version()


class _ReadOnlyCollection:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        if name not in _READ_METHODS:
            raise PermissionError(f"read-only connection: refusing {name!r}")
        return getattr(self._collection, name)
