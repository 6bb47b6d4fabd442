"""Render relational changes (see the catalogue in `reconciler.changes`) as PostgreSQL statements.

Every identifier is quoted, so case and reserved words survive. CREATE TABLE
follows the layout of Prisma's migration SQL. Online mode (RenderOptions.online)
trades one statement for several that hold weaker locks: CONCURRENTLY for
indexes, NOT VALID + VALIDATE for constraints, and a lock_timeout on everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.backends import RenderOptions
from reconciler.changes import Action, Change, Statement
from reconciler.model import (
    CheckConstraint,
    Column,
    Domain,
    Enum,
    Extension,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    UniqueConstraint,
)
from reconciler.spec.relational import make_object_name

from .types import MAX_IDENTIFIER, qualified_name, quote_ident, quote_ident_if_needed, sql_string

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
    """A dollar-quote tag that does not occur in `body`: names in the body can never end the quote."""
    tag, n = "$schemactl$", 0
    while tag in body:
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
    return " ".join(parts)


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


def constraint_body(obj: PrimaryKey | UniqueConstraint | CheckConstraint) -> str:
    if isinstance(obj, PrimaryKey):
        return f"PRIMARY KEY ({columns_sql(obj.columns)})"
    if isinstance(obj, UniqueConstraint):
        return f"UNIQUE ({columns_sql(obj.columns)}){deferrable_sql(obj.deferrable, obj.initially_deferred)}"
    return f"CHECK ({obj.expression})"


def foreign_key_body(fk: ForeignKey) -> str:
    sql = (f"FOREIGN KEY ({columns_sql(fk.columns)}) REFERENCES {qualified_name(fk.ref_schema, fk.ref_table)}"
           f"({columns_sql(fk.ref_columns)})")
    if fk.on_delete != "no action":
        sql += f" ON DELETE {fk.on_delete.upper()}"
    if fk.on_update != "no action":
        sql += f" ON UPDATE {fk.on_update.upper()}"
    return sql + deferrable_sql(fk.deferrable, fk.initially_deferred)


# -- schemas, extensions, enums -----------------------------------------------------------------------


def _schema(r: Renderer) -> None:
    if r.change.action == Action.CREATE:
        r.add(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(str(r.change.after))}")
    else:
        r.add(f"DROP SCHEMA {quote_ident(str(r.change.before))}")


def _extension(r: Renderer) -> None:
    if r.change.action == Action.CREATE:
        ext: Extension = r.change.after
        schema = f" SCHEMA {quote_ident(ext.schema)}" if ext.schema else ""
        r.add(f"CREATE EXTENSION IF NOT EXISTS {quote_ident(ext.name)}{schema}")
    else:
        r.add(f"DROP EXTENSION {quote_ident(r.change.before.name)}")


def enum_values_sql(values: list[str]) -> str:
    return ", ".join(sql_string(v) for v in values)


def _enum_create(r: Renderer) -> None:
    enum: Enum = r.change.after
    name = qualified_name(enum.schema, enum.name)
    r.add(f"CREATE TYPE {name} AS ENUM ({enum_values_sql(enum.values)})")
    if enum.comment is not None:
        r.add(comment_sql("TYPE", name, enum.comment))


def _enum_drop(r: Renderer) -> None:
    enum: Enum = r.change.before
    r.add(f"DROP TYPE {qualified_name(enum.schema, enum.name)}")


def only_added(before: list[str], after: list[str]) -> bool:
    """True when `after` is `before` with values inserted (nothing removed or reordered)."""
    kept = [v for v in after if v in before]
    return kept == before


def _enum_alter(r: Renderer) -> None:
    before: Enum = r.change.before
    after: Enum = r.change.after
    name = qualified_name(after.schema, after.name)
    if before.values != after.values:
        recreate = r.change.extra.get("recreate")
        if recreate is None:
            recreate = not only_added(before.values, after.values)
        if recreate:
            _enum_recreate(r, before, after)
        else:
            _enum_add_values(r, name, before, after)
    if before.comment != after.comment:
        r.add(comment_sql("TYPE", name, after.comment))


def _enum_add_values(r: Renderer, name: str, before: Enum, after: Enum) -> None:
    # Positions come from the desired order, so values added in one go land where the spec puts them.
    for position, value in enumerate(after.values):
        if value in before.values:
            continue
        where = (f" AFTER {sql_string(after.values[position - 1])}" if position > 0
                 else f" BEFORE {sql_string(after.values[1])}" if len(after.values) > 1 else "")
        # Committed before the main transaction: later statements may use the new value.
        r.add(f"ALTER TYPE {name} ADD VALUE IF NOT EXISTS {sql_string(value)}{where}", commit_first=True)


def enum_columns(change: Change) -> list[dict[str, Any]]:
    """The columns using a recreated enum: table, column, type, drop_default, default (see enrich_enum_changes)."""
    info = change.extra.get("column_info")
    if info is not None:
        return list(info)
    return [{"table": t, "column": c, "type": None, "drop_default": False, "default": None}
            for t, c in change.extra.get("columns", [])]


def _enum_recreate(r: Renderer, before: Enum, after: Enum) -> None:
    name = qualified_name(after.schema, after.name)
    old_name = f"{after.name}__old"
    r.add(f"ALTER TYPE {name} RENAME TO {quote_ident(old_name)}")
    r.add(f"CREATE TYPE {name} AS ENUM ({enum_values_sql(after.values)})")
    for use in enum_columns(r.change):
        schema, _, table_name = use["table"].partition(".")
        table = qualified_name(schema, table_name)
        col = quote_ident(use["column"])
        array = "[]" if (use["type"] or "").endswith("[]") else ""
        if use["drop_default"]:
            # The old default is typed with the old enum and cannot be cast automatically.
            r.add(f"ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT")
        r.add(f"ALTER TABLE {table} ALTER COLUMN {col} TYPE {name}{array} USING {col}::text{array}::{name}{array}")
        if use["default"] is not None and use["drop_default"]:
            r.add(f"ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {use['default']}")
    r.add(f"DROP TYPE {qualified_name(after.schema, old_name)}")


# -- domains ------------------------------------------------------------------------------------------------


def create_domain_sql(domain: Domain) -> str:
    sql = f"CREATE DOMAIN {qualified_name(domain.schema, domain.name)} AS {domain.type}"
    if domain.collation:
        sql += f" COLLATE {collation_sql(domain.collation)}"
    if domain.default is not None:
        sql += f" DEFAULT {domain.default.expression}"
    if not domain.nullable:
        sql += " NOT NULL"
    for check in domain.checks.values():
        sql += f" CONSTRAINT {quote_ident(check.name)} {constraint_body(check)}"
    return sql


def _domain_create(r: Renderer) -> None:
    domain: Domain = r.change.after
    r.add(create_domain_sql(domain))
    if domain.comment is not None:
        r.add(comment_sql("DOMAIN", qualified_name(domain.schema, domain.name), domain.comment))


def _domain_drop(r: Renderer) -> None:
    domain: Domain = r.change.before
    r.add(f"DROP DOMAIN {qualified_name(domain.schema, domain.name)}")


def _domain_replace(r: Renderer) -> None:
    _domain_drop(r)
    _domain_create(r)


def _domain_alter(r: Renderer) -> None:
    before: Domain = r.change.before
    after: Domain = r.change.after
    name = qualified_name(after.schema, after.name)
    extra = r.change.extra
    dropped = extra.get("checks_dropped",
                        [n for n, c in before.checks.items() if after.checks.get(n) != c])
    added = extra.get("checks_added", [n for n, c in after.checks.items() if before.checks.get(n) != c])
    # Relax first (drop checks, NOT NULL, default), then tighten: no statement trips over the previous one.
    for check_name in dropped:
        r.add(f"ALTER DOMAIN {name} DROP CONSTRAINT {quote_ident(check_name)}")
    if before.nullable != after.nullable and after.nullable:
        r.add(f"ALTER DOMAIN {name} DROP NOT NULL")
    if before.default != after.default:
        if after.default is None:
            r.add(f"ALTER DOMAIN {name} DROP DEFAULT")
        else:
            r.add(f"ALTER DOMAIN {name} SET DEFAULT {after.default.expression}")
    if before.nullable != after.nullable and not after.nullable:
        r.add(f"ALTER DOMAIN {name} SET NOT NULL")
    for check_name in added:
        check = after.checks[check_name]
        if r.options.online:
            # NOT VALID skips the scan of every column using the domain; VALIDATE runs after commit.
            r.add(f"ALTER DOMAIN {name} ADD CONSTRAINT {quote_ident(check.name)} {constraint_body(check)} NOT VALID")
            r.add(f"ALTER DOMAIN {name} VALIDATE CONSTRAINT {quote_ident(check.name)}", transactional=False)
        else:
            r.add(f"ALTER DOMAIN {name} ADD CONSTRAINT {quote_ident(check.name)} {constraint_body(check)}")
    if before.comment != after.comment:
        r.add(comment_sql("DOMAIN", name, after.comment))


# -- tables and columns -----------------------------------------------------------------------------------


def create_table_sql(table: Table) -> str:
    lines = [f"    {column_definition(c)}" for c in table.columns.values()]
    constraints: list[PrimaryKey | UniqueConstraint | CheckConstraint] = []
    if table.primary_key:
        constraints.append(table.primary_key)
    constraints += [*table.uniques.values(), *table.checks.values()]
    body = ",\n".join(lines)
    if constraints:
        body += ",\n\n" + ",\n".join(f"    CONSTRAINT {quote_ident(c.name)} {constraint_body(c)}" for c in constraints)
    return f"CREATE TABLE {qualified_name(table.schema, table.name)} (\n{body}\n)"


def _table_create(r: Renderer) -> None:
    table: Table = r.change.after
    name = qualified_name(table.schema, table.name)
    r.add(create_table_sql(table))
    if table.comment is not None:
        r.add(comment_sql("TABLE", name, table.comment))
    for column in table.columns.values():
        if column.comment is not None:
            r.add(comment_sql("COLUMN", f"{name}.{quote_ident(column.name)}", column.comment))


def _table_drop(r: Renderer) -> None:
    table: Table = r.change.before
    r.add(f"DROP TABLE {qualified_name(table.schema, table.name)}")


def _table_rename(r: Renderer) -> None:
    before: Table = r.change.before
    after: Table = r.change.after
    r.add(f"ALTER TABLE {qualified_name(before.schema, before.name)} RENAME TO {quote_ident(after.name)}")


def _table_alter(r: Renderer) -> None:
    before: Table = r.change.before
    after: Table = r.change.after
    if before.comment != after.comment:
        r.add(comment_sql("TABLE", qualified_name(after.schema, after.name), after.comment))


def _column_create(r: Renderer) -> None:
    column: Column = r.change.after
    table = r.table_name()
    r.add(f"ALTER TABLE {table} ADD COLUMN {column_definition(column)}")
    if column.comment is not None:
        r.add(comment_sql("COLUMN", f"{table}.{quote_ident(column.name)}", column.comment))


def _column_drop(r: Renderer) -> None:
    r.add(f"ALTER TABLE {r.table_name()} DROP COLUMN {quote_ident(r.change.before.name)}")


def _column_rename(r: Renderer) -> None:
    r.add(f"ALTER TABLE {r.table_name()} RENAME COLUMN {quote_ident(r.change.before.name)} "
          f"TO {quote_ident(r.change.after.name)}")


_COLUMN_ATTRIBUTES = ("type", "nullable", "default", "identity", "serial", "comment", "collation")


def changed_attributes(change: Change) -> set[str]:
    names = {a.name for a in change.attributes}
    if names:
        return names
    before, after = change.before, change.after
    return {a for a in _COLUMN_ATTRIBUTES if getattr(before, a) != getattr(after, a)}


class ColumnAlter:
    """ALTER TABLE statements for one column, one attribute at a time, in an order that cannot trip itself."""

    def __init__(self, r: Renderer) -> None:
        self.r = r
        self.before: Column = r.change.before
        self.after: Column = r.change.after
        self.changed = changed_attributes(r.change)
        self.table_sql = r.table_name()
        self.prefix = f"ALTER TABLE {self.table_sql} ALTER COLUMN {quote_ident(self.after.name)}"

    def render(self) -> None:
        before, after, changed = self.before, self.after, self.changed
        retype = bool({"type", "collation"} & changed)
        if "serial" in changed and before.serial and not after.serial:
            self.drop_serial()
        if "identity" in changed and before.identity and not after.identity:
            self.r.add(f"{self.prefix} DROP IDENTITY IF EXISTS")
        default_cleared = False
        if retype:
            if before.default is not None and not before.serial:
                # A default typed for the old type may not cast automatically; set it again afterwards.
                self.r.add(f"{self.prefix} DROP DEFAULT")
                default_cleared = True
            self.retype()
        if "default" in changed or default_cleared:
            self.set_default(default_cleared)
        if "nullable" in changed:
            self.set_nullable()
        if "identity" in changed and after.identity:
            if before.identity:
                self.r.add(f"{self.prefix} SET GENERATED {after.identity.upper()}")
            else:
                self.r.add(f"{self.prefix} ADD GENERATED {after.identity.upper()} AS IDENTITY")
        if "serial" in changed and after.serial and not before.serial:
            self.add_serial()
        if "comment" in changed:
            self.r.add(comment_sql("COLUMN", f"{self.table_sql}.{quote_ident(after.name)}", after.comment))

    def retype(self) -> None:
        after = self.after
        sql = f"{self.prefix} TYPE {after.type}"
        if after.collation:
            sql += f" COLLATE {collation_sql(after.collation)}"
        if after.using:
            sql += f" USING {after.using}"
        self.r.add(sql)
        if self.before.serial and after.serial and after.type != self.before.type:
            self.r.add(self.serial_sequence_do(f"EXECUTE 'ALTER SEQUENCE ' || seq || {sql_string(' AS ' + after.type)};"))

    def set_default(self, default_cleared: bool) -> None:
        if self.after.serial:
            return
        if self.after.default is not None:
            self.r.add(f"{self.prefix} SET DEFAULT {self.after.default.expression}")
        elif not default_cleared and self.before.default is not None:
            self.r.add(f"{self.prefix} DROP DEFAULT")

    def set_nullable(self) -> None:
        if self.after.nullable:
            self.r.add(f"{self.prefix} DROP NOT NULL")
            return
        if not self.r.options.online:
            self.r.add(f"{self.prefix} SET NOT NULL")
            return
        # Validate through a NOT VALID check first: SET NOT NULL then skips its full scan
        # under ACCESS EXCLUSIVE lock (PostgreSQL 12+).
        check = quote_ident(make_object_name(self.r.table_parts()[1], [self.after.name], "not_null",
                                             MAX_IDENTIFIER))
        column = quote_ident(self.after.name)
        self.r.add(f"ALTER TABLE {self.table_sql} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID")
        self.r.add(f"ALTER TABLE {self.table_sql} VALIDATE CONSTRAINT {check}", transactional=False)
        self.r.add(f"{self.prefix} SET NOT NULL", transactional=False)
        self.r.add(f"ALTER TABLE {self.table_sql} DROP CONSTRAINT {check}", transactional=False)

    def serial_sequence_do(self, body: str) -> str:
        table_literal = sql_string(self.table_sql)
        column_literal = sql_string(self.after.name)
        code = (f" DECLARE seq text := pg_catalog.pg_get_serial_sequence({table_literal}, "
                f"{column_literal}); BEGIN IF seq IS NOT NULL THEN {body} END IF; END ")
        tag = dollar_tag(code)
        return f"DO {tag}{code}{tag}"

    def drop_serial(self) -> None:
        self.r.add(f"{self.prefix} DROP DEFAULT")
        self.r.add(self.serial_sequence_do("EXECUTE 'DROP SEQUENCE ' || seq;"))

    def add_serial(self) -> None:
        schema, table_name = self.r.table_parts()
        sequence = qualified_name(schema, make_object_name(table_name, [self.after.name], "seq", MAX_IDENTIFIER))
        column = quote_ident(self.after.name)
        self.r.add(f"CREATE SEQUENCE {sequence} AS {self.after.type} OWNED BY {self.table_sql}.{column}")
        self.r.add(f"{self.prefix} SET DEFAULT nextval({sql_string(sequence)}::regclass)")
        self.r.add(f"SELECT pg_catalog.setval({sql_string(sequence)}, "
                   f"COALESCE((SELECT max({column}) FROM {self.table_sql}), 0) + 1, false)")


def _column_alter(r: Renderer) -> None:
    ColumnAlter(r).render()


# -- constraints and indexes ----------------------------------------------------------------------------------


def _drop_constraint(r: Renderer, name: str) -> None:
    r.add(f"ALTER TABLE {r.table_name()} DROP CONSTRAINT {quote_ident(name)}")


def _add_validated(r: Renderer, name: str, body: str) -> None:
    """ADD CONSTRAINT; online: NOT VALID now, VALIDATE after commit under a weaker lock."""
    table = r.table_name()
    if not r.options.online:
        r.add(f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(name)} {body}")
        return
    r.add(f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(name)} {body} NOT VALID")
    r.add(f"ALTER TABLE {table} VALIDATE CONSTRAINT {quote_ident(name)}", transactional=False)


def _primary_key_create(r: Renderer, pk: PrimaryKey) -> None:
    r.add(f"ALTER TABLE {r.table_name()} ADD CONSTRAINT {quote_ident(pk.name)} {constraint_body(pk)}")


def _unique_create(r: Renderer, uq: UniqueConstraint) -> None:
    table = r.table_name()
    if not r.options.online:
        r.add(f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(uq.name)} {constraint_body(uq)}")
        return
    # Build the index without blocking writes, then attach it as the constraint.
    index = Index(name=uq.name, elements=[IndexElement(column=c) for c in uq.columns], unique=True)
    _index_create(r, index)
    r.add(f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(uq.name)} UNIQUE USING INDEX {quote_ident(uq.name)}"
          f"{deferrable_sql(uq.deferrable, uq.initially_deferred)}", transactional=False)


def create_index_sql(index: Index, table: str, *, concurrently: bool, name: str) -> str:
    sql = f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {'CONCURRENTLY ' if concurrently else ''}"
    sql += f"{quote_ident(name)} ON {table}"
    if index.method != "btree":
        sql += f" USING {index.method}"
    sql += f" ({index_elements_sql(index)})"
    if index.include:
        sql += f" INCLUDE ({columns_sql(index.include)})"
    if index.where:
        sql += f" WHERE {index.where}"
    return sql


def _index_create(r: Renderer, index: Index) -> None:
    online = r.options.online
    if online and not (r.change.kind == "index" and r.change.action == Action.REPLACE):
        # A failed CONCURRENTLY build leaves an invalid index behind: clear it (a replace has just dropped it).
        r.add(f"DROP INDEX CONCURRENTLY IF EXISTS {r.object_in_table_schema(index.name)}", transactional=False)
    r.add(create_index_sql(index, r.table_name(), concurrently=online, name=index.name), transactional=not online)


def _index_drop(r: Renderer, index: Index) -> None:
    online = r.options.online
    r.add(f"DROP INDEX {'CONCURRENTLY ' if online else ''}{r.object_in_table_schema(index.name)}",
          transactional=not online)


def _index_rename(r: Renderer) -> None:
    r.add(f"ALTER INDEX {r.object_in_table_schema(r.change.before.name)} RENAME TO {quote_ident(r.change.after.name)}")


def _constraint_rename(r: Renderer) -> None:
    # For primary keys and uniques this renames the backing index too.
    r.add(f"ALTER TABLE {r.table_name()} RENAME CONSTRAINT {quote_ident(r.change.before.name)} "
          f"TO {quote_ident(r.change.after.name)}")


def _foreign_key_create(r: Renderer, fk: ForeignKey) -> None:
    _add_validated(r, fk.name, foreign_key_body(fk))


def _check_create(r: Renderer, check: CheckConstraint) -> None:
    _add_validated(r, check.name, constraint_body(check))


_CREATORS: dict[str, Callable[[Renderer, Any], None]] = {
    "primary_key": _primary_key_create, "unique": _unique_create, "index": _index_create,
    "foreign_key": _foreign_key_create, "check": _check_create,
}


def _sub_object(r: Renderer) -> None:
    """create / drop / replace of a primary key, unique, index, foreign key or check."""
    kind, action = r.change.kind, r.change.action
    if action in (Action.DROP, Action.REPLACE):
        if kind == "index":
            _index_drop(r, r.change.before)
        else:
            _drop_constraint(r, r.change.before.name)
    if action in (Action.CREATE, Action.REPLACE):
        _CREATORS[kind](r, r.change.after)


_HANDLERS: dict[tuple[str, Action], Callable[[Renderer], None]] = {
    ("schema", Action.CREATE): _schema, ("schema", Action.DROP): _schema,
    ("extension", Action.CREATE): _extension, ("extension", Action.DROP): _extension,
    ("enum", Action.CREATE): _enum_create, ("enum", Action.DROP): _enum_drop, ("enum", Action.ALTER): _enum_alter,
    ("domain", Action.CREATE): _domain_create, ("domain", Action.DROP): _domain_drop,
    ("domain", Action.ALTER): _domain_alter, ("domain", Action.REPLACE): _domain_replace,
    ("table", Action.CREATE): _table_create, ("table", Action.DROP): _table_drop,
    ("table", Action.RENAME): _table_rename, ("table", Action.ALTER): _table_alter,
    ("column", Action.CREATE): _column_create, ("column", Action.DROP): _column_drop,
    ("column", Action.ALTER): _column_alter, ("column", Action.RENAME): _column_rename,
    ("index", Action.RENAME): _index_rename,
}
for _kind in _CREATORS:
    for _action in (Action.CREATE, Action.DROP, Action.REPLACE):
        _HANDLERS[(_kind, _action)] = _sub_object
    if _kind != "index":
        _HANDLERS[(_kind, Action.RENAME)] = _constraint_rename


def render(change: Change, options: RenderOptions) -> list[Statement]:
    handler = _HANDLERS.get((change.kind, Action(change.action)))
    if handler is None:
        raise ValueError(f"the postgres backend cannot render {change.action} of {change.kind} ({change.address})")
    renderer = Renderer(change, options)
    handler(renderer)
    return renderer.out
