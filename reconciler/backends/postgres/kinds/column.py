"""Columns: type, NOT NULL, default, identity, serial, collation, comment."""

from __future__ import annotations

import re

from reconciler.changes import Action, Change
from reconciler.model import Column, Default
from reconciler.relational.column import COLUMN_ATTRIBUTES
from reconciler.spec.relational import identity_options, make_object_name

from ..catalog import Catalog, Rows
from ..render import (
    Renderer,
    collation_sql,
    column_definition,
    comment_sql,
    dollar_tag,
    identity_sequence_options,
)
from ..types import MAX_IDENTIFIER, qualified_name, quote_ident, sql_string

QUERY = "column"
READ_ORDER = 70
SERIAL_BY_TYPE = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}
_NEXTVAL = re.compile(r"^nextval\('((?:[^']|'')+)'::regclass\)\Z")


def load(rows: Rows, catalog: Catalog) -> None:
    by_oid, names = catalog.tables_by_oid, catalog.attnames
    for row in rows:
        oid, name, attnum = row[0], row[1], row[10]
        by_oid[oid].columns[name] = _column(row)
        names[(oid, attnum)] = name


def _column(row: tuple) -> Column:
    _, name, col_type, notnull, default, identity, generated, collation, comment, owned_seq, _ = row[:11]
    if identity:
        start, increment, low, high, cache, cycle = row[12:18]
        options = identity_options(col_type, start, increment, low, high, cache, cycle) if increment else None
        return Column(name, col_type, not notnull, None, "always" if identity == "a" else "by default", None,
                      comment, collation, identity_options=options)
    if generated:
        return Column(name, col_type, not notnull, None, None, None, comment, collation, generated=row[11])
    if default is not None and not generated:
        match = _NEXTVAL.match(default) if owned_seq else None
        if match and match.group(1).replace("''", "'") == owned_seq and col_type in SERIAL_BY_TYPE:
            return Column(name, col_type, not notnull, None, None, SERIAL_BY_TYPE[col_type], comment, collation)
        return Column(name, col_type, not notnull, Default(default, False), None, None, comment, collation)
    return Column(name, col_type, not notnull, None, None, None, comment, collation)


# -- rendering ---------------------------------------------------------------------------------------


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


def changed_attributes(change: Change) -> set[str]:
    names = {a.name for a in change.attributes}
    if names:
        return names
    before, after = change.before, change.after
    return {a for a in COLUMN_ATTRIBUTES if getattr(before, a) != getattr(after, a)}


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
        if "generated" in changed and after.generated is not None:
            self.replace_generated()
            return
        if "generated" in changed:
            # Back to a plain column: the computed values stay (PostgreSQL 13+).
            self.r.add(f"{self.prefix} DROP EXPRESSION")
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
                options = f" ({' '.join(identity_sequence_options(after))})" if after.identity_options else ""
                self.r.add(f"{self.prefix} ADD GENERATED {after.identity.upper()} AS IDENTITY{options}")
        if "identity_options" in changed and after.identity and before.identity:
            self.r.add(f"{self.prefix} " + " ".join(f"SET {o}" for o in identity_sequence_options(after)))
        if "serial" in changed and after.serial and not before.serial:
            self.add_serial()
        if "comment" in changed:
            self.r.add(comment_sql("COLUMN", f"{self.table_sql}.{quote_ident(after.name)}", after.comment))

    def replace_generated(self) -> None:
        """PostgreSQL 15 cannot change a generation expression (SET EXPRESSION is 16+): drop the column and
        add it again, computed anew. Its indexes and constraints are dropped and re-added around this."""
        after = self.after
        # Renames run before alters: the column already has its new name.
        self.r.add(f"ALTER TABLE {self.table_sql} DROP COLUMN {quote_ident(after.name)}, "
                   f"ADD COLUMN {column_definition(after)}")
        if after.comment is not None:
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


# (change kind, action) -> the renderer of that change (see render.render).
RENDER = {("column", Action.CREATE): _column_create, ("column", Action.DROP): _column_drop,
          ("column", Action.ALTER): _column_alter, ("column", Action.RENAME): _column_rename}
