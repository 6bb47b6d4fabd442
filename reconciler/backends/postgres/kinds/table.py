"""Tables (not partitions) of the managed schemas, their comment and the planner's row estimate."""

from __future__ import annotations

from reconciler.model import Table

from ..catalog import Catalog, Rows

QUERY = "table"


def load(rows: Rows, catalog: Catalog) -> None:
    tables, by_oid = catalog.db.tables, catalog.tables_by_oid
    for oid, schema, name, comment, reltuples in rows:
        # reltuples is -1 for a table never vacuumed or analyzed (PostgreSQL 14+): no estimate.
        table = Table(name=name, schema=schema, comment=comment,
                      row_estimate=float(reltuples) if reltuples is not None else -1.0)
        by_oid[oid] = tables[table.key] = table
