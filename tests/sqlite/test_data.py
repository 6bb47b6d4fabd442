"""What happens to rows: rebuilds keep them, foreign key actions behave, failures change nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from reconciler.backends import RenderOptions
from reconciler.backends.sqlite import BACKEND
from reconciler.errors import ApplyError

from .helpers import apply, model_from_yaml, plan
from .test_apply import BASE


def _seed(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'Ann'), (2, 'b@x', NULL)")
    conn.execute("INSERT INTO posts (id, user_id, title, body) VALUES (10, 1, 'hello', '42'), (11, 2, 'bye', '7')")


def test_rebuild_keeps_rows(tmp_path, conn) -> None:
    apply(conn, model_from_yaml(tmp_path, BASE, "v1.yaml"))
    _seed(conn)
    changed = (BASE.replace("      body: {type: text, nullable: true}\n",
                            "      words: {type: integer, renamed_from: body, using: CAST(body AS INTEGER) * 2}\n"
                            "      views: {type: integer, default: 0}\n")
               .replace("      name: {type: text, nullable: true}\n", "      name: {type: varchar(50), nullable: true}\n")
               + "    checks:\n      words_positive: words > 0\n")
    changes = apply(conn, model_from_yaml(tmp_path, changed, "v2.yaml"))
    assert any(c.extra.get("rebuild") for c in changes)
    assert conn.execute("SELECT id, user_id, title, words, views FROM posts ORDER BY id").fetchall() == [
        (10, 1, "hello", 84, 0), (11, 2, "bye", 14, 0)]
    assert conn.execute("SELECT id, email, name FROM users ORDER BY id").fetchall() == [
        (1, "a@x", "Ann"), (2, "b@x", None)]
    # The rebuilt table is still the parent of the foreign key, and enforcement is back on.
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO posts (id, user_id, words) VALUES (12, 99, 1)")
    # A later rebuild does not apply `using` again to converted data.
    again = changed.replace("      views: {type: integer, default: 0}\n", "      views: {type: bigint, default: 0}\n")
    apply(conn, model_from_yaml(tmp_path, again, "v3.yaml"))
    assert conn.execute("SELECT words FROM posts ORDER BY id").fetchall() == [(84,), (14,)]


def test_foreign_key_actions_cascade_and_set_null(tmp_path, conn) -> None:
    spec = BASE + """
  comments:
    columns:
      id: {type: integer, primary_key: true}
      post_id: {type: integer, nullable: true, references: posts(id), on_delete: set null}
"""
    apply(conn, model_from_yaml(tmp_path, spec))
    _seed(conn)
    conn.execute("INSERT INTO comments (id, post_id) VALUES (100, 10), (101, 11)")
    conn.execute("DELETE FROM users WHERE id = 1")
    assert conn.execute("SELECT id FROM posts").fetchall() == [(11,)]
    assert conn.execute("SELECT id, post_id FROM comments ORDER BY id").fetchall() == [(100, None), (101, 11)]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failing_statement_leaves_the_file_unchanged(tmp_path, conn, sqlite_url) -> None:
    apply(conn, model_from_yaml(tmp_path, BASE, "v1.yaml"))
    _seed(conn)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    before = _digest(path)
    # Adds a column and a table in place, then a check that the seeded rows violate.
    bad = (BASE.replace("      name: {type: text, nullable: true}\n",
                        "      name: {type: text, nullable: true}\n      nick: {type: text, nullable: true}\n")
           + "    checks:\n      long_titles: length(title) > 10\n"
           + "  tags:\n    columns:\n      id: {type: integer, primary_key: true}\n")
    _, changes = plan(conn, model_from_yaml(tmp_path, bad, "v2.yaml"))
    steps = [(c, BACKEND.render(c, RenderOptions())) for c in changes]
    recorded: list[tuple[str, list[str], str | None]] = []
    with pytest.raises(ApplyError) as info:
        BACKEND.execute(conn, steps, lock_timeout=1, progress=None,
                        record=lambda c, outcome, done, error=None, **_: recorded.append((outcome, done, error)))
    assert "table posts" in str(info.value) and "CHECK constraint failed" in str(info.value)
    assert _digest(path) == before
    assert [r[0] for r in recorded] == ["failed"]
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert not conn.in_transaction


def test_foreign_key_violations_roll_back(tmp_path, conn) -> None:
    spec = BASE.replace("      user_id: {type: integer, references: users(id), on_delete: cascade}\n",
                        "      user_id: {type: integer}\n")
    apply(conn, model_from_yaml(tmp_path, spec, "v1.yaml"))
    conn.execute("INSERT INTO posts (id, user_id) VALUES (1, 404)")
    desired = model_from_yaml(tmp_path, BASE, "v2.yaml")
    _, changes = plan(conn, desired)
    steps = [(c, BACKEND.render(c, RenderOptions())) for c in changes]
    with pytest.raises(ApplyError, match="foreign key check failed"):
        BACKEND.execute(conn, steps, lock_timeout=1, progress=None)
    assert BACKEND.inspect(conn, None).tables["posts"].foreign_keys == {}


def test_progress_and_history_on_success(tmp_path, conn) -> None:
    desired = model_from_yaml(tmp_path, BASE)
    _, changes = plan(conn, desired)
    steps = [(c, BACKEND.render(c, RenderOptions())) for c in changes]
    seen: list[tuple[int, int]] = []
    entry = {"applied_at": "2026-01-01T00:00:00+00:00", "spec_hash": "s", "plan_hash": "p", "tool_version": "t"}

    def record(record_conn, outcome, done, error=None):
        BACKEND.write_history(record_conn, {**entry, "outcome": outcome, "statements": done, "error": error})

    result = BACKEND.execute(conn, steps, lock_timeout=1, progress=lambda i, n, sql: seen.append((i, n)),
                             record=record)
    assert result.applied == result.total == len(seen) == seen[-1][0]
    history = BACKEND.read_history(conn, 1)
    assert history[0]["outcome"] == "applied" and len(history[0]["statements"]) == result.total
    # The history table is never part of the managed schema.
    assert "schemactl_history" not in BACKEND.inspect(conn, None).tables


def test_rebuild_keeps_views_and_triggers_working(tmp_path, conn) -> None:
    apply(conn, model_from_yaml(tmp_path, BASE, "v1.yaml"))
    conn.executescript("""
        CREATE VIEW post_titles AS SELECT id, title FROM posts;
        CREATE TABLE audit (post_id INTEGER);
        CREATE TRIGGER posts_audit AFTER INSERT ON posts BEGIN INSERT INTO audit VALUES (new.id); END;
    """)
    changed = BASE.replace("      title: {type: text, default: untitled}\n",
                           "      title: {type: varchar(100), default: untitled}\n")
    # audit is not in the spec, so the plan drops it; keep it by declaring it.
    changed += "  audit:\n    columns:\n      post_id: {type: integer, nullable: true}\n"
    changes = apply(conn, model_from_yaml(tmp_path, changed, "v2.yaml"))
    assert [c.address for c in changes if c.extra.get("rebuild")] == ["table posts"]
    conn.execute("INSERT INTO users (id, email) VALUES (1, 'a@x')")
    conn.execute("INSERT INTO posts (id, user_id, title) VALUES (5, 1, 't')")
    assert conn.execute("SELECT * FROM post_titles").fetchall() == [(5, "t")]
    assert conn.execute("SELECT post_id FROM audit").fetchall() == [(5,)]
