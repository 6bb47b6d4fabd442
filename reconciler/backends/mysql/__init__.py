"""The MySQL/MariaDB backend (minimal): the URL's database, reached through `mysql://` or `mariadb://` with
PyMySQL, which loads only when a method connects.

The spec is the relational spec (`reconciler.spec.relational`) with MySQL's `DialectRules` (`types`); what MySQL
cannot hold is refused by `build`. Modules: `types` (rules, quoting), `build` (spec -> model), `inspect`
(information_schema -> model; queries in `*.sql`), `canonicalize`, `render` (statements, order, hazards),
`execute` (connection, apply lock, running statements one at a time: MySQL DDL commits itself), `history`,
`to_spec` (model -> spec).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
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


class MysqlBackend(Backend):
    name: str = "mysql"
    url_schemes: Sequence[str] = ("mysql", "mariadb")
    relational_spec = True
    # No transaction: each statement commits itself, as `execute` runs them. The script sets the session's
    # sql_mode as `connect` does (strings are quoted for it).
    script_style = ScriptStyle(
        transactional=False,
        preamble=("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';",),
        run_hint="mariadb DATABASE < plan.sql (or mysql DATABASE < plan.sql)")

    def build_model(self, spec: Any) -> Database:
        from .build import build_model

        return build_model(spec)

    def spec_schema(self) -> dict[str, Any]:
        from reconciler.spec.relational import relational_schema

        return relational_schema()

    def connect(self, url: str, *, read_only: bool = False, options: ConnectOptions | None = None) -> Any:
        from .execute import connect

        return connect(url, read_only=read_only, options=options)

    def close(self, conn: Any) -> None:
        conn.close()

    def inspect(self, conn: Any, desired: Any | None) -> Database:
        # The URL's database is the one namespace; `desired` has nothing to scope.
        from .inspect import inspect_database

        return inspect_database(conn)

    def canonicalize(self, conn: Any | None, desired: Database, current: Database) -> Database:
        from .canonicalize import canonicalize

        return canonicalize(conn, desired, current)

    def relational_diff(self, current: Database, desired: Database) -> list[Change]:
        from reconciler.relational import compose_diff

        return compose_diff(current, desired)  # the shared table diff: no kinds of its own

    def diff(self, current: Database, desired: Database) -> list[Change]:
        return self.relational_diff(current, desired)

    def order(self, changes: list[Change]) -> list[Change]:
        from .render import order

        return order(changes)

    def render(self, change: Change, options: RenderOptions) -> list[Statement]:
        from .render import render

        return render(change, options)

    def annotate_hazards(self, change: Change, options: RenderOptions) -> Change:
        from .render import annotate_hazards

        return annotate_hazards(change)

    def render_hook(self, hook: Any, change: Change) -> list[Statement]:
        # Hook statements run like every other: one at a time, each committing itself.
        return [Statement(s.sql, transactional=False) for s in super().render_hook(hook, change)]

    def execute(
        self,
        conn: Any,
        steps: list[tuple[Change, list[Statement]]],
        *,
        lock_timeout: float,
        progress: Progress | ProgressCallback | None,
        record: Callable[..., None] | None = None,
    ) -> ApplyResult:
        from .execute import execute

        return execute(conn, steps, lock_timeout=lock_timeout, progress=progress, record=record)

    def hold_apply_lock(self, conn: Any, lock_timeout: float) -> AbstractContextManager[Any]:
        from .execute import hold_apply_lock

        return hold_apply_lock(conn, lock_timeout)

    def write_history(self, conn: Any, entry: dict[str, Any]) -> None:
        from .history import write_history

        write_history(conn, entry)

    def read_history(self, conn: Any, limit: int = 1) -> list[dict[str, Any]]:
        from .history import read_history

        return read_history(conn, limit)

    def read_history_spec(self, conn: Any, entry_id: int) -> str | None:
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


BACKEND = MysqlBackend()

__all__ = ["BACKEND", "MysqlBackend"]
