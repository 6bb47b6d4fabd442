"""Read a live SQLite database into the relational model.

PRAGMAs give columns, key order, foreign key actions and index keys; names,
CHECK expressions, collations and index expressions come from the stored
CREATE text (see `ddl`). Everything the renderer writes reads back to the
same model the spec produced.
"""

from __future__ import annotations

import re
import sqlite3

from reconciler.errors import TargetError
from reconciler.model import (
    CheckConstraint,
    Column,
    Database,
    Default,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    UniqueConstraint,
)
from reconciler.spec.relational import index_column_name, make_object_name

from .ddl import ParsedConstraint, ParsedTable, parse_create_index, parse_create_table
from .history import HISTORY_TABLE
from .types import RULES, normalize_live_type, quote_ident

_LITERAL = re.compile(
    r"""^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|'(?:[^']|'')*'|TRUE|FALSE|NULL)$""", re.IGNORECASE)
_FK_ACTIONS = {"CASCADE": "cascade", "SET NULL": "set null", "SET DEFAULT": "set default",
               "RESTRICT": "restrict", "NO ACTION": "no action"}


def is_literal(expression: str) -> bool:
    """Whether a default is a plain value (a spec scalar) rather than an SQL expression."""
    return bool(_LITERAL.match(expression.strip()))


def inspect_database(conn: sqlite3.Connection) -> Database:
    db = Database(dialect="sqlite")
    try:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "AND name <> ? ORDER BY name", (HISTORY_TABLE,)).fetchall()
        for name, sql in rows:
            db.tables[name] = inspect_table(conn, name, sql)
    except sqlite3.DatabaseError as exc:
        raise TargetError(f"cannot read the SQLite schema: {exc}") from None
    return db


def inspect_table(conn: sqlite3.Connection, name: str, sql: str) -> Table:
    parsed = parse_create_table(sql)
    table = Table(name=name)
    pk_order: dict[int, str] = {}
    for _cid, col_name, declared, notnull, default, pk, hidden in conn.execute(
            f"PRAGMA table_xinfo({quote_ident(name)})"):
        if hidden:
            # Generated and virtual-table columns are not part of the model.
            continue
        parsed_column = parsed.columns.get(col_name)
        table.columns[col_name] = Column(
            name=col_name, type=normalize_live_type(declared or ""), nullable=not notnull,
            default=Default(default, literal=is_literal(default)) if default is not None else None,
            collation=parsed_column.collation if parsed_column else None)
        if pk:
            pk_order[pk] = col_name
    if pk_order:
        columns = [pk_order[k] for k in sorted(pk_order)]
        if len(columns) == 1 and table.columns[columns[0]].type == "INTEGER":
            # An INTEGER PRIMARY KEY is the rowid: never NULL, even when NOT NULL was not written.
            table.columns[columns[0]].nullable = False
        declared_name = _named(parsed, "primary_key")
        table.primary_key = PrimaryKey(
            name=declared_name or make_object_name(name, [], "pkey", RULES.max_identifier), columns=columns)
    _read_uniques(table, parsed)
    _read_checks(table, parsed)
    _read_foreign_keys(conn, table, parsed)
    _read_indexes(conn, table)
    return table


def _named(parsed: ParsedTable, kind: str) -> str | None:
    return next((c.name for c in parsed.constraints if c.kind == kind and c.name), None)


def _read_uniques(table: Table, parsed: ParsedTable) -> None:
    for c in parsed.constraints:
        if c.kind == "unique":
            name = c.name or make_object_name(table.name, list(c.columns), "key", RULES.max_identifier)
            table.uniques[name] = UniqueConstraint(name=name, columns=list(c.columns))


def _read_checks(table: Table, parsed: ParsedTable) -> None:
    for c in parsed.constraints:
        if c.kind == "check" and c.expression is not None:
            name = c.name or make_object_name(table.name, [c.column] if c.column else [], "check",
                                              RULES.max_identifier)
            table.checks[name] = CheckConstraint(name=name, expression=c.expression)


def _read_foreign_keys(conn: sqlite3.Connection, table: Table, parsed: ParsedTable) -> None:
    groups: dict[int, list[tuple]] = {}
    for row in conn.execute(f"PRAGMA foreign_key_list({quote_ident(table.name)})"):
        groups.setdefault(row[0], []).append(row)
    declared = [c for c in parsed.constraints if c.kind == "foreign_key"]
    # PRAGMA lists foreign keys last-declared first; read them in declaration order.
    for fk_id in sorted(groups, reverse=True):
        rows = sorted(groups[fk_id], key=lambda r: r[1])
        ref_table = rows[0][2]
        columns = [r[3] for r in rows]
        ref_columns = [r[4] for r in rows]
        if any(c is None for c in ref_columns):
            # REFERENCES parent without a column list means the parent's primary key.
            ref_columns = _primary_key_of(conn, ref_table)
        source = _match_declared(declared, columns, ref_table)
        name = (source.name if source and source.name else
                make_object_name(table.name, columns, "fkey", RULES.max_identifier))
        table.foreign_keys[name] = ForeignKey(
            name=name, columns=columns, ref_table=ref_table, ref_columns=ref_columns,
            on_delete=_FK_ACTIONS.get(rows[0][6].upper(), "no action"),
            on_update=_FK_ACTIONS.get(rows[0][5].upper(), "no action"),
            deferrable=bool(source and source.deferrable),
            initially_deferred=bool(source and source.initially_deferred))


def _match_declared(declared: list[ParsedConstraint], columns: list[str], ref_table: str
                    ) -> ParsedConstraint | None:
    for i, c in enumerate(declared):
        if [x.lower() for x in c.columns] == [x.lower() for x in columns] and \
                (c.ref_table or "").lower() == ref_table.lower():
            return declared.pop(i)
    return None


def _primary_key_of(conn: sqlite3.Connection, table: str) -> list[str]:
    rows = [(pk, name) for _cid, name, _t, _nn, _d, pk in conn.execute(f"PRAGMA table_info({quote_ident(table)})")
            if pk]
    return [name for _pk, name in sorted(rows)]


def _read_indexes(conn: sqlite3.Connection, table: Table) -> None:
    for _seq, name, unique, origin, _partial in conn.execute(f"PRAGMA index_list({quote_ident(table.name)})"):
        if origin != "c":
            continue
        row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone()
        if row is None or row[0] is None:
            continue
        table.indexes[name] = _index(conn, name, bool(unique), row[0])


def _index(conn: sqlite3.Connection, name: str, unique: bool, sql: str) -> Index:
    parsed = parse_create_index(sql)
    keys = [r for r in conn.execute(f"PRAGMA index_xinfo({quote_ident(name)})") if r[5]]
    elements: list[IndexElement] = []
    for (_seqno, cid, col_name, desc, _coll, _key), source in zip(keys, parsed.elements, strict=False):
        collation = source.collation
        if cid >= 0:
            elements.append(IndexElement(column=col_name, descending=bool(desc), collation=collation))
        else:
            elements.append(IndexElement(expression=source.text, descending=bool(desc), collation=collation))
    return Index(name=name, elements=elements, unique=unique, where=parsed.where)


def default_index_name(table: str, elements: list[IndexElement]) -> str:
    return make_object_name(table, [index_column_name(e) for e in elements], "idx", RULES.max_identifier)
