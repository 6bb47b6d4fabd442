"""The indexes of materialized views, read like a table's (`index._index`) into their `MaterializedView`."""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

from ..catalog import Catalog, Rows
from .index import _index
from .view import MATERIALIZED_VIEW

QUERY = "materialized_view_index"
READ_ORDER = 102


def load(rows: Rows, catalog: Catalog) -> None:
    views = catalog.db.objects.get(MATERIALIZED_VIEW, {})
    # One row per key, an index's rows together and in order; `_index` reads them without the view's name.
    for (schema, view_name, _name), keys in groupby(rows, key=itemgetter(0, 1, 2)):
        view = views.get(f"{schema}.{view_name}")
        if view is not None:
            index = _index([(None, *row[2:]) for row in keys])
            view.indexes[index.name] = index
