"""Materialized views: definition, storage options, WITH NO DATA, indexes, comment.

A changed definition always drops and creates the materialized view again (PostgreSQL has no CREATE OR
REPLACE for them). Whether it holds data (`with_data`) is used when it is created and never compared:
REFRESH is not a schema change. Its indexes are compared like a table's. Ordering, rebuilds around column
changes and the comparison of definitions are shared with views (`view.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Statement
from reconciler.model import Index, IndexElement
from reconciler.objects import ObjectKind, created_dropped_or_same
from reconciler.spec.writer import index_attributes

from ..catalog import Catalog, Rows
from ..render import comment_sql
from ..types import qualified_name, quote_ident
from .view import (
    MATERIALIZED_VIEW,
    OutputColumn,
    build_column_comments,
    build_column_names,
    check_name_free,
    check_query,
    column_comment_statements,
    column_list_sql,
    comment_statement,
    live_query,
    options_sql,
    output_columns,
    parse_reloptions,
    rebuild,
    spec_key,
)

# The view query over the managed materialized views.
QUERY = "view"
MANAGED = "managed_materialized_views"
READ_ORDER = 101
_OPTION_NAME = r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$"


@dataclass
class MaterializedView:
    name: str
    schema: str
    query: str
    #: Storage parameters (WITH (fillfactor = 70)), as reloptions holds them: name -> text.
    options: dict[str, str] = field(default_factory=dict)
    comment: str | None = None
    indexes: dict[str, Index] = field(default_factory=dict)
    #: Output column name -> comment (COMMENT ON COLUMN).
    column_comments: dict[str, str] = field(default_factory=dict)
    #: Created WITH DATA (populated) or WITH NO DATA; only used when it is created (see the module doc).
    with_data: bool = field(default=True, compare=False)
    column_names: list[str] | None = field(default=None, compare=False)
    columns: list[OutputColumn] | None = field(default=None, compare=False)
    prevent_destroy: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"


# -- spec <-> model -------------------------------------------------------------------------------


def _option_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _build_index(name: str, spec: dict[str, Any]) -> Index:
    if spec.get("renamed_from"):
        raise ValueError(f"indexes.{name}: renamed_from is not supported on a materialized view's index")
    if spec.get("name") not in (None, name):
        raise ValueError(f"indexes.{name}: name differs from its key")
    order = spec.get("order", "asc")
    elements = []
    for item in spec["columns"]:
        item = {"column": item} if isinstance(item, str) else item
        if "expression" in item:
            from ..types import check_expression

            try:
                check_expression(item["expression"])
            except ValueError as exc:
                raise ValueError(f"indexes.{name}: invalid index expression: {exc}") from None
        elements.append(IndexElement(column=item.get("column"), expression=item.get("expression"),
                                     descending=item.get("order", order) == "desc", nulls=item.get("nulls"),
                                     opclass=item.get("opclass"), collation=item.get("collation")))
    where = (spec.get("where") or "").strip() or None
    if where is not None:
        from ..types import check_expression

        try:
            check_expression(where)
        except ValueError as exc:
            raise ValueError(f"indexes.{name}: invalid index predicate: {exc}") from None
    from reconciler.spec.relational import INDEX_STORAGE_PARAMETERS, storage_value

    method = spec.get("method", "btree")
    for parameter, value in (spec.get("with") or {}).items():
        allowed = INDEX_STORAGE_PARAMETERS.get(method, frozenset())
        if parameter not in allowed:
            raise ValueError(f"indexes.{name}: {method} indexes have no storage parameter {parameter!r} "
                             f"(they have: {', '.join(sorted(allowed)) or 'none'})")
        if parameter == "fillfactor" and not (isinstance(value, int) and not isinstance(value, bool)
                                              and 10 <= value <= 100):
            raise ValueError(f"indexes.{name}: fillfactor must be a whole number from 10 to 100")
    if spec.get("nulls_not_distinct") and not spec.get("unique"):
        raise ValueError(f"indexes.{name}: nulls_not_distinct needs unique: true")
    return Index(name=name, elements=elements, unique=bool(spec.get("unique")), method=method,
                 where=where, include=list(spec.get("include") or []),
                 nulls_not_distinct=bool(spec.get("nulls_not_distinct")),
                 with_={k: storage_value(v) for k, v in (spec.get("with") or {}).items()}, comment=spec.get("comment"))


def build(key: str, spec: dict[str, Any], context: Any) -> MaterializedView:
    import re

    schema, name = context.split(key)
    check_name_free(schema, name, context)
    options = {}
    for option, value in (spec.get("options") or {}).items():
        if not re.match(_OPTION_NAME, option):
            raise ValueError(f"options: {option!r} is not a storage parameter name")
        options[option] = _option_text(value)
    indexes = {index_name: _build_index(index_name, index_spec)
               for index_name, index_spec in (spec.get("indexes") or {}).items()}
    query, column_names = check_query(spec.get("query")), build_column_names(spec)
    return MaterializedView(name=name, schema=schema, query=query, options=options,
                            comment=spec.get("comment"), indexes=indexes, with_data=spec.get("with_data", True),
                            column_names=column_names,
                            column_comments=build_column_comments(spec, query, column_names),
                            prevent_destroy=bool(spec.get("prevent_destroy")))


def _index_spec(index: Index) -> dict[str, Any]:
    # The elements as this kind's build reads them (collations verbatim), the rest as a table's index.
    columns: list[Any] = []
    for element in index.elements:
        item: dict[str, Any] = ({"column": element.column} if element.column is not None
                                else {"expression": element.expression})
        if element.descending:
            item["order"] = "desc"
        for name in ("nulls", "opclass", "collation"):
            if getattr(element, name) is not None:
                item[name] = getattr(element, name)
        columns.append(item["column"] if list(item) == ["column"] else item)
    return {"columns": columns, **index_attributes(index)}


def to_spec(view: MaterializedView) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {"query": view.query}
    if view.options:
        spec["options"] = dict(view.options)
    if not view.with_data:
        spec["with_data"] = False
    if view.indexes:
        spec["indexes"] = {name: _index_spec(index) for name, index in view.indexes.items()}
    if view.comment is not None:
        spec["comment"] = view.comment
    if view.column_comments:
        spec["column_comments"] = dict(view.column_comments)
    return spec_key(view), spec


# -- catalog --------------------------------------------------------------------------------------


def load(rows: Rows, catalog: Catalog) -> None:
    for oid, schema, name, definition, reloptions, comment, populated, names, described, column_comments in rows:
        view = MaterializedView(name=name, schema=schema, query=live_query(definition),
                                options=parse_reloptions(reloptions), comment=comment, with_data=bool(populated),
                                columns=output_columns(names, described),
                                column_comments={n: c for n, c in zip(names, column_comments, strict=True)
                                                 if c is not None})
        catalog.db.objects.setdefault(MATERIALIZED_VIEW, {})[view.key] = view
        catalog.materialized_views_by_oid[oid] = view


# -- comparison, rendering ------------------------------------------------------------------------------


def canonicalize_indexes(view: MaterializedView, live: MaterializedView | None) -> None:
    """Default NULLS placement as the catalog reports it; the live spelling of equivalent expressions."""
    from ..equivalence import equivalent

    for index in view.indexes.values():
        for element in index.elements:
            if element.nulls is not None and element.nulls == ("first" if element.descending else "last"):
                element.nulls = None
        theirs = live.indexes.get(index.name) if live is not None else None
        if theirs is None or len(theirs.elements) != len(index.elements):
            continue
        if index.where and theirs.where and equivalent(index.where, theirs.where):
            index.where = theirs.where
        for mine, other in zip(index.elements, theirs.elements, strict=True):
            if mine.expression and other.expression and equivalent(mine.expression, other.expression):
                mine.expression = other.expression


def diff(kind: ObjectKind, key: str, before: MaterializedView | None,
         after: MaterializedView | None) -> list[Change]:
    simple = created_dropped_or_same(kind, key, before, after)
    if simple is not None:
        return simple
    address = kind.address(key)
    if before.query != after.query:
        return rebuild(kind, key, before, after, "a materialized view's query cannot be replaced in place: "
                                                 "it is dropped and created again (and filled, unless with_data "
                                                 "is false)")
    attributes = [AttributeChange(name, getattr(before, name), getattr(after, name))
                  for name in ("options", "comment", "indexes", "column_comments")
                  if getattr(before, name) != getattr(after, name)]
    return [Change(Action.ALTER, kind.name, address, before=before, after=after, attributes=attributes)]


def _create_index(view: MaterializedView, index: Index) -> Statement:
    from .index import create_index_sql

    table = qualified_name(view.schema, view.name)
    return Statement(create_index_sql(index, table, concurrently=False, name=index.name) + ";")


def _drop_index(view: MaterializedView, name: str) -> Statement:
    return Statement(f"DROP INDEX {qualified_name(view.schema, name)};")


def _index_statements(view: MaterializedView, index: Index) -> list[Statement]:
    """CREATE INDEX, and its comment."""
    statements = [_create_index(view, index)]
    if index.comment is not None:
        statements.append(_comment_index(view, index))
    return statements


def _comment_index(view: MaterializedView, index: Index) -> Statement:
    return Statement(comment_sql("INDEX", qualified_name(view.schema, index.name), index.comment))


def render(change: Change, options: Any) -> list[Statement]:
    if change.action == Action.DROP:
        before: MaterializedView = change.before
        return [Statement(f"DROP MATERIALIZED VIEW IF EXISTS {qualified_name(before.schema, before.name)};")]
    view: MaterializedView = change.after
    name = qualified_name(view.schema, view.name)
    if change.action == Action.CREATE:
        data = "" if view.with_data else " NO"
        statements = [Statement(f"CREATE MATERIALIZED VIEW {name}{column_list_sql(view)}{options_sql(view.options)}"
                                f" AS\n{view.query}\nWITH{data} DATA;")]
        statements += [s for index in view.indexes.values() for s in _index_statements(view, index)]
        if view.comment is not None:
            statements.append(comment_statement("MATERIALIZED VIEW", view))
        return statements + column_comment_statements("MATERIALIZED VIEW", view)
    before = change.before
    changed = {a.name for a in change.attributes}
    statements = []
    if "options" in changed:
        wanted = {k: v for k, v in view.options.items() if before.options.get(k) != v}
        gone = [k for k in before.options if k not in view.options]
        if wanted:
            statements.append(Statement(f"ALTER MATERIALIZED VIEW {name} SET{options_sql(wanted)[5:]};"))
        if gone:
            reset = ", ".join(".".join(quote_ident(p) for p in option.split(".")) for option in gone)
            statements.append(Statement(f"ALTER MATERIALIZED VIEW {name} RESET ({reset});"))
    if "indexes" in changed:
        # An index whose comment alone changes keeps its data: COMMENT ON INDEX, not a rebuild.
        recomment = {index_name for index_name, index in view.indexes.items()
                     if index_name in before.indexes and before.indexes[index_name] != index
                     and replace(before.indexes[index_name], comment=index.comment) == index}
        for index_name, index in before.indexes.items():
            if view.indexes.get(index_name) != index and index_name not in recomment:
                statements.append(_drop_index(view, index_name))
        for index_name, index in view.indexes.items():
            if index_name in recomment:
                statements.append(_comment_index(view, index))
            elif before.indexes.get(index_name) != index:
                statements += _index_statements(view, index)
    if "comment" in changed:
        statements.append(comment_statement("MATERIALIZED VIEW", view))
    if "column_comments" in changed:
        statements += column_comment_statements("MATERIALIZED VIEW", view, before)
    return statements


KIND = ObjectKind(name=MATERIALIZED_VIEW, section="materialized_views", build=build, to_spec=to_spec,
                  render=render, create_before="foreign_key", diff=diff)
