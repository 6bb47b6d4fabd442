"""Extended statistics (CREATE STATISTICS name (ndistinct, dependencies, mcv) ON a, b FROM t): the planner's
statistics over several columns of a table together.

The statistics target and the comment change in place (ALTER STATISTICS ... SET STATISTICS, COMMENT ON
STATISTICS); any other change drops and creates the object again (it holds only what ANALYZE computes, so
nothing is lost that the next ANALYZE does not bring back). Created after the tables and columns they are on;
dropped (IF EXISTS: a dropped table or column takes its statistics along) before those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.changes import Action, Change, Statement
from reconciler.objects import ObjectKind, attribute_changes, diff_object

from ..catalog import Catalog, Rows
from ..render import comment_sql as comment_on
from ..types import qualified_name, quote_ident
from .function import key_part, split_name

QUERY = "statistics"
READ_ORDER = 85
#: The kinds in the order CREATE STATISTICS takes them; their catalog letters.
KINDS = ("ndistinct", "dependencies", "mcv")
_LETTERS = {"d": "ndistinct", "f": "dependencies", "m": "mcv"}
IN_PLACE = frozenset({"target", "comment"})


@dataclass
class Statistics:
    name: str
    schema: str
    table_schema: str
    table: str
    #: In table order, as PostgreSQL keeps them.
    columns: tuple[str, ...]
    kinds: tuple[str, ...] = KINDS
    #: SET STATISTICS n; None: the default (the columns' own targets).
    target: int | None = None
    comment: str | None = None
    prevent_destroy: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def table_key(self) -> str:
        return f"{self.table_schema}.{self.table}"


def _split(text: str, default_schema: str, context: Any, what: str) -> tuple[str, str]:
    """`name` or `schema.name`, a part double-quoted when it holds a dot (as inspect writes it)."""
    parts = split_name(text)
    if parts is None or len(parts) not in (1, 2):
        raise ValueError(f"{what}{text!r}: expected name or schema.name")
    schema, name = (parts[0], parts[1]) if len(parts) == 2 else (default_schema, parts[0])
    if schema not in context.schemas:
        raise ValueError(f"schema {schema!r} is not listed in schemas")
    return schema, name


def _ref(schema: str, name: str, default_schema: str) -> str:
    return key_part(name) if schema == default_schema else f"{key_part(schema)}.{key_part(name)}"


def build(key: str, spec: dict[str, Any], context: Any) -> Statistics:
    schema, name = _split(key, context.default_schema, context, "")
    table_schema, table = _split(str(spec["table"]), schema, context, "table: ")
    wanted = context.db.tables.get(f"{table_schema}.{table}")
    if wanted is None:
        raise ValueError(f"table: no table {table_schema}.{table} in the tables of the spec")
    if wanted.partition_of is not None:
        raise ValueError(f"table: {table_schema}.{table} is a partition; put the statistics on its parent")
    columns = tuple(spec["columns"])
    if len(set(columns)) != len(columns):
        raise ValueError("columns: a column is listed twice")
    for column in columns:
        if column not in wanted.columns:
            raise ValueError(f"columns: no column {column!r} in table {table_schema}.{table}")
    # PostgreSQL keeps the columns in table order (stxkeys sorted by attnum), whatever order CREATE named them in.
    order = list(wanted.columns)
    columns = tuple(sorted(columns, key=order.index))
    kinds = spec.get("kinds") or list(KINDS)
    if len(set(kinds)) != len(kinds):
        raise ValueError("kinds: a kind is listed twice")
    target = spec.get("target")
    return Statistics(name=name, schema=schema, table_schema=table_schema, table=table, columns=columns,
                      kinds=tuple(k for k in KINDS if k in kinds), target=None if target in (None, -1) else target,
                      comment=spec.get("comment"), prevent_destroy=bool(spec.get("prevent_destroy")))


def to_spec(stats: Statistics) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {"table": _ref(stats.table_schema, stats.table, stats.schema),
                            "columns": list(stats.columns)}
    if stats.kinds != KINDS:
        spec["kinds"] = list(stats.kinds)
    if stats.target is not None:
        spec["target"] = stats.target
    if stats.comment is not None:
        spec["comment"] = stats.comment
    return _ref(stats.schema, stats.name, "public"), spec


def load(rows: Rows, catalog: Catalog) -> None:
    for schema, name, table_schema, table, columns, letters, target, comment in rows:
        stats = Statistics(name=name, schema=schema, table_schema=table_schema, table=table, columns=tuple(columns),
                           kinds=tuple(k for k in KINDS if k in {_LETTERS.get(c) for c in letters}),
                           target=None if target in (None, -1) else target, comment=comment)
        catalog.db.objects.setdefault("statistics", {})[stats.key] = stats


def diff(kind: ObjectKind, key: str, before: Statistics | None, after: Statistics | None) -> list[Change]:
    if before is not None and after is not None and before != after:
        attributes = attribute_changes(before, after)
        action = Action.ALTER if {a.name for a in attributes} <= IN_PLACE else Action.REPLACE
        return [Change(action, kind.name, kind.address(key), before=before, after=after, attributes=attributes,
                       table=after.table_key)]
    changes = diff_object(kind, key, before, after)
    for change in changes:
        change.table = (after or before).table_key
    return changes


def _name(stats: Statistics) -> str:
    return qualified_name(stats.schema, stats.name)


def create_sql(stats: Statistics) -> str:
    kinds = ", ".join(k for k in KINDS if k in stats.kinds)  # keywords from KINDS only
    columns = ", ".join(quote_ident(c) for c in stats.columns)
    return (f"CREATE STATISTICS {_name(stats)} ({kinds}) ON {columns} "
            f"FROM {qualified_name(stats.table_schema, stats.table)};")


def target_sql(stats: Statistics) -> str:
    return f"ALTER STATISTICS {_name(stats)} SET STATISTICS {-1 if stats.target is None else int(stats.target)};"


def comment_sql(stats: Statistics) -> str:
    return comment_on("STATISTICS", _name(stats), stats.comment)


def render(change: Change, options: Any) -> list[Statement]:
    if change.action == Action.DROP:
        return [Statement(f"DROP STATISTICS IF EXISTS {_name(change.before)};")]
    after: Statistics = change.after
    if change.action == Action.ALTER:
        changed = {a.name for a in change.attributes}
        statements = [Statement(target_sql(after))] if "target" in changed else []
        if "comment" in changed:
            statements.append(Statement(comment_sql(after)))
        return statements
    statements = [Statement(f"DROP STATISTICS IF EXISTS {_name(change.before)};")] \
        if change.action == Action.REPLACE else []
    statements.append(Statement(create_sql(after)))
    if after.target is not None:
        statements.append(Statement(target_sql(after)))
    if after.comment is not None:
        statements.append(Statement(comment_sql(after)))
    return statements


# After the tables and columns (created in earlier phases), with the foreign keys' neighbours.
KIND = ObjectKind(name="statistics", section="statistics", build=build, to_spec=to_spec, render=render,
                  create_before="foreign_key", diff=diff)
