"""Schemas: the managed ones that exist."""

from __future__ import annotations

from reconciler.changes import Action

from ..catalog import Catalog, Rows
from ..render import Renderer
from ..types import quote_ident

QUERY = "schema"
READ_ORDER = 10


def load(rows: Rows, catalog: Catalog) -> None:
    existing = {r[0] for r in rows}
    catalog.db.schemas = [s for s in catalog.schemas if s in existing]


# -- rendering ---------------------------------------------------------------------------------------


def _schema(r: Renderer) -> None:
    if r.change.action == Action.CREATE:
        r.add(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(str(r.change.after))}")
    else:
        r.add(f"DROP SCHEMA {quote_ident(str(r.change.before))}")


# (change kind, action) -> the renderer of that change (see render.render).
RENDER = {("schema", Action.CREATE): _schema, ("schema", Action.DROP): _schema}
