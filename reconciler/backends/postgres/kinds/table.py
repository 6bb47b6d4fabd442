"""Tables (not partitions) of the managed schemas, and their comment."""

from __future__ import annotations

from reconciler.model import Table

from ..catalog import Catalog, Rows

QUERY = "table"
READ_ORDER = 60


def load(rows: Rows, catalog: Catalog) -> None:
    tables, by_oid = catalog.db.tables, catalog.tables_by_oid
    for oid, schema, name, comment in rows:
        table = Table(name=name, schema=schema, comment=comment)
        by_oid[oid] = tables[table.key] = table
