"""A throwaway MariaDB server per test session (tests/support/mariadbserver.py), a fresh database per test.

No server binary is a failure, not a skip: the MySQL backend is tested against a real server or not at all
(`make deps` installs mariadb-server as root). The server on port 3306, if any, is never used.
"""

from __future__ import annotations

import uuid

import pymysql
import pytest

from tests.support.mariadbserver import HOST, MariadbServer


@pytest.fixture(scope="session")
def mysql_server():
    server = MariadbServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mysql_database(mysql_server) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    mysql_server.create_database(name)
    try:
        yield name
    finally:
        mysql_server.drop_database(name)


@pytest.fixture
def mysql_url(mysql_server, mysql_database) -> str:
    return mysql_server.url(mysql_database)


@pytest.fixture
def mysql_conn(mysql_server, mysql_database):
    """An autocommit root connection to the test's database, for making and checking things by hand."""
    conn = pymysql.connect(host=HOST, port=mysql_server.port, user="root", database=mysql_database, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def run_sql(conn, *statements: str) -> list[tuple]:
    rows: list[tuple] = []
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
            rows = list(cursor.fetchall())
    return rows
