"""Changes -> MySQL/MariaDB statements, their order and hazards.

Every identifier goes through `quote_ident` (`q`), every string through `sql_string`; nothing else is put
into the text but the model's canonical types, the renderer's keywords and checked default expressions.
Each statement commits on its own (MySQL DDL is not transactional), so a change that needs two steps
(dropping an index and adding its replacement) is one ALTER TABLE where MySQL allows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.backends import RenderOptions
from reconciler.backends.relational import (
    column_statements,
    foreign_key_sql,
    names_sql,
    owning_table,
    render_sql,
)
from reconciler.changes import (
    COLUMN,
    FOREIGN_KEY,
    INDEX,
    PRIMARY_KEY,
    TABLE,
    UNIQUE,
    Action,
    Change,
    Hazard,
    Statement,
)
from reconciler.errors import PlanError
from reconciler.model import Column, Index, Table, UniqueConstraint
from reconciler.relational.order import relational_order

from .types import quote_ident as q
from .types import sql_string


def _names(columns: list[str]) -> str:
    return names_sql(columns, q)


def column_sql(column: Column) -> str:
    parts = [q(column.name), column.type, "NULL" if column.nullable else "NOT NULL"]
    if column.default is not None:
        expression = column.default.expression
        # A literal stands bare; an expression in parentheses (MariaDB 10.2+, MySQL 8.0.13+).
        parts.append(f"DEFAULT {expression}" if column.default.literal else f"DEFAULT ({expression})")
    if column.identity:
        parts.append("AUTO_INCREMENT")
    if column.comment is not None:
        parts.append(f"COMMENT {sql_string(column.comment)}")
    return " ".join(parts)


def index_columns_sql(index: Index) -> str:
    return ", ".join(q(e.column or "") + (" DESC" if e.descending else "") for e in index.elements)


def create_table_sql(table: Table) -> str:
    lines = [column_sql(c) for c in table.columns.values()]
    if table.primary_key is not None:
        lines.append(f"PRIMARY KEY ({_names(table.primary_key.columns)})")
    lines += [f"CONSTRAINT {q(u.name)} UNIQUE ({_names(u.columns)})" for u in table.uniques.values()]
    body = ",\n  ".join(lines)
    comment = f" COMMENT={sql_string(table.comment)}" if table.comment is not None else ""
    return f"CREATE TABLE {q(table.name)} (\n  {body}\n) ENGINE=InnoDB{comment}"


def _table(change: Change) -> str:
    return q(owning_table(change))


def _render_table(change: Change) -> list[str]:
    if change.action == Action.CREATE:
        return [create_table_sql(change.after)]
    if change.action == Action.DROP:
        return [f"DROP TABLE {q(change.before.name)}"]
    if change.action == Action.RENAME:
        return [f"RENAME TABLE {q(change.before.name)} TO {q(change.after.name)}"]
    if change.action == Action.ALTER:
        return [f"ALTER TABLE {q(change.after.name)} COMMENT = {sql_string(change.after.comment or '')}"]
    raise _unsupported(change)


def _render_column(change: Change) -> list[str]:
    if change.action == Action.ALTER:
        # MODIFY restates the whole column: type, NULL, default, AUTO_INCREMENT and comment.
        return [f"ALTER TABLE {_table(change)} MODIFY COLUMN {column_sql(change.after)}"]
    return column_statements(change, q, column_sql, _unsupported)


def _render_primary_key(change: Change) -> list[str]:
    table = _table(change)
    if change.action == Action.CREATE:
        return [f"ALTER TABLE {table} ADD PRIMARY KEY ({_names(change.after.columns)})"]
    if change.action == Action.DROP:
        return [f"ALTER TABLE {table} DROP PRIMARY KEY"]
    if change.action == Action.REPLACE:
        return [f"ALTER TABLE {table} DROP PRIMARY KEY, ADD PRIMARY KEY ({_names(change.after.columns)})"]
    if change.action == Action.RENAME:
        return []  # MySQL names every primary key PRIMARY: the model's name is the spec's convention only
    raise _unsupported(change)


def _unique_sql(unique: UniqueConstraint) -> str:
    return f"CONSTRAINT {q(unique.name)} UNIQUE ({_names(unique.columns)})"


def _index_sql(index: Index) -> str:
    return f"{'UNIQUE ' if index.unique else ''}INDEX {q(index.name)} ({index_columns_sql(index)})"


def _render_unique(change: Change) -> list[str]:
    if change.action == Action.CREATE:
        return [f"ALTER TABLE {_table(change)} ADD {_unique_sql(change.after)}"]
    if change.action == Action.DROP:
        return [f"ALTER TABLE {_table(change)} DROP INDEX {q(change.before.name)}"]
    return _replace_or_rename_index(change, _unique_sql)


def _render_index(change: Change) -> list[str]:
    if change.action == Action.CREATE:
        unique = "UNIQUE " if change.after.unique else ""
        return [f"CREATE {unique}INDEX {q(change.after.name)} ON {_table(change)} ({index_columns_sql(change.after)})"]
    if change.action == Action.DROP:
        return [f"DROP INDEX {q(change.before.name)} ON {_table(change)}"]
    return _replace_or_rename_index(change, _index_sql)


def _replace_or_rename_index(change: Change, definition: Callable[[Any], str]) -> list[str]:
    """Unique keys are indexes to MySQL: both are replaced in one statement (`definition` the new one's clause)
    and renamed alike."""
    table = _table(change)
    if change.action == Action.REPLACE:
        return [f"ALTER TABLE {table} DROP INDEX {q(change.before.name)}, ADD {definition(change.after)}"]
    if change.action == Action.RENAME:
        return [f"ALTER TABLE {table} RENAME INDEX {q(change.before.name)} TO {q(change.after.name)}"]
    raise _unsupported(change)


def _render_foreign_key(change: Change) -> list[str]:
    table = _table(change)
    statements = []
    if change.action in (Action.DROP, Action.REPLACE, Action.RENAME):
        statements.append(f"ALTER TABLE {table} DROP FOREIGN KEY {q(change.before.name)}")
    if change.action in (Action.CREATE, Action.REPLACE, Action.RENAME):
        statements.append(f"ALTER TABLE {table} ADD {foreign_key_sql(change.after, q)}")
    if not statements:
        raise _unsupported(change)
    return statements


def _unsupported(change: Change) -> PlanError:
    return PlanError(f"{change.address}: cannot {change.action.value} a {change.kind} on dialect mysql")


_RENDERERS: dict[str, Callable[[Change], list[str]]] = {
    TABLE: _render_table,
    COLUMN: _render_column,
    PRIMARY_KEY: _render_primary_key,
    UNIQUE: _render_unique,
    INDEX: _render_index,
    FOREIGN_KEY: _render_foreign_key,
}


def render(change: Change, options: RenderOptions | None = None) -> list[Statement]:
    """Statements for one change; the online options are PostgreSQL's and change nothing here."""
    return [Statement(sql=sql + ";", transactional=False) for sql in render_sql(change, _RENDERERS, "mysql")]


def order(changes: list[Change]) -> list[Change]:
    """The relational phases, with index and unique-key drops moved after the index creations: InnoDB refuses
    to drop the index a foreign key uses until another index can serve it (a spec that trades the index
    InnoDB made for a key for one of its own). A drop whose name is created again stays before the creation."""
    ordered = relational_order(changes)
    created = {(c.table, c.after.name) for c in ordered
               if c.kind in (INDEX, UNIQUE) and c.action == Action.CREATE}
    deferred = [c for c in ordered if c.kind in (INDEX, UNIQUE) and c.action == Action.DROP
                and (c.table, c.before.name) not in created]
    if not deferred:
        return ordered
    rest = [c for c in ordered if not any(c is d for d in deferred)]
    last_index = max((i for i, c in enumerate(rest) if c.kind in (INDEX, UNIQUE) and c.action == Action.CREATE),
                     default=-1)
    if last_index < 0:
        return ordered
    return rest[:last_index + 1] + deferred + rest[last_index + 1:]


def annotate_hazards(change: Change) -> Change:
    """Why each change is risky on MySQL; the core clears them for objects of a table created in the plan."""
    name = getattr(change.after or change.before, "name", "")
    if change.action == Action.DROP:
        if change.kind == TABLE:
            change.add_hazard(Hazard.DATA_LOSS, f"table {name} is dropped with its rows")
        elif change.kind == COLUMN:
            change.add_hazard(Hazard.DATA_LOSS, f"column {name} is dropped with its data")
        elif change.kind in (INDEX, UNIQUE):
            change.add_hazard(Hazard.INDEX_DROPPED, f"index {name} is dropped")
        return change
    if change.kind == COLUMN and change.action == Action.CREATE and Hazard.MAY_FAIL_ON_DATA in change.hazards:
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"new NOT NULL column {name} has no default: MySQL fills "
                                                   "existing rows with its type's zero value")
    if change.kind == COLUMN and change.action == Action.ALTER:
        changed = {a.name for a in change.attributes}
        if "type" in changed:
            change.add_hazard(Hazard.TABLE_REWRITE, f"changing the type of {name} may copy the whole table")
            change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"values of {name} that do not fit {change.after.type} "
                                                       "make it fail")
        if "nullable" in changed and not change.after.nullable:
            change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"column {name} becomes NOT NULL: fails if it holds NULLs")
    if change.action in (Action.CREATE, Action.REPLACE):
        if change.kind in (UNIQUE, PRIMARY_KEY) or (change.kind == INDEX and change.after.unique):
            change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"{change.address} fails if existing rows hold duplicates")
        if change.kind == FOREIGN_KEY:
            change.add_hazard(Hazard.FULL_SCAN_VALIDATION, f"adding {change.address} checks every existing row")
            change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"{change.address} fails if existing rows have no parent")
    return change
