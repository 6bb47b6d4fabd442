"""PostgreSQL spelling rules: canonical types, identifier quoting, literals, expression checks.

The canonical spelling of a type is what `format_type(atttypid, atttypmod)`
prints with an empty search_path: builtin types unqualified, everything else
schema-qualified. Both the spec builder and the inspector end up with that
spelling, so comparing types is plain string equality.
"""

from __future__ import annotations

import datetime
import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from reconciler.spec.relational import DialectRules

if TYPE_CHECKING:
    from sqlglot import exp

DEFAULT_SCHEMA = "public"
MAX_IDENTIFIER = 63

# Keywords PostgreSQL's quote_identifier() quotes: every category but "unreserved"
# (SELECT word FROM pg_get_keywords() WHERE catcode <> 'U', PostgreSQL 15).
RESERVED_WORDS = frozenset("""
all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both
case cast char character check coalesce collate collation column concurrently constraint create cross
current_catalog current_date current_role current_schema current_time current_timestamp current_user dec
decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign
freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect
interval into is isnull join lateral leading least left like limit localtime localtimestamp national natural
nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay
placing position precision primary real references returning right row select session_user setof similar
smallint some substring symmetric table tablesample then time timestamp to trailing treat trim true union
unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement
xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
""".split())

_PLAIN_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*\Z")  # as quote_identifier(): no $

# Types without modifiers: every accepted spelling -> format_type's spelling.
_SIMPLE_TYPES: dict[str, str] = {
    "int": "integer", "int4": "integer", "integer": "integer",
    "int8": "bigint", "bigint": "bigint",
    "int2": "smallint", "smallint": "smallint",
    "float8": "double precision", "double precision": "double precision", "float": "double precision",
    "float4": "real", "real": "real",
    "bool": "boolean", "boolean": "boolean",
    "text": "text", "uuid": "uuid", "json": "json", "jsonb": "jsonb", "bytea": "bytea", "date": "date",
    "timetz": "time with time zone", "timestamptz": "timestamp with time zone",
    "inet": "inet", "cidr": "cidr", "macaddr": "macaddr", "macaddr8": "macaddr8", "money": "money",
    "xml": "xml", "tsvector": "tsvector", "tsquery": "tsquery", "oid": "oid", "name": "name",
    "regclass": "regclass", "regtype": "regtype",
    "point": "point", "line": "line", "lseg": "lseg", "box": "box", "path": "path", "polygon": "polygon",
    "circle": "circle",
    "int4range": "int4range", "int8range": "int8range", "numrange": "numrange", "tsrange": "tsrange",
    "tstzrange": "tstzrange", "daterange": "daterange",
    "int4multirange": "int4multirange", "int8multirange": "int8multirange", "nummultirange": "nummultirange",
    "tsmultirange": "tsmultirange", "tstzmultirange": "tstzmultirange", "datemultirange": "datemultirange",
    "pg_lsn": "pg_lsn", "txid_snapshot": "txid_snapshot", "pg_snapshot": "pg_snapshot",
    # The other built-in types a column can have, as format_type prints them.
    **{name: name for name in (
        "jsonpath", "refcursor", "aclitem", "cid", "tid", "xid", "xid8", "int2vector", "oidvector", "regproc",
        "regprocedure", "regoper", "regoperator", "regconfig", "regdictionary", "regnamespace", "regrole",
        "regcollation")},
}

# Types provided by common extensions; format_type qualifies them with the
# extension's schema, assumed to be the default schema unless written qualified.
EXTENSION_TYPES = frozenset({"citext", "hstore", "ltree", "lquery", "ltxtquery", "vector", "halfvec",
                             "sparsevec", "geometry", "geography", "box2d", "box3d", "cube", "seg", "isbn",
                             "issn", "ean13"})

_ARRAY_SUFFIX = re.compile(r"(\s*\[\s*\d*\s*\])+\s*\Z")
_ARRAY_KEYWORD = re.compile(r"\s+array(\s*\[\s*\d*\s*\])?\s*$", re.IGNORECASE)
_MODIFIERS = re.compile(r"^(?P<base>[^()]+?)\s*\(\s*(?P<mods>[^()]*)\)\s*(?P<rest>[^()]*)\Z")
_TZ_SUFFIX = re.compile(r"^(?P<base>time|timestamp)\s*(?:\(\s*(?P<p>\d+)\s*\))?\s*"
                        r"(?P<tz>with time zone|without time zone)?$")


def quote_ident(name: str) -> str:
    """Always-quoted identifier for rendered SQL: quoting keeps case and makes keywords safe."""
    return '"' + name.replace('"', '""') + '"'


def quote_ident_if_needed(name: str) -> str:
    """Identifier as PostgreSQL's quote_identifier() prints it (format_type, pg_get_expr)."""
    if _PLAIN_IDENTIFIER.match(name) and name not in RESERVED_WORDS:
        return name
    return quote_ident(name)


def qualified_name(schema: str | None, name: str) -> str:
    """`"schema"."name"` (always quoted) for rendered SQL."""
    return f"{quote_ident(schema)}.{quote_ident(name)}" if schema else quote_ident(name)


def user_type_name(schema: str | None, name: str) -> str:
    """format_type's spelling of a user-defined type: `public.message_role`, `public."MessageRole"`."""
    if schema is None:
        return quote_ident_if_needed(name)
    return f"{quote_ident_if_needed(schema)}.{quote_ident_if_needed(name)}"


def _unquote_part(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] == '"':
        return part[1:-1].replace('""', '"')
    return part


_IDENTIFIER_PART = re.compile(r'\s*("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*')


def split_dotted(raw: str, part: re.Pattern[str] = _IDENTIFIER_PART) -> list[str] | None:
    """Split `schema."Name"` into its unquoted parts (`part`: one part, quoted or not, with the white space
    around it); None if it is not a dotted name."""
    parts: list[str] = []
    pos, text = 0, raw.strip()
    while True:
        match = part.match(text, pos)
        if not match:
            return None
        parts.append(_unquote_part(match.group(1)))
        pos = match.end()
        if pos == len(text):
            return parts
        if text[pos] != ".":
            return None
        pos += 1


def _lookup_user_type(raw: str, user_types: dict[str, str]) -> str | None:
    if raw in user_types:
        return user_types[raw]
    parts = split_dotted(raw)
    if parts is None or len(parts) > 2:
        return None
    plain = ".".join(parts)
    if plain in user_types:
        return user_types[plain]
    canonical = user_type_name(parts[0], parts[1]) if len(parts) == 2 else quote_ident_if_needed(parts[0])
    return user_types.get(canonical)


# PostgreSQL keeps at most 6 fractional digits of seconds: a larger precision is reduced to 6 with a
# warning, so the column would differ from its spec after every apply.
MAX_TIME_PRECISION = 6


def _time_precision(type_: str, precision: str | int | None) -> None:
    if precision is not None and int(precision) > MAX_TIME_PRECISION:
        raise ValueError(f"{type_}({int(precision)}): PostgreSQL keeps at most {MAX_TIME_PRECISION} "
                         f"fractional digits of seconds (precision 0 to {MAX_TIME_PRECISION})")


# Type modifiers PostgreSQL refuses outright (varchar(0), numeric(0), float(54)).
MAX_CHAR_LENGTH = 10485760
MAX_BIT_LENGTH = 83886080


def _modifier_range(type_: str, value: int, low: int, high: int, what: str) -> None:
    if not low <= value <= high:
        raise ValueError(f"{type_}({value}): the {what} must be between {low} and {high}")


def _normalize_modified(base: str, mods: str, rest: str) -> str | None:
    """Types with a modifier list: varchar(n), numeric(p,s), timestamp(p) with time zone ..."""
    args = [m.strip() for m in mods.split(",")]
    if not all(a.isdigit() for a in args):
        return None
    nums = [int(a) for a in args]
    rest = rest.strip()
    if base in ("time", "timestamp", "timetz", "timestamptz", "interval") and len(nums) == 1:
        _time_precision(base, nums[0])
    if base in ("numeric", "decimal", "dec") and not rest and len(nums) in (1, 2):
        _modifier_range(base, nums[0], 1, 1000, "precision")
        return f"numeric({nums[0]},{nums[1] if len(nums) == 2 else 0})"
    if len(nums) != 1:
        return None
    n = nums[0]
    if rest:
        return _normalize_time(f"{base}({n}) {rest}")
    if base in ("varchar", "character varying", "char varying"):
        _modifier_range(base, n, 1, MAX_CHAR_LENGTH, "length")
        return f"character varying({n})"
    if base in ("char", "character", "bpchar"):
        _modifier_range(base, n, 1, MAX_CHAR_LENGTH, "length")
        return f"character({n})"
    if base in ("bit",):
        _modifier_range(base, n, 1, MAX_BIT_LENGTH, "length")
        return f"bit({n})"
    if base in ("varbit", "bit varying"):
        _modifier_range(base, n, 1, MAX_BIT_LENGTH, "length")
        return f"bit varying({n})"
    if base == "float":
        _modifier_range(base, n, 1, 53, "precision (bits)")
        return "real" if n <= 24 else "double precision"
    if base in ("time", "timestamp"):
        return f"{base}({n}) without time zone"
    if base == "timetz":
        return f"time({n}) with time zone"
    if base == "timestamptz":
        return f"timestamp({n}) with time zone"
    if base == "interval":
        return f"interval({n})"
    return None


def _normalize_time(text: str) -> str | None:
    match = _TZ_SUFFIX.match(text)
    if not match:
        return None
    _time_precision(match.group("base"), match.group("p"))
    precision = f"({match.group('p')})" if match.group("p") else ""
    return f"{match.group('base')}{precision} {match.group('tz') or 'without time zone'}"


# `interval day to second(3)`: the fields, then the precision, as format_type prints them.
_INTERVAL_FIELDS = re.compile(
    r"^interval (?P<fields>year to month|day to (?:hour|minute|second)|hour to (?:minute|second)|minute to second"
    r"|year|month|day|hour|minute|second) ?(?:\((?P<p>\d)\))?\Z")


def _normalize_builtin(text: str) -> str | None:
    """Canonical spelling of a builtin scalar type (lower-cased, whitespace collapsed), or None."""
    text = text.removeprefix("pg_catalog.")
    if text in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[text]
    if text in ("numeric", "decimal", "dec"):
        return "numeric"
    if text in ("varchar", "character varying", "char varying"):
        return "character varying"
    if text in ("char", "character"):
        return "character(1)"
    if text == "bpchar":
        return "bpchar"  # without a length: blank-padded of any length, not character(1)
    if text == "bit":
        return "bit(1)"
    if text in ("varbit", "bit varying"):
        return "bit varying"
    if text == "interval":
        return "interval"
    if text == '"char"':
        return '"char"'  # the one-byte internal type, not char(1)
    match = _INTERVAL_FIELDS.match(text)
    if match:
        _time_precision(f"interval {match.group('fields')}", match.group("p"))
        precision = f"({match.group('p')})" if match.group("p") else ""
        return f"interval {match.group('fields')}{precision}"
    if text.startswith(("time", "timestamp")) and "(" not in text:
        return _normalize_time(text)
    match = _MODIFIERS.match(text)
    if match:
        return _normalize_modified(match.group("base").strip(), match.group("mods"), match.group("rest"))
    return None


def _normalize_extension_type(raw: str) -> str | None:
    """`citext` -> `public.citext`; `vector(3)` -> `public.vector(3)`; `ext.hstore` kept qualified."""
    match = re.match(r'^(?:(?P<schema>"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)\s*\.\s*)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)'
                     r"\s*(?:\((?P<mods>[^()]*)\))?$", raw)
    if not match or match.group("name").lower() not in EXTENSION_TYPES:
        return None
    schema = _unquote_part(match.group("schema")) if match.group("schema") else DEFAULT_SCHEMA
    mods = match.group("mods")
    suffix = "(" + ",".join(m.strip() for m in mods.split(",")) + ")" if mods else ""
    return f"{quote_ident_if_needed(schema)}.{match.group('name').lower()}{suffix}"


def normalize_type(raw: str, user_types: dict[str, str]) -> str:
    """Canonical (format_type) spelling of a spec type; ValueError for types we cannot place."""
    if raw in user_types:
        # A user type named exactly so, whitespace and all, before any parsing of the spelling.
        return user_types[raw]
    text = raw.strip()
    is_array = False
    keyword = _ARRAY_KEYWORD.search(text)
    if keyword:
        text, is_array = text[: keyword.start()].strip(), True
    suffix = _ARRAY_SUFFIX.search(text)
    if suffix:
        # format_type prints one [] whatever the declared dimensions: PostgreSQL ignores them.
        text, is_array = text[: suffix.start()].strip(), True
    if not text:
        raise ValueError(f'unknown type "{raw}"')
    canonical = _lookup_user_type(text, user_types)
    if canonical is None:
        canonical = _normalize_builtin(" ".join(text.lower().split()))
    if canonical is None:
        canonical = _normalize_extension_type(text)
    if canonical is None:
        raise ValueError(f'unknown type "{raw}"')
    return canonical + "[]" if is_array else canonical


def sql_string(value: str) -> str:
    """The one way a string becomes a PostgreSQL literal, correct whatever `standard_conforming_strings` says.

    Without a backslash, `'...'` with quotes doubled means the same under both settings. With one,
    the escape-string form `E'...'` (backslashes and quotes doubled) does: a plain literal would
    let `a\\'; DROP ...` close the string early where the setting is off.
    """
    if "\x00" in value:
        raise ValueError("string literals cannot contain NUL characters")
    if "\\" in value:
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + value.replace("'", "''") + "'"


def literal_sql(value: Any, col_type: str) -> str:
    """SQL literal for a YAML scalar default; PostgreSQL casts it to the column type itself."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "'NaN'"
        if math.isinf(value):
            return "'Infinity'" if value > 0 else "'-Infinity'"
        return repr(value)
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return sql_string(value.isoformat())
    if isinstance(value, str):
        return sql_string(value)
    raise ValueError(f"cannot use {type(value).__name__} value {value!r} as a default for {col_type}")


# Statements sqlglot would happily parse where we want an expression.
@lru_cache(maxsize=1)
def _statement_types() -> tuple[type, ...]:
    from sqlglot import exp

    return tuple(
        t for t in (getattr(exp, n, None) for n in (
            "Create", "Drop", "Insert", "Update", "Delete", "Alter", "Command", "Merge", "Use", "Set",
            "Transaction", "Commit", "Rollback", "Grant", "Revoke", "TruncateTable", "Copy", "Pragma", "Describe",
        )) if isinstance(t, type)
    )


def parse_expression(sql: str) -> exp.Expression:
    """Parse one PostgreSQL expression; ValueError with a one-line reason if it is not one."""
    # Imported here: most specs never need a parser (see check_expression), and it costs 0.1 s to load.
    import sqlglot
    from sqlglot.errors import SqlglotError

    from reconciler.spec.expressions import parse_error_message, refuse_separators, refuse_subquery

    refuse_separators(sql, "postgres")
    try:
        parsed = sqlglot.parse(sql, dialect="postgres")
    except SqlglotError as exc:
        raise ValueError(parse_error_message(exc)) from None
    statements = [p for p in parsed if p is not None]
    if len(statements) != 1:
        raise ValueError("expected exactly one expression" if statements else "empty expression")
    expression = statements[0]
    if isinstance(expression, _statement_types()):
        raise ValueError(f"expected an expression, got a {expression.key.upper()} statement")
    refuse_subquery(expression)
    return expression


_IDENT = r'(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")'
_CAST_TYPE = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?(?: varying| precision| with(?:out)? time zone)?"
# A number or string, optionally cast as PostgreSQL prints them back: 0::numeric, 'x'::character varying.
_LITERAL = rf"(?:(?:-?\d+(?:\.\d+)?|'(?:[^']|'')*')(?:::{_CAST_TYPE})?)"
# Expressions so simple that no parser is needed to know they are one expression: literals,
# names, calls without arguments, and a comparison of a column with a literal. Specs are full
# of these, and parsing each with sqlglot costs a second per few thousand.
_TRIVIAL_EXPRESSION = re.compile(
    rf"^\s*(?:{_LITERAL}|{_IDENT}(?:\.{_IDENT})?(?:\(\))?|{_IDENT}\s*(?:=|<>|!=|<=|>=|<|>)\s*{_LITERAL})\s*$")


def check_expression(sql: str) -> None:
    if _TRIVIAL_EXPRESSION.match(sql):
        return
    _parsed_columns(sql)


# Words PostgreSQL reads as values although they look like names (sqlglot parses some as columns).
_VALUE_KEYWORDS = frozenset({
    "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp", "current_user",
    "session_user", "user", "current_role", "current_catalog", "current_schema", "system_user", "true", "false",
    "null"})
# The trivial expressions that name a column: a bare name, or a name compared with a literal.
_TRIVIAL_REFERENCE = re.compile(rf"^\s*({_IDENT})(?:\s*(?:=|<>|!=|<=|>=|<|>)\s*{_LITERAL})?\s*$")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _column_name(name: str, quoted: bool) -> str | None:
    """The column an identifier names, as PostgreSQL folds it (ASCII lower case unless quoted); None for a value."""
    if quoted:
        return name
    name = name.translate(_ASCII_LOWER)
    return None if name in _VALUE_KEYWORDS else name


def column_references(sql: str) -> frozenset[str]:
    """Unqualified column names an expression (already checked) refers to, as PostgreSQL resolves them."""
    if _TRIVIAL_EXPRESSION.match(sql):
        match = _TRIVIAL_REFERENCE.match(sql)
        if match is None:
            return frozenset()  # a literal, a call without arguments, a qualified name
        name = match.group(1)
        quoted = name.startswith('"')
        column = _column_name(name[1:-1].replace('""', '"') if quoted else name, quoted)
        return frozenset({column}) if column is not None else frozenset()
    return _parsed_columns(sql)


@lru_cache(maxsize=4096)
def _parsed_columns(sql: str) -> frozenset[str]:
    """Parse once (ValueError if it is not one expression) and collect the unqualified column names."""
    from sqlglot import exp

    tree = parse_expression(sql)
    names = set()
    for column in tree.find_all(exp.Column):
        identifier = column.this
        if column.table or not isinstance(identifier, exp.Identifier):
            continue
        name = _column_name(identifier.this, identifier.quoted)
        if name is not None:
            names.add(name)
    return frozenset(names)


_MODIFIER = re.compile(r"\(\d+(?:,\d+)?\)")
_INTEGER_RANGES = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}
_INTEGER_TEXT = re.compile(r"^\s*[+-]?\d+(?:_\d+)*\s*\Z")  # underscores: PostgreSQL 16
_TIME_TYPES = frozenset({"date", "time without time zone", "time with time zone", "timestamp without time zone",
                         "timestamp with time zone", "interval"})
# boolin: any prefix of true/false/yes/no, on/off (two letters at least), 1 and 0, in any case.
_BOOLEAN_WORDS = frozenset({w[:n] for w in ("true", "false", "yes", "no") for n in range(1, len(w) + 1)}
                           | {"on", "of", "off", "1", "0"})


def literal_error(value: Any, type_: str) -> str | None:
    """Why PostgreSQL cannot take a YAML scalar (written by `literal_sql`) as a default of `type_`, or None.

    Only what is certain offline: other types, and strings of the types with many input forms (dates,
    numbers in exotic spellings), are left to the database.
    """
    if type_.endswith("]"):
        return None
    base = _MODIFIER.sub("", type_)
    shown = f"{value!r}" if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    if base in _INTEGER_RANGES:
        number: int | None = None
        if isinstance(value, bool):
            return f"default {shown} is not a number ({type_} column)"
        if isinstance(value, float):
            if not value.is_integer():
                return f"default {shown} is not a whole number ({type_} column)"
            number = int(value)
        elif isinstance(value, int):
            number = value
        elif isinstance(value, str):
            if not _INTEGER_TEXT.match(value):
                return None if value.strip().lower().startswith(("0x", "0o", "0b")) else \
                    f"default {shown} is not a whole number ({type_} column)"
            number = int(value)
        limit = _INTEGER_RANGES[base]
        if number is not None and not -limit <= number < limit:
            return f"default {shown} is out of range for {type_} ({-limit} to {limit - 1})"
        return None
    if base in ("numeric", "real", "double precision"):
        if isinstance(value, bool):
            return f"default {shown} is not a number ({type_} column)"
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                return f"default {shown} is not a number ({type_} column)"
        return None
    if base == "boolean":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"default {shown} is not a boolean: write true or false"
        if isinstance(value, str) and value.strip().lower() not in _BOOLEAN_WORDS:
            return f"default {shown} is not a boolean: write true or false"
        return None
    if base == "uuid":
        import uuid

        try:
            if not isinstance(value, str):
                raise ValueError(value)
            uuid.UUID(value)
        except ValueError:
            return f"default {shown} is not a uuid"
        return None
    if base in ("json", "jsonb"):
        import json

        if not isinstance(value, str):
            return f"default {shown} is a number or boolean, not {base}: quote the JSON text (\"{shown}\")"
        try:
            json.loads(value)
        except ValueError:
            return f"default {shown} is not valid JSON ({type_} column)"
        return None
    if base in _TIME_TYPES:
        if isinstance(value, bool | int | float):
            return f"default {shown} is not a {base}: quote it as text PostgreSQL reads as one"
        return None
    if base in ("character varying", "character") and isinstance(value, str) and type_ != base:
        length = int(type_[type_.index("(") + 1:type_.index(")")])
        if len(value.rstrip(" ")) > length:
            return f"default {shown} is longer than {type_} allows ({length} characters)"
    return None


# Builtin types with no default operator class for gin or gist (btree_gin / btree_gist add them).
_PLAIN_SCALARS = frozenset({
    "smallint", "integer", "bigint", "numeric", "real", "double precision", "text", "character varying",
    "character", "boolean", "uuid", "bytea", "money", "date", "time without time zone", "time with time zone",
    "timestamp without time zone", "timestamp with time zone", "interval"})
_SCALAR_OPCLASS_EXTENSIONS = {"gin": "btree_gin", "gist": "btree_gist"}


def index_column_error(method: str, type_: str, extensions: frozenset[str]) -> str | None:
    extension = _SCALAR_OPCLASS_EXTENSIONS.get(method)
    if extension is None or extension in extensions or _MODIFIER.sub("", type_) not in _PLAIN_SCALARS:
        return None
    return (f"a {method} index on a column of type {type_} needs an operator class (opclass: ...) or the {extension} "
            "extension: the type has none by default")


def composite_user_types(data: dict[str, Any], default_schema: str | None) -> dict[str, str]:
    """The spec's composite types (`types:`), usable as column types like enums."""
    from .kinds.composite_type import spec_user_types

    return spec_user_types(data, default_schema or DEFAULT_SCHEMA)


RULES = DialectRules(
    name="postgres",
    default_schema=DEFAULT_SCHEMA,
    max_identifier=MAX_IDENTIFIER,
    normalize_type=normalize_type,
    user_type_name=user_type_name,
    literal_sql=literal_sql,
    check_expression=check_expression,
    column_references=column_references,
    literal_error=literal_error,
    index_column_error=index_column_error,
    spec_user_types=composite_user_types,
    supports=frozenset({"schemas", "extensions", "enums", "domains", "comments"}),
)
