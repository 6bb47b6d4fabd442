"""Fixtures for the MongoDB backend: a mongomock "server" behind the real connect path."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import mongomock
import pytest

from reconciler.backends.mongodb import BACKEND, connection
from reconciler.spec import load_model
from tests.mongodb.fake_server import FakeOps

URL = "mongodb://app:s3cret@localhost:27017/chat_public"


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
