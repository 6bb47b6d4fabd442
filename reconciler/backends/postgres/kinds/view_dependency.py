"""What live views and materialized views read (pg_depend of their rewrite rules): `view.ViewDependency` edges
in `Database.objects["view_dependency"]`, for the order of view drops and the views rebuilt around a change."""

from __future__ import annotations

from ..catalog import Catalog, Rows
from .view import DEPENDENCIES, MATERIALIZED_VIEW, VIEW, ViewDependency

QUERY = "view_dependency"
READ_ORDER = 103


def load(rows: Rows, catalog: Catalog) -> None:
    for view_schema, view_name, relkind, schema, relation, column in rows:
        edge = ViewDependency(f"{view_schema}.{view_name}", MATERIALIZED_VIEW if relkind == "m" else VIEW,
                              f"{schema}.{relation}", column)
        catalog.db.objects.setdefault(DEPENDENCIES, {})[f"{edge.view}->{edge.relation}.{column or ''}"] = edge
