"""MySQL's spelling of a spec written back from a model (`schemactl inspect`); the shape is
`reconciler.spec.writer`'s."""

from __future__ import annotations

import re
from typing import Any

from reconciler.model import Column, Database
from reconciler.spec.writer import SpecStyle, write_spec

from .types import RULES, normalize_type

_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_ESCAPE = re.compile(r"\\(.)|''", re.DOTALL)
_ESCAPES = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "Z": "\x1a"}


def spec_type(column: Column) -> str:
    """`boolean` for tinyint(1); every other canonical spelling reads back as itself."""
    return "boolean" if column.type == "tinyint(1)" else column.type


def unquote(text: str) -> str:
    """A quoted literal as MariaDB reports it (`'it''s'`, backslash escapes) -> its value."""
    return _ESCAPE.sub(lambda m: "'" if m.group(0) == "''" else _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def default_value(column: Column) -> Any:
    """A YAML scalar for a literal default, `{sql: ...}` for an expression."""
    assert column.default is not None
    text = column.default.expression.strip()
    if column.default.literal:
        if column.type == "tinyint(1)" and text in ("0", "1"):
            return text == "1"
        if _INTEGER.match(text):
            return int(text)
        if _DECIMAL.match(text):
            return float(text)
        if len(text) >= 2 and text[0] == text[-1] == "'":
            return unquote(text)
    return {"sql": column.default.expression}


STYLE = SpecStyle(rules=RULES, column_type=spec_type, default_value=default_value, plain_name=_SIMPLE_NAME)


def to_spec(model: Database) -> dict[str, Any]:
    assert normalize_type("boolean") == "tinyint(1)"
    return write_spec(model, STYLE)
