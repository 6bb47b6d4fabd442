"""Read the live schema from pg_catalog into `reconciler.model.Database`.

One bulk query per object kind covers every managed schema, so inspection
cost does not grow with round trips per table. Everything runs with an empty
search_path so that types and expressions come back fully qualified, exactly
as the spec builder and `canonicalize` spell them.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from reconciler.model import (
    CheckConstraint,
    Column,
    Database,
    Default,
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
from reconciler.model_codec import ReuseColumns
from reconciler.spec.loader import LoadedSpec

from .types import DEFAULT_SCHEMA, user_type_name

FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
SERIAL_BY_TYPE = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}

# Objects that belong to an extension (pg_depend deptype 'e') are the extension's business.
_NOT_EXTENSION_MEMBER = """NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
    WHERE dep.classid = {catalog}::regclass AND dep.objid = {oid} AND dep.deptype = 'e')"""

SCHEMAS_SQL = "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%(schemas)s)"

EXTENSIONS_SQL = """
SELECT e.extname, n.nspname
FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE (n.nspname = ANY(%(schemas)s) OR e.extname = ANY(%(extensions)s)) AND e.extname <> 'plpgsql'
ORDER BY e.extname
"""

ENUMS_SQL = f"""
SELECT n.nspname, t.typname,
       ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
       d.description
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_type'::regclass AND d.objsubid = 0
WHERE t.typtype = 'e' AND n.nspname = ANY(%(schemas)s)
  AND {_NOT_EXTENSION_MEMBER.format(catalog="'pg_catalog.pg_type'", oid="t.oid")}
ORDER BY n.nspname, t.typname
"""

# Domain checks come along as parallel arrays (name, pg_get_constraintdef) so domains cost one query.
# contype 'c' only: PostgreSQL 17 also records a domain's NOT NULL in pg_constraint (typnotnull says it too).
DOMAINS_SQL = f"""
SELECT n.nspname, t.typname, pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull,
       pg_catalog.pg_get_expr(t.typdefaultbin, 0, true),
       CASE WHEN t.typcollation <> bt.typcollation THEN co.collname END,
       d.description,
       ARRAY(SELECT con.conname FROM pg_catalog.pg_constraint con
             WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
       ARRAY(SELECT pg_catalog.pg_get_constraintdef(con.oid, true) FROM pg_catalog.pg_constraint con
             WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname)
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_type'::regclass AND d.objsubid = 0
WHERE t.typtype = 'd' AND n.nspname = ANY(%(schemas)s)
  AND {_NOT_EXTENSION_MEMBER.format(catalog="'pg_catalog.pg_type'", oid="t.oid")}
ORDER BY n.nspname, t.typname
"""

# The managed tables, reused by every per-table query as a CTE.
_TABLES_CTE = f"""
WITH managed AS (
    SELECT c.oid, n.nspname, c.relname
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(%(schemas)s)
      AND {_NOT_EXTENSION_MEMBER.format(catalog="'pg_catalog.pg_class'", oid="c.oid")}
)
"""

# Materialized for the queries over indexes and constraints: inlined, the planner checks extension
# membership once per index or constraint instead of once per table (about 10 ms each on 2,000
# tables). The columns query is faster inlined.
_TABLES_CTE_MATERIALIZED = _TABLES_CTE.replace("WITH managed AS (", "WITH managed AS MATERIALIZED (")

TABLES_SQL = _TABLES_CTE + """
SELECT m.oid, m.nspname, m.relname, d.description
FROM managed m
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = m.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
ORDER BY m.nspname, m.relname
"""

# A default cannot refer to a column, so its expression is printed without the table as context
# (relation 0): with the table, pg_get_expr opens it for every default, which was more than half the
# query's server time. Generated columns, whose expressions do name columns, are not modelled.
COLUMNS_SQL = _TABLES_CTE + """
SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, 0, true) END,
       a.attidentity, a.attgenerated,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END,
       d.description, owned.seqname, a.attnum
FROM managed m
JOIN pg_catalog.pg_attribute a ON a.attrelid = m.oid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum
LEFT JOIN (
    -- Sequences owned by a column (deptype 'a'): what serial columns have.
    SELECT DISTINCT ON (dep.refobjid, dep.refobjsubid) dep.refobjid, dep.refobjsubid,
           seq.oid::regclass::text AS seqname
    FROM pg_catalog.pg_depend dep JOIN pg_catalog.pg_class seq ON seq.oid = dep.objid
    WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.refclassid = 'pg_catalog.pg_class'::regclass
      AND dep.deptype = 'a' AND seq.relkind = 'S'
) owned ON owned.refobjid = a.attrelid AND owned.refobjsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_ATTNAMES = """ARRAY(SELECT att.attname FROM unnest({keys}) WITH ORDINALITY k(num, ord)
    JOIN pg_catalog.pg_attribute att ON att.attrelid = {rel} AND att.attnum = k.num ORDER BY k.ord)"""

# Key columns come as attribute numbers, named from the columns already read: a per-row subquery
# for the names cost more server time than the rest of the query. Only a foreign key to a table
# outside the managed schemas (whose columns are not read) gets its referenced names here.
CONSTRAINTS_SQL = _TABLES_CTE_MATERIALIZED + f"""
SELECT con.conrelid, con.conname, con.contype,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_constraintdef(con.oid, true) END,
       CASE WHEN con.contype <> 'c' THEN con.conkey END,
       fn.nspname, fc.relname,
       con.confrelid, con.confkey,
       CASE WHEN con.contype = 'f' AND NOT EXISTS (SELECT 1 FROM managed r WHERE r.oid = con.confrelid)
            THEN {_ATTNAMES.format(keys="con.confkey", rel="con.confrelid")} END,
       con.confupdtype, con.confdeltype, con.condeferrable, con.condeferred, con.convalidated
FROM managed m
JOIN pg_catalog.pg_constraint con ON con.conrelid = m.oid
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c')
ORDER BY con.conrelid, con.conname
"""

INDEXES_SQL = _TABLES_CTE_MATERIALIZED + """
SELECT i.indrelid, i.indexrelid, ic.relname, i.indisunique, am.amname,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid, true), i.indnkeyatts, i.indisvalid
FROM managed m
JOIN pg_catalog.pg_index i ON i.indrelid = m.oid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
                   WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                     AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname
"""

# One row per index key (and INCLUDE column), flat so the catalog joins are hashed once.
INDEX_KEYS_SQL = _TABLES_CTE_MATERIALIZED + """
SELECT i.indexrelid, att.attname, COALESCE(k.opt, 0),
       -- pg_get_indexdef is costly: only expression keys need it.
       CASE WHEN k.num = 0 THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true) END,
       CASE WHEN oc.opcdefault THEN NULL ELSE oc.opcname END,
       CASE WHEN k.coll IS NULL OR k.coll = 0 OR att.attnum IS NULL OR k.coll = att.attcollation
            THEN NULL ELSE co.collname END
FROM managed m
JOIN pg_catalog.pg_index i ON i.indrelid = m.oid
CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indoption::int2[], i.indclass::oid[], i.indcollation::oid[])
     WITH ORDINALITY k(num, opt, opc, coll, ord)
LEFT JOIN pg_catalog.pg_attribute att ON att.attrelid = i.indrelid AND att.attnum = k.num AND k.num > 0
LEFT JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opc
LEFT JOIN pg_catalog.pg_collation co ON co.oid = k.coll
ORDER BY i.indexrelid, k.ord
"""

# indoption bits (pg_index.h): INDOPTION_DESC, INDOPTION_NULLS_FIRST.
_DESC, _NULLS_FIRST = 1, 2
_NEXTVAL = re.compile(r"^nextval\('((?:[^']|'')+)'::regclass\)\Z")
_CHECK = re.compile(r"^CHECK \((?P<expr>.*)\)(?P<flags>(?: NO INHERIT| NOT VALID)*)$", re.DOTALL)


def managed_schemas(desired: Database | None) -> list[str]:
    schemas = list(desired.schemas) if desired is not None and desired.schemas else []
    return schemas or [DEFAULT_SCHEMA]


def spec_scope(data: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    """The schemas and extensions a spec document manages, without building its model.

    The document may not be validated yet: None when it is not shaped as expected (validation
    will say why). Must agree with `managed_schemas` / `Database.extensions` of the built model;
    `build_and_inspect` checks that it does.
    """
    schemas, default_schema, extensions = data.get("schemas") or [], data.get("schema", DEFAULT_SCHEMA), []
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in [*schemas, default_schema]):
        return None
    schemas = list(schemas)
    if default_schema not in schemas:
        schemas.insert(0, default_schema)
    for extension in data.get("extensions") or []:
        name = extension.get("name") if isinstance(extension, dict) else extension
        if not isinstance(name, str):
            return None
        extensions.append(name)
    return schemas, list(dict.fromkeys(extensions))


# The two halves of the catalog reads, about equal in server time on large schemas, as batches:
# a batch is sent at once, and the next one as soon as its results are in, before they are
# assembled. The second half's heavy queries each have a batch of their own (so one's rows are
# assembled while the server runs the next), the cheapest to assemble last; the first half's tiny
# queries go last, not first, so that nothing delays its heavy ones.
Batches = tuple[tuple[tuple[str, str], ...], ...]
_FIRST_HALF: Batches = ((("tables", TABLES_SQL), ("columns", COLUMNS_SQL)),
                        (("enums", ENUMS_SQL), ("domains", DOMAINS_SQL), ("schemas", SCHEMAS_SQL),
                         ("extensions", EXTENSIONS_SQL)))
_SECOND_HALF: Batches = ((("constraints", CONSTRAINTS_SQL),), (("index_keys", INDEX_KEYS_SQL),),
                         (("indexes", INDEXES_SQL),))
# Below this many tables a second connection costs more than it saves.
PARALLEL_FROM_TABLES = 300


def inspect(conn: psycopg.Connection[Any], desired: Database | None) -> Database:
    schemas = managed_schemas(desired)
    extensions = list(desired.extensions) if desired is not None else []
    assembler = Assembler(schemas)
    read_catalog(conn, schemas, extensions, assembler.add, len(desired.tables) if desired is not None else 0)
    return assembler.result()


def build_and_inspect(conn: psycopg.Connection[Any], spec: LoadedSpec, build: Callable[..., Database],
                      while_reading: Mapping[str, ModelStep] | None = None,
                      reuse_live_columns: Callable[[Database], ReuseColumns] | None = None,
                      ) -> tuple[Database, Database]:
    """Build the desired model (`build` also validates the spec) while the catalog queries run.

    The readers mostly wait for the server, so the build fills that time. On a 2,000-table schema
    both sides also compete for the GIL and the two cores, so the saving is smaller than the build.
    Once the model is built, each step of `while_reading` (keyed by the kind of catalog rows it
    needs: "columns", "constraints", "indexes") runs as `step(desired, live)`, in order, as soon as
    those rows are in the live model, while the rest is still being read.

    A model read from the cache is built as `build(live)`, a `model_codec.LiveModel`: its parts are
    decoded as the live ones arrive, and those equal to the live ones (columns as
    `reuse_live_columns(live)` says) are the live objects instead of objects of their own.
    """
    if spec.cached is not None:  # the model cache knows the scope without parsing the spec
        header = spec.cached.header()
        scope: tuple[list[str], list[str]] | None = (managed_schemas(header), list(header.extensions))
        table_count = spec.cached.tables
    else:
        scope, table_count = spec_scope(spec.data), _table_count(spec.data)
    if scope is None:
        desired = build()
        return desired, inspect(conn, desired)
    schemas, extensions = scope
    assembler = Assembler(schemas)
    # The readers need the GIL briefly for every chunk of rows; while the build holds it, a shorter
    # switch interval hands it over sooner, so the server is not left waiting on a full socket.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    try:
        reuse = reuse_live_columns if spec.cached is not None else None
        return _build_while_reading(conn, build, schemas, extensions, assembler, table_count, while_reading or {},
                                    reuse)
    finally:
        sys.setswitchinterval(interval)


def _build_while_reading(conn: psycopg.Connection[Any], build: Callable[..., Database], schemas: list[str],
                         extensions: list[str], assembler: Assembler, expected_tables: int,
                         while_reading: Mapping[str, ModelStep],
                         reuse_live_columns: Callable[[Database], ReuseColumns] | None) -> tuple[Database, Database]:
    with ThreadPoolExecutor(1, thread_name_prefix="schemactl-inspect") as pool:
        started = threading.Event()
        reading = pool.submit(read_catalog, conn, schemas, extensions, assembler.add, expected_tables, started.set)
        # The build waits (briefly) for the catalog queries to be under way: until then it would only
        # slow the reader down, and the server is the long pole.
        started.wait(0.05)
        live = _LiveModel(assembler, reading, reuse_live_columns) if reuse_live_columns is not None else None
        try:
            desired = build(live) if live is not None else build()
        except BaseException:
            reading.cancel()
            raise  # the pool's exit still waits for the reader: the connection is never left mid-query
        in_scope = (managed_schemas(desired), list(desired.extensions)) == (schemas, extensions)
        # A model decoded as the live one arrived is done with every kind of rows: the steps would
        # only repeat at once what canonicalize does anyway.
        if in_scope and not (live is not None and live.waited_for_all):
            for kind, step in while_reading.items():
                if not assembler.wait_for(kind, reading):
                    break  # the read failed: reading.result() says why
                step(desired, assembler.db)
        reading.result()
    if not in_scope:
        return desired, inspect(conn, desired)
    return desired, assembler.result()


Rows = list[tuple[Any, ...]]
ModelStep = Callable[[Database, Database], None]


class _LiveModel:
    """The live model as it is being read, for decoding a cached desired model (`model_codec.LiveModel`)."""

    def __init__(self, assembler: Assembler, reading: Future[Any],
                 reuse_columns: Callable[[Database], ReuseColumns]) -> None:
        self._assembler, self._reading, self.reuse_columns = assembler, reading, reuse_columns
        self._waited: set[str] = set()

    def wait(self, kind: str) -> Database | None:
        self._waited.add(kind)
        return self._assembler.db if self._assembler.wait_for(kind, self._reading) else None

    @property
    def waited_for_all(self) -> bool:
        return self._waited >= {"columns", "constraints", "indexes"}


def _table_count(data: dict[str, Any]) -> int:
    tables = data.get("tables")
    return len(tables) if isinstance(tables, dict) else 0


def read_catalog(conn: psycopg.Connection[Any], schemas: list[str], extensions: list[str],
                 consume: Callable[[str, Rows], None], expected_tables: int = 0,
                 started: Callable[[], None] | None = None) -> None:
    """Run every catalog query in one snapshot (on two connections for large schemas).

    Each query's rows go to `consume` as soon as they arrive, from the thread that read them, so
    turning rows into the model overlaps with the server running the next query. When the spec
    already says the schema is large (`expected_tables`), the second connection is opened while
    the first one starts reading, and reads its half without waiting for the table list.
    """
    params = {"schemas": schemas, "extensions": extensions}
    with ThreadPoolExecutor(1, thread_name_prefix="schemactl-inspect") as pool:
        early = pool.submit(_connect_helper, conn) if expected_tables >= PARALLEL_FROM_TABLES else None
        try:
            _read_in_snapshot(conn, params, consume, pool, early, started)
        finally:
            helper = early.result() if early is not None else None
            if helper is not None and not helper.closed:
                helper.close()  # opened early but not needed after all, or left by an error


def _read_in_snapshot(conn: psycopg.Connection[Any], params: dict[str, Any], consume: Callable[[str, Rows], None],
                      pool: ThreadPoolExecutor, early: Future[psycopg.Connection[Any] | None] | None,
                      started: Callable[[], None] | None = None) -> None:
    with snapshot_transaction(conn) as snapshot:
        if early is not None:
            # The spec says the schema is large: the second half starts as soon as the early
            # connection is in this snapshot, while this one reads the tables and the first half.
            other = pool.submit(_read_second_half, early, snapshot, params, consume, started)
            try:
                _read_all(conn, _FIRST_HALF, params, consume)
            except BaseException:
                wait([other])  # the connection is never closed under a running query
                raise
            if not other.result():
                _read_all(conn, _SECOND_HALF, params, consume)  # no second connection after all
            return
        if started is not None:
            started()
        tables = conn.execute(TABLES_SQL, params).fetchall()
        consume("tables", tables)
        rest_of_first: Batches = ((("columns", COLUMNS_SQL),), *_FIRST_HALF[1:])
        helper = _second_reader(_connect_helper(conn), snapshot) if len(tables) >= PARALLEL_FROM_TABLES else None
        if helper is None:
            _read_all(conn, rest_of_first + _SECOND_HALF, params, consume)
            return
        # Same snapshot on a second connection: the server reads both halves at once.
        with helper:
            other_half = pool.submit(_read_all, helper, _SECOND_HALF, params, consume)
            _read_all(conn, rest_of_first, params, consume)
            other_half.result()


def _read_second_half(early: Future[psycopg.Connection[Any] | None], snapshot: str, params: dict[str, Any],
                      consume: Callable[[str, Rows], None], started: Callable[[], None] | None) -> bool:
    """Read the second half on the early connection; False if it could not join the snapshot.

    `started` is called once both connections are reading: once this one has sent its first query
    (or cannot).
    """
    helper = _second_reader(early.result(), snapshot)
    if helper is None:
        if started is not None:
            started()
        return False
    with helper:
        _read_all(helper, _SECOND_HALF, params, consume, sent=started)
    return True


@contextmanager
def snapshot_transaction(conn: psycopg.Connection[Any]) -> Iterator[str]:
    """A repeatable-read transaction with an empty search_path; yields its exported snapshot id."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute("SELECT pg_catalog.set_config('search_path', '', true)")
        yield conn.execute("SELECT pg_catalog.pg_export_snapshot()").fetchone()[0]


def _connect_helper(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any] | None:
    try:
        return psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=False,
                               application_name="schemactl")
    except psycopg.Error:
        return None  # e.g. no connection slot left: read everything on the first connection


def _second_reader(helper: psycopg.Connection[Any] | None, snapshot: str) -> psycopg.Connection[Any] | None:
    """`helper` moved into the first connection's snapshot, or None (then one connection reads all)."""
    if helper is None:
        return None
    try:
        helper.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        helper.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        helper.execute("SELECT pg_catalog.set_config('search_path', '', true)")
        return helper
    except psycopg.Error:
        helper.close()
        return None


def _read_all(conn: psycopg.Connection[Any], batches: Batches, params: dict[str, Any],
              consume: Callable[[str, Rows], None], sent: Callable[[], None] | None = None) -> None:
    """Run the batches of queries in a pipeline, one batch ahead: the server runs the next batch
    while the rows of the one before are turned into the model. `sent` is called once the first
    batch is on its way."""
    if not psycopg.Pipeline.is_supported():  # libpq before 14: one query at a time
        if sent is not None:
            sent()
        for name, query in (query for batch in batches for query in batch):
            consume(name, conn.execute(query, params).fetchall())
        return
    with conn.pipeline():
        pending = [(name, conn.cursor().execute(query, params)) for name, query in batches[0]]
        if sent is not None:
            sent()
        for batch in (*batches[1:], ()):
            # psycopg's fetchall waits for the results of every query sent: hence batches.
            results = []
            for name, cursor in pending:
                with cursor:
                    results.append((name, cursor.fetchall()))
            # Sent before these rows are assembled, so the server is not idle meanwhile.
            pending = [(name, conn.cursor().execute(query, params)) for name, query in batch]
            for name, rows in results:
                consume(name, rows)


class Assembler:
    """Turns catalog rows into the model as each query's rows arrive, in whatever order.

    Columns need their table, constraints their table's columns (they name key columns by number),
    indexes their keys: rows whose prerequisites have not arrived yet wait. Called from the reader
    threads, hence the lock.
    """

    _NEEDS = {"columns": ("tables",), "constraints": ("tables", "columns"), "indexes": ("tables", "index_keys"),
              "domains": (), "enums": (), "extensions": (), "schemas": (), "tables": (), "index_keys": ()}

    def __init__(self, schemas: list[str]) -> None:
        self.db = Database(dialect="postgres")
        self._schemas = schemas
        self._arrived: dict[str, Rows] = {}
        self._done: set[str] = set()
        self._by_oid: dict[int, Table] = {}
        self._keys: dict[int, list[tuple[Any, ...]]] = {}
        self._attnames: dict[tuple[int, int], str] = {}
        self._defaults: dict[str, Default] = {}
        self._lock = threading.Lock()
        self._assembled = {kind: threading.Event() for kind in self._NEEDS}

    def add(self, name: str, rows: Rows) -> None:
        with self._lock:
            self._arrived[name] = rows
            progress = True
            while progress:
                progress = False
                for kind, arrived in list(self._arrived.items()):
                    if all(n in self._done for n in self._NEEDS[kind]):
                        del self._arrived[kind]
                        getattr(self, f"_add_{kind}")(arrived)
                        self._done.add(kind)
                        self._assembled[kind].set()
                        progress = True

    def wait_for(self, kind: str, reading: Future[Any]) -> bool:
        """Wait until `kind`'s rows are in the model; False if the read ended (or failed) without them."""
        assembled = self._assembled[kind]
        while not assembled.wait(0.005):
            if reading.done():
                return assembled.is_set()
        return True

    def result(self) -> Database:
        missing = set(self._NEEDS) - self._done
        if missing:
            raise RuntimeError(f"catalog rows missing: {sorted(missing)}")
        return self.db

    def _add_schemas(self, rows: Rows) -> None:
        existing = {r[0] for r in rows}
        self.db.schemas = [s for s in self._schemas if s in existing]

    def _add_extensions(self, rows: Rows) -> None:
        for name, schema in rows:
            self.db.extensions[name] = Extension(name=name, schema=schema)

    def _add_enums(self, rows: Rows) -> None:
        for schema, name, values, comment in rows:
            enum = Enum(name=name, values=list(values), schema=schema, comment=comment)
            self.db.enums[enum.key] = enum

    def _add_domains(self, rows: Rows) -> None:
        for domain in _dependency_order([_domain(row) for row in rows]):
            self.db.domains[domain.key] = domain

    def _add_tables(self, rows: Rows) -> None:
        tables, by_oid = self.db.tables, self._by_oid
        for oid, schema, name, comment in rows:
            table = Table(name=name, schema=schema, comment=comment)
            by_oid[oid] = tables[table.key] = table

    def _add_columns(self, rows: Rows) -> None:
        by_oid, names, defaults = self._by_oid, self._attnames, self._defaults
        for row in rows:
            oid, name, col_type, notnull, default, identity, generated, collation, comment, owned_seq, attnum = row
            if default is None and not identity:  # most columns: one positional call
                column = Column(name, col_type, not notnull, None, None, None, comment, collation)
            else:
                column = _column(row, defaults)
            by_oid[oid].columns[name] = column
            names[(oid, attnum)] = name

    def _add_constraints(self, rows: Rows) -> None:
        by_oid, names = self._by_oid, self._attnames
        for row in rows:
            _add_constraint(by_oid[row[0]], row, names)

    def _add_index_keys(self, rows: Rows) -> None:
        keys = self._keys
        for row in rows:
            keys.setdefault(row[0], []).append(row[1:])

    def _add_indexes(self, rows: Rows) -> None:
        by_oid, keys = self._by_oid, self._keys
        for row in rows:
            index = _index(row, keys.get(row[1], []))
            by_oid[row[0]].indexes[index.name] = index


def _column(row: tuple[Any, ...], defaults: dict[str, Default]) -> Column:
    _, name, col_type, notnull, default, identity, generated, collation, comment, owned_seq, _ = row
    if identity:
        return Column(name, col_type, not notnull, None, "always" if identity == "a" else "by default", None,
                      comment, collation)
    if default is not None and not generated:
        match = _NEXTVAL.match(default) if owned_seq else None
        if match and match.group(1).replace("''", "'") == owned_seq and col_type in SERIAL_BY_TYPE:
            return Column(name, col_type, not notnull, None, None, SERIAL_BY_TYPE[col_type], comment, collation)
        # Defaults are frozen and repeat across tables (now(), 0, false): one object per text.
        shared = defaults.get(default) or defaults.setdefault(default, Default(default, False))
        return Column(name, col_type, not notnull, shared, None, None, comment, collation)
    return Column(name, col_type, not notnull, None, None, None, comment, collation)


def _domain(row: tuple[Any, ...]) -> Domain:
    schema, name, base, notnull, default, collation, comment, check_names, check_defs = row
    return Domain(name=name, type=base, schema=schema, nullable=not notnull, collation=collation, comment=comment,
                  default=Default(expression=default, literal=False) if default is not None else None,
                  checks={n: CheckConstraint(name=n, expression=check_body(d))
                          for n, d in zip(check_names, check_defs, strict=True)})


def _dependency_order(domains: list[Domain]) -> list[Domain]:
    """Domains based on other domains after their base, so specs and creates can run top to bottom."""
    by_type = {user_type_name(d.schema, d.name): d for d in domains}
    ordered: dict[str, Domain] = {}

    def visit(domain: Domain, seen: frozenset[str]) -> None:
        base = by_type.get(domain.type.removesuffix("[]"))
        if base is not None and base.key not in seen:
            visit(base, seen | {domain.key})
        ordered.setdefault(domain.key, domain)

    for domain in domains:
        visit(domain, frozenset())
    return list(ordered.values())


def check_body(definition: str) -> str:
    """The expression inside `CHECK (...)` as pg_get_constraintdef prints it."""
    if definition.startswith("CHECK (") and definition.endswith(")"):
        return definition[7:-1]  # no NO INHERIT / NOT VALID after it: what the pattern finds too
    match = _CHECK.match(definition)
    return match.group("expr") if match else definition


def _add_constraint(table: Table, row: tuple[Any, ...], attnames: dict[tuple[int, int], str]) -> None:
    (oid, name, contype, definition, keys, ref_schema, ref_table, ref_oid, ref_keys, outside_names,
     on_update, on_delete, deferrable, deferred, validated) = row
    columns = [attnames[(oid, n)] for n in keys] if keys else []
    if contype == "c":
        table.checks[name] = CheckConstraint(name, check_body(definition), validated)
        return
    ref_columns = outside_names if outside_names is not None else [attnames[(ref_oid, n)] for n in ref_keys or ()]
    if contype == "p":
        table.primary_key = PrimaryKey(name, columns)
    elif contype == "u":
        table.uniques[name] = UniqueConstraint(name, columns, deferrable, deferred)
    elif contype == "f":
        table.foreign_keys[name] = ForeignKey(name, columns, ref_table, list(ref_columns), ref_schema,
                                              FK_ACTIONS[on_delete], FK_ACTIONS[on_update], deferrable, deferred,
                                              validated)


def _index(row: tuple[Any, ...], keys: list[tuple[Any, ...]]) -> Index:
    _, _, name, unique, method, predicate, nkeys, valid = row
    elements = []
    for attname, option, expression, opclass, collation in keys[:nkeys]:
        descending = bool(option & _DESC)
        nulls_first = bool(option & _NULLS_FIRST)
        # Only record NULLS placement when it is not the direction's default (DESC => NULLS FIRST).
        nulls = None if nulls_first == descending else ("first" if nulls_first else "last")
        elements.append(IndexElement(attname, None if attname is not None else expression,
                                     descending, nulls, opclass, collation))
    # An index left invalid by an interrupted or failed CREATE INDEX CONCURRENTLY is reported
    # as such, so that the plan rebuilds it instead of trying to create it again by name.
    return Index(name, elements, unique, method, predicate,
                 [k[0] for k in keys[nkeys:] if k[0] is not None] if len(keys) > nkeys else [], None, bool(valid))
