"""PostgreSQL's spelling of a spec written back from a model (`schemactl inspect`).

The document's shape lives in `reconciler.spec.writer`; this module only knows
how PostgreSQL prints types and defaults: `format_type`'s long names become
the short ones people write, and literal defaults come back as plain values.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.model import Column, Database
from reconciler.spec.writer import SpecStyle, write_spec

from .types import DEFAULT_SCHEMA, RULES

_SHORT_TYPES = [
    (re.compile(r"^character varying(\(\d+\))?\Z"), r"varchar\1"),
    (re.compile(r"^character(\(\d+\))\Z"), r"char\1"),
    (re.compile(r"^timestamp(\(\d+\))? without time zone\Z"), r"timestamp\1"),
    (re.compile(r"^timestamp(\(\d+\))? with time zone\Z"), r"timestamptz\1"),
    (re.compile(r"^time(\(\d+\))? without time zone\Z"), r"time\1"),
    (re.compile(r"^time(\(\d+\))? with time zone\Z"), r"timetz\1"),
]
_DEFAULT_QUALIFIER = re.compile(rf'^{DEFAULT_SCHEMA}\.("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)(.*)\Z')
_NUMBER = re.compile(r"^-?\d+(\.\d+)?\Z")
_CAST_STRING = re.compile(r"^'((?:[^']|'')*)'(?:::[^':]+)?\Z")
_NUMERIC_TYPES = re.compile(r"^(integer|bigint|smallint|numeric.*|real|double precision)\Z")
# Anything the spec's `table(col)` reference parser reads as one name.
_PLAIN_NAME = re.compile(r'^[^\s."()]+\Z')


def spec_type(column: Column) -> str:
    if column.serial:
        return column.serial
    base, array = (column.type[:-2], "[]") if column.type.endswith("[]") else (column.type, "")
    match = _DEFAULT_QUALIFIER.match(base)
    if match:
        # Default-schema user and extension types are written unqualified in specs.
        name = match.group(1)
        base = (name[1:-1].replace('""', '"') if name.startswith('"') else name) + match.group(2)
    for pattern, short in _SHORT_TYPES:
        if pattern.match(base):
            base = pattern.sub(short, base)
            break
    return base + array


def default_value(column: Column) -> Any:
    """A YAML scalar for literal defaults PostgreSQL printed back; {sql: ...} for anything else."""
    assert column.default is not None
    expression = column.default.expression
    if expression in ("true", "false"):
        return expression == "true"
    if _NUMBER.match(expression):
        return float(expression) if "." in expression else int(expression)
    match = _CAST_STRING.match(expression)
    if match:
        value = match.group(1).replace("''", "'")
        if _NUMERIC_TYPES.match(column.type) and _NUMBER.match(value):
            return float(value) if "." in value else int(value)
        return value
    return {"sql": expression}


STYLE = SpecStyle(rules=RULES, column_type=spec_type, default_value=default_value, plain_name=_PLAIN_NAME)


def to_spec(model: Database) -> dict[str, Any]:
    return write_spec(model, STYLE)
