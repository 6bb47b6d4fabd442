"""What the relational dialects share about spec expressions parsed with sqlglot (loaded only when needed).

One expression, no statement separator, no subquery (PostgreSQL and SQLite forbid them in defaults, checks and
indexes), and sqlglot's errors said in plain words: its class names never reach the user.
"""

from __future__ import annotations

import re
from typing import Any

_POSITION = re.compile(r"\.?\s*Line (\d+), Col: (\d+)\.?")
_MISSING = re.compile(r"Required keyword: '(\w+)' missing for <class '[\w.]+'>")
_EXPECTING = re.compile(r"Expecting (.+)")


def parse_error_message(exc: Exception) -> str:
    """One line about what is wrong with an expression, from a sqlglot error."""
    text = (str(exc).splitlines() or [""])[0]
    position = _POSITION.search(text)
    where = f" near character {position.group(2)}" if position else ""
    text = _POSITION.sub("", text).strip()
    if type(exc).__name__ == "TokenError":
        return "unterminated quoted string or name"
    if _MISSING.search(text):
        return f"incomplete expression: an operand or argument is missing{where}"
    expecting = _EXPECTING.match(text)
    if expecting:
        return f"expected {expecting.group(1).strip()!r}{where}"
    if "Unexpected token" in text or "Invalid expression" in text:
        return f"unexpected text{where}"
    text = re.sub(r"<class '[\w.]+\.(\w+)'>", r"\1", text)
    return (text or "cannot be parsed") + where


def refuse_separators(sql: str, dialect: str) -> None:
    """ValueError if `sql` holds a `;` outside strings and names: sqlglot would parse the first statement only."""
    if ";" not in sql:
        return
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import SqlglotError
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError as exc:
        raise ValueError(parse_error_message(exc)) from None
    if any(token.token_type == TokenType.SEMICOLON for token in tokens):
        raise ValueError("';' is not allowed: write one expression, without a statement separator")


def parse_one_expression(sql: str, dialect: str) -> Any:
    """One expression of `dialect` parsed by sqlglot, with the shared refusals; ValueError with the reason."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    if not sql.strip():
        raise ValueError("empty expression")
    refuse_separators(sql, dialect)
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError as exc:
        raise ValueError(parse_error_message(exc)) from None
    if tree is None:
        raise ValueError("empty expression")
    refuse_subquery(tree)
    return tree


def refuse_subquery(tree: Any) -> None:
    """ValueError if the parsed expression holds a subquery (SELECT, EXISTS, IN (SELECT ...))."""
    from sqlglot import exp

    if tree.find(exp.Select, exp.Subquery, exp.Exists) is not None:
        raise ValueError("a subquery is not allowed in a default, check or index")
