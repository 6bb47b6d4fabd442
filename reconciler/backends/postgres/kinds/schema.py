"""Schemas: the managed ones that exist, and their comments."""

from __future__ import annotations

from reconciler.changes import Action, AttributeChange, Change
from reconciler.model import Database
from reconciler.relational.order import Placement

from ..catalog import Catalog, Rows
from ..render import Renderer
from ..types import quote_ident, sql_string

SCHEMA = "schema"
QUERY = "schema"
READ_ORDER = 10
DIFF_ORDER = 10
# First everything else can live in; last, once everything in it is gone.
ORDER = (Placement(SCHEMA, (Action.CREATE, Action.ALTER), before=("extension", Action.CREATE)),
         Placement(SCHEMA, (Action.DROP,), after=("extension", Action.DROP)))


def load(rows: Rows, catalog: Catalog) -> None:
    comments = {name: comment for name, comment in rows}
    catalog.db.schemas = [s for s in catalog.schemas if s in comments]
    catalog.db.schema_comments = {name: comment for name, comment in comments.items() if comment is not None}


# -- comparison ------------------------------------------------------------------------------------


def diff_schemas(current: Database, desired: Database) -> list[Change]:
    """Managed schemas are created, never dropped; a comment the spec gives is set (a schema listed by name
    alone keeps whatever comment it has, such as public's 'standard public schema')."""
    changes = []
    for schema in desired.schemas:
        exists = schema in current.schemas
        live = current.schema_comments.get(schema) if exists else None
        wanted = desired.schema_comments.get(schema, live)
        if not exists:
            changes.append(Change(Action.CREATE, SCHEMA, f"schema {schema}", after=schema,
                                  extra={"comment": wanted}))
        elif wanted != live:
            changes.append(Change(Action.ALTER, SCHEMA, f"schema {schema}", before=schema, after=schema,
                                  attributes=[AttributeChange("comment", live, wanted)], extra={"comment": wanted}))
    return changes


DIFF = diff_schemas


# -- rendering ---------------------------------------------------------------------------------------


def _schema(r: Renderer) -> None:
    if r.change.action == Action.DROP:
        r.add(f"DROP SCHEMA {quote_ident(str(r.change.before))}")
        return
    name = quote_ident(str(r.change.after))
    comment = r.change.extra.get("comment")
    if r.change.action == Action.CREATE:
        r.add(f"CREATE SCHEMA IF NOT EXISTS {name}")
        if comment is None:
            return
    r.add(f"COMMENT ON SCHEMA {name} IS {'NULL' if comment is None else sql_string(comment)}")


# (change kind, action) -> the renderer of that change (see render.render).
RENDER = {("schema", Action.CREATE): _schema, ("schema", Action.ALTER): _schema, ("schema", Action.DROP): _schema}
