"""Indexes that are not a constraint's: keys, method, uniqueness, predicate, INCLUDE, validity."""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

from reconciler.model import Index, IndexElement

from ..catalog import Catalog, Rows

QUERY = "index"
READ_ORDER = 90
# indoption bits (pg_index.h): INDOPTION_DESC, INDOPTION_NULLS_FIRST.
_DESC, _NULLS_FIRST = 1, 2


def load(rows: Rows, catalog: Catalog) -> None:
    # One row per key, an index's rows together and in order.
    for (oid, name), keys in groupby(rows, key=itemgetter(0, 1)):
        catalog.tables_by_oid[oid].indexes[name] = _index(list(keys))


def _index(rows: list[tuple]) -> Index:
    _, name, unique, method, predicate, nkeys, valid = rows[0][:7]
    elements = []
    for row in rows[:nkeys]:
        attname, option, expression, opclass, collation = row[7:]
        descending = bool(option & _DESC)
        nulls_first = bool(option & _NULLS_FIRST)
        # Only record NULLS placement when it is not the direction's default (DESC => NULLS FIRST).
        nulls = None if nulls_first == descending else ("first" if nulls_first else "last")
        elements.append(IndexElement(attname, None if attname is not None else expression,
                                     descending, nulls, opclass, collation))
    include = [row[7] for row in rows[nkeys:] if row[7] is not None]
    # An index left invalid by an interrupted or failed CREATE INDEX CONCURRENTLY is reported
    # as such, so that the plan rebuilds it instead of trying to create it again by name.
    return Index(name, elements, unique, method, predicate, include, None, bool(valid))
