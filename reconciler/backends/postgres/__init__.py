"""The PostgreSQL backend: `BACKEND` implements `reconciler.backends.Backend`.

Modules, one job each: `types` (spelling rules and the spec builder's DialectRules), `catalog` +
`kinds/` (pg_catalog -> model, one query per kind), `equivalence` (offline expression equivalence),
`canonicalize` (desired expressions in the live spelling), `casts` (type changes that need USING),
`render` (changes -> SQL), `hazards`, `execute` (connect, apply under the advisory lock), `history`,
`to_spec` (model -> spec document).

This module imports nothing heavy: psycopg loads with the first connection, so `validate` and
`diff` never pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from reconciler.backends import (
    ApplyResult,
    ConnectOptions,
    Progress,
    ProgressCallback,
    RenderOptions,
    ScriptStyle,
)
from reconciler.backends.relational import RelationalBackend
from reconciler.changes import Action, Change, Statement
from reconciler.model import Database


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


def note_data_facts(changes: list[Change], current: Database) -> list[Change]:
    """What the hazards need to know about the existing rows, which a change alone does not say.

    - extra["row_estimate"] on a column added to an existing table: the planner's estimate of its rows;
    - extra["on_new_null_column"] on a foreign key that has a column added by this plan with no default:
      that column is NULL in every existing row, so no existing row is checked (MATCH SIMPLE).
    """
    new_null_columns = set()
    for change in changes:
        if change.kind == "column" and change.action == Action.CREATE and change.table in current.tables:
            change.extra["row_estimate"] = current.tables[change.table].row_estimate
            column = change.after
            if column.default is None and not column.identity and not column.serial:
                new_null_columns.add((change.table, column.name))
    for change in changes:
        if change.kind == "foreign_key" and change.action == Action.CREATE and \
                any((change.table, name) in new_null_columns for name in change.after.columns):
            change.extra["on_new_null_column"] = True
    return changes


class PostgresBackend(RelationalBackend):
    name = "postgres"
    url_schemes: Sequence[str] = ("postgresql", "postgres")
    # Sessions of schemactl run with standard_conforming_strings on (execute.connect); the plan's literals
    # (defaults, checks as PostgreSQL prints them) are written for it.
    script_style = ScriptStyle(preamble=("SET standard_conforming_strings = on;",), begin="BEGIN;",
                               commit="COMMIT;", run_hint="psql -v ON_ERROR_STOP=1 -f plan.sql")

    def build_model(self, spec: Any) -> Database:
        from .build import build_model

        return build_model(spec)

    def spec_schema(self) -> dict[str, Any]:
        from .kinds import spec_schema

        return spec_schema()

    def connect(self, url: str, *, read_only: bool = False, options: ConnectOptions | None = None) -> Any:
        from .execute import connect

        return connect(url, read_only=read_only, options=options)

    def close(self, conn: Any) -> None:
        from .execute import close

        close(conn)

    def inspect(self, conn: Any, desired: Any | None) -> Database:
        from .catalog import inspect
        from .session import lost_is_target_error

        with lost_is_target_error(conn, "reading the catalog"):
            return inspect(conn, desired)

    def canonicalize(self, conn: Any | None, desired: Database, current: Database) -> Database:
        from .canonicalize import canonicalize
        from .casts import check_type_changes

        if conn is None:
            return canonicalize(conn, desired, current)
        from .kinds.partition import canonicalize_bounds
        from .session import lost_is_target_error

        with lost_is_target_error(conn, "comparing expressions on the server"):
            canonical = canonicalize(conn, desired, current)
            canonicalize_bounds(conn, canonical, current)
            check_type_changes(conn, canonical, current)
        return canonical

    def relational_diff(self, current: Database, desired: Database) -> list[Change]:
        from .kinds import diff_relational

        return diff_relational(current, desired)

    def diff(self, current: Database, desired: Database) -> list[Change]:
        from reconciler.hooks import split_required_columns
        from reconciler.objects import diff_objects, run_after_diffs

        from .kinds import OBJECT_KINDS

        changes = self.relational_diff(current, desired)
        changes = note_data_facts(enrich_enum_changes(changes, current, desired), current)
        changes += diff_objects(current.objects, desired.objects, OBJECT_KINDS.values())
        return split_required_columns(run_after_diffs(changes, current, desired, OBJECT_KINDS.values()), desired.hooks)

    def order(self, changes: list[Change]) -> list[Change]:
        from reconciler.relational.order import relational_order

        from .kinds import OBJECT_KINDS, PLACEMENTS

        return relational_order(changes, OBJECT_KINDS.values(), PLACEMENTS)

    def render(self, change: Change, options: RenderOptions) -> list[Statement]:
        from .render import render

        return render(change, options)

    def annotate_hazards(self, change: Change, options: RenderOptions) -> Change:
        from .hazards import annotate_hazards

        return annotate_hazards(change, options)

    def execute(self, conn: Any, steps: list[tuple[Change, list[Statement]]], *, lock_timeout: float,
                progress: Progress | ProgressCallback | None,
                record: Callable[..., None] | None = None) -> ApplyResult:
        from .execute import execute

        return execute(conn, steps, lock_timeout=lock_timeout, progress=progress, record=record)

    def script_settings(self, statement: Statement, *, in_transaction: bool) -> tuple[list[str], list[str]]:
        """What execute's `_run_statement` does around a statement, as SQL: SET LOCAL and back to the default
        inside a transaction, SET and RESET outside one (no psycopg needed: `diff` renders scripts too)."""
        from .types import sql_string

        settings = [(name, value) for name, value in (("lock_timeout", statement.lock_timeout),
                                                      ("statement_timeout", statement.statement_timeout)) if value]
        if in_transaction:
            return ([f"SET LOCAL {name} = {sql_string(value)};" for name, value in settings],
                    [f"SET LOCAL {name} TO DEFAULT;" for name, _ in settings])
        return ([f"SET {name} = {sql_string(value)};" for name, value in settings],
                [f"RESET {name};" for name, _ in settings])
    def plan_warnings(self, conn: Any, plan: Any, current: Any, desired: Any) -> list[str]:
        from .locks import estimate, read_capacity, warning
        from .session import lost_is_target_error

        changes = [(p.change, any(s.transactional and not s.commit_first for s in p.statements))
                   for p in plan.changes]
        needed = estimate(changes, current, desired)
        if needed <= 100:  # fits in the smallest lock table there can be (10 entries x 10 processes)
            return []
        with lost_is_target_error(conn, "reading the lock settings"):
            text = warning(needed, read_capacity(conn))
        return [text] if text else []

    def inspect_scope(self, conn: Any, schemas: Sequence[str], roles: Sequence[str] = ()) -> Database:
        from .catalog import inspect_scope
        from .kinds.role import Role
        from .session import lost_is_target_error

        with lost_is_target_error(conn, "reading the schemas"):
            scope = inspect_scope(conn, schemas)
        # Roles are cluster-wide: only the ones named are read (as the spec's `roles:` would manage them).
        if roles:
            scope.objects["role"] = {name: Role(name) for name in roles}
        return scope

    def inspect_warnings(self, conn: Any, scope: Any | None) -> list[str]:
        from .catalog import unsupported_objects
        from .session import lost_is_target_error

        with lost_is_target_error(conn, "reading what a spec cannot hold"):
            return [f"not written to the spec: {what} {name} (not supported yet)"
                    for what, name in unsupported_objects(conn, scope)]

    def hold_apply_lock(self, conn: Any, lock_timeout: float) -> AbstractContextManager[Any]:
        from .apply_lock import hold_apply_lock

        return hold_apply_lock(conn, lock_timeout)

    def write_history(self, conn: Any, entry: dict[str, Any]) -> None:
        from .history import write_history

        write_history(conn, entry)

    def read_history(self, conn: Any, limit: int = 1) -> list[dict[str, Any]]:
        from .history import read_history
        from .session import lost_is_target_error

        with lost_is_target_error(conn, "reading the apply history"):
            return read_history(conn, limit)

    def read_history_spec(self, conn: Any, entry_id: int) -> str | None:
        from .history import read_history_spec
        from .session import lost_is_target_error

        with lost_is_target_error(conn, "reading the apply history"):
            return read_history_spec(conn, entry_id)

    def to_spec(self, model: Database) -> dict[str, Any]:
        from .kinds import object_sections
        from .to_spec import to_spec

        document = to_spec(model)
        for section, entries in object_sections(model).items():
            if section in document:
                # A kind that adds attributes to another section's entries (row_security: to tables').
                for key, value in entries.items():
                    entry = {**document[section].get(key, {})}
                    for name, attribute in value.items():
                        if name == "columns" and isinstance(entry.get("columns"), dict):
                            # column_settings: attributes of the table's columns, merged into each column.
                            entry["columns"] = {column: {**spec, **attribute.get(column, {})}
                                                for column, spec in entry["columns"].items()}
                        else:
                            entry[name] = attribute
                    document[section][key] = entry
            else:
                document[section] = entries
        return document


BACKEND = PostgresBackend()

__all__ = ["BACKEND", "PostgresBackend", "enrich_enum_changes", "note_data_facts"]
