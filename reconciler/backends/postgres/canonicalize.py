"""Rewrite desired expressions into the live database's spelling where they mean the same.

PostgreSQL stores expressions parsed and prints them back its own way, so a
spec's `now()` comes back as `now()` but `'x'` comes back as `'x'::text` and
`s IN ('a', 'b')` as `s = ANY (ARRAY['a'::text, 'b'::text])`. For each
expression that differs from the live one we try, cheapest first:

1. plain text equality (the steady state: nothing else runs);
2. the sqlglot normaliser (`normalize.equivalent`), which works offline;
3. the database itself: inside a transaction that is always rolled back, build
   a temporary copy of the live table, add the desired default/check/index to
   it and read the result back with the same functions the inspector uses.

Only objects whose text differs ever reach step 3.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

import psycopg

from reconciler.model import Column, Database, Domain, Index, Table, qualified
from reconciler.model_codec import ReuseColumns

from .inspect import check_body
from .render import collation_sql, index_elements_sql
from .types import DEFAULT_SCHEMA, EXTENSION_TYPES, quote_ident


def equivalent(a: str, b: str) -> bool:
    # sqlglot (0.1 s to import) is loaded only when two spellings actually differ.
    from .normalize import equivalent as normalized_equivalent

    return normalized_equivalent(a, b)


def rename_columns(sql: str, renames: dict[str, str]) -> str:
    from .normalize import rename_columns as normalized_rename_columns

    return normalized_rename_columns(sql, renames)


@dataclass
class Pending:
    """One desired expression the normaliser could not match to its live counterpart."""

    kind: str  # "default" | "check" | "index"
    name: str  # column, check or index name in the desired table
    desired: list[str | None]
    live: list[str | None]
    apply: Callable[[list[str | None]], None]
    index: Index | None = None


@dataclass
class TablePending:
    desired: Table
    live: Table
    items: list[Pending] = field(default_factory=list)
    # Live column name -> desired name, for columns the plan renames.
    renames: dict[str, str] = field(default_factory=dict)


@dataclass
class DomainPending:
    desired: Domain
    live: Domain
    items: list[Pending] = field(default_factory=list)


def canonicalize(conn: psycopg.Connection[Any] | None, desired: Database, current: Database) -> Database:
    result = desired  # rewritten in place: copying a 2,000-table model costs seconds
    for name, extension in result.extensions.items():
        live = current.extensions.get(name)
        if extension.schema is None and live is not None:
            extension.schema = live.schema
    work: list[TablePending] = []
    live_tables = current.tables
    for key, table in result.tables.items():
        live_table = live_tables.get(key)
        if live_table is None and table.renamed_from:
            live_table = _live_table(table, current)
        if live_table is None or table.indexes is not live_table.indexes:
            for index in table.indexes.values():
                _default_nulls(index)
        if live_table is None:
            continue
        items: list[Pending] = []
        renames = {} if table.columns is live_table.columns else _compare_columns(table, live_table, items)
        # Checks and indexes are compared only when they differ at all (they rarely do).
        # Equal ones share the live dict, as the columns do (see adopt_column_spellings).
        if table.checks is not live_table.checks:
            if table.checks != live_table.checks:
                _compare_checks(table, live_table, items, renames)
            else:
                table.checks = live_table.checks
        if table.indexes is not live_table.indexes:
            if table.indexes != live_table.indexes:
                _compare_indexes(table, live_table, items, renames)
            else:
                table.indexes = live_table.indexes
        if items:
            work.append(TablePending(table, live_table, items, renames))
    if work and conn is not None:
        ask_database(conn, work)
    domain_work: list[DomainPending] = []
    for domain in result.domains.values():
        live_domain = current.domains.get(domain.key)
        if live_domain is None:
            continue
        _adopt_extension_type(domain, live_domain)
        pending_domain = DomainPending(domain, live_domain)
        _compare_domain_default(domain, live_domain, pending_domain.items)
        _compare_checks(domain, live_domain, pending_domain.items, {})
        if pending_domain.items:
            domain_work.append(pending_domain)
    if domain_work and conn is not None:
        ask_database_domains(conn, domain_work)
    return result


def share_equal_constraints(desired: Database, current: Database) -> None:
    """Once the live constraints are read: a table's checks, foreign keys, unique constraints and
    primary key that equal the live ones become the live objects (the diff and `canonicalize` then
    skip them by identity). Unequal ones are left for `canonicalize`."""
    for key, table in desired.tables.items():
        live = current.tables.get(key)
        if live is None:
            continue
        if table.checks is not live.checks and table.checks == live.checks:
            table.checks = live.checks
        if table.foreign_keys is not live.foreign_keys and table.foreign_keys == live.foreign_keys:
            table.foreign_keys = live.foreign_keys
        if table.uniques is not live.uniques and table.uniques == live.uniques:
            table.uniques = live.uniques
        if table.primary_key is not live.primary_key and table.primary_key == live.primary_key:
            table.primary_key = live.primary_key


def share_equal_indexes(desired: Database, current: Database) -> None:
    """Once the live indexes are read: as `share_equal_constraints`, for each table's indexes."""
    for key, table in desired.tables.items():
        live = current.tables.get(key)
        if live is None or table.indexes is live.indexes:
            continue
        for index in table.indexes.values():
            _default_nulls(index)
        if table.indexes == live.indexes:
            table.indexes = live.indexes


def adopt_column_spellings(desired: Database, current: Database) -> None:
    """The column part of `canonicalize`, done early: while indexes and constraints are still being
    read, only the live tables and their columns may be complete. Differences that need the database
    to decide are left for `canonicalize`. A table whose columns then equal the live ones takes the
    live columns dict itself (`canonicalize`, `check_type_changes` and the diff skip it by identity)."""
    for table in desired.tables.values():
        live_table = _live_table(table, current)
        if live_table is None or table.columns is live_table.columns:
            continue
        pending: list[Pending] = []
        _compare_columns(table, live_table, pending)
        if not pending and table.columns == live_table.columns:
            # Equal in every compared field: share the live dict. The rest of the plan then sees
            # the same object on both sides and skips comparing the columns again.
            table.columns = live_table.columns


# The parts of `canonicalize` a plan runs while the catalog is still being read, each once the
# rows it needs are in (see inspect.build_and_inspect).
WHILE_READING = {"columns": adopt_column_spellings, "constraints": share_equal_constraints,
                 "indexes": share_equal_indexes}

# A column's fields after its default, in the order `model_codec` encodes them.
_AFTER_DEFAULT = attrgetter(*[f.name for f in fields(Column)][4:])


def reusable_live_columns(current: Database) -> ReuseColumns:
    """For decoding a cached desired model: a table whose encoded columns `adopt_column_spellings`
    would find equal to the live ones takes the live columns dict, never decoding its own.

    Stricter than that comparison (any other difference, a rename, a type spelled another way:
    decode and compare as usual), never looser: a default counts as equal only where
    `_compare_columns` would adopt the live text. Defaults repeat across a schema, so each
    decision is made once.
    """
    equal_defaults: dict[tuple[Any, str, str], bool] = {}

    def same_default(record: tuple[str, bool], live_text: str, column_type: str) -> bool:
        key = (record, live_text, column_type)
        decided = equal_defaults.get(key)
        if decided is None:
            text = record[0]
            decided = equal_defaults[key] = (text == live_text or literal_cast_to(text, live_text, column_type)
                                             or _same(text, live_text) is True)
        return decided

    def reuse(key: str, records: list[tuple[str, tuple[Any, ...]]]) -> dict[str, Column] | None:
        live = current.tables.get(key)
        if live is None or len(records) != len(live.columns):
            return None
        live_columns = live.columns
        for name, record in records:
            column = live_columns.get(name)
            if (column is None or record[0] != column.name or record[1] != column.type
                    or record[2] != column.nullable or record[4:] != _AFTER_DEFAULT(column)):
                return None
            default, live_default = record[3], column.default
            if default is None or live_default is None:
                if default is not live_default:
                    return None
            elif not same_default(default, live_default.expression, column.type):
                return None
        return live_columns

    return reuse


def _default_nulls(index: Index) -> None:
    # NULLS LAST is the default for ASC and NULLS FIRST for DESC: the inspector reports those as None.
    for element in index.elements:
        if element.nulls is not None and element.nulls == ("first" if element.descending else "last"):
            element.nulls = None


def _live_table(table: Table, current: Database) -> Table | None:
    live = current.tables.get(table.key)
    if live is None and table.renamed_from:
        live = current.tables.get(qualified(table.schema, table.renamed_from))
    return live


def _live_column(column: Column, live: Table) -> Column | None:
    found = live.columns.get(column.name)
    if found is None and column.renamed_from:
        found = live.columns.get(column.renamed_from)
    return found


def _same(desired: str | None, live: str | None, renames: dict[str, str] | None = None) -> bool | None:
    """True/False when decided offline, None when the database has to tell.

    With column renames, the live text is compared as RENAME COLUMN will leave it: PostgreSQL
    rewrites references in checks and indexes itself, so `length(body) > 0` becomes
    `length(content) > 0` without any change of ours.
    """
    if desired is None or live is None:
        return desired == live
    if desired == live or equivalent(desired, live):
        return True
    if renames and equivalent(desired, rename_columns(live, renames)):
        return True
    return None


def _compare_columns(table: Table, live: Table, out: list[Pending]) -> dict[str, str]:
    """Adopt the live spelling of each column's type and default; returns the planned column renames
    (live name -> desired name), with which checks and indexes are compared."""
    renames: dict[str, str] = {}
    live_columns = live.columns
    for column in table.columns.values():
        live_column = live_columns.get(column.name)
        if live_column is None:
            if column.renamed_from is None or column.renamed_from not in live_columns:
                continue
            renames[column.renamed_from] = column.name
            live_column = live_columns[column.renamed_from]
        if column.type != live_column.type:
            _adopt_extension_type(column, live_column)
        default, live_default = column.default, live_column.default
        if default is None or live_default is None or default.expression == live_default.expression:
            continue
        desired_text, live_text = default.expression, live_default.expression
        decided = True if literal_cast_to(desired_text, live_text, column.type) else _same(desired_text, live_text)
        if decided:
            column.default = type(default)(expression=live_text, literal=default.literal)
        elif decided is None:
            out.append(Pending("default", column.name, [desired_text], [live_text],
                               _default_setter(column)))
    return renames


_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_TYPMOD = re.compile(r"\(\d+(?:,\d+)?\)")


def literal_cast_to(desired: str, live: str, column_type: str) -> bool:
    """True when `live` is the string literal `desired` cast to the column's own type.

    That is how PostgreSQL prints a literal default back (`'USER'` -> `'USER'::public.role`,
    `'x'` -> `'x'::character varying` for varchar(10)): the most common difference in a
    spec, decided without loading the SQL parser.
    """
    if not live.startswith(desired) or not _STRING_LITERAL.fullmatch(desired):
        return False
    cast = live[len(desired):]
    return cast in (f"::{column_type}", f"::{_TYPMOD.sub('', column_type)}")


def _default_setter(column: Column | Domain) -> Callable[[list[str | None]], None]:
    def apply(texts: list[str | None]) -> None:
        assert column.default is not None and texts[0] is not None
        column.default = type(column.default)(expression=texts[0], literal=column.default.literal)
    return apply


def _compare_domain_default(domain: Domain, live: Domain, out: list[Pending]) -> None:
    if domain.default is None or live.default is None:
        return
    decided = _same(domain.default.expression, live.default.expression)
    if decided:
        domain.default = type(domain.default)(expression=live.default.expression, literal=domain.default.literal)
    elif decided is None:
        out.append(Pending("default", domain.name, [domain.default.expression], [live.default.expression],
                           _default_setter(domain)))


def _adopt_extension_type(column: Column | Domain, live: Column | Domain) -> None:
    """`public.citext` (the spec's assumption) vs `ext.citext` (where the extension really lives)."""
    if column.type == live.type or "." not in column.type or "." not in live.type:
        return
    schema, _, rest = column.type.partition(".")
    _, _, live_rest = live.type.partition(".")
    base = rest.split("(")[0].removesuffix("[]")
    if schema == DEFAULT_SCHEMA and rest == live_rest and base in EXTENSION_TYPES:
        column.type = live.type


def _compare_checks(table: Table | Domain, live: Table | Domain, out: list[Pending], renames: dict[str, str]) -> None:
    for check in table.checks.values():
        live_check = live.checks.get(check.name)
        if live_check is None:
            continue
        decided = _same(check.expression, live_check.expression, renames)
        if decided:
            check.expression = live_check.expression
        elif decided is None:
            def apply(texts: list[str | None], check: Any = check) -> None:
                if texts[0] is not None:
                    check.expression = texts[0]
            out.append(Pending("check", check.name, [check.expression], [live_check.expression], apply))


def _index_texts(index: Index) -> list[str | None]:
    return [index.where, *(e.expression for e in index.elements)]


def _compare_indexes(table: Table, live: Table, out: list[Pending], renames: dict[str, str]) -> None:
    for index in table.indexes.values():
        live_index = live.indexes.get(index.name)
        if live_index is None and index.renamed_from:
            live_index = live.indexes.get(index.renamed_from)
        if live_index is None or len(live_index.elements) != len(index.elements):
            continue
        desired_texts, live_texts = _index_texts(index), _index_texts(live_index)
        undecided = False
        for position, (mine, theirs) in enumerate(zip(desired_texts, live_texts, strict=True)):
            decided = _same(mine, theirs, renames)
            if decided and mine != theirs:
                _set_index_text(index, position, theirs)
            undecided = undecided or decided is None
        if undecided:
            def apply(texts: list[str | None], index: Index = index) -> None:
                for position, text in enumerate(texts):
                    if text is not None:
                        _set_index_text(index, position, text)
            out.append(Pending("index", index.name, _index_texts(index), live_texts, apply, index=index))


def _set_index_text(index: Index, position: int, text: str | None) -> None:
    if position == 0:
        index.where = text
    else:
        index.elements[position - 1].expression = text


# --- asking the database ---------------------------------------------------------------------------

Reader = Callable[[psycopg.Cursor[Any]], list[str | None]]
_TEMP_PREFIX = "schemactl_canon_"
SCRATCH_LOCK_TIMEOUT = "2s"


def ask_database(conn: psycopg.Connection[Any], work: list[TablePending]) -> None:
    """Let PostgreSQL re-print the undecided expressions on scratch copies of the live tables."""
    counter = itertools.count()
    readers: list[tuple[TablePending, Pending, Reader]] = []
    try:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            # Nothing here should wait on other sessions; if something does, give up and keep the text.
            cur.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)", (SCRATCH_LOCK_TIMEOUT,))
            for item in work:
                temp = f"{_TEMP_PREFIX}{next(counter)}"
                if not _savepoint(conn, cur, _create_temp_sql(temp, item)):
                    continue
                _align_columns(conn, cur, temp, item)
                for pending in item.items:
                    reader = _add_to_temp(conn, cur, temp, pending, next(counter))
                    if reader is not None:
                        readers.append((item, pending, reader))
            # Read back exactly as the inspector does: with an empty search_path.
            cur.execute("SELECT pg_catalog.set_config('search_path', '', true)")
            for item, pending, reader in readers:
                printed = reader(cur)
                if _matches(printed, pending.live, item.renames):
                    pending.apply(pending.live)
    except psycopg.Error:
        # The scratch transaction is a best effort; the diff will simply show the expression as changed.
        return


def _matches(printed: list[str | None], live: list[str | None], renames: dict[str, str]) -> bool:
    if printed == live:
        return True
    if not renames or len(printed) != len(live):
        return False
    # The scratch table already has the new column names; the live text still has the old ones.
    return all(p == q or (p is not None and q is not None and equivalent(p, rename_columns(q, renames)))
               for p, q in zip(printed, live, strict=True))


def _savepoint(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], sql: str) -> bool:
    try:
        with conn.transaction():
            cur.execute(sql)
        return True
    except psycopg.Error:
        return False


def _create_temp_sql(temp: str, item: TablePending) -> str:
    # Built from the model, not LIKE: touching the live table would queue behind any lock a running
    # apply holds on it, and canonicalising must never wait on other sessions.
    columns = [f"{quote_ident(c.name)} {c.type}" + (f" COLLATE {collation_sql(c.collation)}" if c.collation else "")
               for c in item.live.columns.values()]
    return f"CREATE TEMPORARY TABLE {quote_ident(temp)} ({', '.join(columns)}) ON COMMIT DROP"


def _align_columns(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], temp: str, item: TablePending) -> None:
    """Give the scratch table the desired columns, so new or retyped columns resolve in expressions."""
    target = f"pg_temp.{quote_ident(temp)}"
    for column in item.desired.columns.values():
        live_column = _live_column(column, item.live)
        name = quote_ident(column.name)
        if live_column is None:
            _savepoint(conn, cur, f"ALTER TABLE {target} ADD COLUMN {name} {column.type}")
            continue
        if live_column.name != column.name:
            _savepoint(conn, cur, f"ALTER TABLE {target} RENAME COLUMN {quote_ident(live_column.name)} TO {name}")
        if live_column.type != column.type:
            _savepoint(conn, cur, f"ALTER TABLE {target} ALTER COLUMN {name} TYPE {column.type} USING NULL")


def _add_to_temp(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], temp: str, pending: Pending,
                 n: int) -> Reader | None:
    target = f"pg_temp.{quote_ident(temp)}"
    if pending.kind == "default":
        sql = f"ALTER TABLE {target} ALTER COLUMN {quote_ident(pending.name)} SET DEFAULT {pending.desired[0]}"
        return _read_default(target, pending.name) if _savepoint(conn, cur, sql) else None
    if pending.kind == "check":
        name = f"{_TEMP_PREFIX}check_{n}"
        sql = f"ALTER TABLE {target} ADD CONSTRAINT {quote_ident(name)} CHECK ({pending.desired[0]})"
        return _read_check(target, name) if _savepoint(conn, cur, sql) else None
    assert pending.index is not None
    name = f"{_TEMP_PREFIX}index_{n}"
    index = pending.index
    sql = (f"CREATE INDEX {quote_ident(name)} ON {target}"
           f"{'' if index.method == 'btree' else ' USING ' + index.method} ({index_elements_sql(index)})")
    if index.where:
        sql += f" WHERE {index.where}"
    return _read_index(name, len(index.elements)) if _savepoint(conn, cur, sql) else None


def _read_default(target: str, column: str) -> Reader:
    def read(cur: psycopg.Cursor[Any]) -> list[str | None]:
        row = cur.execute(
            "SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d"
            " JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
            " WHERE d.adrelid = %s::regclass AND a.attname = %s", (target, column)).fetchone()
        return [row[0] if row else None]
    return read


def _read_check(target: str, name: str) -> Reader:
    def read(cur: psycopg.Cursor[Any]) -> list[str | None]:
        row = cur.execute(
            "SELECT pg_catalog.pg_get_constraintdef(oid, true) FROM pg_catalog.pg_constraint"
            " WHERE conrelid = %s::regclass AND conname = %s", (target, name)).fetchone()
        return [check_body(row[0]) if row else None]
    return read


def _read_index(name: str, nkeys: int) -> Reader:
    def read(cur: psycopg.Cursor[Any]) -> list[str | None]:
        row = cur.execute(
            "SELECT pg_catalog.pg_get_expr(i.indpred, i.indrelid, true), i.indkey::int2[],"
            " ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)"
            "       FROM generate_series(1, i.indnkeyatts) k ORDER BY k)"
            " FROM pg_catalog.pg_index i WHERE i.indexrelid = %s::regclass",
            (f"pg_temp.{quote_ident(name)}",)).fetchone()
        if row is None:
            return [None] * (nkeys + 1)
        predicate, indkey, defs = row
        # Plain column keys have no expression text in the model.
        expressions = [None if indkey[k] else defs[k] for k in range(nkeys)]
        return [predicate, *expressions]
    return read


def ask_database_domains(conn: psycopg.Connection[Any], work: list[DomainPending]) -> None:
    """Let PostgreSQL re-print undecided domain defaults and checks on scratch domains (always rolled back)."""
    counter = itertools.count()
    readers: list[tuple[Pending, Reader]] = []
    try:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            cur.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)", (SCRATCH_LOCK_TIMEOUT,))
            for item in work:
                target = f"pg_temp.{quote_ident(f'{_TEMP_PREFIX}{next(counter)}')}"
                if not _savepoint(conn, cur, f"CREATE DOMAIN {target} AS {item.desired.type}"):
                    continue
                for pending in item.items:
                    if pending.kind == "default":
                        sql = f"ALTER DOMAIN {target} SET DEFAULT {pending.desired[0]}"
                        if _savepoint(conn, cur, sql):
                            readers.append((pending, _read_domain_default(target)))
                    else:
                        name = f"{_TEMP_PREFIX}check_{next(counter)}"
                        sql = f"ALTER DOMAIN {target} ADD CONSTRAINT {quote_ident(name)} CHECK ({pending.desired[0]})"
                        if _savepoint(conn, cur, sql):
                            readers.append((pending, _read_domain_check(target, name)))
            cur.execute("SELECT pg_catalog.set_config('search_path', '', true)")
            for pending, reader in readers:
                if reader(cur) == pending.live:
                    pending.apply(pending.live)
    except psycopg.Error:
        return


def _read_domain_default(target: str) -> Reader:
    def read(cur: psycopg.Cursor[Any]) -> list[str | None]:
        row = cur.execute("SELECT pg_catalog.pg_get_expr(typdefaultbin, 0, true) FROM pg_catalog.pg_type"
                          " WHERE oid = %s::regtype", (target,)).fetchone()
        return [row[0] if row else None]
    return read


def _read_domain_check(target: str, name: str) -> Reader:
    def read(cur: psycopg.Cursor[Any]) -> list[str | None]:
        row = cur.execute("SELECT pg_catalog.pg_get_constraintdef(oid, true) FROM pg_catalog.pg_constraint"
                          " WHERE contypid = %s::regtype AND conname = %s", (target, name)).fetchone()
        return [check_body(row[0]) if row else None]
    return read
