"""mongosh text for commands, and back.

A statement is one line a reviewer can paste into mongosh:
`db.getSiblingDB("chat").runCommand({createIndexes: "messages", indexes: [...]});`.
`apply` runs the statements of the plan (a saved plan holds only their
text), so `parse` turns a line back into (database, command) exactly.
Output is byte-stable: keys keep the model's order, which is the spec's order
or a fixed order chosen by the renderer, and numbers and strings are printed
the JSON way.
"""

from __future__ import annotations

import json
import re
from typing import Any

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*\Z")
# Words JavaScript would not read as a property name without quotes in every engine we care about.
_RESERVED = {"true", "false", "null", "undefined"}
_SIBLING = re.compile(r'^db\.getSiblingDB\(("(?:[^"\\]|\\.)*")\)\.runCommand\((.*)\);$', re.DOTALL)
_ADMIN = re.compile(r"^db\.adminCommand\((.*)\);$", re.DOTALL)


def js(value: Any) -> str:
    """A JavaScript literal: bare identifier keys, JSON everything else."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{" + ", ".join(f"{_key(k)}: {js(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(js(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float | str):
        return _json(value)
    raise TypeError(f"cannot write {type(value).__name__} into a mongosh command")


def _json(value: Any) -> str:
    # Line and paragraph separators escaped too: a statement stays one line for every line splitter.
    return json.dumps(value, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _key(key: str) -> str:
    return key if _IDENT.match(key) and key not in _RESERVED else _json(key)


def command_line(database: str, command: dict[str, Any]) -> str:
    return f"db.getSiblingDB({_json(database)}).runCommand({js(command)});"


def admin_line(command: dict[str, Any]) -> str:
    return f"db.adminCommand({js(command)});"


def parse(line: str) -> tuple[str, dict[str, Any]]:
    """(database, command) of a statement made by `command_line` or `admin_line` ("admin" for the latter)."""
    text = line.strip()
    match = _SIBLING.match(text)
    if match:
        return json.loads(match.group(1)), _object(match.group(2))
    match = _ADMIN.match(text)
    if match:
        return "admin", _object(match.group(1))
    raise ValueError(f"not a schemactl mongosh statement: {text[:80]}")


def _object(text: str) -> dict[str, Any]:
    value = json.loads(_quote_keys(text))
    if not isinstance(value, dict) or not value:
        raise ValueError("a command must be a non-empty document")
    return value


def _quote_keys(text: str) -> str:
    """Quote the bare identifier keys `js` wrote so that the text is JSON again."""
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)
    expect_key = False
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
            expect_key = False
            continue
        if ch in "{[":
            stack.append(ch)
        elif ch in "}]" and stack:
            stack.pop()
        if ch in "{[,":
            out.append(ch)
            i += 1
            # Only object members have keys; `[1, true]` must stay as it is.
            expect_key = bool(stack) and stack[-1] == "{"
            continue
        if expect_key and (ch.isalpha() or ch in "_$"):
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            out.append(json.dumps(text[i:j]))
            i = j
            expect_key = False
            continue
        if not ch.isspace():
            expect_key = False
        out.append(ch)
        i += 1
    return "".join(out)
