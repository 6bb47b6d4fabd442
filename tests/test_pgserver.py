from __future__ import annotations

import psycopg
import pytest

from tests.support.pgserver import PASSWORD


def test_server_starts(pg_server):
    assert pg_server.port
    with psycopg.connect(pg_server.url("postgres")) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
    assert int(version) >= 120000


def test_fresh_database_has_no_user_tables(pg_conn):
    rows = pg_conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
    ).fetchall()
    assert rows == []


def test_pg_conn_uses_fresh_writable_database(pg_conn):
    pg_conn.execute("CREATE TABLE t (id int)")
    (dbname,) = pg_conn.execute("SELECT current_database()").fetchone()
    assert dbname.startswith("t_")


def test_wrong_password_rejected(pg_server, pg_url):
    bad = pg_url.replace(f":{PASSWORD}@", ":wrong-password@")
    assert bad != pg_url
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(bad, connect_timeout=5)


def test_url_without_password(pg_server):
    assert PASSWORD not in pg_server.url("x", password=False)
    assert pg_server.url("x") == f"postgresql://postgres:{PASSWORD}@127.0.0.1:{pg_server.port}/x"


def test_sqlite_url(sqlite_url):
    assert sqlite_url.startswith("sqlite:///") and sqlite_url.endswith("test.db")
