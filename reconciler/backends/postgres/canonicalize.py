"""Rewrite desired expressions into the live database's spelling where they mean the same.

PostgreSQL stores expressions parsed and prints them back its own way, so a
spec's `now()` comes back as `now()` but `'x'` comes back as `'x'::text` and
`s IN ('a', 'b')` as `s = ANY (ARRAY['a'::text, 'b'::text])`. For each
expression that differs from the live one we try, cheapest first:

1. plain text equality (the steady state: nothing else runs);
2. the sqlglot normaliser (`normalize.equivalent`), which works offline;
3. the database itself, read-only: the planner prints both spellings over the
   live table's rows (`EXPLAIN (VERBOSE)`, never executed), and equal plans mean
   equal expressions. Nothing is created, not even a temporary table.

Only objects whose text differs ever reach step 3.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from reconciler.model import Column, Database, Domain, ExclusionConstraint, Index, Table, qualified

from .types import DEFAULT_SCHEMA, EXTENSION_TYPES, qualified_name, quote_ident


def equivalent(a: str, b: str) -> bool:
    # sqlglot (0.1 s to import) is loaded only when two spellings actually differ.
    from .equivalence import equivalent as normalized_equivalent

    return normalized_equivalent(a, b)


def rename_columns(sql: str, renames: dict[str, str]) -> str:
    from .equivalence import rename_columns as normalized_rename_columns

    return normalized_rename_columns(sql, renames)


@dataclass
class Pending:
    """One desired expression the normaliser could not match to its live counterpart."""

    kind: str  # "default" | "generated" | "check" | "index"
    name: str  # column, check or index name in the desired table
    desired: list[str | None]
    live: list[str | None]
    apply: Callable[[list[str | None]], None]


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
    for table in result.tables.values():
        for index in [*table.indexes.values(), *table.exclusions.values()]:
            _default_nulls(index)
        live_table = _live_table(table, current)
        if live_table is None:
            continue
        items: list[Pending] = []
        renames = _compare_columns(table, live_table, items)
        # Checks and indexes are compared only when they differ at all (they rarely do).
        if table.checks != live_table.checks:
            _compare_checks(table, live_table, items, renames)
        if table.indexes != live_table.indexes:
            _compare_indexes(table, live_table, items, renames)
        if table.exclusions != live_table.exclusions:
            _compare_indexed(table.exclusions, live_table.exclusions, items, renames)
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
    from .kinds.column_settings import adopt_live_settings
    from .kinds.view import canonicalize_views

    adopt_live_settings(result, current)

    canonicalize_views(conn, result, current)
    canonicalize_policies(conn, result, current)
    return result


def canonicalize_policies(conn: psycopg.Connection[Any] | None, desired: Database, current: Database) -> None:
    """Policies' USING and WITH CHECK in the live spelling where they mean the same, as checks are:
    offline first, then the planner over the live table's rows (read-only)."""
    live_policies = current.objects.get("policy", {})
    work: list[TablePending] = []
    for key, policy in desired.objects.get("policy", {}).items():
        live, live_table = live_policies.get(key), current.tables.get(policy.table_key)
        if live is None or live_table is None:
            continue
        items: list[Pending] = []
        for attribute in ("using_expression", "with_check"):
            mine, theirs = getattr(policy, attribute), getattr(live, attribute)
            decided = mine == theirs or _same(mine, theirs)
            if decided:
                setattr(policy, attribute, theirs)
            elif decided is None:
                def apply(texts: list[str | None], policy: Any = policy, attribute: str = attribute) -> None:
                    setattr(policy, attribute, texts[0])
                items.append(Pending("check", policy.name, [mine], [theirs], apply))
        if items:
            work.append(TablePending(live_table, live_table, items))
    if work and conn is not None:
        ask_database(conn, work)


def _default_nulls(index: Index | ExclusionConstraint) -> None:
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
        if column.generated is not None and live_column.generated is not None and \
                column.generated != live_column.generated:
            _compare_generated(column, live_column, out)
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


def _compare_generated(column: Column, live: Column, out: list[Pending]) -> None:
    """A generation expression spelled otherwise (`price*qty` vs `(price * qty)`) is no change."""
    decided = _same(column.generated, live.generated)
    if decided:
        column.generated = live.generated
    elif decided is None:
        def apply(texts: list[str | None], column: Column = column) -> None:
            column.generated = texts[0]
        out.append(Pending("generated", column.name, [column.generated], [live.generated], apply))


_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
# An escape string as `sql_string` writes it: only doubled backslashes and doubled quotes inside.
_ESCAPE_STRING = re.compile(r"E'(?:[^'\\]|''|\\\\)*'")
_TYPMOD = re.compile(r"\(\d+(?:,\d+)?\)")


def literal_cast_to(desired: str, live: str, column_type: str) -> bool:
    """True when `live` is the string literal `desired` cast to the column's own type.

    That is how PostgreSQL prints a literal default back (`'USER'` -> `'USER'::public.role`,
    `'x'` -> `'x'::character varying` for varchar(10)): the most common difference in a
    spec, decided without loading the SQL parser.
    """
    if _ESCAPE_STRING.fullmatch(desired):
        # `E'a\\b'` (how sql_string writes a backslash) is printed back as `'a\b'`: our sessions
        # use standard_conforming_strings.
        desired = "'" + desired[2:-1].replace("\\\\", "\\") + "'"
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


def _index_texts(index: Index | ExclusionConstraint) -> list[str | None]:
    return [index.where, *(e.expression for e in index.elements)]


def _compare_indexes(table: Table, live: Table, out: list[Pending], renames: dict[str, str]) -> None:
    _compare_indexed(table.indexes, live.indexes, out, renames)


def _compare_indexed(desired: dict[str, Any], live: dict[str, Any], out: list[Pending],
                     renames: dict[str, str]) -> None:
    """Indexes and exclusion constraints: key expressions and predicate, in the live spelling."""
    for index in desired.values():
        live_index = live.get(index.name)
        if live_index is None and getattr(index, "renamed_from", None):
            live_index = live.get(index.renamed_from)
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
            def apply(texts: list[str | None], index: Index | ExclusionConstraint = index) -> None:
                for position, text in enumerate(texts):
                    if text is not None:
                        _set_index_text(index, position, text)
            out.append(Pending("index", index.name, _index_texts(index), live_texts, apply))


def _set_index_text(index: Index | ExclusionConstraint, position: int, text: str | None) -> None:
    if position == 0:
        index.where = text
    else:
        index.elements[position - 1].expression = text


# --- asking the database ---------------------------------------------------------------------------
#
# Read-only: `plan` may run as a role that can only read, and must never change its target. Instead of
# building scratch objects, both spellings are handed to the planner (`EXPLAIN (VERBOSE)`, which plans
# and never executes) over the same rows; PostgreSQL prints each as it parsed it, with immutable
# parts folded, so two spellings that mean the same print the same. Anything the planner cannot take
# (a column the plan adds or retypes, a missing privilege) stays undecided: the diff shows it as a change.

SCRATCH_TIMEOUT = "2s"


def ask_database(conn: psycopg.Connection[Any], work: list[TablePending]) -> None:
    """Let PostgreSQL decide the expressions the normaliser could not, in a read-only transaction."""
    with read_only_probe(conn) as probe:
        if probe is None:
            return
        explain = probe.explain
        for item in work:
            live_rows = _rows_of(item.live, {c: c for c in item.live.columns})
            desired_rows = _rows_of(item.live, _unchanged_columns(item))
            for pending in item.items:
                if pending.kind == "default":
                    column = item.desired.columns.get(pending.name)
                    live_column = _live_column(column, item.live) if column else None
                    if column is None or live_column is None or live_column.type != column.type:
                        continue
                    same = _same_plans(explain, _cast_to(column.type), _cast_to(column.type), pending)
                else:
                    same = _same_plans(explain, _selected_from(desired_rows), _selected_from(live_rows), pending)
                if same:
                    pending.apply(pending.live)


def ask_database_domains(conn: psycopg.Connection[Any], work: list[DomainPending]) -> None:
    """As `ask_database`, for domain defaults and checks (VALUE is a column of one row of the base type)."""
    with read_only_probe(conn) as probe:
        if probe is None:
            return
        explain = probe.explain
        for item in work:
            if item.desired.type != item.live.type:
                continue
            cast = _cast_to(item.desired.type)
            # OFFSET 0 keeps the planner from folding the NULL into the expression.
            value = _selected_from(f'(SELECT CAST(NULL AS {item.desired.type}) AS "value" OFFSET 0) AS r')
            for pending in item.items:
                query = cast if pending.kind == "default" else value
                if _same_plans(explain, query, query, pending):
                    pending.apply(pending.live)


Explain = Callable[[str], list[str] | None]
Query = Callable[[str], str]


def _cast_to(type_name: str) -> Query:
    return lambda text: f"SELECT CAST(({text}) AS {type_name})"


def _selected_from(rows: str) -> Query:
    return lambda text: f"SELECT ({text}) FROM {rows}"


class _Refused(Exception):
    """The server would not take a statement to describe."""


@dataclass(frozen=True)
class ReadOnlyProbe:
    """Questions to the server inside one READ ONLY transaction that is always rolled back: statements are
    planned or described, never executed. Each question is a savepoint: a refused one answers None."""

    conn: psycopg.Connection[Any]
    cursor: psycopg.Cursor[Any]

    def explain(self, query: str) -> list[str] | None:
        """The plan of one statement (`EXPLAIN (VERBOSE, COSTS OFF)`)."""
        try:
            with self.conn.transaction():
                # binary=True sends it through the extended protocol: one statement, never two.
                rows = self.cursor.execute("EXPLAIN (VERBOSE, COSTS OFF) " + query, binary=True).fetchall()
        except psycopg.Error:
            return None
        return [row[0] for row in rows]

    def describe(self, query: str) -> list[tuple[str, int, int]] | None:
        """The output columns (name, type oid, typmod) of one statement: the protocol's Parse + Describe of an
        unnamed statement, nothing runs."""
        from psycopg import pq

        try:
            # A refusal is raised inside the savepoint, so that it is rolled back (a failed Parse aborts it).
            with self.conn.transaction():
                pgconn = self.conn.pgconn
                if pgconn.prepare(b"", query.encode()).status != pq.ExecStatus.COMMAND_OK:
                    raise _Refused
                described = pgconn.describe_prepared(b"")
                if described.status != pq.ExecStatus.COMMAND_OK:
                    raise _Refused
                return [(described.fname(i).decode(), described.ftype(i), described.fmod(i))
                        for i in range(described.nfields)]
        except (_Refused, psycopg.Error):
            return None


@contextmanager
def read_only_probe(conn: psycopg.Connection[Any]) -> Iterator[ReadOnlyProbe | None]:
    """A `ReadOnlyProbe` for one round of questions; None when the transaction cannot be opened."""
    try:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            cur.execute("SET TRANSACTION READ ONLY")
            # Never wait on other sessions. The session's own search_path stays: a desired expression's
            # unqualified names (`tenant_id = current_tenant()`) resolve as they will when `apply` creates it;
            # the live texts are schema-qualified, the same under any search_path.
            cur.execute("SELECT pg_catalog.set_config('lock_timeout', %(t)s, true),"
                        " pg_catalog.set_config('statement_timeout', %(t)s, true)", {"t": SCRATCH_TIMEOUT})
            yield ReadOnlyProbe(conn, cur)
    except psycopg.Error:
        # A best effort: undecided expressions are simply shown as changed.
        yield None


def _same_plans(explain: Explain, desired_query: Query, live_query: Query, pending: Pending) -> bool:
    """True when every desired text plans exactly as its live counterpart."""
    for mine, theirs in zip(pending.desired, pending.live, strict=True):
        if mine == theirs:
            continue
        if mine is None or theirs is None:
            return False
        desired_plan = explain(desired_query(mine))
        if desired_plan is None or desired_plan != explain(live_query(theirs)):
            return False
    return True


def _unchanged_columns(item: TablePending) -> dict[str, str]:
    """Desired column name -> live column name, for the columns the plan neither adds nor retypes."""
    columns = {}
    for column in item.desired.columns.values():
        live = _live_column(column, item.live)
        if live is not None and live.type == column.type:
            columns[column.name] = live.name
    return columns


def _rows_of(live: Table, columns: dict[str, str]) -> str:
    """The live table's rows under the given column names: `(SELECT "old" AS "new" ... FROM ONLY t) AS r`."""
    select = ", ".join(f"{quote_ident(live_name)} AS {quote_ident(name)}" for name, live_name in columns.items())
    return f"(SELECT {select or 'NULL'} FROM ONLY {qualified_name(live.schema, live.name)}) AS r"
