"""Indexes that are not a constraint's: keys, method, uniqueness, predicate, INCLUDE, validity."""

from __future__ import annotations

from reconciler.model import Index, IndexElement

from ..catalog import Catalog, Rows

QUERY = "index"
READ_ORDER = 90
# indoption bits (pg_index.h): INDOPTION_DESC, INDOPTION_NULLS_FIRST.
_DESC, _NULLS_FIRST = 1, 2


def load(rows: Rows, catalog: Catalog) -> None:
    for row in rows:
        index = _index(row)
        catalog.tables_by_oid[row[0]].indexes[index.name] = index


def _index(row: tuple) -> Index:
    _, name, unique, method, predicate, nkeys, valid, attnames, options, expressions, opclasses, collations = row
    elements = []
    for attname, option, expression, opclass, collation in list(
            zip(attnames, options, expressions, opclasses, collations, strict=True))[:nkeys]:
        descending = bool(option & _DESC)
        nulls_first = bool(option & _NULLS_FIRST)
        # Only record NULLS placement when it is not the direction's default (DESC => NULLS FIRST).
        nulls = None if nulls_first == descending else ("first" if nulls_first else "last")
        elements.append(IndexElement(attname, None if attname is not None else expression,
                                     descending, nulls, opclass, collation))
    include = [a for a in attnames[nkeys:] if a is not None]
    # An index left invalid by an interrupted or failed CREATE INDEX CONCURRENTLY is reported
    # as such, so that the plan rebuilds it instead of trying to create it again by name.
    return Index(name, elements, unique, method, predicate, include, None, bool(valid))
