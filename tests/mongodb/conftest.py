"""Fixtures for the MongoDB backend: a mongomock "server" behind the real connect path, and a real
wire-protocol server (`real_server`: MONGODB_URL when set, else a throwaway SecantusDB)."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mongomock
import pytest

from reconciler.backends.mongodb import BACKEND, connection
from reconciler.spec import load_model
from tests.mongodb.fake_server import FakeOps
from tests.support.secantus import SecantusServer

URL = "mongodb://app:s3cret@localhost:27017/chat_public"


#: Where SecantusDB 0.7.0b3 differs from MongoDB, as found by tests/mongodb/test_server.py; each entry is
#: listed in docs/mongodb.md ("What is verified, and how"). Tests that meet one leave out or mark
#: (xfail, strict) only that part and run the rest.
SECANTUS_DIFFERENCES = {
    "text_hashed_indexes": "SecantusDB 0.7.0b3 has no text or hashed indexes (createIndexes: code 67, "
                           "CannotCreateIndex); MongoDB has both",
    "collmod_hidden": "SecantusDB 0.7.0b3 answers collMod {index: {name, hidden}} with ok: 1 but neither hides "
                      "nor un-hides the index (no hidden_old/hidden_new); MongoDB 4.4+ changes it "
                      "(manual: Hidden Indexes, collMod)",
    "collmod_collection_ttl": "SecantusDB 0.7.0b3 answers collMod {expireAfterSeconds} on a clustered or "
                              "timeseries collection with ok: 1 but keeps the old value (or none) in "
                              "listCollections; MongoDB changes it (manual: collMod, Clustered Collections)",
}


@dataclass(frozen=True)
class RealServer:
    url: str
    name: str
    differences: dict[str, str] = field(default_factory=dict)

    def differs(self, key: str) -> str | None:
        """The documented difference `key` of this server from MongoDB, or None."""
        return self.differences.get(key)


@pytest.fixture(scope="session")
def real_server() -> Iterator[RealServer]:
    """MONGODB_URL when it is set (a real mongod; nothing is started), else a SecantusDB server started
    from .venv-secantus on a free loopback port and stopped (SIGTERM, then kill) at the end of the session."""
    url = os.environ.get("MONGODB_URL")
    if url:
        yield RealServer(url, "MongoDB (MONGODB_URL)")
        return
    with SecantusServer() as server:
        yield RealServer(server.url, "SecantusDB 0.7.0b3", SECANTUS_DIFFERENCES)


@pytest.fixture
def server(real_server: RealServer) -> Iterator[tuple[connection.MongoConnection, str]]:
    """A connection to `real_server` and a per-test database prefix (schemactl_it_<random>); the
    databases named with it are dropped afterwards, so tests can share the session server."""
    conn = BACKEND.connect(real_server.url)
    prefix = f"schemactl_it_{uuid.uuid4().hex[:8]}"
    try:
        yield conn, prefix
    finally:
        for name in conn.client.list_database_names():
            if name.startswith(prefix):
                conn.client.drop_database(name)
        BACKEND.close(conn)


def spec(write_spec: Any, prefix: str, body: str, name: str = "schema.yaml") -> str:
    """A spec whose history and lock live in <prefix>_main; PFX in `body` becomes the prefix."""
    return write_spec(f"version: 1\ndialect: mongodb\nhistory_database: {prefix}_main\ndatabases:\n"
                      + body.replace("PFX", prefix), name)


@pytest.fixture
def mongo_client() -> mongomock.MongoClient:
    return mongomock.MongoClient()


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch, mongo_client: mongomock.MongoClient) -> mongomock.MongoClient:
    """Every connect() in the test reaches the same in-process server."""
    monkeypatch.setattr(connection, "make_client", lambda url: mongo_client)
    monkeypatch.setattr(connection, "make_ops", FakeOps)
    return mongo_client


@pytest.fixture
def conn(fake_server: mongomock.MongoClient) -> connection.MongoConnection:
    return BACKEND.connect(URL)


@pytest.fixture
def write_spec(tmp_path: Path):
    def write(text: str, name: str = "schema.yaml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return str(path)

    return write


def plan_steps(conn: Any, desired: Any) -> list[tuple[Any, list[Any]]]:
    current = BACKEND.inspect(conn, desired)
    canonical = BACKEND.canonicalize(conn, desired, current)
    changes = BACKEND.order(BACKEND.diff(current, canonical))
    return [(change, BACKEND.render(change, None)) for change in changes]


def apply_spec(conn: Any, path: str, **options: Any) -> Any:
    _, desired = load_model(path)
    steps = plan_steps(conn, desired)
    return BACKEND.execute(conn, steps, lock_timeout=2, progress=options.pop("progress", None), **options)


def replan(conn: Any, path: str) -> list[Any]:
    _, desired = load_model(path)
    return [change for change, _ in plan_steps(conn, desired)]
