"""Read the live schema: every kind's catalog query, in one read-only snapshot, on one connection.

Each kind of object (`kinds/`) owns its query (`kinds/<kind>.sql`) and turns its rows into the model.
The queries run in one `REPEATABLE READ, READ ONLY` transaction with an empty search_path, so types
and expressions come back schema-qualified, as the spec builder spells them; they are sent together
in a pipeline (when libpq has one), then each kind reads its rows in the registry's order (tables
before their columns, columns before the constraints that name them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.model import Database, Table

from .types import DEFAULT_SCHEMA

if TYPE_CHECKING:
    import psycopg

Rows = list[tuple[Any, ...]]


@dataclass
class Catalog:
    """The live model being read, and what later kinds look up in it."""

    schemas: list[str]
    db: Database = field(default_factory=lambda: Database(dialect="postgres"))
    tables_by_oid: dict[int, Table] = field(default_factory=dict)
    #: Materialized views by oid: their indexes are read by the index kind's query (`materialized_view_index`).
    materialized_views_by_oid: dict[int, Any] = field(default_factory=dict)
    #: (table oid, attnum) -> column name: constraints name their key columns by number.
    attnames: dict[tuple[int, int], str] = field(default_factory=dict)


class CatalogKind(Protocol):
    """What every kind module provides to the reader: its query's file name (`kinds/<QUERY>.sql`), when
    its rows are read (`READ_ORDER`: after the kinds it looks up), and its rows -> model step."""

    QUERY: str
    READ_ORDER: int

    def load(self, rows: Rows, catalog: Catalog) -> None: ...


@cache
def load_query(name: str, managed: str = "managed_tables") -> str:
    """The text of `kinds/<name>.sql`; `/*managed_tables*/` stands for the `managed` CTE (`kinds/<managed>.sql`:
    the managed tables, or another set of relations a kind reads with the same query)."""
    folder = resources.files("reconciler.backends.postgres.kinds")
    text = folder.joinpath(f"{name}.sql").read_text(encoding="utf-8")
    if "/*managed_tables*/" in text:
        text = text.replace("/*managed_tables*/", folder.joinpath(f"{managed}.sql").read_text(encoding="utf-8"))
    return text


def managed_schemas(desired: Database | None) -> list[str]:
    schemas = list(desired.schemas) if desired is not None and desired.schemas else []
    return schemas or [DEFAULT_SCHEMA]


@cache
def backend_query(name: str) -> str:
    """The text of `<name>.sql` beside this module (queries that are no kind's)."""
    return resources.files("reconciler.backends.postgres").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def _read(conn: psycopg.Connection[Any], query: str, params: dict[str, Any]) -> Rows:
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute("SELECT pg_catalog.set_config('search_path', '', true), pg_catalog.set_config('jit', 'off', true)")
        return conn.execute(query, params).fetchall()


def inspect_scope(conn: psycopg.Connection[Any], schemas: Sequence[str]) -> Database:
    """What `inspect` reads: the named schemas (a UsageError names those that do not exist), or every
    schema that is not the system's, an extension's or schemactl's own (its apply history)."""
    from reconciler.errors import UsageError

    from .history import HISTORY_SCHEMA

    readable = [row[0] for row in _read(conn, backend_query("inspect_schemas"), {"history": HISTORY_SCHEMA})]
    if not schemas:
        return Database(dialect="postgres", schemas=readable or [DEFAULT_SCHEMA])
    existing = {row[0] for row in _read(conn, "SELECT nspname FROM pg_catalog.pg_namespace", {})}
    missing = [name for name in schemas if name not in existing]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        raise UsageError(f"--schema: schema {names} does not exist" if len(missing) == 1
                         else f"--schema: schemas {names} do not exist")
    return Database(dialect="postgres", schemas=list(dict.fromkeys(schemas)))


def unsupported_objects(conn: psycopg.Connection[Any], scope: Database | None) -> list[tuple[str, str]]:
    """(what, name) of the objects in the scope's schemas that a spec cannot hold yet."""
    params = {"schemas": managed_schemas(scope)}
    return [(what, name) for what, name in _read(conn, backend_query("inspect_unsupported"), params)]


def inspect(conn: psycopg.Connection[Any], desired: Database | None) -> Database:
    from .kinds import KINDS

    schemas = managed_schemas(desired)
    params = {"schemas": schemas, "extensions": list(desired.extensions) if desired is not None else [],
              # Roles are cluster-wide: only the managed ones (the spec's `roles:`, `inspect --role`) are read.
              "roles": sorted(desired.objects.get("role", {})) if desired is not None else []}
    # A kind may read its relations with another kind's query over another set of relations (`MANAGED`).
    queries = [load_query(kind.QUERY, getattr(kind, "MANAGED", "managed_tables")) for kind in KINDS]
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # No JIT: some catalog queries are estimated far above jit_above_cost (a view's column types walk
        # domain chains recursively), and compiling them cost 0.2 s for queries that take milliseconds.
        conn.execute("SELECT pg_catalog.set_config('search_path', '', true), pg_catalog.set_config('jit', 'off', true)")
        results = _run_all(conn, queries, params)
    catalog = Catalog(schemas)
    for kind, rows in zip(KINDS, results, strict=True):
        kind.load(rows, catalog)
    return catalog.db


def _run_all(conn: psycopg.Connection[Any], queries: list[str], params: dict[str, Any]) -> list[Rows]:
    import psycopg

    if not psycopg.Pipeline.is_supported():  # libpq before 14: one query at a time
        return [conn.execute(query, params).fetchall() for query in queries]
    with conn.pipeline():
        cursors = [conn.cursor().execute(query, params) for query in queries]
    results = []
    for cursor in cursors:
        with cursor:
            results.append(cursor.fetchall())
    return results
