"""The indexes of materialized views: the index kind's query (`index.sql`) over the managed materialized views
instead of the tables (`MANAGED`), its rows read by `index._index` into their `MaterializedView`."""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

from ..catalog import Catalog, Rows
from .index import _index

QUERY = "index"
MANAGED = "managed_materialized_views"
READ_ORDER = 102


def load(rows: Rows, catalog: Catalog) -> None:
    # One row per key, an index's rows together and in order, as for a table's indexes.
    for (oid, _name), keys in groupby(rows, key=itemgetter(0, 1)):
        view = catalog.materialized_views_by_oid.get(oid)
        if view is not None:
            index = _index(list(keys))
            view.indexes[index.name] = index
