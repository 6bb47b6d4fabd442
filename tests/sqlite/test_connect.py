"""Connecting, the apply lock, and errors for unusable targets."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from reconciler.backends import RenderOptions, dialect_of_url
from reconciler.backends.sqlite import BACKEND
from reconciler.backends.sqlite.execute import database_path
from reconciler.errors import PlanError, TargetError

from .helpers import model_from_yaml, plan

SPEC = """
tables:
  things:
    columns:
      id: {type: integer, primary_key: true}
"""


def test_url_forms() -> None:
    assert dialect_of_url("sqlite:///app.db") == "sqlite"
    assert database_path("sqlite:///relative/app.db") == "relative/app.db"
    assert database_path("sqlite:////abs/app.db") == "/abs/app.db"
    with pytest.raises(TargetError):
        database_path("sqlite://host/app.db")


def test_connect_creates_the_file(tmp_path) -> None:
    path = tmp_path / "new.db"
    conn = BACKEND.connect(f"sqlite:///{path}")
    try:
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert BACKEND.inspect(conn, None).tables == {}
    finally:
        BACKEND.close(conn)
    assert path.exists()


@pytest.mark.parametrize("make", ["missing_dir", "directory", "not_a_database"])
def test_unopenable_path_is_a_target_error(tmp_path, make: str) -> None:
    path = tmp_path / "missing" / "x.db"
    if make == "directory":
        path = tmp_path
    elif make == "not_a_database":
        path = tmp_path / "notes.db"
        path.write_bytes(b"this is certainly not an SQLite database file, just some text" * 10)
    with pytest.raises(TargetError, match="cannot open SQLite database"):
        BACKEND.connect(f"sqlite:///{path}")


def _steps(tmp_path: Path, conn):
    _, changes = plan(conn, model_from_yaml(tmp_path, SPEC))
    return [(c, BACKEND.render(c, RenderOptions())) for c in changes]


def _hold_lock(url: str, seconds: float, started: threading.Event) -> None:
    holder = BACKEND.connect(url)
    try:
        holder.execute("BEGIN IMMEDIATE")
        started.set()
        time.sleep(seconds)
        holder.execute("COMMIT")
    finally:
        BACKEND.close(holder)


def test_second_apply_fails_clearly_after_lock_timeout(tmp_path, sqlite_url, conn) -> None:
    steps = _steps(tmp_path, conn)
    started = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(sqlite_url, 2.0, started))
    holder.start()
    try:
        started.wait(5)
        begin = time.monotonic()
        with pytest.raises(PlanError, match="another schemactl apply holds the lock"):
            BACKEND.execute(conn, steps, lock_timeout=0.3, progress=None)
        assert 0.25 <= time.monotonic() - begin < 1.9
    finally:
        holder.join()
    assert BACKEND.inspect(conn, None).tables == {}
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_concurrent_applies_serialise(tmp_path, sqlite_url, conn) -> None:
    steps = _steps(tmp_path, conn)
    started = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(sqlite_url, 0.5, started))
    holder.start()
    try:
        started.wait(5)
        begin = time.monotonic()
        BACKEND.execute(conn, steps, lock_timeout=10, progress=None)
        assert time.monotonic() - begin >= 0.3
    finally:
        holder.join()
    assert list(BACKEND.inspect(conn, None).tables) == ["things"]
