"""Render changes as PostgreSQL statements: the dispatch to each kind module's renderers (`RENDER` in
`kinds/<kind>.py`, or a registered `ObjectKind`), and the toolkit they share.

Every identifier is quoted, so case and reserved words survive. CREATE TABLE
follows the layout of Prisma's migration SQL. Online mode (RenderOptions.online)
trades one statement for several that hold weaker locks: CONCURRENTLY for
indexes, NOT VALID + VALIDATE for constraints, and a lock_timeout on everything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from reconciler.backends import RenderOptions
from reconciler.changes import Action, Change, Statement
from reconciler.model import (
    CheckConstraint,
    Column,
    ExclusionConstraint,
    ForeignKey,
    IdentityOptions,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    UniqueConstraint,
)

from .types import qualified_name, quote_ident, quote_ident_if_needed, sql_string

_SERIAL_SQL_TYPE = {"serial": "serial", "bigserial": "bigserial", "smallserial": "smallserial"}


class Renderer:
    """Renders one change; a small object so helpers can see the options without threading them through."""

    def __init__(self, change: Change, options: RenderOptions) -> None:
        self.change, self.options = change, options
        self.out: list[Statement] = []

    # -- statement helpers ----------------------------------------------------------------------

    def add(self, sql: str, *, transactional: bool = True, commit_first: bool = False) -> None:
        sql = sql.rstrip()
        if not sql.endswith(";"):
            sql += ";"
        online = self.options.online
        self.out.append(Statement(sql=sql, transactional=transactional, commit_first=commit_first,
                                  lock_timeout=self.options.lock_timeout if online else None,
                                  statement_timeout=self.options.statement_timeout if online else None))

    def table_name(self) -> str:
        """Quoted name of the table the change belongs to."""
        table = self.change.extra.get("table")
        if isinstance(table, Table):
            return qualified_name(table.schema, table.name)
        return qualified_name(*self.table_parts())

    def table_parts(self) -> tuple[str | None, str]:
        table = self.change.extra.get("table")
        if isinstance(table, Table):
            return table.schema, table.name
        key = self.change.table or ""
        schema, dot, name = key.partition(".")
        return (schema, name) if dot else (None, key)

    def object_in_table_schema(self, name: str) -> str:
        # Indexes live in their table's schema.
        return qualified_name(self.table_parts()[0], name)


def dollar_tag(body: str) -> str:
    """A dollar-quote tag that does not occur in `body` (nor straddles its end): the body can never end the quote."""
    tag, n = "$schemactl$", 0
    # Nor may the closing tag start inside the body: a body ending in `$schemactl` would end the quote early.
    while (body + tag).find(tag) != len(body):
        n += 1
        tag = f"$schemactl{n}$"
    return tag


# -- column definitions ------------------------------------------------------------------------------


def column_type_sql(column: Column) -> str:
    return _SERIAL_SQL_TYPE[column.serial] if column.serial else column.type


def collation_sql(collation: str) -> str:
    # The model holds the collation's name as the catalog does (pg_collation.collname), never SQL.
    return quote_ident(collation)


def column_definition(column: Column) -> str:
    parts = [quote_ident(column.name), column_type_sql(column)]
    if column.collation:
        parts.append(f"COLLATE {collation_sql(column.collation)}")
    if not column.nullable:
        parts.append("NOT NULL")
    if column.default is not None and not column.serial:
        parts.append(f"DEFAULT {column.default.expression}")
    if column.identity:
        parts.append(f"GENERATED {column.identity.upper()} AS IDENTITY")
        if column.identity_options is not None:
            parts.append(f"({' '.join(identity_sequence_options(column))})")
    if column.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({column.generated}) STORED")
    return " ".join(parts)


_INTEGER_MAX = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}


def identity_sequence_options(column: Column) -> list[str]:
    """Every option of an identity column's sequence, defaults spelled out (NO MINVALUE ...): the same
    list creates it or, each prefixed with SET, brings a live one to it."""
    options = column.identity_options or IdentityOptions()
    step = 1 if options.increment is None else options.increment
    top = _INTEGER_MAX.get(column.type, 2**63 - 1)
    low = options.min_value if options.min_value is not None else (1 if step > 0 else -top - 1)
    high = options.max_value if options.max_value is not None else (top if step > 0 else -1)
    start = options.start if options.start is not None else (low if step > 0 else high)
    return [f"INCREMENT BY {int(step)}",
            "NO MINVALUE" if options.min_value is None else f"MINVALUE {int(options.min_value)}",
            "NO MAXVALUE" if options.max_value is None else f"MAXVALUE {int(options.max_value)}",
            f"START WITH {int(start)}", f"CACHE {int(options.cache or 1)}",
            "CYCLE" if options.cycle else "NO CYCLE"]


def comment_sql(what: str, target: str, comment: str | None) -> str:
    return f"COMMENT ON {what} {target} IS {'NULL' if comment is None else sql_string(comment)};"


def columns_sql(columns: list[str]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


def deferrable_sql(deferrable: bool, initially_deferred: bool) -> str:
    if not deferrable:
        return ""
    return " DEFERRABLE INITIALLY DEFERRED" if initially_deferred else " DEFERRABLE"


def _opclass_sql(opclass: str) -> str:
    return ".".join(quote_ident_if_needed(p) for p in opclass.split("."))


def index_element_sql(element: IndexElement) -> str:
    text = quote_ident(element.column) if element.column is not None else f"({element.expression})"
    if element.collation:
        text += f" COLLATE {collation_sql(element.collation)}"
    if element.opclass:
        text += f" {_opclass_sql(element.opclass)}"
    if element.descending:
        text += " DESC"
    if element.nulls:
        text += f" NULLS {element.nulls.upper()}"
    return text


def index_elements_sql(index: Index) -> str:
    return ", ".join(index_element_sql(e) for e in index.elements)


def constraint_body(obj: PrimaryKey | UniqueConstraint | CheckConstraint | ExclusionConstraint) -> str:
    if isinstance(obj, PrimaryKey):
        return f"PRIMARY KEY ({columns_sql(obj.columns)}){deferrable_sql(obj.deferrable, obj.initially_deferred)}"
    if isinstance(obj, UniqueConstraint):
        nulls = " NULLS NOT DISTINCT" if obj.nulls_not_distinct else ""
        return f"UNIQUE{nulls} ({columns_sql(obj.columns)}){deferrable_sql(obj.deferrable, obj.initially_deferred)}"
    if isinstance(obj, ExclusionConstraint):
        elements = ", ".join(f"{index_element_sql(e)} WITH {operator_sql(op)}"
                             for e, op in zip(obj.elements, obj.operators, strict=True))
        sql = f"EXCLUDE USING {quote_ident(obj.method)} ({elements})"
        if obj.where:
            sql += f" WHERE ({obj.where})"
        return sql + deferrable_sql(obj.deferrable, obj.initially_deferred)
    return f"CHECK ({obj.expression}){' NO INHERIT' if obj.no_inherit else ''}"


def operator_sql(operator: str) -> str:
    """An operator as OPERATOR(schema.op) when qualified, else as written; the schema validates the
    characters (only operator symbols), so nothing else can come through."""
    schema, dot, symbol = operator.rpartition(".")
    return f"OPERATOR({quote_ident(schema)}.{symbol})" if dot else operator


def foreign_key_body(fk: ForeignKey) -> str:
    sql = (f"FOREIGN KEY ({columns_sql(fk.columns)}) REFERENCES {qualified_name(fk.ref_schema, fk.ref_table)}"
           f"({columns_sql(fk.ref_columns)})")
    if fk.match == "full":
        sql += " MATCH FULL"
    if fk.on_delete != "no action":
        sql += f" ON DELETE {fk.on_delete.upper()}"
        if fk.on_delete_columns:
            sql += f" ({columns_sql(fk.on_delete_columns)})"
    if fk.on_update != "no action":
        sql += f" ON UPDATE {fk.on_update.upper()}"
    return sql + deferrable_sql(fk.deferrable, fk.initially_deferred)


# -- schemas, extensions, enums -----------------------------------------------------------------------


# -- domains ------------------------------------------------------------------------------------------------


# -- tables and columns -----------------------------------------------------------------------------------


@cache
def _handlers() -> dict[tuple[str, Action], Callable[[Renderer], None]]:
    """(change kind, action) -> renderer, from every kind module's `RENDER`."""
    from .kinds import KINDS

    return {key: handler for module in KINDS for key, handler in getattr(module, "RENDER", {}).items()}


def render(change: Change, options: RenderOptions) -> list[Statement]:
    from .kinds import OBJECT_KINDS
    from .kinds.partition import offline_for_partitioned

    if change.kind in OBJECT_KINDS:
        return OBJECT_KINDS[change.kind].render(change, options)
    online = options
    options = offline_for_partitioned(change, options)
    handler = _handlers().get((change.kind, Action(change.action)))
    if handler is None:
        raise ValueError(f"the postgres backend cannot render {change.action} of {change.kind} ({change.address})")
    renderer = Renderer(change, options)
    handler(renderer)
    if options is not online:  # rendered without --online, but under its timeouts
        for statement in renderer.out:
            statement.lock_timeout, statement.statement_timeout = online.lock_timeout, online.statement_timeout
    return renderer.out
