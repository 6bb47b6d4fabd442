"""Extensions: those in the managed schemas and those the spec names, wherever they live."""

from __future__ import annotations

from reconciler.changes import Action
from reconciler.model import Extension

from ..catalog import Catalog, Rows
from ..render import Renderer
from ..types import quote_ident

QUERY = "extension"
READ_ORDER = 20


def load(rows: Rows, catalog: Catalog) -> None:
    for name, schema in rows:
        catalog.db.extensions[name] = Extension(name=name, schema=schema)


# -- rendering ---------------------------------------------------------------------------------------


def _extension(r: Renderer) -> None:
    if r.change.action == Action.CREATE:
        ext: Extension = r.change.after
        schema = f" SCHEMA {quote_ident(ext.schema)}" if ext.schema else ""
        r.add(f"CREATE EXTENSION IF NOT EXISTS {quote_ident(ext.name)}{schema}")
    else:
        r.add(f"DROP EXTENSION {quote_ident(r.change.before.name)}")


# (change kind, action) -> the renderer of that change (see render.render).
RENDER = {("extension", Action.CREATE): _extension, ("extension", Action.DROP): _extension}
