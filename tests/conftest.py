"""Generic shared fixtures. Add feature-specific fixtures in separate files/conftests."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.support.pgserver import PgServer


@pytest.fixture(scope="session")
def pg_server():
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server):
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = pg_server.create_database(name)
    try:
        yield url
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def pg_conn(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"
