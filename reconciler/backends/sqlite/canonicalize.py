"""Rewrite desired expressions to the live spelling when they mean the same thing.

SQLite keeps expressions as written, so a spec that says `price>0` against a
database holding `price > 0` (or `"price" > 0` after a column rename, which
SQLite rewrites) would otherwise produce a rebuild on every plan. Two
expressions are equivalent when their sqlglot trees match after dropping
redundant parentheses, identifier quoting and case, and keyword case.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlglot import exp

from reconciler.model import Database, Default, Index, Table

from .types import parse_expression


@lru_cache(maxsize=4096)
def expression_key(sql: str) -> str | None:
    """A spelling-independent key of an expression; None when it does not parse."""
    try:
        tree = parse_expression(sql).copy()
    except ValueError:
        return None
    # SQLite identifiers are case-insensitive whether quoted or not.
    for identifier in list(tree.find_all(exp.Identifier)):
        identifier.set("this", identifier.name.lower())
        identifier.set("quoted", False)
    for function in list(tree.find_all(exp.Anonymous)):
        function.set("this", function.name.lower())
    # The tree already encodes precedence; Paren nodes only record the spelling.
    while isinstance(tree, exp.Paren):
        tree = tree.this
    for paren in list(tree.find_all(exp.Paren)):
        paren.replace(paren.this)
    return repr(tree)


def equivalent(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    if a == b:
        return True
    key = expression_key(a)
    return key is not None and key == expression_key(b)


def _live_spelling(desired: str | None, live: str | None) -> str | None:
    return live if desired is not None and live is not None and equivalent(desired, live) else desired


def canonicalize(conn: Any, desired: Database, current: Database) -> Database:
    """A copy of `desired` whose equivalent expressions use the live database's text."""
    result = desired  # rewritten in place: copying a 2,000-table model costs seconds
    for table in result.tables.values():
        live = current.tables.get(table.key) or (
            current.tables.get(table.renamed_from) if table.renamed_from else None)
        if live is not None:
            _canonicalize_table(table, live)
    return result


def _canonicalize_table(table: Table, live: Table) -> None:
    for column in table.columns.values():
        live_column = live.columns.get(column.name) or (
            live.columns.get(column.renamed_from) if column.renamed_from else None)
        if live_column is None:
            continue
        if column.collation and live_column.collation and column.collation.lower() == live_column.collation.lower():
            # Collation names are case-insensitive in SQLite.
            column.collation = live_column.collation
        if column.default is None or live_column.default is None:
            continue
        if equivalent(column.default.expression, live_column.default.expression):
            # Take the live Default whole: its `literal` flag is how inspect classifies the same text.
            column.default = Default(live_column.default.expression, live_column.default.literal)
    for name, check in table.checks.items():
        if name in live.checks:
            check.expression = _live_spelling(check.expression, live.checks[name].expression) or check.expression
    for name, index in table.indexes.items():
        live_index = live.indexes.get(name) or (live.indexes.get(index.renamed_from) if index.renamed_from else None)
        if live_index is not None:
            _canonicalize_index(index, live_index)


def _canonicalize_index(index: Index, live: Index) -> None:
    index.where = _live_spelling(index.where, live.where)
    if len(index.elements) != len(live.elements):
        return
    for element, live_element in zip(index.elements, live.elements, strict=True):
        if element.expression is not None and live_element.expression is not None:
            element.expression = _live_spelling(element.expression, live_element.expression)
