"""SQLite's spelling of a spec written back from a model (`schemactl inspect`).

The document's shape lives in `reconciler.spec.writer`; this module only knows
how SQLite's declared types and stored defaults read as spec values.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.model import Column, Database
from reconciler.spec.writer import SpecStyle, write_spec

from .types import RULES, normalize_type

_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$")


def spec_type(column: Column) -> str:
    """Lower-case spelling when it reads back to the same canonical type; otherwise as stored."""
    declared = column.type
    try:
        return declared.lower() if normalize_type(declared.lower()) == declared else declared
    except ValueError:
        return declared


def default_value(column: Column) -> Any:
    """A YAML scalar when the default is a literal that `literal_sql` would write the same way."""
    assert column.default is not None
    text = column.default.expression.strip()
    if column.default.literal:
        if text.upper() in ("TRUE", "FALSE"):
            return text.upper() == "TRUE"
        if _INTEGER.match(text):
            return int(text)
        if _FLOAT.match(text) and repr(float(text)) == text:
            return float(text)
        if len(text) >= 2 and text[0] == text[-1] == "'":
            return text[1:-1].replace("''", "'")
    return {"sql": column.default.expression}


STYLE = SpecStyle(
    rules=RULES, column_type=spec_type, default_value=default_value, plain_name=_SIMPLE_NAME,
    # SQLite lets a non-INTEGER key column hold NULLs unless NOT NULL was written; a spec
    # cannot say so, and the next plan proposes adding NOT NULL.
    key_columns_drop_nullable=True)


def to_spec(model: Database) -> dict[str, Any]:
    return write_spec(model, STYLE)
