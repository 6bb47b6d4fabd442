"""Generic shared fixtures. Add feature-specific fixtures in separate files/conftests."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.pgserver import DatabasePool, PgServer


@pytest.fixture(scope="session")
def pg_server():
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_databases(pg_server):
    pool = DatabasePool(pg_server)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def pg_url(pg_server, pg_databases):
    """A new empty database of its own for the test (made ahead of it, dropped after it)."""
    name = pg_databases.take()
    try:
        yield pg_server.url(name)
    finally:
        pg_databases.give_back(name)


@pytest.fixture
def pg_conn(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"
