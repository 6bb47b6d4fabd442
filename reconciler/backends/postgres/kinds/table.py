"""Tables (not partitions) of the managed schemas, their comment and the planner's row estimate."""

from __future__ import annotations

from reconciler.changes import Action
from reconciler.model import CheckConstraint, ExclusionConstraint, PrimaryKey, Table, UniqueConstraint

from ..catalog import Catalog, Rows
from ..render import Renderer, column_definition, comment_sql, constraint_body
from ..types import qualified_name, quote_ident, sql_string

QUERY = "table"
READ_ORDER = 60


def load(rows: Rows, catalog: Catalog) -> None:
    tables, by_oid = catalog.db.tables, catalog.tables_by_oid
    for oid, schema, name, comment, reltuples, unlogged, reloptions in rows:
        # reltuples is -1 for a table never vacuumed or analyzed (PostgreSQL 14+): no estimate.
        options = dict(item.split("=", 1) for item in reloptions or [])
        table = Table(name=name, schema=schema, comment=comment, unlogged=bool(unlogged), options=options,
                      row_estimate=float(reltuples) if reltuples is not None else -1.0)
        by_oid[oid] = tables[table.key] = table


# -- rendering ---------------------------------------------------------------------------------------


def create_table_sql(table: Table) -> str:
    from .partition import partition_by_sql, partition_of_sql

    if table.partition_of is not None:
        return partition_of_sql(table)
    lines = [f"    {column_definition(c)}" for c in table.columns.values()]
    constraints: list[PrimaryKey | UniqueConstraint | CheckConstraint | ExclusionConstraint] = []
    if table.primary_key:
        constraints.append(table.primary_key)
    # A check the spec wants NOT VALID is added after the table (`_table_create`), so that it stays so.
    constraints += [*table.uniques.values(), *(c for c in table.checks.values() if c.valid),
                    *table.exclusions.values()]
    body = ",\n".join(lines)
    if constraints:
        body += ("" if not lines else ",\n\n") + ",\n".join(
            f"    CONSTRAINT {quote_ident(c.name)} {constraint_body(c)}" for c in constraints)
    unlogged = "UNLOGGED " if table.unlogged else ""
    name = qualified_name(table.schema, table.name)
    return (f"CREATE {unlogged}TABLE {name} (\n{body}\n)" if body else f"CREATE {unlogged}TABLE {name} ()") + \
        partition_by_sql(table) + (f" WITH ({storage_parameters_sql(table.options)})" if table.options else "")


def storage_parameters_sql(options: dict[str, str]) -> str:
    # The names are from TABLE_STORAGE_PARAMETERS (validate) or the catalog; values are literals.
    return ", ".join(f"{quote_ident(name)} = {sql_string(value)}" for name, value in options.items())


def _table_create(r: Renderer) -> None:
    table: Table = r.change.after
    name = qualified_name(table.schema, table.name)
    r.add(create_table_sql(table))
    for check in table.checks.values():
        if not check.valid:
            r.add(f"ALTER TABLE {name} ADD CONSTRAINT {quote_ident(check.name)} {constraint_body(check)} NOT VALID")
    if table.comment is not None:
        r.add(comment_sql("TABLE", name, table.comment))
    for column in table.columns.values():
        if column.comment is not None:
            r.add(comment_sql("COLUMN", f"{name}.{quote_ident(column.name)}", column.comment))
    inline = [table.primary_key] if table.primary_key else []
    for constraint in [*inline, *table.uniques.values(), *table.checks.values(), *table.exclusions.values()]:
        if constraint.comment is not None:
            r.add(comment_sql("CONSTRAINT", f"{quote_ident(constraint.name)} ON {name}", constraint.comment))


def _table_drop(r: Renderer) -> None:
    table: Table = r.change.before
    # A partition of a table replaced in the same plan went with it (kinds/partition.py).
    if_exists = "IF EXISTS " if r.change.extra.get("dropped_with_parent") else ""
    r.add(f"DROP TABLE {if_exists}{qualified_name(table.schema, table.name)}")


def _table_rename(r: Renderer) -> None:
    before: Table = r.change.before
    after: Table = r.change.after
    r.add(f"ALTER TABLE {qualified_name(before.schema, before.name)} RENAME TO {quote_ident(after.name)}")


def _table_alter(r: Renderer) -> None:
    before: Table = r.change.before
    after: Table = r.change.after
    name = qualified_name(after.schema, after.name)
    if before.unlogged != after.unlogged:
        r.add(f"ALTER TABLE {name} SET {'UNLOGGED' if after.unlogged else 'LOGGED'}")
    if before.options != after.options:
        wanted = {k: v for k, v in after.options.items() if before.options.get(k) != v}
        gone = [k for k in before.options if k not in after.options]
        if wanted:
            r.add(f"ALTER TABLE {name} SET ({storage_parameters_sql(wanted)})")
        if gone:
            r.add(f"ALTER TABLE {name} RESET ({', '.join(quote_ident(k) for k in gone)})")
    if before.comment != after.comment:
        r.add(comment_sql("TABLE", name, after.comment))


# (change kind, action) -> the renderer of that change (see render.render).
RENDER = {("table", Action.CREATE): _table_create, ("table", Action.DROP): _table_drop,
          ("table", Action.RENAME): _table_rename, ("table", Action.ALTER): _table_alter}
