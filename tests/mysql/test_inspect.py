"""A database made by hand reads back as a spec that plans empty; read-only sessions cannot write."""

from __future__ import annotations

import pymysql
import pytest
import yaml

from reconciler.backends.mysql import BACKEND
from tests.cli.helpers import invoke, replan

from .conftest import run_sql
from .helpers import EMPTY_PLAN

HAND_MADE = [
    """CREATE TABLE `Authors` (
         id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
         `select` VARCHAR(40) NOT NULL DEFAULT 'it''s \\\\ "q"',
         flag BOOL DEFAULT 1,
         score DOUBLE NULL DEFAULT 2.5,
         amount DECIMAL(8,3) NOT NULL DEFAULT 1.5,
         born DATE NULL,
         seen TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
         doc JSON NULL,
         small SMALLINT(6) NULL COMMENT 'a `tick` and a ''quote''',
         UNIQUE KEY authors_select (`select`),
         KEY authors_score_born (score DESC, born)
       ) ENGINE=InnoDB COMMENT='hand made'""",
    """CREATE TABLE books (
         id BIGINT NOT NULL,
         author_id INT UNSIGNED NOT NULL,
         isbn CHAR(13) NOT NULL,
         PRIMARY KEY (id, isbn),
         CONSTRAINT books_author FOREIGN KEY (author_id) REFERENCES `Authors` (id)
           ON DELETE CASCADE ON UPDATE RESTRICT
       )""",
    "CREATE UNIQUE INDEX books_isbn ON books (isbn, author_id)",
]


def test_inspect_of_a_hand_made_database_plans_empty(tmp_path, mysql_url, mysql_conn) -> None:
    run_sql(mysql_conn, *HAND_MADE)
    code, out = invoke("inspect", "--url", mysql_url)
    assert code == 0, out
    document = yaml.safe_load(out)
    assert document["dialect"] == "mysql"
    authors = document["tables"]["Authors"]
    assert authors["comment"] == "hand made"
    assert authors["columns"]["id"] == {"type": "int unsigned", "identity": "by_default", "primary_key": True}
    assert authors["columns"]["select"]["default"] == "it's \\ \"q\""
    assert authors["columns"]["flag"] == {"type": "boolean", "nullable": True, "default": True}
    assert authors["columns"]["doc"] == {"type": "json", "nullable": True}
    assert authors["columns"]["seen"]["default"] == {"sql": "current_timestamp(6)"}
    assert authors["columns"]["small"]["comment"] == "a `tick` and a 'quote'"
    books = document["tables"]["books"]
    # The index InnoDB made for the foreign key is written, like any index.
    assert {"name": "books_author", "columns": ["author_id"]} in books["indexes"]
    spec = tmp_path / "inspected.yaml"
    spec.write_text(out, encoding="utf-8")
    assert invoke("validate", str(spec))[0] == 0
    assert replan(spec, mysql_url) == EMPTY_PLAN


def test_a_read_only_session_cannot_write(mysql_url, mysql_conn) -> None:
    conn = BACKEND.connect(mysql_url, read_only=True)
    try:
        for statement in ("CREATE TABLE t (id INT)", "CREATE DATABASE other"):
            with pytest.raises(pymysql.MySQLError, match="READ ONLY"), conn.cursor() as cursor:
                cursor.execute(statement)
        BACKEND.inspect(conn, None)  # inspection itself works in the session
        with pytest.raises(pymysql.MySQLError, match="READ ONLY"), conn.cursor() as cursor:
            cursor.execute("CREATE TABLE t (id INT)")
    finally:
        BACKEND.close(conn)
    assert run_sql(mysql_conn, "SHOW TABLES") == []


def test_plan_and_inspect_leave_the_database_untouched(tmp_path, mysql_url, mysql_conn) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\ndialect: mysql\ntables:\n  t:\n    columns:\n      id: {type: int}\n")
    code, out = invoke("plan", str(spec), "--url", mysql_url)
    assert code == 0 and "+ table t" in out, out
    assert invoke("status", str(spec), "--url", mysql_url)[0] == 0
    assert run_sql(mysql_conn, "SHOW TABLES") == []  # not even the history table


def test_a_missing_database_is_a_clear_error_without_the_password(mysql_server) -> None:
    code, out = invoke("inspect", "--url", mysql_server.url("no_such_db").replace("root@", "root:s3cret@"))
    assert code == 1 and "Unknown database" in out and "s3cret" not in out, out
