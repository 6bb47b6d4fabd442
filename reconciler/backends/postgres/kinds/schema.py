"""Schemas: the managed ones that exist."""

from __future__ import annotations

from ..catalog import Catalog, Rows

QUERY = "schema"
READ_ORDER = 10


def load(rows: Rows, catalog: Catalog) -> None:
    existing = {r[0] for r in rows}
    catalog.db.schemas = [s for s in catalog.schemas if s in existing]
