"""Views: definition, column names, security_barrier / security_invoker, check option, comment.

Also what views and materialized views share (`materialized_view.py` is the other kind):

- the definition is compared as PostgreSQL prints it (`pg_get_viewdef(oid, true)`): `canonicalize_views`
  gives the desired definition the live spelling when both mean the same (see `same_query`);
- a changed definition replaces a view in place (CREATE OR REPLACE VIEW) when PostgreSQL allows it (the live
  columns, same names and types, lead the new ones), else it is dropped and created again;
- `after_diff` orders views by what they read (drops: dependants first, by the catalog's dependencies;
  creates: by the names the desired queries read), rebuilds the views that read a column whose type changes
  or that is dropped (dropped before that change, created after it, in the one apply transaction), and names
  the views the spec does not manage that read what the plan changes (hazard `dependent_objects`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Hazard, Statement
from reconciler.objects import ObjectKind, created_dropped_or_same

from ..catalog import Catalog, Rows
from ..render import comment_sql as comment_on
from ..types import qualified_name, quote_ident, sql_string

QUERY = "view"
MANAGED = "managed_views"
READ_ORDER = 100
VIEW, MATERIALIZED_VIEW = "view", "materialized_view"
VIEW_KINDS = (VIEW, MATERIALIZED_VIEW)
#: The objects key of the live dependency edges (`view_dependency.py`); not a registered kind.
DEPENDENCIES = "view_dependency"
CHECK_OPTIONS = ("local", "cascaded")
_TRUE = {"true", "on", "yes", "1", "t", "y"}

#: A view's output column as PostgreSQL describes it: (name, type oid, typmod).
OutputColumn = tuple[str, int, int]


@dataclass
class View:
    name: str
    schema: str
    #: The SELECT, as the spec writes it or as PostgreSQL prints it (canonicalize gives the spec the live text
    #: when both mean the same).
    query: str
    security_barrier: bool = False
    security_invoker: bool = False
    check_option: str | None = None
    comment: str | None = None
    #: Output column name -> comment (COMMENT ON COLUMN view.column).
    column_comments: dict[str, str] = field(default_factory=dict)
    #: The spec's `columns:` (CREATE VIEW v (a, b)); the live definition carries them as aliases.
    column_names: list[str] | None = field(default=None, compare=False)
    #: Output columns: live, from the catalog; desired, as the server describes the query (None: unknown).
    columns: list[OutputColumn] | None = field(default=None, compare=False)
    #: Live: a column is of a domain type. `columns` hold its base type (what describing a query gives), so
    #: whether a new definition keeps the domain, as CREATE OR REPLACE requires, is unknown.
    domain_columns: bool = field(default=False, compare=False)
    prevent_destroy: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class ViewDependency:
    """A live view (or materialized view) reads a relation, or one column of it (`column` None: the whole)."""

    view: str
    view_kind: str
    relation: str
    column: str | None
    #: Read from the view's query, not the catalog (`diff` between two specs): any column may be read.
    any_column: bool = False


# -- spec <-> model -------------------------------------------------------------------------------


def check_query(query: Any) -> str:
    """The query text without a trailing `;`; ValueError unless it is one SELECT (or VALUES, set operation)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from reconciler.spec.expressions import parse_error_message, refuse_separators

    if not isinstance(query, str) or not query.strip():
        raise ValueError("query must be a non-empty SELECT")
    text = query.strip().rstrip(";").rstrip()
    try:
        refuse_separators(text, "postgres")
    except ValueError:
        raise ValueError("query: write one SELECT, without ';' between statements") from None
    try:
        statements = [s for s in sqlglot.parse(text, dialect="postgres") if s is not None]
    except SqlglotError as exc:
        raise ValueError(f"query: {parse_error_message(exc)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query | exp.Values):
        raise ValueError("query must be one SELECT (or VALUES), not another statement")
    if any(select.args.get("into") for select in statements[0].find_all(exp.Select)):
        raise ValueError("query: SELECT ... INTO creates a table; a view's query cannot")
    return text


def build_column_names(spec: dict[str, Any]) -> list[str] | None:
    names = spec.get("columns")
    if names is None:
        return None
    if len(set(names)) != len(names):
        raise ValueError("columns: a name is listed twice")
    return list(names)


def build_column_comments(spec: dict[str, Any], query: str, column_names: list[str] | None) -> dict[str, str]:
    """`column_comments:`; each must name an output column where the query tells its names offline (no `*`)."""
    import sqlglot

    comments = dict(spec.get("column_comments") or {})
    if not comments:
        return comments
    statement = sqlglot.parse_one(query, dialect="postgres")
    outputs = [e.alias_or_name for e in getattr(statement, "selects", [])]
    if outputs and all(outputs) and not any(e.find(sqlglot.exp.Star) for e in statement.selects):
        names = list(column_names or []) + outputs[len(column_names or []):]
        for column in comments:
            if column not in names:
                raise ValueError(f"column_comments: {column!r} is not a column of the query (it has "
                                 f"{', '.join(names)})")
    return comments


def offline_output_names(view: View) -> list[str] | None:
    """The view's output column names where its query tells them offline (no `*`, every column named)."""
    import sqlglot

    statement = sqlglot.parse_one(view.query, dialect="postgres")
    outputs = [e.alias_or_name for e in getattr(statement, "selects", [])]
    if view.column_names and len(view.column_names) >= len(outputs):
        return list(view.column_names)
    if outputs and all(outputs) and not any(e.find(sqlglot.exp.Star) for e in statement.selects):
        return list(view.column_names or []) + outputs[len(view.column_names or []):]
    return None


def column_comment_statements(what: str, view: Any, before: Any | None = None) -> list[Statement]:
    """COMMENT ON COLUMN for each output column whose comment differs from `before`'s (None: a new view)."""
    old = before.column_comments if before is not None else {}
    name = qualified_name(view.schema, view.name)
    statements = []
    for column in [*view.column_comments, *(c for c in old if c not in view.column_comments)]:
        comment = view.column_comments.get(column)
        if comment != old.get(column):
            statements.append(Statement(comment_on("COLUMN", f"{name}.{quote_ident(column)}", comment)))
    return statements


def check_name_free(schema: str, name: str, context: Any) -> None:
    """Tables, views and materialized views share one namespace per schema."""
    if f"{schema}.{name}" in context.db.tables:
        raise ValueError(f"{schema}.{name} is also a table of the spec")
    if f"{schema}.{name}" in context.db.objects.get(VIEW, {}):
        raise ValueError(f"{schema}.{name} is also a view of the spec")


def build(key: str, spec: dict[str, Any], context: Any) -> View:
    schema, name = context.split(key)
    check_name_free(schema, name, context)
    check_option = spec.get("check_option")
    if check_option is not None and check_option not in CHECK_OPTIONS:
        raise ValueError(f"check_option must be one of {', '.join(CHECK_OPTIONS)}")
    query, column_names = check_query(spec.get("query")), build_column_names(spec)
    return View(name=name, schema=schema, query=query,
                security_barrier=bool(spec.get("security_barrier", False)),
                security_invoker=bool(spec.get("security_invoker", False)), check_option=check_option,
                comment=spec.get("comment"), column_names=column_names,
                column_comments=build_column_comments(spec, query, column_names),
                prevent_destroy=bool(spec.get("prevent_destroy")))


def spec_key(obj: View | Any) -> str:
    return obj.key if obj.schema != "public" else obj.name


def to_spec(view: View) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {"query": view.query}
    if view.security_barrier:
        spec["security_barrier"] = True
    if view.security_invoker:
        spec["security_invoker"] = True
    if view.check_option is not None:
        spec["check_option"] = view.check_option
    if view.comment is not None:
        spec["comment"] = view.comment
    if view.column_comments:
        spec["column_comments"] = dict(view.column_comments)
    return spec_key(view), spec


# -- catalog --------------------------------------------------------------------------------------


def live_query(text: str) -> str:
    """pg_get_viewdef's text without its leading blank and trailing `;`."""
    return text.strip().rstrip(";").rstrip()


def parse_reloptions(reloptions: list[str] | None) -> dict[str, str]:
    options = {}
    for item in reloptions or []:
        name, _, value = item.partition("=")
        options[name] = value
    return options


def output_columns(names: list[str], described: list[list[int]]) -> list[OutputColumn]:
    """The live columns as a described query gives them: (name, base type, its typmod) per {type, typmod, depth}
    from the catalog (a domain column is described as its base type)."""
    return [(name, int(oid), int(mod)) for name, (oid, mod, _) in zip(names, described, strict=True)]


def has_domain_columns(described: list[list[int]]) -> bool:
    return any(depth > 0 for _, _, depth in described)


def load(rows: Rows, catalog: Catalog) -> None:
    for _oid, schema, name, definition, reloptions, comment, _populated, names, described, column_comments in rows:
        options = parse_reloptions(reloptions)
        view = View(name=name, schema=schema, query=live_query(definition),
                    security_barrier=options.get("security_barrier", "false").lower() in _TRUE,
                    security_invoker=options.get("security_invoker", "false").lower() in _TRUE,
                    check_option=options.get("check_option"), comment=comment,
                    columns=output_columns(names, described), domain_columns=has_domain_columns(described),
                    column_comments={n: c for n, c in zip(names, column_comments, strict=True) if c is not None})
        catalog.db.objects.setdefault(VIEW, {})[view.key] = view


# -- comparing definitions ------------------------------------------------------------------------------


def _query_key(sql: str, schema: str) -> Any:
    """A structural key of a query in which PostgreSQL's re-printing vanishes; None if it does not parse.

    Conservative on purpose: unqualified tables are put in the view's own schema (the spec's default, which is
    the apply session's search_path in the usual setup), redundant parentheses and `::text` on string literals go,
    `IN (a, b)` is `= ANY (ARRAY[a, b])`, and column qualifiers are dropped only when the query reads exactly one
    table (so that two different tables' columns can never look the same).
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from ..equivalence import _key

    try:
        tree = sqlglot.parse_one(sql, dialect="postgres")
    except SqlglotError:
        return None
    tables = list(tree.find_all(exp.Table))
    single = len(tables) == 1 and tree.find(exp.Subquery, exp.CTE, exp.Join) is None

    def transform(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Paren):
            return node.this
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string \
                and node.to.sql(dialect="postgres").lower() == "text":
            return node.this
        if isinstance(node, exp.In) and node.args.get("expressions") and not node.args.get("query"):
            return exp.EQ(this=node.this, expression=exp.Any(this=exp.Array(expressions=node.expressions)))
        if isinstance(node, exp.Table) and not node.args.get("db"):
            node = node.copy()
            node.set("db", exp.to_identifier(schema))
            return node
        if single and isinstance(node, exp.Column) and node.args.get("table"):
            node = node.copy()
            node.set("table", None)
            return node
        if single and isinstance(node, exp.Alias) and isinstance(node.this, exp.Column) \
                and node.alias == node.this.name:
            return node.this
        return node

    previous = None
    for _ in range(5):
        tree = tree.transform(transform)
        if repr(tree) == previous:
            break
        previous = repr(tree)
    return _key(tree)


def same_query(desired: str, live: str, schema: str) -> bool:
    """Offline: the same text, or the same structure once PostgreSQL's re-printing is undone (`_query_key`)."""
    if desired == live:
        return True
    key = _query_key(desired, schema)
    return key is not None and key == _query_key(live, schema)


def canonicalize_views(conn: Any | None, desired: Any, current: Any) -> None:
    """Give each desired (materialized) view the live definition's text when both mean the same.

    Offline first (`same_query`); otherwise, when connected, PostgreSQL decides read-only: the desired query is
    described (its output columns: names, types; parsed, never executed) and both queries are planned
    (`EXPLAIN (VERBOSE)`, never executed): the same output columns and the same plan mean the same view.
    The description also tells the diff whether a new definition can replace the view in place.
    """
    from .materialized_view import canonicalize_indexes

    pending: list[tuple[Any, Any]] = []
    for kind in VIEW_KINDS:
        live_objects = current.objects.get(kind, {})
        for key, view in desired.objects.get(kind, {}).items():
            live = live_objects.get(key)
            if kind == MATERIALIZED_VIEW:
                canonicalize_indexes(view, live)
            if live is None:
                continue
            if view.column_names is None and same_query(view.query, live.query, view.schema):
                view.query = live.query
                view.columns = live.columns
            else:
                pending.append((view, live))
    if pending and conn is not None:
        _ask_database(conn, pending)


def _ask_database(conn: Any, pending: list[tuple[Any, Any]]) -> None:
    # The session's own search_path stays: the desired query is read as `apply` will create it.
    from ..canonicalize import read_only_probe

    with read_only_probe(conn) as probe:
        if probe is None:
            return
        describe, explain = probe.describe, probe.explain
        for view, live in pending:
            columns = describe(view.query)
            if columns is not None and view.column_names is not None:
                if len(view.column_names) > len(columns):
                    continue
                columns = [(name, *column[1:]) for name, column in
                           zip(view.column_names + [c[0] for c in columns[len(view.column_names):]], columns,
                               strict=True)]
            view.columns = columns
            if columns is None or columns != live.columns:
                continue
            plan = explain(view.query)
            if plan is not None and plan == explain(live.query):
                view.query, view.column_names = live.query, None


# -- comparison and rendering ---------------------------------------------------------------------------


def replaceable_in_place(before: Any, after: Any) -> bool:
    """PostgreSQL's CREATE OR REPLACE rule: the live columns (names, types) lead the new ones, in order."""
    if before.columns is None or after.columns is None or getattr(before, "domain_columns", False):
        return False
    return after.columns[:len(before.columns)] == before.columns


def rebuild(kind: ObjectKind, key: str, before: Any, after: Any, note: str) -> list[Change]:
    """Dropped (ordered with the drops) and created again (with the creates): `after_diff` orders the pair."""
    drop = Change(Action.DROP, kind.name, kind.address(key), before=before, extra={"rebuild": True})
    create = Change(Action.CREATE, kind.name, kind.address(key), after=after, extra={"rebuild": True})
    for change in (drop, create):
        change.notes.append(note)
    return [drop, create]


def diff(kind: ObjectKind, key: str, before: View | None, after: View | None) -> list[Change]:
    simple = created_dropped_or_same(kind, key, before, after)
    if simple is not None:
        return simple
    address = kind.address(key)
    if before.query != after.query and not replaceable_in_place(before, after):
        return rebuild(kind, key, before, after, "its columns change (or could not be described): PostgreSQL "
                                                 "cannot replace it in place, so it is dropped and created again")
    attributes = [AttributeChange(name, getattr(before, name), getattr(after, name))
                  for name in ("query", "security_barrier", "security_invoker", "check_option", "comment",
                               "column_comments")
                  if getattr(before, name) != getattr(after, name)]
    change = Change(Action.ALTER, kind.name, address, before=before, after=after, attributes=attributes)
    if before.query != after.query:
        change.extra["attribute_diffs"] = {"query": query_diff(before.query, after.query)}
    return [change]


def query_diff(old: str, new: str) -> list[str]:
    """The two definitions line by line (`-` live, `+` wanted), for the text plan."""
    return [f"- {line}" for line in old.splitlines()] + [f"+ {line}" for line in new.splitlines()]


def options_sql(options: dict[str, str]) -> str:
    """`WITH (name = 'value', ...)` (names quoted, values literals: reloptions accept both), or ''."""
    if not options:
        return ""
    items = ", ".join(f"{'.'.join(quote_ident(part) for part in name.split('.'))} = {sql_string(value)}"
                      for name, value in options.items())
    return f" WITH ({items})"


def view_options(view: View) -> dict[str, str]:
    options = {}
    if view.check_option is not None:
        options["check_option"] = view.check_option
    if view.security_barrier:
        options["security_barrier"] = "true"
    if view.security_invoker:
        options["security_invoker"] = "true"
    return options


def column_list_sql(view: Any) -> str:
    return f" ({', '.join(quote_ident(c) for c in view.column_names)})" if view.column_names else ""


def comment_statement(what: str, view: Any) -> Statement:
    return Statement(comment_on(what, qualified_name(view.schema, view.name), view.comment))


def render(change: Change, options: Any) -> list[Statement]:
    if change.action == Action.DROP:
        # IF EXISTS: a view reading a table the plan drops may be gone with it (never CASCADE: that could
        # take views the spec does not manage along).
        return [Statement(f"DROP VIEW IF EXISTS {qualified_name(change.before.schema, change.before.name)};")]
    view: View = change.after
    name = qualified_name(view.schema, view.name)
    if change.action == Action.CREATE:
        statements = [Statement(f"CREATE VIEW {name}{column_list_sql(view)}{options_sql(view_options(view))}"
                                f" AS\n{view.query};")]
        if view.comment is not None:
            statements.append(comment_statement("VIEW", view))
        return statements + column_comment_statements("VIEW", view)
    changed = {a.name for a in change.attributes}
    statements = []
    if "query" in changed:
        # CREATE OR REPLACE sets the options too (they replace the live ones).
        statements.append(Statement(f"CREATE OR REPLACE VIEW {name}{column_list_sql(view)}"
                                    f"{options_sql(view_options(view))} AS\n{view.query};"))
    elif changed & {"security_barrier", "security_invoker", "check_option"}:
        wanted = view_options(view)
        gone = [option for option in view_options(change.before) if option not in wanted]
        if wanted:
            statements.append(Statement(f"ALTER VIEW {name} SET{options_sql(wanted)[5:]};"))
        if gone:
            statements.append(Statement(f"ALTER VIEW {name} RESET ({', '.join(quote_ident(o) for o in gone)});"))
    if "comment" in changed:
        statements.append(comment_statement("VIEW", view))
    if "column_comments" in changed:
        statements += column_comment_statements("VIEW", view, change.before)
    return statements


# -- the pass over the whole plan ------------------------------------------------------------------------


def _label(kind: str) -> str:
    return "materialized view" if kind == MATERIALIZED_VIEW else "view"


def _triggers(change: Change) -> tuple[str, list[tuple[str, str | None]]] | None:
    """(why, [(relation, column or None)]) when `change` needs the views reading those gone first."""
    if change.kind == "column" and change.action == Action.ALTER and \
            {a.name for a in change.attributes} & {"type", "collation"}:
        return f"the type change of {change.table}.{change.before.name}", [(change.table, change.before.name)]
    if change.kind == "column" and change.action == Action.DROP:
        return f"the drop of column {change.table}.{change.before.name}", [(change.table, change.before.name)]
    if change.kind == "table" and change.action == Action.DROP:
        return f"the drop of table {change.before.key}", [(change.before.key, None)]
    if change.kind == "enum" and change.extra.get("recreate"):
        return (f"the recreation of enum {change.after.key}",
                [(table, column) for table, column in change.extra.get("columns") or []])
    if change.kind in VIEW_KINDS and change.action == Action.DROP:
        if "rebuilt_around" in change.extra:  # readers of a rebuilt view are rebuilt around the same change
            return change.extra["rebuilt_around"], [(change.before.key, None)]
        return f"the drop of {_label(change.kind)} {change.before.key}", [(change.before.key, None)]
    return None


def _readers(edges: Iterable[ViewDependency], targets: list[tuple[str, str | None]]) -> list[ViewDependency]:
    found: dict[tuple[str, str], ViewDependency] = {}
    for edge in edges:
        for relation, column in targets:
            # A column's change concerns the views reading that column (pg_depend names it); a whole
            # relation's (a drop) every view reading the relation.
            if edge.relation == relation and (column is None or edge.column == column or edge.any_column):
                found.setdefault((edge.view_kind, edge.view), edge)
    return list(found.values())


def after_diff(changes: list[Change], current: Any, desired: Any) -> list[Change]:
    """Rebuild the views around what changes under them; name unmanaged readers; order all view changes."""
    from . import OBJECT_KINDS

    edges = live_dependencies(current)
    managed = {(kind, key) for kind in VIEW_KINDS for key in current.objects.get(kind, {})}
    dropped = {(c.kind, c.before.key) for c in changes if c.kind in VIEW_KINDS and c.action == Action.DROP}
    work = list(changes)
    superseded: set[int] = set()
    position = 0
    while position < len(work):  # grows as rebuilt views' drops trigger their own readers' rebuilds
        change = work[position]
        position += 1
        trigger = _triggers(change)
        if trigger is None:
            continue
        why, targets = trigger
        for edge in _readers(edges, targets):
            ident = (edge.view_kind, edge.view)
            if ident not in managed:
                change.add_hazard(Hazard.DEPENDENT_OBJECTS,
                                  f"{_label(edge.view_kind)} {edge.view}, which the spec does not manage, reads it: "
                                  f"PostgreSQL refuses the change while it exists")
                continue
            if ident in dropped:
                continue
            dropped.add(ident)
            kind = OBJECT_KINDS[edge.view_kind]
            address = kind.address(edge.view)
            # Its own in-place change (if any) gives way to the rebuild, which creates the wanted definition.
            superseded.update(id(c) for c in work if c.kind == kind.name and c.address == address)
            wanted = desired.objects.get(edge.view_kind, {}).get(edge.view)
            live = current.objects[edge.view_kind][edge.view]
            if wanted is None:  # not in the spec: its drop is planned already, normally
                work.append(Change(Action.DROP, kind.name, address, before=live))
            else:
                pair = rebuild(kind, edge.view, live, wanted, f"rebuilt around {why}")
                pair[0].extra["rebuilt_around"] = why
                work += pair
    result = [c for c in work if id(c) not in superseded]
    for change in result:
        # A rebuild destroys the view (its privileges, a materialized view's rows) before creating it again.
        if change.kind in VIEW_KINDS and change.action == Action.DROP and change.extra.get("rebuild"):
            wanted = desired.objects.get(change.kind, {}).get(change.before.key)
            change.prevented = bool(wanted is not None and wanted.prevent_destroy)
    return order_view_changes(result, edges, desired)


def live_dependencies(current: Any) -> list[ViewDependency]:
    """The catalog's edges; for a model read from a spec (`diff` between two specs), the relations each view's
    query names, any of their columns."""
    if DEPENDENCIES in current.objects:
        return list(current.objects[DEPENDENCIES].values())
    return [ViewDependency(view.key, kind, relation, None, any_column=True)
            for kind in VIEW_KINDS for view in current.objects.get(kind, {}).values()
            for relation in sorted(query_relations(view.query, view.schema))]


def _topological(keys: list[tuple[str, str]], reads: dict[tuple[str, str], set[str]]) -> list[tuple[str, str]]:
    """`keys` with each after the ones it reads (by relation key), otherwise in the given order; cycles kept."""
    by_relation = {ident[1]: ident for ident in keys}
    done: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def visit(ident: tuple[str, str], path: set[tuple[str, str]]) -> None:
        if ident in seen or ident in path:
            return
        path.add(ident)
        for relation in sorted(reads.get(ident, ())):
            other = by_relation.get(relation)
            if other is not None and other != ident:
                visit(other, path)
        seen.add(ident)
        done.append(ident)

    for ident in keys:
        visit(ident, set())
    return done


def query_relations(query: str, schema: str) -> set[str]:
    """The relations a desired query names (sqlglot's table references, CTE names left out)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(query, dialect="postgres")
    except SqlglotError:
        return set()
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    return {f"{table.db or schema}.{table.name}" for table in tree.find_all(exp.Table)
            if table.db or table.name not in ctes}


def order_view_changes(changes: list[Change], edges: list[ViewDependency], desired: Any) -> list[Change]:
    """Views' drops dependants first (the catalog's dependencies), their creates and changes dependencies first
    (the names the desired queries read); `relational_order` keeps this order within their phases."""
    others = [c for c in changes if c.kind not in VIEW_KINDS]
    mine = [c for c in changes if c.kind in VIEW_KINDS]
    if not mine:
        return changes
    drops = [c for c in mine if c.action == Action.DROP]
    rest = [c for c in mine if c.action != Action.DROP]
    live_reads: dict[tuple[str, str], set[str]] = {}
    for edge in edges:
        live_reads.setdefault((edge.view_kind, edge.view), set()).add(edge.relation)
    drop_keys = [(c.kind, c.before.key) for c in drops]
    drop_rank = {ident: i for i, ident in enumerate(reversed(_topological(drop_keys, live_reads)))}
    drops.sort(key=lambda c: drop_rank[(c.kind, c.before.key)])
    wanted_reads = {(c.kind, c.after.key): query_relations(c.after.query, c.after.schema) for c in rest}
    create_rank = {ident: i for i, ident in
                   enumerate(_topological(list(dict.fromkeys((c.kind, c.after.key) for c in rest)), wanted_reads))}
    rest.sort(key=lambda c: create_rank[(c.kind, c.after.key)])
    return others + drops + rest


KIND = ObjectKind(name=VIEW, section="views", build=build, to_spec=to_spec, render=render,
                  create_before="foreign_key", diff=diff, after_diff=after_diff)
