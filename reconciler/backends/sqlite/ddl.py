"""Read what PRAGMAs do not report out of the CREATE TABLE / CREATE INDEX text SQLite keeps.

SQLite stores each statement verbatim in `sqlite_master.sql`; constraint
names, CHECK expressions, collations, deferrability and index expressions
exist only there. The text is split with sqlglot's SQLite tokenizer (which
knows SQLite's quoting rules and gives source offsets), and expressions are
returned as the exact source text, so whatever the renderer wrote comes back
character for character.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token, TokenType

_DIALECT = Dialect.get_or_raise("sqlite")
_QUOTED = (TokenType.IDENTIFIER, TokenType.STRING)


@dataclass(frozen=True)
class ParsedConstraint:
    # "primary_key" | "unique" | "check" | "foreign_key"
    kind: str
    name: str | None
    columns: tuple[str, ...] = ()
    expression: str | None = None
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    deferrable: bool = False
    initially_deferred: bool = False
    # Set for constraints written on a column rather than on the table.
    column: str | None = None


@dataclass(frozen=True)
class ParsedColumn:
    name: str
    collation: str | None = None


@dataclass(frozen=True)
class ParsedTable:
    columns: dict[str, ParsedColumn] = field(default_factory=dict)
    constraints: tuple[ParsedConstraint, ...] = ()


@dataclass(frozen=True)
class ParsedIndexElement:
    # Source text of the key without ASC/DESC and COLLATE; `column` set when it is a bare name.
    text: str
    column: str | None
    collation: str | None


@dataclass(frozen=True)
class ParsedIndex:
    elements: tuple[ParsedIndexElement, ...]
    where: str | None


def _word(token: Token) -> str:
    """Normalized keyword text; quoted names never match a keyword."""
    if token.token_type in _QUOTED:
        return ""
    return " ".join(token.text.upper().split())


class _Cursor:
    def __init__(self, sql: str, tokens: list[Token]) -> None:
        self.sql, self.tokens, self.i = sql, tokens, 0

    def done(self) -> bool:
        return self.i >= len(self.tokens)

    def peek(self) -> Token | None:
        return None if self.done() else self.tokens[self.i]

    def accept(self, *words: str) -> bool:
        """Consume the keyword sequence if it is next (tokens may join several words, e.g. 'PRIMARY KEY')."""
        wanted = " ".join(words)
        j, seen = self.i, ""
        while j < len(self.tokens) and len(seen) < len(wanted):
            seen = f"{seen} {_word(self.tokens[j])}".strip()
            j += 1
            if seen == wanted:
                self.i = j
                return True
            if not wanted.startswith(seen + " "):
                return False
        return False

    def name(self) -> str:
        token = self.tokens[self.i]
        self.i += 1
        return token.text

    def group(self) -> tuple[int, int]:
        """Skip a parenthesized group starting here; (start, end) offsets of its inside."""
        depth, start = 0, self.tokens[self.i].end + 1
        while not self.done():
            token = self.tokens[self.i]
            self.i += 1
            if token.token_type == TokenType.L_PAREN:
                depth += 1
            elif token.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    return start, token.start
        raise ValueError("unbalanced parentheses")

    def group_text(self) -> str:
        start, end = self.group()
        return self.sql[start:end].strip()

    def name_list(self) -> tuple[str, ...]:
        """Names of a parenthesized key list; the first token of each item is the column."""
        names: list[str] = []
        for item in _split(self.tokens, self.i):
            names.append(item[0].text)
        self.group()
        return tuple(names)


def _split(tokens: list[Token], open_index: int) -> list[list[Token]]:
    """Top-level comma-separated items of the parenthesized group opening at `open_index`."""
    items: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[open_index:]:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
            if depth == 1:
                continue
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                break
        elif token.token_type == TokenType.COMMA and depth == 1:
            items.append([])
            continue
        items[-1].append(token)
    return [item for item in items if item]


def _first_paren(tokens: list[Token], start: int = 0) -> int:
    for i in range(start, len(tokens)):
        if tokens[i].token_type == TokenType.L_PAREN:
            return i
    raise ValueError("no parenthesized list")


_TABLE_CONSTRAINT_STARTS = ("CONSTRAINT", "PRIMARY KEY", "UNIQUE", "CHECK", "FOREIGN KEY")


@lru_cache(maxsize=1024)
def parse_create_table(sql: str) -> ParsedTable:
    tokens = _DIALECT.tokenize(sql)
    columns: dict[str, ParsedColumn] = {}
    constraints: list[ParsedConstraint] = []
    for item in _split(tokens, _first_paren(tokens)):
        cursor = _Cursor(sql, item)
        if _word(item[0]) in _TABLE_CONSTRAINT_STARTS or (
                len(item) > 1 and _word(item[0]) == "FOREIGN" and _word(item[1]) == "KEY"):
            constraints.extend(_table_constraint(cursor))
        else:
            column, found = _column_definition(cursor)
            columns[column.name] = column
            constraints.extend(found)
    return ParsedTable(columns=columns, constraints=tuple(constraints))


def _table_constraint(cursor: _Cursor) -> list[ParsedConstraint]:
    name = cursor.name() if cursor.accept("CONSTRAINT") else None
    if cursor.accept("PRIMARY", "KEY"):
        return [ParsedConstraint("primary_key", name, cursor.name_list())]
    if cursor.accept("UNIQUE"):
        return [ParsedConstraint("unique", name, cursor.name_list())]
    if cursor.accept("CHECK"):
        return [ParsedConstraint("check", name, expression=cursor.group_text())]
    if cursor.accept("FOREIGN", "KEY"):
        columns = cursor.name_list()
        return [_references(cursor, name, columns, None)]
    return []


def _references(cursor: _Cursor, name: str | None, columns: tuple[str, ...], column: str | None
                ) -> ParsedConstraint:
    cursor.accept("REFERENCES")
    ref_table = cursor.name()
    ref_columns: tuple[str, ...] = ()
    token = cursor.peek()
    if token is not None and token.token_type == TokenType.L_PAREN:
        ref_columns = cursor.name_list()
    deferrable = initially_deferred = False
    # The clause runs until the next column constraint; only deferrability is not in PRAGMA output.
    while not cursor.done() and _word(cursor.peek()) not in (  # type: ignore[arg-type]
            "CONSTRAINT", "PRIMARY KEY", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "GENERATED"):
        if cursor.accept("NOT", "DEFERRABLE"):
            continue
        if cursor.accept("DEFERRABLE"):
            deferrable = True
        elif cursor.accept("INITIALLY", "DEFERRED"):
            initially_deferred = True
        else:
            cursor.i += 1
    return ParsedConstraint("foreign_key", name, columns, ref_table=ref_table, ref_columns=ref_columns,
                            deferrable=deferrable, initially_deferred=initially_deferred, column=column)


def _column_definition(cursor: _Cursor) -> tuple[ParsedColumn, list[ParsedConstraint]]:
    column = cursor.name()
    collation: str | None = None
    constraints: list[ParsedConstraint] = []
    name: str | None = None
    while not cursor.done():
        token = cursor.peek()
        assert token is not None
        if cursor.accept("CONSTRAINT"):
            name = cursor.name()
            continue
        if cursor.accept("PRIMARY", "KEY"):
            constraints.append(ParsedConstraint("primary_key", name, (column,), column=column))
        elif cursor.accept("UNIQUE"):
            constraints.append(ParsedConstraint("unique", name, (column,), column=column))
        elif cursor.accept("CHECK"):
            constraints.append(ParsedConstraint("check", name, expression=cursor.group_text(), column=column))
        elif _word(token) == "REFERENCES":
            constraints.append(_references(cursor, name, (column,), column))
        elif cursor.accept("COLLATE"):
            collation = cursor.name()
        elif token.token_type == TokenType.L_PAREN:
            cursor.group()
        else:
            cursor.i += 1
            continue
        name = None
    return ParsedColumn(column, collation), constraints


@lru_cache(maxsize=1024)
def parse_create_index(sql: str) -> ParsedIndex:
    tokens = _DIALECT.tokenize(sql)
    on = next(i for i, t in enumerate(tokens) if _word(t) == "ON")
    open_index = _first_paren(tokens, on)
    elements = tuple(_index_element(sql, item) for item in _split(tokens, open_index))
    cursor = _Cursor(sql, tokens)
    cursor.i = open_index
    cursor.group()
    where = None
    if cursor.accept("WHERE"):
        token = cursor.peek()
        where = sql[token.start:].strip().rstrip(";").strip() if token is not None else None
    return ParsedIndex(elements=elements, where=where)


def _index_element(sql: str, item: list[Token]) -> ParsedIndexElement:
    if item and _word(item[-1]) in ("ASC", "DESC"):
        item = item[:-1]
    collation = None
    if len(item) >= 2 and _word(item[-2]) == "COLLATE":
        collation, item = item[-1].text, item[:-2]
    text = sql[item[0].start:item[-1].end + 1]
    column = item[0].text if len(item) == 1 and item[0].token_type != TokenType.STRING else None
    return ParsedIndexElement(text=text, column=column, collation=collation)
