"""Refuse type changes PostgreSQL cannot make without a USING clause, before anything runs.

`ALTER COLUMN ... TYPE` without USING needs an implicit or assignment cast (pg_cast), an
automatic I/O conversion to a string type, or the same base type with another modifier.
Asking the server is exact and costs one query for all changed columns together.

A string or enum column becoming an enum gets the obvious `USING col::text::enum` when every
existing value is a label of the new enum (read-only: one `SELECT DISTINCT ... LIMIT` per such
column); the values that are not are named in the refusal otherwise.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import PlanError
from reconciler.model import Column, Database, Table, qualified

from .types import qualified_name, quote_ident

_STRING_TYPES = ("text", "character varying", "varchar", "character", "char", "bpchar", "citext", "name")
_SHOWN_VALUES = 5

_CASTABLE_SQL = """
SELECT x.ord
FROM unnest(%(sources)s::text[], %(targets)s::text[]) WITH ORDINALITY AS x(src, dst, ord)
CROSS JOIN LATERAL (SELECT pg_catalog.to_regtype(x.src) AS s, pg_catalog.to_regtype(x.dst) AS d) t
WHERE NOT (
    t.s IS NOT NULL AND t.d IS NOT NULL AND (
        t.s = t.d
        OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast c
                   WHERE c.castsource = t.s AND c.casttarget = t.d AND c.castcontext IN ('i', 'a'))
        OR (SELECT typcategory FROM pg_catalog.pg_type WHERE oid = t.d) = 'S'
    )
)
"""


def _element(type_name: str) -> str:
    return type_name[:-2] if type_name.endswith("[]") else type_name


def check_type_changes(conn: Any, desired: Database, current: Database) -> None:
    """Raise PlanError naming every column whose type change needs `using:` in the spec."""
    pairs: list[tuple[str, str, str]] = []
    not_labels: dict[str, list[str]] = {}
    probed = False
    for key, table in desired.tables.items():
        live = current.tables.get(key) or (
            current.tables.get(qualified(table.schema, table.renamed_from)) if table.renamed_from else None)
        if live is None:
            continue
        for column in table.columns.values():
            live_column = live.columns.get(column.name) or (
                live.columns.get(column.renamed_from) if column.renamed_from else None)
            if live_column is None or live_column.type == column.type or column.using:
                continue
            source, target = live_column.type, column.type
            enum = desired.enums.get(target)
            if enum is not None and (source in desired.enums or source in current.enums or _is_string(source)):
                values, probed = _values_not_in(conn, live, live_column, enum.values), True
                if not values:
                    column.using = f"{quote_ident(column.name)}::text::{qualified_name(enum.schema, enum.name)}"
                    column.using_auto = True
                    continue
                not_labels[f"{table.key}.{column.name}"] = values
            if source.endswith("[]") != target.endswith("[]"):
                pairs.append((f"{table.key}.{column.name}", "-", "-"))  # array <-> scalar never casts implicitly
                continue
            pairs.append((f"{table.key}.{column.name}", _element(source), _element(target)))
    rows = conn.execute(_CASTABLE_SQL, {"sources": [p[1] for p in pairs],
                                        "targets": [p[2] for p in pairs]}).fetchall() if pairs else []
    if not conn.autocommit and (pairs or probed):
        conn.rollback()  # end the read-only transaction the questions opened
    refused = [pairs[int(ord_) - 1][0] for (ord_,) in rows]
    if refused:
        details = []
        for address in refused:
            table_key, _, column_name = address.rpartition(".")
            live_type = (current.tables.get(table_key) or desired.tables[table_key]).columns.get(column_name)
            new_type = desired.tables[table_key].columns[column_name].type
            old = f"{live_type.type} " if live_type else ""
            if address in not_labels:
                shown = ", ".join(repr(v) for v in not_labels[address][:_SHOWN_VALUES])
                details.append(f"  - column {address}: existing values are not labels of {new_type} ({shown}); "
                               f"change them first, or add a `using:` expression that maps them")
                continue
            details.append(f"  - column {address}: PostgreSQL cannot convert {old}to {new_type} implicitly; "
                           f'add `using: "{_quote(column_name)}::{new_type}"` (or your own conversion) to the column')
        raise PlanError("the plan changes column types that need a conversion expression:\n" + "\n".join(details))


def _is_string(type_name: str) -> bool:
    return type_name.partition("(")[0].strip() in _STRING_TYPES


def _values_not_in(conn: Any, table: Table, column: Column, labels: list[str]) -> list[str]:
    """Up to a few distinct live values of the column that are not among the labels (read-only)."""
    name = quote_ident(column.name)
    rows = conn.execute(
        f"SELECT DISTINCT {name}::text FROM {qualified_name(table.schema, table.name)} "
        f"WHERE {name} IS NOT NULL AND NOT ({name}::text = ANY(%(labels)s::text[])) LIMIT {_SHOWN_VALUES + 1}",
        {"labels": labels}).fetchall()
    return [value for (value,) in rows]


def _quote(name: str) -> str:
    return name if name.isidentifier() and name.islower() else '"' + name.replace('"', '""') + '"'
