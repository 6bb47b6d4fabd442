"""Schemas: the managed ones that exist."""

from __future__ import annotations

from reconciler.changes import SCHEMA, Action, Change
from reconciler.model import Database

from ..catalog import Catalog, Rows
from ..render import Renderer
from ..types import quote_ident

QUERY = "schema"
READ_ORDER = 10
DIFF_ORDER = 10


def load(rows: Rows, catalog: Catalog) -> None:
    existing = {r[0] for r in rows}
    catalog.db.schemas = [s for s in catalog.schemas if s in existing]


# -- comparison ------------------------------------------------------------------------------------


def diff_schemas(current: Database, desired: Database) -> list[Change]:
    """Managed schemas are created, never dropped."""
    return [Change(Action.CREATE, SCHEMA, f"schema {schema}", after=schema)
            for schema in desired.schemas if schema not in current.schemas]


DIFF = diff_schemas


# -- rendering ---------------------------------------------------------------------------------------


def _schema(r: Renderer) -> None:
    if r.change.action == Action.CREATE:
        r.add(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(str(r.change.after))}")
    else:
        r.add(f"DROP SCHEMA {quote_ident(str(r.change.before))}")


# (change kind, action) -> the renderer of that change (see render.render).
RENDER = {("schema", Action.CREATE): _schema, ("schema", Action.DROP): _schema}
