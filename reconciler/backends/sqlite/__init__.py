"""The SQLite backend: a file reached through `sqlite:///path.db`, driven by the stdlib sqlite3 module.

Each module does one job: `types` (dialect rules), `build` (spec -> model),
`ddl` (reading stored CREATE text), `inspect` (live -> model), `canonicalize`,
`fold` (SQLite's view of a diff, hazards, order), `render`, `execute`
(connection, apply lock, transaction), `history` and `to_spec` (model -> spec).
This module imports nothing heavy (sqlglot loads when a spec is built or a database read).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from reconciler.backends import ConnectOptions, ScriptStyle
from reconciler.backends.relational import RelationalBackend
from reconciler.changes import Change
from reconciler.model import Database

from .history import HISTORY_TABLE


class SqliteBackend(RelationalBackend):
    name: str = "sqlite"
    url_schemes: Sequence[str] = ("sqlite",)
    history_table: str = HISTORY_TABLE
    # As execute does: foreign keys off for the apply (they cannot change inside a transaction), one
    # transaction that holds the write lock from its start.
    script_style = ScriptStyle(preamble=("PRAGMA foreign_keys = OFF;",), begin="BEGIN IMMEDIATE;", commit="COMMIT;",
                               epilogue=("PRAGMA foreign_keys = ON;",), run_hint="sqlite3 -bail DATABASE < plan.sql")

    def connect(self, url: str, *, read_only: bool = False, options: ConnectOptions | None = None) -> sqlite3.Connection:
        from .execute import connect

        return connect(url, read_only=read_only)

    def diff(self, current: Database, desired: Database) -> list[Change]:
        from .fold import fold

        return fold(self.relational_diff(current, desired), current, desired)

    def order(self, changes: list[Change]) -> list[Change]:
        from .fold import order

        return order(changes)

    def hold_apply_lock(self, conn: sqlite3.Connection, lock_timeout: float) -> Any:
        from .apply_lock import hold_apply_lock

        return hold_apply_lock(conn, lock_timeout)


BACKEND = SqliteBackend()

__all__ = ["BACKEND", "SqliteBackend"]
