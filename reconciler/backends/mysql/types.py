"""MySQL/MariaDB dialect rules: type spelling, literals, expression checks, and the one quoting function of each
kind (`quote_ident` for every identifier, `sql_string` for every string literal).

The canonical spelling of a type is `information_schema.COLUMNS.COLUMN_TYPE` without the integer display
widths MariaDB prints (`int(11)` is `int`); `tinyint(1)` keeps its width, since it is what `boolean` means.
MariaDB keeps `json` as `longtext` with a `json_valid` check, which inspection reads back as `json`.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from reconciler.spec.relational import DialectRules

MAX_IDENTIFIER = 64

# Spelling in a spec (lower-case, single spaces) -> canonical base.
_PLAIN = {
    "tinyint": "tinyint", "smallint": "smallint", "int2": "smallint", "mediumint": "mediumint",
    "int": "int", "integer": "int", "int4": "int", "bigint": "bigint", "int8": "bigint",
    "float": "float", "float4": "float", "double": "double", "double precision": "double", "real": "double",
    "float8": "double",
    "decimal": "decimal", "numeric": "decimal", "dec": "decimal", "fixed": "decimal",
    "varchar": "varchar", "character varying": "varchar", "char": "char", "character": "char",
    "binary": "binary", "varbinary": "varbinary",
    "tinytext": "tinytext", "text": "text", "mediumtext": "mediumtext", "longtext": "longtext",
    "tinyblob": "tinyblob", "blob": "blob", "mediumblob": "mediumblob", "longblob": "longblob",
    "date": "date", "time": "time", "datetime": "datetime", "timestamp": "timestamp", "year": "year",
    "json": "json",
}
_BOOLEAN = frozenset({"boolean", "bool"})
INTEGERS = frozenset({"tinyint", "smallint", "mediumint", "int", "bigint"})
NUMERIC = INTEGERS | {"float", "double", "decimal"}
#: Types MySQL indexes only with a prefix length, which the spec cannot say: refused in keys and indexes.
UNINDEXABLE = frozenset({"tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob",
                         "longblob", "json"})
_TYPE = re.compile(r"^(?P<base>[a-z][a-z0-9 ]*?)\s*(?:\((?P<args>[^()]*)\))?(?P<unsigned>\s+unsigned)?$")


def base_type(canonical: str) -> str:
    """`decimal(10,2)` -> `decimal`, `int unsigned` -> `int`."""
    return re.split(r"[ (]", canonical, maxsplit=1)[0]


def normalize_type(raw: str, user_types: dict[str, str] | None = None) -> str:
    """Canonical spelling of a spec type; ValueError for anything this backend does not know."""
    text = " ".join(raw.strip().lower().split())
    if text in _BOOLEAN:
        return "tinyint(1)"
    match = _TYPE.match(text)
    if not match or match.group("base").strip() not in _PLAIN:
        raise ValueError(f'unknown type "{raw}" for dialect mysql')
    base = _PLAIN[match.group("base").strip()]
    args = [a.strip() for a in match.group("args").split(",")] if match.group("args") is not None else []
    if not all(a.isdigit() for a in args):
        raise ValueError(f'unknown type "{raw}" for dialect mysql')
    numbers = [int(a) for a in args]
    unsigned = " unsigned" if match.group("unsigned") else ""
    if unsigned and base not in NUMERIC:
        raise ValueError(f'type "{raw}": only numeric types can be unsigned')
    if base in INTEGERS:
        if len(numbers) > 1:
            raise ValueError(f'unknown type "{raw}" for dialect mysql')
        # A display width changes nothing stored; only tinyint(1) means something (boolean).
        return f"{base}(1){unsigned}" if base == "tinyint" and numbers == [1] else base + unsigned
    if base == "decimal":
        if len(numbers) > 2:
            raise ValueError(f'unknown type "{raw}" for dialect mysql')
        precision, scale = (numbers + [10, 0][len(numbers):])[:2] if numbers else (10, 0)
        return f"decimal({precision},{scale}){unsigned}"
    if base in ("varchar", "varbinary"):
        if len(numbers) != 1:
            raise ValueError(f'type "{raw}" needs a length on dialect mysql, e.g. {base}(255)')
        return f"{base}({numbers[0]})"
    if base in ("char", "binary"):
        if len(numbers) > 1:
            raise ValueError(f'unknown type "{raw}" for dialect mysql')
        return f"{base}({numbers[0] if numbers else 1})"
    if base in ("time", "datetime", "timestamp"):
        if len(numbers) > 1 or (numbers and numbers[0] > 6):
            raise ValueError(f'type "{raw}": fractional seconds precision is 0 to 6')
        return f"{base}({numbers[0]})" if numbers and numbers[0] else base
    if numbers or (unsigned and base not in ("float", "double")):
        raise ValueError(f'unknown type "{raw}" for dialect mysql')
    return base + unsigned


_DISPLAY_WIDTH = re.compile(r"^(tinyint|smallint|mediumint|int|bigint)\((\d+)\)")


def normalize_live_type(column_type: str) -> str:
    """`COLUMN_TYPE` in canonical spelling (`bigint(20) unsigned` -> `bigint unsigned`); unknown ones as reported."""
    text = column_type.strip().lower()
    text = _DISPLAY_WIDTH.sub(lambda m: m.group(0) if m.group(0) == "tinyint(1)" else m.group(1), text)
    try:
        return normalize_type(text)
    except ValueError:
        return text


def quote_ident(name: str) -> str:
    """THE identifier quoting: always backticks (names may be keywords or mixed case), backticks doubled."""
    return "`" + name.replace("`", "``") + "`"


def sql_string(value: str) -> str:
    """THE string literal: quotes doubled, backslashes doubled (the sessions run without NO_BACKSLASH_ESCAPES,
    `connect` and the script preamble set sql_mode so). NUL never gets here: validate refuses it."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def literal_sql(value: Any, col_type: str) -> str:
    """SQL literal of a YAML scalar, spelled as `COLUMN_DEFAULT` reports it where it can be."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"cannot store {value!r} as a MySQL literal")
        return repr(value)
    return sql_string(str(value))


def literal_error(value: Any, col_type: str) -> str | None:
    if base_type(col_type) in NUMERIC and isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return f"default {value!r} is not a number (column type {col_type})"
    if base_type(col_type) == "json":
        return "literal defaults on json columns are not supported by dialect mysql (write {sql: ...})"
    return None


@lru_cache(maxsize=4096)
def parse_expression(sql: str) -> Any:
    """Parse one MySQL expression; ValueError with the reason."""
    from reconciler.spec.expressions import parse_one_expression

    return parse_one_expression(sql, "mysql")


def check_expression(sql: str) -> None:
    parse_expression(sql)


def column_key(name: str) -> str:
    """MySQL column names ignore case."""
    return name.lower()


def _user_type_name(schema: str | None, name: str) -> str:
    return name  # unreachable: enums and domains are refused on this dialect


def index_column_error(method: str, type_: str, extensions: frozenset[str]) -> str | None:
    if base_type(type_) in UNINDEXABLE:
        return (f"a {type_} column cannot be indexed on dialect mysql without a prefix length, which the spec "
                "cannot say; use varchar(n)")
    return None


RULES = DialectRules(
    name="mysql",
    default_schema=None,
    max_identifier=MAX_IDENTIFIER,
    normalize_type=normalize_type,
    user_type_name=_user_type_name,
    literal_sql=literal_sql,
    check_expression=check_expression,
    supports=frozenset(),
    # Constraint names are unique per table (foreign keys even per database, checked in build).
    constraint_names_per_table=True,
    column_key=column_key,
    literal_error=literal_error,
    index_column_error=index_column_error,
)
