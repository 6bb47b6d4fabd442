"""The SQLite backend: a file reached through `sqlite:///path.db`, driven by the stdlib sqlite3 module.

Each module does one job: `types` (dialect rules), `build` (spec -> model),
`ddl` (reading stored CREATE text), `inspect` (live -> model), `canonicalize`,
`fold` (SQLite's view of a diff, hazards, order), `render`, `execute`
(connection, apply lock, transaction), `history` and `tospec` (model -> spec).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from reconciler.backends import ApplyResult, ProgressCallback, RenderOptions
from reconciler.changes import Change, Statement
from reconciler.model import Database, to_plain

from . import execute as _execute
from .apply_lock import hold_apply_lock
from .build import build_model
from .canonicalize import canonicalize
from .fold import fold, order
from .history import HISTORY_TABLE, read_history, write_history
from .inspect import inspect_database
from .render import render
from .tospec import to_spec


class SqliteBackend:
    name: str = "sqlite"
    url_schemes: Sequence[str] = ("sqlite",)
    history_table: str = HISTORY_TABLE

    def build_model(self, spec: Any) -> Database:
        return build_model(spec)

    def connect(self, url: str, *, read_only: bool = False) -> sqlite3.Connection:
        return _execute.connect(url, read_only=read_only)

    def close(self, conn: sqlite3.Connection) -> None:
        _execute.close(conn)

    def inspect(self, conn: sqlite3.Connection, desired: Any | None = None) -> Database:
        # A SQLite file is one namespace; `desired` has nothing to scope.
        return inspect_database(conn)

    def canonicalize(self, conn: Any | None, desired: Database, current: Database) -> Database:
        return canonicalize(conn, desired, current)

    def diff(self, current: Database, desired: Database) -> list[Change]:
        from reconciler.diff import diff_databases

        return fold(diff_databases(current, desired), current, desired)

    def order(self, changes: list[Change]) -> list[Change]:
        return order(changes)

    def render(self, change: Change, options: RenderOptions) -> list[Statement]:
        return render(change, options)

    def execute(
        self,
        conn: sqlite3.Connection,
        steps: list[tuple[Change, list[Statement]]],
        *,
        lock_timeout: float,
        progress: ProgressCallback | None,
        record: Callable[..., None] | None = None,
    ) -> ApplyResult:
        return _execute.execute(conn, steps, lock_timeout=lock_timeout, progress=progress, record=record)

    def hold_apply_lock(self, conn: sqlite3.Connection, lock_timeout: float) -> Any:
        return hold_apply_lock(conn, lock_timeout)

    def write_history(self, conn: sqlite3.Connection, entry: dict[str, Any]) -> None:
        write_history(conn, entry)

    def read_history(self, conn: sqlite3.Connection, limit: int = 1) -> list[dict[str, Any]]:
        return read_history(conn, limit)

    def to_spec(self, model: Database) -> dict[str, Any]:
        return to_spec(model)

    def fingerprint_data(self, model: Database) -> Any:
        return to_plain(model)


BACKEND = SqliteBackend()

__all__ = ["BACKEND", "SqliteBackend"]
