"""Rewrite desired defaults to the live spelling where they mean the same thing.

MariaDB re-prints what it stores: `1.5` on a decimal(10,2) column reads back `1.50`, `'5'` on an int column
`5`, `CURRENT_TIMESTAMP` and `now()` read back `current_timestamp()`. Without this every plan would change them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from reconciler.model import Column, Database, Default

from .types import NUMERIC, base_type, parse_expression

_NOW = ("now()", "current_timestamp", "localtimestamp", "localtime")


def _number(text: str) -> Decimal | None:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1]
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


@lru_cache(maxsize=4096)
def expression_key(sql: str) -> str | None:
    """A spelling-independent key of a default expression; None when it does not parse."""
    text = sql.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if text.lower() in _NOW:
        text = "current_timestamp()"
    try:
        return parse_expression(text).sql(dialect="mysql").lower()
    except ValueError:
        return None


def equivalent_defaults(column: Column, desired: Default, live: Default) -> bool:
    if desired.expression == live.expression:
        return True
    if base_type(column.type) in NUMERIC:
        a, b = _number(desired.expression), _number(live.expression)
        if a is not None and b is not None:
            return a == b
    if desired.literal or live.literal:
        return False
    key = expression_key(desired.expression)
    return key is not None and key == expression_key(live.expression)


def canonicalize(conn: Any, desired: Database, current: Database) -> Database:
    """`desired` (rewritten in place) with equivalent defaults in the live database's text."""
    for table in desired.tables.values():
        live = current.tables.get(table.key) or (
            current.tables.get(table.renamed_from) if table.renamed_from else None)
        if live is None:
            continue
        for column in table.columns.values():
            live_column = live.columns.get(column.name) or (
                live.columns.get(column.renamed_from) if column.renamed_from else None)
            if live_column is None or column.default is None or live_column.default is None:
                continue
            if live_column.type == column.type and equivalent_defaults(column, column.default, live_column.default):
                column.default = Default(live_column.default.expression, live_column.default.literal)
    return desired
