"""`--format sql` is runnable as it is and does what `apply` does.

PostgreSQL: the artifact runs with the real `psql -v ON_ERROR_STOP=1 -f` against one copy of a database,
`apply` runs against another, and the two schemas must come out the same. SQLite: the script runs through
sqlite3's own script runner against one copy of a file, `apply` against the other.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.cli.helpers import invoke
from tests.support.pgserver import find_pg_bindir

BASE = """\
version: 1
dialect: postgres
enums:
  status: [draft, published]
tables:
  authors:
    columns:
      id: {type: integer, primary_key: true}
      name: {type: text}
  posts:
    columns:
      id: {type: integer, primary_key: true}
      author_id: {type: integer}
      status: {type: status, default: draft}
      body: {type: text}
"""

# A new enum value used by a default in the same plan (committed first), a check whose literal holds a
# backslash (written for standard_conforming_strings = on), a foreign key and an index on existing rows.
CHANGED = BASE.replace("[draft, published]", "[draft, published, archived]").replace(
    "      author_id: {type: integer}\n", "      author_id: {type: integer, references: authors(id)}\n") + """\
      state: {type: status, default: archived}
      note: {type: text, nullable: true, comment: 'a \\\\ b'}
    indexes:
      - {columns: [body]}
    checks:
      body_not_backslash: "body <> 'a\\\\b'"
"""

HAZARDS = "full_scan_validation,may_fail_on_data,blocks_writes,access_exclusive_lock,table_rewrite"


def psql() -> str:
    return os.path.join(find_pg_bindir(), "psql")


@pytest.fixture
def twin_url(pg_server) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = pg_server.create_database(name)
    try:
        yield url
    finally:
        pg_server.drop_database(name)


def _prepare(url: str, spec: Path) -> None:
    spec.write_text(BASE)
    code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")
    assert code == 0, out
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO authors VALUES (1, 'ann')")
        conn.execute("INSERT INTO posts (id, author_id, body) VALUES (10, 1, 'hello'), (11, 1, 'world')")


def _run_psql(url: str, script: Path, *, standard_conforming_strings: str) -> subprocess.CompletedProcess[str]:
    # The server default is on; a role or database set to off must not change what the script does.
    env = {**os.environ, "PGOPTIONS": f"-c standard_conforming_strings={standard_conforming_strings}"}
    return subprocess.run([psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), url],
                          capture_output=True, text=True, env=env, timeout=120)


def _inspected(url: str, tmp_path: Path) -> str:
    out = tmp_path / f"inspect-{uuid.uuid4().hex}.yaml"
    code, text = invoke("inspect", "--url", url, "-o", str(out))
    assert code == 0, text
    return out.read_text()


def _dumped(url: str) -> str:
    dump = subprocess.run([os.path.join(find_pg_bindir(), "pg_dump"), "--schema-only", "--no-owner", "-n", "public",
                           url], capture_output=True, text=True, timeout=120, check=True).stdout
    # pg_dump 17 writes a random \restrict key per run.
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


@pytest.mark.parametrize("online", [False, True], ids=["transactional", "online"])
def test_the_sql_artifact_run_by_psql_does_what_apply_does(tmp_path, pg_url, twin_url, online):
    by_psql, by_apply = tmp_path / "a.yaml", tmp_path / "b.yaml"
    _prepare(pg_url, by_psql)
    _prepare(twin_url, by_apply)
    by_psql.write_text(CHANGED)
    by_apply.write_text(CHANGED)
    flags = ["--online", "--statement-lock-timeout", "3s", "--statement-timeout", "1min"] if online else []

    code, sql = invoke("plan", str(by_psql), "--url", pg_url, "--format", "sql", *flags)
    assert code == 0, sql
    script = tmp_path / "plan.sql"
    script.write_text(sql)
    ran = _run_psql(pg_url, script, standard_conforming_strings="off")
    assert ran.returncode == 0, ran.stderr + sql
    code, out = invoke("apply", str(by_apply), "--url", twin_url, "--auto-approve", "--quiet",
                       "--allow-hazards", HAZARDS, *flags)
    assert code == 0, out

    assert invoke("plan", str(by_psql), "--url", pg_url)[1].strip() == "No changes. The database matches the spec."
    assert _inspected(pg_url, tmp_path) == _inspected(twin_url, tmp_path)
    assert _dumped(pg_url) == _dumped(twin_url)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM posts WHERE state = 'archived'").fetchone() == (2,)

    lines = sql.splitlines()
    first = next(line for line in lines if not line.startswith("--") and line.strip())
    assert first == "SET standard_conforming_strings = on;"
    add_value = next(i for i, line in enumerate(lines) if "ADD VALUE" in line)
    begins = [i for i, line in enumerate(lines) if line == "BEGIN;"]
    commits = [i for i, line in enumerate(lines) if line == "COMMIT;"]
    # The new value in a transaction of its own, committed before the main transaction.
    assert begins[0] < add_value < commits[0] < begins[1]
    if online:
        concurrently = next(i for i, line in enumerate(lines) if "CREATE INDEX CONCURRENTLY" in line)
        assert concurrently > commits[-1]
        # Each statement with its own settings, as apply sets them: LOCAL inside a transaction, reset outside.
        assert "SET LOCAL lock_timeout = '3s';" in lines and "SET LOCAL statement_timeout = '1min';" in lines
        assert lines[concurrently - 2:concurrently + 3] == [
            "SET lock_timeout = '3s';", "SET statement_timeout = '1min';", lines[concurrently],
            "RESET lock_timeout;", "RESET statement_timeout;"]
    else:
        assert "lock_timeout" not in sql


def test_a_failing_statement_stops_psql_and_rolls_the_transaction_back(tmp_path, pg_url):
    spec = tmp_path / "s.yaml"
    _prepare(pg_url, spec)
    # A new NOT NULL column without a default fails on the rows; the new table before it must not stay.
    spec.write_text(BASE.replace("      body: {type: text}\n", "      body: {type: text}\n      required: {type: text}\n")
                    + "  extra:\n    columns:\n      id: {type: integer, primary_key: true}\n")
    code, sql = invoke("plan", str(spec), "--url", pg_url, "--format", "sql")
    assert code == 0, sql
    script = tmp_path / "plan.sql"
    script.write_text(sql)
    ran = _run_psql(pg_url, script, standard_conforming_strings="on")
    assert ran.returncode != 0 and "required" in ran.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('public.extra')").fetchone() == (None,)


SQLITE_BASE = """\
version: 1
dialect: sqlite
tables:
  items:
    columns:
      id: {type: integer, primary_key: true}
      name: {type: text}
      price: {type: integer}
"""
SQLITE_CHANGED = SQLITE_BASE.replace("price: {type: integer}", "price: {type: real}") + """\
    indexes:
      - {columns: [name]}
  tags:
    columns:
      id: {type: integer, primary_key: true}
      item_id: {type: integer, references: items(id)}
"""


def _sqlite_schema(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'schemactl%' "
                            "ORDER BY name").fetchall()


def test_the_sqlite_script_does_what_apply_does(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(SQLITE_BASE)
    first = tmp_path / "a.db"
    code, out = invoke("apply", str(spec), "--url", f"sqlite:///{first}", "--auto-approve", "--quiet")
    assert code == 0, out
    with sqlite3.connect(first) as conn:
        conn.execute("INSERT INTO items VALUES (1, 'pen', 3)")
    second = tmp_path / "b.db"
    shutil.copy(first, second)
    spec.write_text(SQLITE_CHANGED)
    code, script = invoke("plan", str(spec), "--url", f"sqlite:///{first}", "--format", "sql")
    assert code == 0, script
    statements = [line for line in script.splitlines() if line and not line.startswith("--")]
    assert statements[:2] == ["PRAGMA foreign_keys = OFF;", "BEGIN IMMEDIATE;"]
    assert statements[-2:] == ["COMMIT;", "PRAGMA foreign_keys = ON;"]
    conn = sqlite3.connect(first, isolation_level=None)
    try:
        conn.executescript(script)
    finally:
        conn.close()
    code, out = invoke("apply", str(spec), "--url", f"sqlite:///{second}", "--auto-approve", "--quiet",
                       "--allow-hazards", "table_rewrite,blocks_writes")
    assert code == 0, out
    assert _sqlite_schema(first) == _sqlite_schema(second)
    assert invoke("plan", str(spec), "--url", f"sqlite:///{first}")[1].strip() == \
        "No changes. The database matches the spec."
    with sqlite3.connect(first) as conn:
        assert conn.execute("SELECT id, name, price FROM items").fetchall() == [(1, "pen", 3.0)]
