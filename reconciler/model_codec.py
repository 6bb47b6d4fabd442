"""The relational model as plain nested tuples and lists, and back: what the model cache stores.

Plain data (str, int, bool, None, tuple, list) so that it round-trips through `marshal`, which
cannot build arbitrary objects. Records are positional: decoding relies on the dataclasses'
field order, so `LAYOUT` (every class with its field names) is part of the cache key, and the
positions the decoder uses are checked against the dataclasses when this module is imported.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from typing import Any, Protocol

from reconciler.model import (
    CheckConstraint,
    Column,
    Database,
    Default,
    Domain,
    Enum,
    Extension,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    UniqueConstraint,
)

_CLASSES = (Default, Column, IndexElement, Index, PrimaryKey, UniqueConstraint, ForeignKey, CheckConstraint,
            Table, Enum, Domain, Extension, Database)
LAYOUT = ";".join(f"{cls.__name__}({','.join(f.name for f in fields(cls))})" for cls in _CLASSES)


def _names(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]


# The decoder below rebuilds these nested fields by position.
assert _names(Column)[3] == "default" and _names(Domain)[4:6] == ["default", "checks"]
assert _names(Index)[1] == "elements" and _names(Database) == ["dialect", "schemas", "extensions", "enums",
                                                                "domains", "tables"]
assert _names(Table)[:8] == ["name", "schema", "columns", "primary_key", "uniques", "indexes", "foreign_keys",
                             "checks"]


_GETTERS = {cls: attrgetter(*_names(cls)) for cls in _CLASSES}


def _flat(obj: Any) -> tuple[Any, ...]:
    """Every field of a model object, in declaration order."""
    return _GETTERS[type(obj)](obj)


def _default(default: Default | None) -> tuple[Any, ...] | None:
    return None if default is None else (default.expression, default.literal)


def _column(column: Column) -> tuple[Any, ...]:
    record = _flat(column)
    return (*record[:3], _default(column.default), *record[4:])


def _index(index: Index) -> tuple[Any, ...]:
    record = _flat(index)
    return (record[0], [_flat(e) for e in index.elements], *record[2:])


def _records(items: dict[str, Any], encode: Any = _flat) -> list[tuple[str, tuple[Any, ...]]]:
    return [(key, encode(value)) for key, value in items.items()]


def _table(table: Table) -> tuple[Any, ...]:
    record = _flat(table)
    return (table.name, table.schema, _records(table.columns, _column),
            None if table.primary_key is None else _flat(table.primary_key),
            _records(table.uniques), _records(table.indexes, _index), _records(table.foreign_keys),
            _records(table.checks), *record[8:])


def _domain(domain: Domain) -> tuple[Any, ...]:
    record = _flat(domain)
    return (*record[:4], _default(domain.default), _records(domain.checks), *record[6:])


def encode(db: Database) -> tuple[Any, ...]:
    tables = _records(db.tables, _table)
    _share_repeated(tables)
    return (db.dialect, list(db.schemas), _records(db.extensions), _records(db.enums),
            _records(db.domains, _domain), tables)


def _share_repeated(tables: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Make equal column entries and index keys of different tables one object. marshal writes a
    repeated object once and reads it back as one: tables repeat most of their columns, so the
    entry is about half the size and reads faster. Keyed by their marshal bytes, which tell apart
    values Python calls equal (0 and False)."""
    seen: dict[bytes, Any] = {}

    def one(value: Any) -> Any:
        return seen.setdefault(marshal.dumps(value), value)

    for _, table in tables:
        columns, indexes = table[2], table[5]
        columns[:] = [one(entry) for entry in columns]
        indexes[:] = [(name, (index[0], [one(e) for e in index[1]], *index[2:])) for name, index in indexes]


ColumnRecords = list[tuple[str, tuple[Any, ...]]]
# Given a table's key and its encoded columns, a columns dict the decoded table takes instead of
# decoding them, or None to decode them.
ReuseColumns = Callable[[str, ColumnRecords], "dict[str, Column] | None"]


class LiveModel(Protocol):
    """The live model a plan reads while a cached desired model is decoded (see `decode`)."""

    def wait(self, kind: str) -> Database | None:
        """The live model once its "columns", "constraints" or "indexes" are in; None if they never will be."""

    def reuse_columns(self, live: Database) -> ReuseColumns:
        """Which live columns dicts a table's encoded columns may take (the backend's rules)."""


def decode(data: tuple[Any, ...], live: LiveModel | None = None) -> Database:
    """The model `data` encodes.

    With `live`, each table's parts are decoded in the order the live ones are read (columns, then
    constraints, then indexes), each kind once `live.wait` has it: a part equal to the live one is
    the live object itself, and is never decoded. Columns are equal as `live.reuse_columns` says;
    the rest when their records are equal. The plan then compares those parts by identity.
    """
    dialect, schemas, extensions, enums, domains, tables = data
    defaults: dict[tuple[str, bool], Default] = {}  # frozen, and a few texts repeat across a schema: shared
    db = Database(dialect, schemas, {k: Extension(*r) for k, r in extensions}, {k: Enum(*r) for k, r in enums},
                  {k: _decode_domain(r, defaults) for k, r in domains},
                  {k: _decode_table(r, defaults) if live is None else _table_shell(r) for k, r in tables})
    if live is not None:
        decoding = list(zip(tables, db.tables.values(), strict=True))
        current = live.wait("columns")
        _columns_from(decoding, live.reuse_columns(current) if current is not None else None, defaults)
        current = live.wait("constraints") if current is not None else None
        _parts_from(decoding, current, _CONSTRAINT_PARTS)
        current = live.wait("indexes") if current is not None else None
        _parts_from(decoding, current, _INDEX_PARTS)
    return db


Decoding = list[tuple[tuple[str, tuple[Any, ...]], Table]]


def _columns_from(decoding: Decoding, reuse: ReuseColumns | None, defaults: dict[tuple[str, bool], Default]) -> None:
    for (key, record), table in decoding:
        reused = reuse(key, record[2]) if reuse is not None else None
        table.columns = reused if reused is not None else _decode_columns(record[2], defaults)


def _parts_from(decoding: Decoding, current: Database | None, parts: tuple[_Part, ...]) -> None:
    """Each of `parts` of each table: the live object where its record equals the live one's, else decoded."""
    live_tables = current.tables if current is not None else {}
    for (key, record), table in decoding:
        live = live_tables.get(key)
        for position, name, encode, decode in parts:
            if live is not None and record[position] == encode(getattr(live, name)):
                setattr(table, name, getattr(live, name))
            else:
                setattr(table, name, decode(record[position]))


def _default_of(record: tuple[str, bool] | None, defaults: dict[tuple[str, bool], Default]) -> Default | None:
    if record is None:
        return None
    return defaults.get(record) or defaults.setdefault(record, Default(*record))


def decode_header(data: tuple[Any, ...]) -> Database:
    """The database without its tables, enums and domains: enough to know what a spec manages."""
    dialect, schemas, extensions = data[:3]
    return Database(dialect, list(schemas), {k: Extension(*r) for k, r in extensions})


def _decode_table(r: tuple[Any, ...], defaults: dict[tuple[str, bool], Default]) -> Table:
    name, schema, columns, primary_key, uniques, indexes, foreign_keys, checks, *rest = r
    return Table(name, schema, _decode_columns(columns, defaults), _decode_primary_key(primary_key),
                 _decode_uniques(uniques), _decode_indexes(indexes), _decode_foreign_keys(foreign_keys),
                 _decode_checks(checks), *rest)


def _table_shell(r: tuple[Any, ...]) -> Table:
    """The table without its columns, constraints and indexes, which `decode` fills in later."""
    return Table(r[0], r[1], {}, None, {}, {}, {}, {}, *r[8:])


Records = list[tuple[str, tuple[Any, ...]]]


def _decode_columns(records: ColumnRecords, defaults: dict[tuple[str, bool], Default]) -> dict[str, Column]:
    return {k: Column(c[0], c[1], c[2], _default_of(c[3], defaults), *c[4:]) for k, c in records}


def _decode_primary_key(record: tuple[Any, ...] | None) -> PrimaryKey | None:
    return None if record is None else PrimaryKey(*record)


def _decode_uniques(records: Records) -> dict[str, UniqueConstraint]:
    return {k: UniqueConstraint(*u) for k, u in records}


def _decode_indexes(records: Records) -> dict[str, Index]:
    return {k: Index(i[0], [IndexElement(*e) for e in i[1]], *i[2:]) for k, i in records}


def _decode_foreign_keys(records: Records) -> dict[str, ForeignKey]:
    return {k: ForeignKey(*f) for k, f in records}


def _decode_checks(records: Records) -> dict[str, CheckConstraint]:
    return {k: CheckConstraint(*c) for k, c in records}


# A table part decoded apart: its position in the table record, its field, how a live one is
# encoded (to compare records) and how its record is decoded.
_Part = tuple[int, str, Callable[[Any], Any], Callable[[Any], Any]]
_CONSTRAINT_PARTS: tuple[_Part, ...] = (
    (3, "primary_key", lambda pk: None if pk is None else _flat(pk), _decode_primary_key),
    (4, "uniques", _records, _decode_uniques),
    (6, "foreign_keys", _records, _decode_foreign_keys),
    (7, "checks", _records, _decode_checks))
_INDEX_PARTS: tuple[_Part, ...] = ((5, "indexes", lambda indexes: _records(indexes, _index), _decode_indexes),)


def _decode_domain(r: tuple[Any, ...], defaults: dict[tuple[str, bool], Default]) -> Domain:
    return Domain(*r[:4], _default_of(r[4], defaults), {k: CheckConstraint(*c) for k, c in r[5]}, *r[6:])
