"""The SQLite backend: a file reached through `sqlite:///path.db`, driven by the stdlib sqlite3 module.

Each module does one job: `types` (dialect rules), `build` (spec -> model),
`ddl` (reading stored CREATE text), `inspect` (live -> model), `canonicalize`,
`fold` (SQLite's view of a diff, hazards, order), `render`, `execute`
(connection, apply lock, transaction), `history` and `to_spec` (model -> spec).
This module imports nothing heavy (sqlglot loads when a spec is built or a database read).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from reconciler.backends import (
    ApplyResult,
    Backend,
    ConnectOptions,
    Progress,
    ProgressCallback,
    RenderOptions,
    ScriptStyle,
)
from reconciler.changes import Change, Statement
from reconciler.model import Database, to_plain

from .history import HISTORY_TABLE


class SqliteBackend(Backend):
    name: str = "sqlite"
    url_schemes: Sequence[str] = ("sqlite",)
    relational_spec = True
    history_table: str = HISTORY_TABLE
    # As execute does: foreign keys off for the apply (they cannot change inside a transaction), one
    # transaction that holds the write lock from its start.
    script_style = ScriptStyle(preamble=("PRAGMA foreign_keys = OFF;",), begin="BEGIN IMMEDIATE;", commit="COMMIT;",
                               epilogue=("PRAGMA foreign_keys = ON;",), run_hint="sqlite3 -bail DATABASE < plan.sql")

    def build_model(self, spec: Any) -> Database:
        from .build import build_model

        return build_model(spec)

    def spec_schema(self) -> dict[str, Any]:
        from reconciler.spec.relational import relational_schema

        return relational_schema()

    def connect(self, url: str, *, read_only: bool = False, options: ConnectOptions | None = None) -> sqlite3.Connection:
        from .execute import connect

        return connect(url, read_only=read_only)

    def close(self, conn: sqlite3.Connection) -> None:
        conn.close()

    def inspect(self, conn: sqlite3.Connection, desired: Any | None = None) -> Database:
        # A SQLite file is one namespace; `desired` has nothing to scope.
        from .inspect import inspect_database

        return inspect_database(conn)

    def canonicalize(self, conn: Any | None, desired: Database, current: Database) -> Database:
        from .canonicalize import canonicalize

        return canonicalize(conn, desired, current)

    def relational_diff(self, current: Database, desired: Database) -> list[Change]:
        from reconciler.relational import compose_diff

        return compose_diff(current, desired)  # the shared table diff: SQLite has no kinds of its own

    def diff(self, current: Database, desired: Database) -> list[Change]:
        from .fold import fold

        return fold(self.relational_diff(current, desired), current, desired)

    def order(self, changes: list[Change]) -> list[Change]:
        from .fold import order

        return order(changes)

    def render(self, change: Change, options: RenderOptions) -> list[Statement]:
        from .render import render

        return render(change, options)

    def execute(
        self,
        conn: sqlite3.Connection,
        steps: list[tuple[Change, list[Statement]]],
        *,
        lock_timeout: float,
        progress: Progress | ProgressCallback | None,
        record: Callable[..., None] | None = None,
    ) -> ApplyResult:
        from .execute import execute

        return execute(conn, steps, lock_timeout=lock_timeout, progress=progress, record=record)

    def hold_apply_lock(self, conn: sqlite3.Connection, lock_timeout: float) -> Any:
        from .apply_lock import hold_apply_lock

        return hold_apply_lock(conn, lock_timeout)

    def write_history(self, conn: sqlite3.Connection, entry: dict[str, Any]) -> None:
        from .history import write_history

        write_history(conn, entry)

    def read_history(self, conn: sqlite3.Connection, limit: int = 1) -> list[dict[str, Any]]:
        from .history import read_history

        return read_history(conn, limit)

    def read_history_spec(self, conn: sqlite3.Connection, entry_id: int) -> str | None:
        from .history import read_history_spec

        return read_history_spec(conn, entry_id)

    def to_spec(self, model: Database) -> dict[str, Any]:
        from .to_spec import to_spec

        return to_spec(model)

    def er_model(self, model: Database) -> Any:
        from reconciler.diagram import relational_er

        return relational_er(model)

    def fingerprint_data(self, model: Database) -> Any:
        return to_plain(model)


BACKEND = SqliteBackend()

__all__ = ["BACKEND", "SqliteBackend"]
