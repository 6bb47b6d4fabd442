"""Extensions: those in the managed schemas and those the spec names, wherever they live."""

from __future__ import annotations

from reconciler.changes import Action, Change
from reconciler.model import Database, Extension
from reconciler.relational.order import Placement

from ..catalog import Catalog, Rows
from ..render import Renderer
from ..types import quote_ident

EXTENSION = "extension"
QUERY = "extension"
READ_ORDER = 20
DIFF_ORDER = 20
# Its types and functions before the enums, domains and tables using them; dropped after them. An
# extension moved to another schema (replace) goes with the drops: nothing may use it by then.
ORDER = (Placement(EXTENSION, (Action.CREATE,), before=("enum", Action.CREATE)),
         Placement(EXTENSION, (Action.DROP, Action.REPLACE), after=("enum", Action.DROP)))


def load(rows: Rows, catalog: Catalog) -> None:
    for name, schema in rows:
        catalog.db.extensions[name] = Extension(name=name, schema=schema)


# -- comparison ------------------------------------------------------------------------------------


def _same_extension(a: Extension, b: Extension) -> bool:
    return a.name == b.name and (b.schema is None or a.schema == b.schema)


def diff_extensions(current: Database, desired: Database) -> list[Change]:
    changes = []
    for key, obj in desired.extensions.items():
        if key not in current.extensions:
            changes.append(Change(Action.CREATE, EXTENSION, f"{EXTENSION} {key}", after=obj))
        elif not _same_extension(current.extensions[key], obj):
            changes.append(Change(Action.REPLACE, EXTENSION, f"{EXTENSION} {key}", before=current.extensions[key],
                                  after=obj))
    for key, obj in current.extensions.items():
        if key not in desired.extensions:
            changes.append(Change(Action.DROP, EXTENSION, f"{EXTENSION} {key}", before=obj))
    return changes


DIFF = diff_extensions


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
