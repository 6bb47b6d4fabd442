"""Views and materialized views end to end on a real PostgreSQL: create, change in place, drop, equivalent
spellings, rebuilds around column type changes, WITH NO DATA and indexes, unmanaged readers, inspect."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."

USERS = {"users": {"columns": {
    "id": {"type": "bigint", "identity": "always", "primary_key": True},
    "email": {"type": "varchar(100)"},
    "active": {"type": "boolean", "nullable": False, "default": True}}}}


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


def viewdef(conn, name: str) -> str:
    return conn.execute("SELECT pg_get_viewdef(%s::regclass, true)", (name,)).fetchone()[0]


def test_create_replace_in_place_and_drop(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": USERS, "views": {
        "active_users": {"query": "SELECT id, email FROM users WHERE active", "security_barrier": True,
                         "check_option": "cascaded", "comment": "who can log in"}}})
    plan = replan(spec, pg_url)
    assert "+ view public.active_users" in plan
    assert plan.index('CREATE TABLE "public"."users"') < plan.index('CREATE VIEW "public"."active_users"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    row = pg_conn.execute("SELECT reloptions, obj_description('public.active_users'::regclass, 'pg_class') "
                          "FROM pg_class WHERE oid = 'public.active_users'::regclass").fetchone()
    assert sorted(row[0]) == ["check_option=cascaded", "security_barrier=true"] and row[1] == "who can log in"
