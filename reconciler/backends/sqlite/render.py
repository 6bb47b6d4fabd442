"""Changes -> SQLite statements.

SQLite's ALTER TABLE only renames, adds and drops columns; everything else
goes through the documented rebuild procedure
(https://www.sqlite.org/lang_altertable.html#otheralter), for which `fold`
turns the changes of one table into a single `table` change with
extra["rebuild"] = True. Foreign keys can only be declared inside CREATE
TABLE, so a created table carries its foreign keys inline.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reconciler.backends import RenderOptions
from reconciler.backends.relational import (
    column_statements,
    foreign_key_sql,
    names_sql,
    owning_table,
    render_sql,
)
from reconciler.changes import (
    CHECK,
    COLUMN,
    FOREIGN_KEY,
    INDEX,
    PRIMARY_KEY,
    TABLE,
    UNIQUE,
    Action,
    Change,
    Statement,
)
from reconciler.errors import PlanError
from reconciler.model import Column, Index, IndexElement, Table

from .types import quote_ident as q

# Defaults SQLite accepts without parentheses (and in ALTER TABLE ADD COLUMN, bar CURRENT_*).
_BARE_DEFAULT = re.compile(
    r"""^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|'(?:[^']|'')*'|[xX]'[0-9a-fA-F]*'|TRUE|FALSE|NULL|"""
    r"""CURRENT_TIME|CURRENT_DATE|CURRENT_TIMESTAMP)$""", re.IGNORECASE)
_CURRENT = re.compile(r"^CURRENT_(TIME|DATE|TIMESTAMP)$", re.IGNORECASE)

REBUILD_SUFFIX = "__new"


def default_sql(expression: str) -> str:
    """SQLite needs parentheses around any default that is not a literal; PRAGMA reports it without them."""
    expression = expression.strip()
    return expression if _BARE_DEFAULT.match(expression) else f"({expression})"


def can_add_in_place_default(expression: str | None) -> bool:
    """ADD COLUMN refuses parenthesized and CURRENT_* defaults."""
    if expression is None:
        return True
    expression = expression.strip()
    return bool(_BARE_DEFAULT.match(expression)) and not _CURRENT.match(expression)


def column_sql(column: Column) -> str:
    parts = [q(column.name), column.type]
    if not column.nullable:
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append(f"DEFAULT {default_sql(column.default.expression)}")
    if column.collation:
        parts.append(f"COLLATE {q(column.collation)}")
    return " ".join(p for p in parts if p)


def _names(columns: list[str]) -> str:
    return names_sql(columns, q)


def create_table_sql(table: Table, name: str | None = None) -> str:
    """CREATE TABLE with every constraint inline: SQLite cannot add constraints later."""
    lines = [column_sql(c) for c in table.columns.values()]
    if table.primary_key:
        lines.append(f"CONSTRAINT {q(table.primary_key.name)} PRIMARY KEY ({_names(table.primary_key.columns)})")
    for unique in table.uniques.values():
        lines.append(f"CONSTRAINT {q(unique.name)} UNIQUE ({_names(unique.columns)})")
    for fk in table.foreign_keys.values():
        lines.append(foreign_key_sql(fk, q))
    for check in table.checks.values():
        lines.append(f"CONSTRAINT {q(check.name)} CHECK ({check.expression})")
    body = ",\n  ".join(lines)
    return f"CREATE TABLE {q(name or table.name)} (\n  {body}\n)"


def _element_sql(element: IndexElement) -> str:
    sql = q(element.column) if element.column is not None else (element.expression or "").strip()
    if element.collation:
        sql += f" COLLATE {q(element.collation)}"
    if element.descending:
        sql += " DESC"
    return sql


def create_index_sql(index: Index, table: str) -> str:
    unique = "UNIQUE " if index.unique else ""
    sql = (f"CREATE {unique}INDEX {q(index.name)} ON {q(table)} "
           f"({', '.join(_element_sql(e) for e in index.elements)})")
    if index.where:
        sql += f" WHERE {index.where.strip()}"
    return sql


def rebuild_statements(before: Table, after: Table, sources: dict[str, str]) -> list[str]:
    """The 12-step procedure's SQL part; foreign_keys=OFF, the transaction and re-creating the
    table's triggers (not part of the model) are `execute`'s job.

    `sources` maps a desired column to the live column its rows come from (renames);
    desired columns without a source take their default, as ADD COLUMN would.
    """
    temp = after.name + REBUILD_SUFFIX
    targets: list[str] = []
    selects: list[str] = []
    for column in after.columns.values():
        source = sources.get(column.name, column.name)
        if source not in before.columns:
            continue
        targets.append(q(column.name))
        # `using` stays in the spec after the conversion; applying it again on a later rebuild would
        # convert converted data, so it only applies while the type actually changes.
        converting = column.using and before.columns[source].type != column.type
        selects.append(f"({column.using})" if converting else q(source))
    statements = [create_table_sql(after, temp)]
    if targets:
        statements.append(f"INSERT INTO {q(temp)} ({', '.join(targets)}) "
                          f"SELECT {', '.join(selects)} FROM {q(after.name)}")
    statements += [
        f"DROP TABLE {q(after.name)}",
        # Legacy mode renames without re-checking views, which name the dropped table for a moment.
        "PRAGMA legacy_alter_table = ON",
        f"ALTER TABLE {q(temp)} RENAME TO {q(after.name)}",
        "PRAGMA legacy_alter_table = OFF",
    ]
    statements += [create_index_sql(index, after.name) for index in after.indexes.values()]
    return statements


def _render_table(change: Change) -> list[str]:
    if change.action == Action.CREATE:
        return [create_table_sql(change.after)]
    if change.action == Action.DROP:
        return [f"DROP TABLE {q(change.before.name)}"]
    if change.action == Action.RENAME:
        return [f"ALTER TABLE {q(change.before.name)} RENAME TO {q(change.after.name)}"]
    if change.action == Action.ALTER and change.extra.get("rebuild"):
        return rebuild_statements(change.before, change.after, change.extra.get("sources", {}))
    if change.action == Action.ALTER:
        # Only comments are altered in place elsewhere; SQLite has none.
        return []
    raise _unsupported(change)


def _render_column(change: Change) -> list[str]:
    return column_statements(change, q, column_sql, _unsupported)


def _render_index(change: Change) -> list[str]:
    table = owning_table(change)
    statements: list[str] = []
    if change.action in (Action.DROP, Action.REPLACE, Action.RENAME):
        statements.append(f"DROP INDEX {q(change.before.name)}")
    if change.action in (Action.CREATE, Action.REPLACE, Action.RENAME):
        statements.append(create_index_sql(change.after, table))
    if not statements:
        raise _unsupported(change)
    return statements


def _render_inline_constraint(change: Change) -> list[str]:
    # Foreign keys of a table created in the same plan are already in its CREATE TABLE.
    if change.extra.get("inline"):
        return []
    raise _unsupported(change)


def _unsupported(change: Change) -> PlanError:
    return PlanError(f"{change.address}: SQLite cannot {change.action.value} a {change.kind} in place; "
                     "plan with the sqlite backend's diff, which rebuilds the table")


_RENDERERS: dict[str, Callable[[Change], list[str]]] = {
    TABLE: _render_table,
    COLUMN: _render_column,
    INDEX: _render_index,
    PRIMARY_KEY: _render_inline_constraint,
    UNIQUE: _render_inline_constraint,
    FOREIGN_KEY: _render_inline_constraint,
    CHECK: _render_inline_constraint,
}


def render(change: Change, options: RenderOptions | None = None) -> list[Statement]:
    """Statements for one change; online options do not apply (SQLite locks the whole file anyway)."""
    return [Statement(sql=sql if sql.rstrip().endswith(";") else sql.rstrip() + ";")
            for sql in render_sql(change, _RENDERERS, "sqlite")]
