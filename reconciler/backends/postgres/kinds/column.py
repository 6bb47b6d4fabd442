"""Columns: type, NOT NULL, default, identity, serial, collation, comment."""

from __future__ import annotations

import re

from reconciler.model import Column, Default

from ..catalog import Catalog, Rows

QUERY = "column"
READ_ORDER = 70
SERIAL_BY_TYPE = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}
_NEXTVAL = re.compile(r"^nextval\('((?:[^']|'')+)'::regclass\)\Z")


def load(rows: Rows, catalog: Catalog) -> None:
    by_oid, names = catalog.tables_by_oid, catalog.attnames
    for row in rows:
        oid, name, attnum = row[0], row[1], row[10]
        by_oid[oid].columns[name] = _column(row)
        names[(oid, attnum)] = name


def _column(row: tuple) -> Column:
    _, name, col_type, notnull, default, identity, generated, collation, comment, owned_seq, _ = row
    if identity:
        return Column(name, col_type, not notnull, None, "always" if identity == "a" else "by default", None,
                      comment, collation)
    if default is not None and not generated:
        match = _NEXTVAL.match(default) if owned_seq else None
        if match and match.group(1).replace("''", "'") == owned_seq and col_type in SERIAL_BY_TYPE:
            return Column(name, col_type, not notnull, None, None, SERIAL_BY_TYPE[col_type], comment, collation)
        return Column(name, col_type, not notnull, Default(default, False), None, None, comment, collation)
    return Column(name, col_type, not notnull, None, None, None, comment, collation)
