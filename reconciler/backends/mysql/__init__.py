"""The MySQL/MariaDB backend (minimal): the URL's database, reached through `mysql://` or `mariadb://` with
PyMySQL, which loads only when a method connects.

The spec is the relational spec (`reconciler.spec.relational`) with MySQL's `DialectRules` (`types`); what MySQL
cannot hold is refused by `build`. Modules: `types` (rules, quoting), `build` (spec -> model), `inspect`
(information_schema -> model; queries in `*.sql`), `canonicalize`, `render` (statements, order, hazards),
`execute` (connection, apply lock, running statements one at a time: MySQL DDL commits itself), `history`,
`to_spec` (model -> spec).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from reconciler.backends import RenderOptions, ScriptStyle
from reconciler.backends.relational import RelationalBackend
from reconciler.changes import Change, Statement


class MysqlBackend(RelationalBackend):
    name: str = "mysql"
    url_schemes: Sequence[str] = ("mysql", "mariadb")
    # No transaction: each statement commits itself, as `execute` runs them. The script sets the session's
    # sql_mode as `connect` does (strings are quoted for it).
    script_style = ScriptStyle(
        transactional=False,
        preamble=("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';",),
        run_hint="mariadb DATABASE < plan.sql (or mysql DATABASE < plan.sql)")

    def order(self, changes: list[Change]) -> list[Change]:
        from .render import order

        return order(changes)

    def annotate_hazards(self, change: Change, options: RenderOptions) -> Change:
        from .render import annotate_hazards

        return annotate_hazards(change)

    def render_hook(self, hook: Any, change: Change) -> list[Statement]:
        # Hook statements run like every other: one at a time, each committing itself.
        return [Statement(s.sql, transactional=False) for s in super().render_hook(hook, change)]

    def hold_apply_lock(self, conn: Any, lock_timeout: float) -> AbstractContextManager[Any]:
        from .execute import hold_apply_lock

        return hold_apply_lock(conn, lock_timeout)


BACKEND = MysqlBackend()

__all__ = ["BACKEND", "MysqlBackend"]
