"""Read the URL's database from information_schema into the relational model.

One query per catalog file (`*.sql` beside this module), all in the caller's read-only transaction. What the
renderer writes reads back to the model `build` makes: unique keys over plain ascending columns are unique
constraints, `restrict` is `no action`, AUTO_INCREMENT is `identity: by default`, MariaDB's json alias
(longtext with a json_valid check) is `json`. The primary key is named as the spec builder names an unnamed
one (MySQL calls every primary key PRIMARY). CHECK constraints other than json's are not read (the spec
cannot declare them on this dialect).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from reconciler.errors import TargetError
from reconciler.model import (
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
from reconciler.spec.relational import make_object_name

from .history import HISTORY_TABLE
from .types import MAX_IDENTIFIER, normalize_live_type, quote_ident

_LITERAL = re.compile(r"""^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|'(?:[^'\\]|''|\\.)*')$""")
_FK_ACTIONS = {"CASCADE": "cascade", "SET NULL": "set null", "SET DEFAULT": "set default",
               "RESTRICT": "no action", "NO ACTION": "no action"}


@cache
def query(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def is_literal(expression: str) -> bool:
    """Whether a reported default is a plain value (a number or a quoted string) rather than an expression."""
    return bool(_LITERAL.match(expression.strip()))


def _rows(conn: Any, name: str) -> list[tuple[Any, ...]]:
    with conn.cursor() as cursor:
        cursor.execute(query(name))
        return list(cursor.fetchall())


def inspect_database(conn: Any) -> Database:
    """The URL's database, read in one read-only transaction; a server error is a TargetError."""
    import pymysql

    from .execute import read_only_snapshot

    try:
        with read_only_snapshot(conn):
            return _read(conn)
    except pymysql.MySQLError as exc:
        raise TargetError(f"cannot read the MySQL schema: {exc}") from None


def _read(conn: Any) -> Database:
    db = Database(dialect="mysql")
    for name, comment in _rows(conn, "tables"):
        if name == HISTORY_TABLE:
            continue
        db.tables[name] = Table(name=name, comment=comment or None)
    for table_name, name, column_type, nullable, default, extra, comment, json_check in _rows(conn, "columns"):
        table = db.tables.get(table_name)
        if table is None:
            continue
        type_ = "json" if column_type.lower() == "longtext" and json_check else normalize_live_type(column_type)
        column = Column(name=name, type=type_, nullable=nullable == "YES", comment=comment or None)
        if default is not None and default != "NULL":
            column.default = Default(default, literal=is_literal(default))
        if "auto_increment" in (extra or "").lower():
            column.identity = "by default"
        table.columns[name] = column
    _read_indexes(db, _rows(conn, "indexes"))
    _read_foreign_keys(db, _rows(conn, "foreign_keys"))
    return db


def _read_indexes(db: Database, rows: list[tuple[Any, ...]]) -> None:
    parts: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in rows:
        if row[0] in db.tables:
            parts.setdefault((row[0], row[1]), []).append(row)
    for (table_name, index_name), key_parts in parts.items():
        table = db.tables[table_name]
        non_unique, index_type = key_parts[0][2], key_parts[0][6]
        columns = [p[3] for p in key_parts]
        plain = index_type == "BTREE" and all(p[5] is None for p in key_parts)
        if index_name == "PRIMARY":
            table.primary_key = PrimaryKey(name=make_object_name(table.name, [], "pkey", MAX_IDENTIFIER),
                                           columns=columns)
            continue
        if plain and not non_unique and all(p[4] != "D" for p in key_parts):
            table.uniques[index_name] = UniqueConstraint(name=index_name, columns=columns)
            continue
        elements = [IndexElement(column=p[3], descending=p[4] == "D") if p[5] is None else
                    # A prefix key part the spec cannot say: shown as an expression, so that it never matches.
                    IndexElement(expression=f"{quote_ident(p[3])}({int(p[5])})", descending=p[4] == "D")
                    for p in key_parts]
        table.indexes[index_name] = Index(name=index_name, elements=elements, unique=not non_unique,
                                          method="btree" if index_type == "BTREE" else index_type.lower())


def _read_foreign_keys(db: Database, rows: list[tuple[Any, ...]]) -> None:
    for table_name, name, column, _ref_schema, ref_table, ref_column, update_rule, delete_rule in rows:
        table = db.tables.get(table_name)
        if table is None:
            continue
        fk = table.foreign_keys.get(name)
        if fk is None:
            fk = table.foreign_keys[name] = ForeignKey(
                name=name, columns=[], ref_table=ref_table, ref_columns=[],
                on_delete=_FK_ACTIONS.get(delete_rule, delete_rule.lower()),
                on_update=_FK_ACTIONS.get(update_rule, update_rule.lower()))
        fk.columns.append(column)
        fk.ref_columns.append(ref_column)
