"""Connecting to MongoDB, with errors that say what failed and never show the password."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from pymongo import MongoClient, uri_parser
from pymongo.errors import ConfigurationError, InvalidURI, OperationFailure, PyMongoError

from reconciler.backends.mongodb.model import LOCK_COLLECTION
from reconciler.backends.mongodb.ops import Ops, ReadOnlyOps, ServerOps
from reconciler.errors import TargetError
from reconciler.redact import password_of, redact_text, redact_url

#: Where history and the lock live when neither the URL nor the spec names a database.
DEFAULT_HISTORY_DATABASE = "schemactl"
# Small on purpose: an unreachable server should fail a plan in seconds, not after pymongo's 30 s.
DEFAULT_TIMEOUT_MS = 5000
_AUTH_CODES = {18, 13}


@dataclass
class MongoConnection:
    client: Any
    ops: Ops
    url: str  # redacted
    default_database: str | None
    history_database: str
    history_collection: str = "schemactl_history"
    lock_collection: str = LOCK_COLLECTION
    # Concurrent listIndexes calls while inspecting.
    inspect_workers: int = 16
    extra: dict[str, Any] = field(default_factory=dict)

    def configure(self, history_database: str | None, history_collection: str | None) -> None:
        """Take the spec's history settings (inspect calls this with the desired model's)."""
        if history_database:
            self.history_database = history_database
        if history_collection:
            self.history_collection = history_collection


def make_client(url: str) -> Any:
    """The pymongo client for `url` (tests replace this and `make_ops` with a test double)."""
    timeout = int(os.environ.get("SCHEMACTL_MONGO_TIMEOUT_MS", DEFAULT_TIMEOUT_MS))
    return MongoClient(url, serverSelectionTimeoutMS=timeout, connectTimeoutMS=timeout, appname="schemactl")


def make_ops(client: Any) -> Ops:
    """The server calls the backend makes, on the client `make_client` returned."""
    return ServerOps(client)


def server_message(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """A server error as a person needs it: pymongo's str() appends the whole answer document."""
    details = getattr(exc, "details", None) or {}
    if isinstance(exc, OperationFailure) and details.get("errmsg"):
        return redact_text(f"{details['errmsg']} (code {exc.code})", secrets)
    return redact_text(str(exc), secrets)


def _url_database(url: str) -> str | None:
    try:
        return uri_parser.parse_uri(url, validate=False, warn=True).get("database")
    except (InvalidURI, ConfigurationError, ValueError):
        return None


def connect(url: str, *, read_only: bool = False) -> MongoConnection:
    shown = redact_url(url)
    secrets = tuple(s for s in (password_of(url),) if s)

    def clean(exc: BaseException) -> str:
        if isinstance(exc, OperationFailure):
            return server_message(exc, secrets)
        # pymongo appends a topology description; its first sentence is the useful part.
        text = str(exc).split(", Timeout:")[0].split(", Topology Description:")[0]
        return redact_text(text, secrets)

    try:
        client = make_client(url)
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        raise TargetError(f"invalid MongoDB URL {shown}: {clean(exc)}") from None
    try:
        client.admin.command("ping")
    except OperationFailure as exc:
        if exc.code in _AUTH_CODES or "auth" in str(exc).lower():
            raise TargetError(f"authentication failed for {shown}: {clean(exc)}") from None
        raise TargetError(f"cannot use MongoDB at {shown}: {clean(exc)}") from None
    except PyMongoError as exc:
        raise TargetError(f"cannot reach MongoDB at {shown}: {clean(exc)}") from None
    database = _url_database(url)
    ops = make_ops(client)
    return MongoConnection(client=client, ops=ReadOnlyOps(ops) if read_only else ops, url=shown, default_database=database,
                           history_database=database or DEFAULT_HISTORY_DATABASE)


def close(conn: MongoConnection) -> None:
    try:
        conn.client.close()
    except Exception:  # noqa: BLE001 - closing must never hide the real outcome
        pass
