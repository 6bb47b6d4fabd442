"""What the backends of the relational model (PostgreSQL, SQLite, MySQL) share: `RelationalBackend`, the
`Backend` methods they implement alike, each backend overriding where it differs; the SQL text SQLite and
MySQL write alike; and the refusals of spec features their `build`s share.

Like the backends' `__init__` modules, this one imports nothing heavy: each method loads what it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.backends import (
    Backend,
)
from reconciler.changes import Action, Change
from reconciler.errors import PlanError, SpecError, SpecErrors, spec_error_list
from reconciler.model import Column, Database, ForeignKey, to_plain

if TYPE_CHECKING:
    from reconciler.spec.loader import LoadedSpec, Path_
    from reconciler.spec.relational import DialectRules


class RelationalBackend(Backend):
    """A backend whose spec is the relational spec and whose model is `reconciler.model.Database`: the
    `Backend` methods PostgreSQL, SQLite and MySQL implement alike. Each stage's own work (build, inspect,
    render, execute ...) stays an explicit method of each backend, importing its own module."""

    relational_spec = True

    def spec_schema(self) -> dict[str, Any]:
        from reconciler.spec.relational import relational_schema

        return relational_schema()

    def close(self, conn: Any) -> None:
        conn.close()

    def relational_diff(self, current: Database, desired: Database) -> list[Change]:
        from reconciler.relational import compose_diff

        return compose_diff(current, desired)  # the shared table diff: no kinds of the backend's own

    def diff(self, current: Database, desired: Database) -> list[Change]:
        return self.relational_diff(current, desired)

    def er_model(self, model: Database) -> Any:
        from reconciler.diagram import relational_er

        return relational_er(model)

    def fingerprint_data(self, model: Database) -> Any:
        return to_plain(model)


def names_sql(columns: list[str], quote: Callable[[str], str]) -> str:
    return ", ".join(quote(c) for c in columns)


def foreign_key_sql(fk: ForeignKey, quote: Callable[[str], str]) -> str:
    sql = (f"CONSTRAINT {quote(fk.name)} FOREIGN KEY ({names_sql(fk.columns, quote)}) "
           f"REFERENCES {quote(fk.ref_table)} ({names_sql(fk.ref_columns, quote)})")
    # `no action` is the default (InnoDB reports it as RESTRICT): written as nothing.
    if fk.on_delete != "no action":
        sql += f" ON DELETE {fk.on_delete.upper()}"
    if fk.on_update != "no action":
        sql += f" ON UPDATE {fk.on_update.upper()}"
    if fk.deferrable:  # SQLite's; MySQL's build refuses deferrable keys
        sql += " DEFERRABLE" + (" INITIALLY DEFERRED" if fk.initially_deferred else "")
    return sql


def owning_table(change: Change) -> str:
    assert change.table is not None, f"{change.address} has no owning table"
    return change.table


def column_statements(change: Change, quote: Callable[[str], str], column_sql: Callable[[Column], str],
                      unsupported: Callable[[Change], PlanError]) -> list[str]:
    """ADD, DROP and RENAME COLUMN; `unsupported`'s error for another action."""
    table = quote(owning_table(change))
    if change.action == Action.CREATE:
        return [f"ALTER TABLE {table} ADD COLUMN {column_sql(change.after)}"]
    if change.action == Action.DROP:
        return [f"ALTER TABLE {table} DROP COLUMN {quote(change.before.name)}"]
    if change.action == Action.RENAME:
        return [f"ALTER TABLE {table} RENAME COLUMN {quote(change.before.name)} TO {quote(change.after.name)}"]
    raise unsupported(change)


def render_sql(change: Change, renderers: dict[str, Callable[[Change], list[str]]], dialect: str) -> list[str]:
    """The SQL text of one change, by the renderer of its kind."""
    renderer = renderers.get(change.kind)
    if renderer is None:
        raise PlanError(f"{change.address}: {change.kind} is not supported by dialect {dialect}")
    return renderer(change)


# -- spec -> model: the shared builder, and what SQLite and MySQL refuse alike ----------------------------


def build_refusing(loaded: LoadedSpec, rules: DialectRules,
                   refused: list[SpecError]) -> tuple[Database | None, list[SpecError]]:
    """The shared builder's model (None when it fails), and every error: `refused` (what the dialect cannot
    hold, found before building) followed by the builder's."""
    from reconciler.spec.relational import build_database

    try:
        return build_database(loaded, rules), refused
    except (SpecError, SpecErrors) as exc:
        return None, refused + spec_error_list(exc)


def refuse_deferrable(error: Callable[[Path_, str], None], path: Path_, spec: Any, what: str, dialect: str) -> None:
    """A deferrable key (`what`: primary keys, unique constraints), which only PostgreSQL has."""
    if isinstance(spec, dict) and (spec.get("deferrable") or spec.get("initially_deferred")):
        error(path, f"deferrable {what} are not supported by dialect {dialect}")


def index_element_errors(loaded: LoadedSpec, path: Path_, index: dict[str, Any], keys: tuple[str, ...],
                         target: str) -> list[SpecError]:
    """An index's column entries that set one of `keys`, which `target` (SQLite, MySQL) indexes cannot hold."""
    errors: list[SpecError] = []
    for j, element in enumerate(index.get("columns") or []):
        if not isinstance(element, dict):
            continue
        for key in keys:
            if element.get(key):
                errors.append(loaded.positions.error((*path, "columns", j, key),
                                                     f"{key} is not supported in {target} indexes"))
    return errors
