"""The PostgreSQL backend: `BACKEND` satisfies `reconciler.backends.Backend`.

Modules, one job each: `types` (spelling rules and the spec builder's
DialectRules), `catalog` + `kinds/` (pg_catalog -> model, one query per kind), `normalize` (offline
expression equivalence), `canonicalize` (desired expressions in the live
spelling), `render` (changes -> SQL), `hazards`, `execute` (connect, apply
under the advisory lock), `to_spec` (model -> spec document).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reconciler.backends import ApplyResult, ProgressCallback, RenderOptions
from reconciler.changes import Change, Statement
from reconciler.diff import diff_databases
from reconciler.model import Database, to_plain

from . import apply_lock as _apply_lock
from . import canonicalize as _canonicalize
from . import casts as _casts
from . import catalog as _catalog
from . import execute as _execute
from . import hazards as _hazards
from . import history as _history
from . import render as _render
from . import to_spec as _to_spec
from . import types as _types


def enrich_enum_changes(changes: list[Change], current: Database, desired: Database) -> list[Change]:
    """Give enum recreations the type and default of each using column, which the renderer needs."""
    for change in changes:
        if change.kind != "enum" or not change.extra.get("columns") or "column_info" in change.extra:
            continue
        info = []
        for table_key, column_name in change.extra["columns"]:
            wanted_table, live_table = desired.tables.get(table_key), current.tables.get(table_key)
            wanted = wanted_table.columns.get(column_name) if wanted_table else None
            live = live_table.columns.get(column_name) if live_table else None
            source = wanted or live
            info.append({
                "table": table_key, "column": column_name, "type": source.type if source else None,
                # A live default typed with the old enum blocks the type change: drop it, restore the wanted one.
                "drop_default": live is not None and live.default is not None,
                "default": wanted.default.expression if wanted and wanted.default else None,
            })
        change.extra["column_info"] = info
    return changes


class PostgresBackend:
    name = "postgres"
    url_schemes: Sequence[str] = ("postgresql", "postgres")

    def build_model(self, spec: Any) -> Database:
        return _types.build_model(spec)

    def connect(self, url: str, *, read_only: bool = False) -> Any:
        return _execute.connect(url, read_only=read_only)

    def close(self, conn: Any) -> None:
        _execute.close(conn)

    def inspect(self, conn: Any, desired: Any | None) -> Database:
        return _catalog.inspect(conn, desired)

    def canonicalize(self, conn: Any | None, desired: Database, current: Database) -> Database:
        canonical = _canonicalize.canonicalize(conn, desired, current)
        if conn is not None:
            _casts.check_type_changes(conn, canonical, current)
        return canonical

    def diff(self, current: Database, desired: Database) -> list[Change]:
        return enrich_enum_changes(diff_databases(current, desired), current, desired)

    def order(self, changes: list[Change]) -> list[Change]:
        from reconciler.plan import relational_order

        return relational_order(changes)

    def render(self, change: Change, options: RenderOptions) -> list[Statement]:
        return _render.render(change, options)

    def annotate_hazards(self, change: Change, options: RenderOptions) -> Change:
        return _hazards.annotate_hazards(change, options)

    def execute(self, conn: Any, steps: list[tuple[Change, list[Statement]]], *, lock_timeout: float,
                progress: ProgressCallback | None,
                record: Callable[[Any, str, list[str]], None] | None = None) -> ApplyResult:
        return _execute.execute(conn, steps, lock_timeout=lock_timeout, progress=progress, record=record)

    def hold_apply_lock(self, conn: Any, lock_timeout: float) -> Any:
        return _apply_lock.hold_apply_lock(conn, lock_timeout)

    def write_history(self, conn: Any, entry: dict[str, Any]) -> None:
        _history.write_history(conn, entry)

    def read_history(self, conn: Any, limit: int = 1) -> list[dict[str, Any]]:
        return _history.read_history(conn, limit)

    def to_spec(self, model: Database) -> dict[str, Any]:
        return _to_spec.to_spec(model)

    def fingerprint_data(self, model: Database) -> Any:
        return to_plain(model)


BACKEND = PostgresBackend()

__all__ = ["BACKEND", "PostgresBackend", "enrich_enum_changes"]
