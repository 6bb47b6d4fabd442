"""Indexes that are not a constraint's: keys, method, uniqueness, predicate, INCLUDE, validity."""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

from reconciler.changes import Action
from reconciler.model import Index, IndexElement

from ..catalog import Catalog, Rows
from ..render import Renderer, columns_sql, comment_sql, index_elements_sql
from ..types import quote_ident, sql_string

QUERY = "index"
READ_ORDER = 90
# indoption bits (pg_index.h): INDOPTION_DESC, INDOPTION_NULLS_FIRST.
_DESC, _NULLS_FIRST = 1, 2


def load(rows: Rows, catalog: Catalog) -> None:
    # One row per key, an index's rows together and in order.
    for (oid, name), keys in groupby(rows, key=itemgetter(0, 1)):
        catalog.tables_by_oid[oid].indexes[name] = _index(list(keys))


def _index(rows: list[tuple]) -> Index:
    _, name, unique, method, predicate, nkeys, valid, nulls_not_distinct, reloptions, comment = rows[0][:10]
    elements = []
    for row in rows[:nkeys]:
        attname, option, expression, opclass, collation = row[10:]
        descending = bool(option & _DESC)
        nulls_first = bool(option & _NULLS_FIRST)
        # Only record NULLS placement when it is not the direction's default (DESC => NULLS FIRST).
        nulls = None if nulls_first == descending else ("first" if nulls_first else "last")
        elements.append(IndexElement(attname, None if attname is not None else expression,
                                     descending, nulls, opclass, collation))
    include = [row[10] for row in rows[nkeys:] if row[10] is not None]
    # An index left invalid by an interrupted or failed CREATE INDEX CONCURRENTLY is reported
    # as such, so that the plan rebuilds it instead of trying to create it again by name.
    return Index(name, elements, unique, method, predicate, include, None, bool(valid), bool(nulls_not_distinct),
                 storage_parameters(reloptions), comment)


def storage_parameters(reloptions: list[str] | None) -> dict[str, str]:
    """pg_class.reloptions (`{fillfactor=70}`) as name -> value."""
    return dict(option.split("=", 1) for option in reloptions or ())


def with_sql(parameters: dict[str, str]) -> str:
    # Names are checked by the spec schema (lower-case words); values always go in as string literals,
    # which PostgreSQL parses for every parameter type.
    return ", ".join(f"{quote_ident(k)} = {sql_string(v)}" for k, v in parameters.items())


# -- rendering ---------------------------------------------------------------------------------------


def create_index_sql(index: Index, table: str, *, concurrently: bool, name: str) -> str:
    sql = f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {'CONCURRENTLY ' if concurrently else ''}"
    sql += f"{quote_ident(name)} ON {table}"
    if index.method != "btree":
        sql += f" USING {index.method}"
    sql += f" ({index_elements_sql(index)})"
    if index.include:
        sql += f" INCLUDE ({columns_sql(index.include)})"
    if index.nulls_not_distinct:
        sql += " NULLS NOT DISTINCT"
    if index.with_:
        sql += f" WITH ({with_sql(index.with_)})"
    if index.where:
        sql += f" WHERE {index.where}"
    return sql


def render_create_index(r: Renderer, index: Index) -> None:
    online = r.options.online
    if online and not (r.change.kind == "index" and r.change.action == Action.REPLACE):
        # A failed CONCURRENTLY build leaves an invalid index behind: clear it (a replace has just dropped it).
        r.add(f"DROP INDEX CONCURRENTLY IF EXISTS {r.object_in_table_schema(index.name)}", transactional=False)
    r.add(create_index_sql(index, r.table_name(), concurrently=online, name=index.name), transactional=not online)
    if index.comment is not None:
        r.add(comment_sql("INDEX", r.object_in_table_schema(index.name), index.comment))


def render_drop_index(r: Renderer, index: Index) -> None:
    online = r.options.online
    r.add(f"DROP INDEX {'CONCURRENTLY ' if online else ''}{r.object_in_table_schema(index.name)}",
          transactional=not online)


def _index_change(r: Renderer) -> None:
    if r.change.action in (Action.DROP, Action.REPLACE):
        render_drop_index(r, r.change.before)
    if r.change.action in (Action.CREATE, Action.REPLACE):
        render_create_index(r, r.change.after)


def _index_alter(r: Renderer) -> None:
    """Storage parameters and comment: changed in place."""
    before: Index = r.change.before
    after: Index = r.change.after
    name = r.object_in_table_schema(after.name)
    changed = {k: v for k, v in after.with_.items() if before.with_.get(k) != v}
    if changed:
        r.add(f"ALTER INDEX {name} SET ({with_sql(changed)})")
    removed = [k for k in before.with_ if k not in after.with_]
    if removed:
        r.add(f"ALTER INDEX {name} RESET ({', '.join(quote_ident(k) for k in removed)})")
    if before.comment != after.comment:
        r.add(comment_sql("INDEX", name, after.comment))


def _index_rename(r: Renderer) -> None:
    r.add(f"ALTER INDEX {r.object_in_table_schema(r.change.before.name)} RENAME TO {quote_ident(r.change.after.name)}")


RENDER = {("index", Action.CREATE): _index_change, ("index", Action.DROP): _index_change,
          ("index", Action.REPLACE): _index_change, ("index", Action.RENAME): _index_rename,
          ("index", Action.ALTER): _index_alter}
