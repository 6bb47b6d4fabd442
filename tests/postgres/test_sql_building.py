"""Every name and text of the model reaches PostgreSQL SQL through the one quoting function
(`quote_ident`, and `qualified_name` built on it) or the one literal function (`sql_string`).

Fails on any f-string, `%` or `.format` SQL building in the backend that puts a model name, comment,
label or collation into SQL text without one of them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

BACKEND = Path(__file__).resolve().parents[2] / "reconciler" / "backends" / "postgres"
# Model fields that hold names or free text, never SQL.
TEXT_FIELDS = {"name", "schema", "collation", "comment", "table", "column", "columns", "ref_table", "ref_schema",
               "ref_columns", "renamed_from", "values", "include", "opclass", "label", "dbname"}
SQL_WORDS = re.compile(r"\b(ALTER|CREATE|DROP|COMMENT|SELECT|INSERT|UPDATE|DELETE|GRANT|REVOKE|SET|RENAME|"
                       r"COLLATE|REFERENCES|CONSTRAINT|INDEX|TABLE|TYPE|DOMAIN|SCHEMA|EXTENSION|ON|IS|AS)\b")


def _is_text_field(node: ast.expr) -> bool:
    """A field of a model object or of a row: `x.name`, `x["name"]`. (Local variables hold SQL fragments
    made by the quoting functions; the renderer names those `*_sql` where they are attributes.)"""
    if isinstance(node, ast.Attribute):
        return node.attr in TEXT_FIELDS
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in TEXT_FIELDS


def violations(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if not SQL_WORDS.search(text):
                continue
            for value in node.values:
                if isinstance(value, ast.FormattedValue) and _is_text_field(value.value):
                    found.append(f"{filename}:{node.lineno}: {ast.unparse(value.value)} spliced into SQL unquoted")
        elif isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            if isinstance(node.op, ast.Mod) and SQL_WORDS.search(node.left.value):
                found.append(f"{filename}:{node.lineno}: %-formatted SQL")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
              and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
              and SQL_WORDS.search(node.func.value.value)):
            found.append(f"{filename}:{node.lineno}: str.format SQL")
    return found


def test_the_backend_builds_sql_only_through_the_quoting_functions() -> None:
    found = []
    for path in sorted(BACKEND.rglob("*.py")):
        if path.name == "hazards.py":  # explanations for people (`SET NOT NULL on domain x`), never SQL
            continue
        found += violations(path.read_text(encoding="utf-8"), path.name)
    assert found == []


@pytest.mark.parametrize("code", [
    'sql = f"ALTER TABLE {table.name} ADD COLUMN x int"',
    'sql = f"COLLATE {column.collation}"',
    'sql = f"COMMENT ON TABLE t IS \'{enum.comment}\'"',
    'sql = f"ALTER TABLE {use[\'table\']} ADD COLUMN x int"',
    'sql = "DROP TABLE %s" % name',
    'sql = "CREATE SCHEMA {}".format(schema)',
])
def test_the_check_finds_unquoted_sql_building(code: str) -> None:
    assert violations(code, "example.py")


@pytest.mark.parametrize("code", [
    'sql = f"ALTER TABLE {qualified_name(table.schema, table.name)} ADD COLUMN {quote_ident(column.name)} int"',
    'sql = f"COMMENT ON TABLE t IS {sql_string(comment)}"',
    'old = f"{after.name}__old"',
])
def test_the_check_accepts_quoted_sql_building(code: str) -> None:
    assert violations(code, "example.py") == []
