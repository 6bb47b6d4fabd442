"""Partial ownership on real SQLite files: `ignore:` patterns, the rebuild guard, `inspect --ignore`, the
bookkeeping-table hint and `-target`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."

USERS = {"users": {"columns": {"id": {"type": "integer", "primary_key": True}, "email": {"type": "text"}}}}


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "sqlite", **doc}, sort_keys=False))
    return path


def database(url: str) -> sqlite3.Connection:
    return sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)


def tables(url: str) -> set[str]:
    with database(url) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} - {"schemactl_history", "sqlite_sequence"}


def columns(url: str, table: str) -> list[str]:
    with database(url) as db:
        return [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]


def test_ignored_table_and_column_survive_apply_allow_destroy(sqlite_url, tmp_path) -> None:
    with database(sqlite_url) as db:
        db.execute("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)")
        db.execute("CREATE TABLE audit_log (id integer PRIMARY KEY)")
        db.execute("CREATE TABLE scratch (id integer)")
        db.execute("CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, legacy_name text)")
        db.execute("INSERT INTO users VALUES (1, 'a@x', 'kept')")
    spec = write(tmp_path / "s.yaml", {"ignore": {"tables": ["alembic_version", "/audit_.*/"],
                                                  "columns": ["users.legacy_*"]}, "tables": USERS})
    plan = replan(spec, sqlite_url)
    assert "- table scratch" in plan and "legacy" not in plan and "audit" not in plan and "alembic" not in plan
    apply_ok(spec, sqlite_url, "--allow-destroy")
    assert tables(sqlite_url) == {"alembic_version", "audit_log", "users"}
    assert columns(sqlite_url, "users") == ["id", "email", "legacy_name"]
    assert NO_CHANGES in replan(spec, sqlite_url)


def test_rebuild_of_a_table_with_an_ignored_column_is_refused(sqlite_url, tmp_path) -> None:
    with database(sqlite_url) as db:
        db.execute("CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, legacy_name text)")
    # email becomes nullable: SQLite rebuilds the table, which would lose the ignored column.
    users = {"users": {"columns": {"id": {"type": "integer", "primary_key": True},
                                   "email": {"type": "text", "nullable": True}}}}
    spec = write(tmp_path / "s.yaml", {"ignore": {"columns": ["legacy_name"]}, "tables": users})
    code, out = invoke("plan", str(spec), "--url", sqlite_url)
    assert code == 1
    assert "table users must be rebuilt, which would lose its ignored column legacy_name" in out
    assert columns(sqlite_url, "users") == ["id", "email", "legacy_name"]


def test_inspect_ignore_and_bookkeeping_hint(sqlite_url, tmp_path) -> None:
    with database(sqlite_url) as db:
        db.execute("CREATE TABLE schema_migrations (version text NOT NULL)")
        db.execute("CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL)")
    spec = write(tmp_path / "s.yaml", {"tables": USERS})
    plan = replan(spec, sqlite_url)
    assert "- table schema_migrations" in plan and 'add "schema_migrations" to ignore.tables' in plan
    out_file = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", sqlite_url, "--ignore", "tables:schema_*", "-o", str(out_file))
    assert code == 0, out
    doc = yaml.safe_load(out_file.read_text())
    assert set(doc["tables"]) == {"users"} and doc["ignore"] == {"tables": ["schema_*"]}
    assert NO_CHANGES in replan(out_file, sqlite_url)


def test_target_then_full_plan(sqlite_url, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": {
        **USERS,
        "posts": {"columns": {"id": {"type": "integer", "primary_key": True},
                              "user_id": {"type": "integer", "references": "users(id)"}},
                  "indexes": [{"name": "posts_user_idx", "columns": ["user_id"]}]},
        "tags": {"columns": {"id": {"type": "integer", "primary_key": True}}}}})
    code, out = invoke("plan", str(spec), "--url", sqlite_url, "-target", "table posts")
    assert code == 0, out
    assert "+ table posts" in out and "+ index posts.posts_user_idx" in out and "+ table users" in out
    assert "tags" not in out and "Partial plan: only -target 'table posts'" in out
    apply_ok(spec, sqlite_url, "--target", "posts")
    assert tables(sqlite_url) == {"users", "posts"}
    rest = replan(spec, sqlite_url)
    assert "+ table tags" in rest and "posts" not in rest
    code, out = invoke("plan", str(spec), "--url", sqlite_url, "-target", "table nope")
    assert code == 1 and "matches no" in out
    apply_ok(spec, sqlite_url)
    assert NO_CHANGES in replan(spec, sqlite_url)
