"""Extensions: those in the managed schemas and those the spec names, wherever they live."""

from __future__ import annotations

from reconciler.model import Extension

from ..catalog import Catalog, Rows

QUERY = "extension"
READ_ORDER = 20


def load(rows: Rows, catalog: Catalog) -> None:
    for name, schema in rows:
        catalog.db.extensions[name] = Extension(name=name, schema=schema)
