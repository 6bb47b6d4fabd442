"""Enum types, their labels in order and their comment."""

from __future__ import annotations

from reconciler.model import Enum

from ..catalog import Catalog, Rows

QUERY = "enum"
READ_ORDER = 30


def load(rows: Rows, catalog: Catalog) -> None:
    for schema, name, values, comment in rows:
        enum = Enum(name=name, values=list(values), schema=schema, comment=comment)
        catalog.db.enums[enum.key] = enum
