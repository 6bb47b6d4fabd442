"""SQLite: history rows that tell the truth about failed and interrupted applies, and the hazards of
changes to existing tables (refused by `apply` exactly as on PostgreSQL)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import execute_plan
from reconciler.backends import RenderOptions
from reconciler.backends.sqlite import BACKEND
from reconciler.errors import ApplyError
from reconciler.plan import Plan
from reconciler.spec import load_model
from reconciler.workflow import open_target, plan_for_target
from tests.cli.helpers import invoke

BASE = """\
version: 1
dialect: sqlite
tables:
  users:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: text}
      age: {type: integer, nullable: true}
  posts:
    columns:
      id: {type: integer, primary_key: true}
      user_id: {type: integer}
      title: {type: text}
"""


def with_columns(text: str, table: str, lines: str) -> str:
    """BASE with `lines` appended to the columns of `table` (users' last column is age, posts' is title)."""
    last = {"users": "      age: {type: integer, nullable: true}\n", "posts": "      title: {type: text}\n"}[table]
    return text.replace(last, last + lines)


def with_table_keys(text: str, table: str, block: str) -> str:
    """`block` (indexes:, checks: ...) added to `table`."""
    last = {"users": "      age: {type: integer, nullable: true}\n", "posts": "      title: {type: text}\n"}[table]
    return text.replace(last, last + block)


class Interrupt:
    """A progress callback that raises KeyboardInterrupt (Ctrl-C) before statement number `step`."""

    def __init__(self, step: int) -> None:
        self.step = step

    def __call__(self, step: int, total: int, sql: str) -> None:
        if step == self.step:
            raise KeyboardInterrupt


def planned(url: str, spec: Path) -> Plan:
    loaded, desired = load_model(str(spec))
    with open_target(url, loaded.dialect, read_only=True) as target:
        return plan_for_target(target, loaded, desired, RenderOptions()).plan


def apply_spec(url: str, spec: Path, text: str,
               progress: Callable[[int, int, str], None] | None = None) -> Plan:
    spec.write_text(text)
    loaded, desired = load_model(str(spec))
    with open_target(url, loaded.dialect, read_only=False) as target:
        plan = plan_for_target(target, loaded, desired, RenderOptions()).plan
        execute_plan(target.backend, target.conn, plan, lock_timeout=5, progress=progress)
    return plan


def statements(plan: Plan) -> list[str]:
    return [s.sql for p in plan.changes for s in p.statements]


def history(url: str) -> list[dict[str, Any]]:
    """Every row, oldest first."""
    conn = BACKEND.connect(url)
    try:
        return list(reversed(BACKEND.read_history(conn, 100)))
    finally:
        BACKEND.close(conn)


def schema_digest(url: str) -> str:
    """The schema and the rows of every managed table (the history table left out)."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'schemactl%' "
                              "ORDER BY name").fetchall()
        rows = [conn.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
                for kind, name, _ in schema if kind == "table" and not name.startswith("sqlite_")]
    return hashlib.sha256(repr((schema, rows)).encode()).hexdigest()


@pytest.fixture
def spec(tmp_path: Path, sqlite_url: str) -> Path:
    path = tmp_path / "schema.yaml"
    apply_spec(sqlite_url, path, BASE)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute("INSERT INTO users VALUES (1, 'a@x', NULL), (2, 'a@x', 30)")
        conn.execute("INSERT INTO posts VALUES (10, 1, 'hi'), (11, 99, 'orphan')")
    return path


# -- history -----------------------------------------------------------------------------------------------


def test_a_successful_apply_records_every_statement(spec, sqlite_url):
    [row] = history(sqlite_url)
    assert row["outcome"] == "applied" and row["error"] is None
    assert row["failed_statement"] is None and row["rolled_back"] == []
    assert any(s.startswith('CREATE TABLE "users"') for s in row["statements"])


def test_a_failed_apply_records_that_nothing_persisted_and_what_was_attempted(spec, sqlite_url):
    before = schema_digest(sqlite_url)
    # A new table (runs first), then a rebuild of users whose copy violates the new check.
    text = with_table_keys(BASE, "users", "    checks:\n      older: age > 30\n") + \
        "  tags:\n    columns:\n      id: {type: integer, primary_key: true}\n"
    with pytest.raises(ApplyError, match="CHECK constraint failed"):
        apply_spec(sqlite_url, spec, text)
    assert schema_digest(sqlite_url) == before
    row = history(sqlite_url)[-1]
    assert row["outcome"] == "failed"
    assert row["statements"] == []  # nothing persisted
    failing = row["failed_statement"]
    assert failing and failing.startswith('INSERT INTO "') and '"users"' in failing
    order = statements(planned(sqlite_url, spec))
    assert row["rolled_back"] == order[:order.index(failing)]
    assert any('CREATE TABLE "tags"' in s for s in row["rolled_back"])
    assert "CHECK constraint failed" in row["error"] and "rolled back" in row["error"]
    # The next plan is the same, and completes once the data allows.
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE users SET age = 40")
    apply_spec(sqlite_url, spec, text, progress=None)
    assert planned(sqlite_url, spec).empty
    assert history(sqlite_url)[-1]["outcome"] == "applied"


def test_a_failed_foreign_key_check_records_every_statement_as_rolled_back(spec, sqlite_url):
    before = schema_digest(sqlite_url)
    text = BASE.replace("      user_id: {type: integer}\n", "      user_id: {type: integer, references: users(id)}\n")
    with pytest.raises(ApplyError, match="foreign key check failed"):
        apply_spec(sqlite_url, spec, text)
    assert schema_digest(sqlite_url) == before
    row = history(sqlite_url)[-1]
    assert row["outcome"] == "failed" and row["statements"] == []
    # The statements all ran; the check before COMMIT failed, so all of them were rolled back.
    assert row["rolled_back"] and row["rolled_back"][0] == statements(planned(sqlite_url, spec))[0]
    assert "foreign key check failed" in row["error"]


def test_an_interrupted_apply_is_rolled_back_and_recorded(spec, sqlite_url):
    before = schema_digest(sqlite_url)
    text = with_table_keys(BASE, "posts", "    indexes:\n      - {columns: [user_id]}\n") + \
        "  tags:\n    columns:\n      id: {type: integer, primary_key: true}\n"
    spec.write_text(text)
    order = statements(planned(sqlite_url, spec))
    assert len(order) == 2
    with pytest.raises(KeyboardInterrupt):
        apply_spec(sqlite_url, spec, text, progress=Interrupt(2))
    assert schema_digest(sqlite_url) == before
    row = history(sqlite_url)[-1]
    assert row["outcome"] == "interrupted"
    assert row["statements"] == [] and row["rolled_back"] == order[:1] and row["failed_statement"] is None
    assert "rolled back" in row["error"]
    # Nothing changed: the next plan is the same plan, and completes.
    assert statements(planned(sqlite_url, spec)) == order
    apply_spec(sqlite_url, spec, text)
    assert planned(sqlite_url, spec).empty
    conn = BACKEND.connect(sqlite_url)
    try:
        assert not conn.in_transaction and conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    finally:
        BACKEND.close(conn)


def test_a_history_table_from_an_older_version_gets_the_new_columns(tmp_path, sqlite_url):
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute('CREATE TABLE "schemactl_history" (id INTEGER PRIMARY KEY AUTOINCREMENT, applied_at TEXT NOT '
                     "NULL, spec_hash TEXT NOT NULL, plan_hash TEXT NOT NULL, tool_version TEXT NOT NULL, outcome "
                     "TEXT NOT NULL, statements TEXT NOT NULL, error TEXT)")
        conn.execute("INSERT INTO schemactl_history (applied_at, spec_hash, plan_hash, tool_version, outcome, "
                     "statements) VALUES ('2026-01-01', 's', 'p', '0.0.1', 'applied', '[]')")
    assert history(sqlite_url)[0]["rolled_back"] == []
    apply_spec(sqlite_url, tmp_path / "schema.yaml", BASE)
    rows = history(sqlite_url)
    assert [r["outcome"] for r in rows] == ["applied", "applied"] and rows[-1]["statements"]


# -- hazards -----------------------------------------------------------------------------------------------


def hazards_of(plan: Plan) -> dict[str, set[str]]:
    return {p.change.address: {h.value for h in p.change.hazards} for p in plan.changes}


@pytest.mark.parametrize(("text", "address", "expected"), [
    (with_table_keys(BASE, "users", "    checks:\n      adult: age >= 18\n"), "table users",
     {"table_rewrite", "full_scan_validation", "may_fail_on_data"}),
    (BASE.replace("      user_id: {type: integer}\n", "      user_id: {type: integer, references: users(id)}\n"),
     "table posts", {"table_rewrite", "full_scan_validation", "may_fail_on_data"}),
    (BASE.replace("      age: {type: integer, nullable: true}\n", "      age: {type: integer}\n"), "table users",
     {"table_rewrite", "full_scan_validation", "may_fail_on_data"}),
    (with_columns(BASE, "users", "      nick: {type: text}\n"), "table users",
     {"table_rewrite", "full_scan_validation", "may_fail_on_data"}),
    (BASE.replace("      email: {type: text}\n", "      email: {type: text, unique: true}\n"), "table users",
     {"table_rewrite", "blocks_writes", "full_scan_validation", "may_fail_on_data"}),
    (with_table_keys(BASE, "posts", "    indexes:\n      - {columns: [user_id]}\n"), "index posts.posts_user_id_idx",
     {"blocks_writes"}),
    (with_table_keys(BASE, "users", "    indexes:\n      - {columns: [email], unique: true}\n"),
     "index users.users_email_idx", {"blocks_writes", "may_fail_on_data"}),
    # A type change rebuilds the table but validates nothing new.
    (BASE.replace("      title: {type: text}\n", "      title: {type: varchar(20)}\n"), "table posts",
     {"table_rewrite"}),
    # A nullable column without constraints is added in place.
    (with_columns(BASE, "users", "      nick: {type: text, nullable: true}\n"), "column users.nick", set()),
])
def test_changes_to_existing_tables_carry_their_hazards(spec, sqlite_url, text, address, expected):
    spec.write_text(text)
    assert hazards_of(planned(sqlite_url, spec)) == {address: expected}


def test_objects_created_with_their_table_carry_no_hazards(spec, sqlite_url):
    spec.write_text(BASE + """\
  comments:
    columns:
      id: {type: integer, primary_key: true}
      post_id: {type: integer, references: posts(id)}
      body: {type: text, unique: true}
    indexes:
      - {columns: [post_id]}
    checks:
      not_empty: length(body) > 0
""")
    plan = planned(sqlite_url, spec)
    assert set(hazards_of(plan)) == {"table comments", "index comments.comments_post_id_idx"}
    assert all(not hazards for hazards in hazards_of(plan).values())


# -- apply refuses them, exactly like PostgreSQL ---------------------------------------------------------------


POSTGRES_BASE = BASE.replace("dialect: sqlite", "dialect: postgres")


def _refusal(out: str) -> str:
    """The refusal message, without the plan printed before it."""
    return out[out.index("Error: the plan has hazards"):]


def test_apply_refuses_an_index_on_an_existing_table_on_both_backends(tmp_path, sqlite_url, pg_url):
    block, refused, address = "    indexes:\n      - {columns: [user_id]}\n", "blocks_writes", "index {schema}posts.posts_user_id_idx"
    messages = []
    for base, url, schema in ((BASE, sqlite_url, ""), (POSTGRES_BASE, pg_url, "public.")):
        spec = tmp_path / f"{schema or 'sqlite'}.yaml"
        spec.write_text(base)
        assert invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")[0] == 0
        spec.write_text(with_table_keys(base, "posts", block))
        code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")
        assert code == 1 and "Traceback" not in out
        assert f"  - {refused}: {address.format(schema=schema)}" in out
        assert f"Re-run with --allow-hazards {refused} (or allow them for the environment)." in out
        assert "Plan: 1 to add, 0 to change, 0 to destroy." in invoke("plan", str(spec), "--url", url)[1]
        messages.append(_refusal(out).replace(schema, ""))
        code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet", "--allow-hazards", refused)
        assert code == 0, out
        assert invoke("plan", str(spec), "--url", url)[1].strip() == "No changes. The database matches the spec."
    assert messages[0] == messages[1]


def test_apply_refuses_a_check_on_an_existing_sqlite_table_until_its_hazards_are_allowed(spec, sqlite_url):
    spec.write_text(with_table_keys(BASE, "users", "    checks:\n      adult: age IS NULL OR age >= 18\n"))
    before = schema_digest(sqlite_url)
    code, out = invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet",
                       "--allow-hazards", "table_rewrite")
    assert code == 1 and "Traceback" not in out
    assert "  - full_scan_validation: table users" in out and "  - may_fail_on_data: table users" in out
    assert "Re-run with --allow-hazards full_scan_validation,may_fail_on_data" in out
    assert schema_digest(sqlite_url) == before
    code, out = invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet",
                       "--allow-hazards", "table_rewrite,full_scan_validation,may_fail_on_data")
    assert code == 0, out
    assert invoke("plan", str(spec), "--url", sqlite_url)[1].strip() == "No changes. The database matches the spec."
