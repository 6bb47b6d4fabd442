"""SQLite's dialect rules: type spelling, literals, expression checks, quoting.

SQLite stores a column's declared type verbatim and re-reports it from
`PRAGMA table_info`, so the canonical spelling chosen here is exactly what
the renderer writes and the inspector reads back (upper-case, no spaces
inside parentheses).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import sqlglot

from reconciler.spec.relational import DialectRules

# Spelling in a spec (lower-case, single spaces) -> canonical SQLite spelling.
_PLAIN_TYPES = {
    "integer": "INTEGER", "int": "INTEGER", "int4": "INTEGER",
    "bigint": "BIGINT", "int8": "BIGINT",
    "smallint": "SMALLINT", "int2": "SMALLINT",
    "text": "TEXT",
    "varchar": "VARCHAR", "character varying": "VARCHAR",
    "char": "CHAR", "character": "CHAR",
    "boolean": "BOOLEAN", "bool": "BOOLEAN",
    "real": "REAL", "float4": "REAL",
    "double precision": "DOUBLE PRECISION", "double": "DOUBLE PRECISION", "float": "DOUBLE PRECISION",
    "float8": "DOUBLE PRECISION",
    "numeric": "NUMERIC", "decimal": "NUMERIC",
    "blob": "BLOB", "bytea": "BLOB",
    "date": "DATE",
    "datetime": "DATETIME",
    "timestamp": "TIMESTAMP", "timestamp without time zone": "TIMESTAMP",
    "timestamptz": "TIMESTAMPTZ", "timestamp with time zone": "TIMESTAMPTZ",
    "time": "TIME", "time without time zone": "TIME",
    "json": "JSON", "jsonb": "JSONB",
    "uuid": "UUID",
}
# Types that take a modifier, and how many numbers it may have.
_MODIFIED_TYPES = {"VARCHAR": (1, 1), "CHAR": (1, 1), "NUMERIC": (1, 2), "TIMESTAMP": (1, 1),
                   "TIMESTAMPTZ": (1, 1), "TIME": (1, 1)}
_TYPE_SYNTAX = re.compile(r"^(?P<base>[a-z][a-z0-9 ]*?)\s*(?:\((?P<args>[^()]*)\))?$")
_TZ_SUFFIX = re.compile(r"^(?P<base>timestamp|time)\s*\((?P<args>[^()]*)\)\s+(?P<tz>with|without) time zone$")


def normalize_type(raw: str, user_types: dict[str, str] | None = None) -> str:
    """Canonical spelling of a spec type; ValueError for anything SQLite specs do not know."""
    text = " ".join(raw.strip().lower().split())
    tz = _TZ_SUFFIX.match(text)
    if tz:
        # timestamp(3) with time zone -> timestamptz(3)
        suffix = "tz" if tz.group("tz") == "with" and tz.group("base") == "timestamp" else ""
        text = f"{tz.group('base')}{suffix}({tz.group('args')})"
    match = _TYPE_SYNTAX.match(text)
    if not match or match.group("base").strip() not in _PLAIN_TYPES:
        raise ValueError(f'unknown type "{raw}"')
    base = _PLAIN_TYPES[match.group("base").strip()]
    args = match.group("args")
    if args is None:
        return base
    numbers = [a.strip() for a in args.split(",")]
    low, high = _MODIFIED_TYPES.get(base, (0, 0))
    if not low <= len(numbers) <= high or not all(n.isdigit() for n in numbers):
        raise ValueError(f'unknown type "{raw}"')
    return f"{base}({','.join(str(int(n)) for n in numbers)})"


def normalize_live_type(declared: str) -> str:
    """A live column's declared type in canonical spelling; unknown types are kept as SQLite reports them."""
    try:
        return normalize_type(declared)
    except ValueError:
        return declared


def _user_type_name(schema: str | None, name: str) -> str:
    # Unreachable in practice: the spec builder rejects enums on SQLite.
    return name


def literal_sql(value: Any, col_type: str) -> str:
    """SQL literal of a YAML scalar, spelled as `PRAGMA table_info` re-reports it."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"cannot store {value!r} as a SQLite literal")
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


@lru_cache(maxsize=4096)
def parse_expression(sql: str) -> sqlglot.exp.Expression:
    """Parse one SQLite expression (cached); raises ValueError with sqlglot's reason."""
    from reconciler.spec.expressions import parse_one_expression

    return parse_one_expression(sql, "sqlite")


def check_expression(sql: str) -> None:
    parse_expression(sql)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def column_key(name: str) -> str:
    """SQLite matches column names without regard to (ASCII) case, quoted or not."""
    return name.translate(_ASCII_LOWER)


@lru_cache(maxsize=4096)
def column_references(sql: str) -> frozenset[str]:
    """Unqualified column names an expression (already checked) refers to, in `column_key` form."""
    return frozenset(column_key(c.name) for c in parse_expression(sql).find_all(sqlglot.exp.Column)
                     if not c.table and c.name)


def quote_ident(name: str) -> str:
    """Always quote: names may be keywords or mixed case, and quoting keeps them verbatim."""
    return '"' + name.replace('"', '""') + '"'


RULES = DialectRules(
    name="sqlite",
    default_schema=None,
    # SQLite has no identifier limit; this only bounds generated names.
    max_identifier=1024,
    normalize_type=normalize_type,
    user_type_name=_user_type_name,
    literal_sql=literal_sql,
    check_expression=check_expression,
    column_references=column_references,
    column_key=column_key,
    supports=frozenset(),
    constraint_names_per_table=False,
)
