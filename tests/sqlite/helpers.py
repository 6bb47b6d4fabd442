"""Drive the SQLite backend the way the plan/apply pipeline does, against real files."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from reconciler.backends import RenderOptions
from reconciler.backends.sqlite import BACKEND
from reconciler.changes import Change
from reconciler.model import Database, to_plain
from reconciler.spec import load_model


def model_from_yaml(tmp_path: Path, text: str, name: str = "schema.yaml") -> Database:
    path = tmp_path / name
    path.write_text("version: 1\ndialect: sqlite\n" + textwrap.dedent(text), encoding="utf-8")
    return load_model(str(path))[1]


def plan(conn: Any, desired: Database) -> tuple[Database, list[Change]]:
    """(canonical desired, ordered changes) against the live file."""
    current = BACKEND.inspect(conn, desired)
    canonical = BACKEND.canonicalize(conn, desired, current)
    return canonical, BACKEND.order(BACKEND.diff(current, canonical))


def apply(conn: Any, desired: Database, lock_timeout: float = 5.0) -> list[Change]:
    """Plan and apply; then assert the live schema equals the spec (the next plan is empty)."""
    canonical, changes = plan(conn, desired)
    steps = [(c, BACKEND.render(c, RenderOptions())) for c in changes]
    BACKEND.execute(conn, steps, lock_timeout=lock_timeout, progress=None)
    assert_converged(conn, desired)
    return changes


def assert_converged(conn: Any, desired: Database) -> None:
    canonical, changes = plan(conn, desired)
    assert [c.address for c in changes] == []
    # to_plain leaves out spec-only fields (renamed_from, using, prevent_destroy) the database cannot hold.
    assert to_plain(BACKEND.inspect(conn, desired)) == to_plain(canonical)


def statements(changes: list[Change]) -> list[str]:
    return [s.sql for c in changes for s in BACKEND.render(c, RenderOptions())]
