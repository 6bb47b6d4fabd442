"""Offline equivalence of SQL expressions, via sqlglot.

PostgreSQL re-prints expressions: it adds casts to literals (`'x'::text`,
`'-1'::integer`), turns `IN (...)` into `= ANY (ARRAY[...])`, and keeps or
drops parentheses as it likes. `expression_key` maps an expression to a
structural key in which those differences vanish, so two spellings of the
same expression get the same key. It is conservative: when in doubt the keys
differ and the caller asks the database (or reports a change).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from sqlglot import exp

from .types import parse_expression

_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?\Z")
# Functions that are the same value inside one statement as CURRENT_TIMESTAMP.
_TIMESTAMP_FUNCTIONS = {"transaction_timestamp"}

Key = tuple[Any, ...] | str | None


def equivalent(a: str, b: str) -> bool:
    """True when both expressions normalise to the same structure (False if either fails to parse)."""
    if a == b:
        return True
    key_a, key_b = expression_key(a), expression_key(b)
    return key_a is not None and key_a == key_b


@lru_cache(maxsize=4096)
def expression_key(sql: str) -> Key:
    try:
        tree = parse_expression(sql)
    except ValueError:
        return None
    return _key(_simplify(tree))


def _number_key(text: str) -> str:
    try:
        return format(Decimal(text).normalize(), "f")
    except InvalidOperation:
        return text


def _literal(node: exp.Expression) -> exp.Expression | None:
    """A literal (possibly negated) as one Literal node, or None if `node` is not one."""
    if isinstance(node, exp.Literal):
        if node.is_string and _NUMBER.match(node.this):
            return exp.Literal.number(_number_key(node.this))
        return node
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return exp.Literal.number(_number_key("-" + str(node.this.this)))
    if isinstance(node, exp.Boolean | exp.Null):
        return node
    return None


def _transform(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Paren):
        return node.this
    if isinstance(node, exp.Cast | exp.TryCast):
        literal = _literal(node.this)
        if literal is not None:
            # Casting a literal is how PostgreSQL prints its type; the column type decides it anyway.
            return literal
    literal = _literal(node)
    if literal is not None and literal is not node:
        return literal
    if isinstance(node, exp.Literal) and not node.is_string:
        return exp.Literal.number(_number_key(str(node.this)))
    if isinstance(node, exp.In) and node.args.get("expressions") and not node.args.get("query"):
        # x IN (a, b) is printed back as x = ANY (ARRAY[a, b]).
        return exp.EQ(this=node.this, expression=exp.Any(this=exp.Array(expressions=node.expressions)))
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in _TIMESTAMP_FUNCTIONS and not node.expressions:
        return exp.CurrentTimestamp()
    return node


def _simplify(tree: exp.Expression) -> exp.Expression:
    # Repeat until stable: stripping a cast can expose a literal, a paren can expose a cast.
    previous = None
    current = tree
    for _ in range(5):
        current = current.transform(_transform)
        rendered = repr(current)
        if rendered == previous:
            break
        previous = rendered
    return current


def _key(node: Any) -> Key:
    if isinstance(node, list):
        return tuple(_key(n) for n in node)
    if not isinstance(node, exp.Expression):
        return node if node is None or isinstance(node, bool | int | float) else str(node)
    if isinstance(node, exp.Identifier):
        # Unquoted identifiers fold to lower case in PostgreSQL; quoted ones keep their case.
        return ("id", node.this if node.quoted else node.this.lower())
    if isinstance(node, exp.Literal):
        return ("lit", node.is_string, node.this if node.is_string else _number_key(str(node.this)))
    if isinstance(node, exp.DataType):
        return ("type", node.sql(dialect="postgres").lower())
    if isinstance(node, exp.Anonymous):
        return ("fn", str(node.this).lower(), _key(node.expressions))
    args = tuple(sorted(
        (name, _key(value)) for name, value in node.args.items()
        if not name.startswith("_") and name != "comments" and value not in (None, False, [])
    ))
    return (type(node).__name__, args)


def rename_columns(sql: str, renames: dict[str, str]) -> str:
    """`sql` with unqualified column references renamed (old -> new), as RENAME COLUMN would print it."""
    if not renames:
        return sql
    try:
        tree = parse_expression(sql)
    except ValueError:
        return sql

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            identifier = node.this
            name = identifier.this if identifier.quoted else identifier.this.lower()
            if name in renames:
                return exp.column(exp.to_identifier(renames[name], quoted=True))
        return node

    return tree.transform(rename).sql(dialect="postgres")
