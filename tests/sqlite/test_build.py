from __future__ import annotations

import pytest

from reconciler.errors import SpecError, SpecErrors
from reconciler.model import (
    CheckConstraint,
    Default,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    UniqueConstraint,
)

from .helpers import model_from_yaml

SAMPLE = """
tables:
  users:
    columns:
      id: {type: serial, primary_key: true}
      email: {type: varchar(255), unique: true}
      active: {type: bool, default: true}
      name: {type: text, nullable: true, default: "it's", collation: nocase}
    indexes:
      - {columns: [{expression: lower(email)}], name: users_lower_email}
      - {columns: [name], order: desc, where: "name IS NOT NULL"}
  posts:
    columns:
      id: {type: integer}
      user_id: {type: integer, references: users(id), on_delete: cascade}
      score: {type: "numeric(5, 2)", default: 0}
    primary_key: [id]
    checks:
      score_positive: "score >= 0"
"""


def test_sample_spec_builds_the_model(tmp_path) -> None:
    db = model_from_yaml(tmp_path, SAMPLE)
    assert db.dialect == "sqlite" and db.schemas == []
    users, posts = db.tables["users"], db.tables["posts"]
    # serial on a lone integer primary key is SQLite's own auto-numbered INTEGER PRIMARY KEY.
    assert (users.columns["id"].type, users.columns["id"].serial) == ("INTEGER", None)
    assert users.columns["email"].type == "VARCHAR(255)"
    assert users.columns["active"].default == Default("TRUE", literal=True)
    assert users.columns["name"].default.expression == "'it''s'"
    assert users.columns["name"].collation == "nocase"
    assert users.primary_key == PrimaryKey("users_pkey", ["id"])
    assert users.uniques == {"users_email_key": UniqueConstraint("users_email_key", ["email"])}
    assert users.indexes["users_lower_email"] == Index(
        "users_lower_email", [IndexElement(expression="lower(email)")])
    assert users.indexes["users_name_idx"] == Index(
        "users_name_idx", [IndexElement(column="name", descending=True)], where="name IS NOT NULL")
    assert posts.columns["score"].type == "NUMERIC(5,2)"
    assert posts.foreign_keys == {"posts_user_id_fkey": ForeignKey(
        "posts_user_id_fkey", ["user_id"], "users", ["id"], on_delete="cascade")}
    assert posts.checks == {"score_positive": CheckConstraint("score_positive", "score >= 0")}


@pytest.mark.parametrize(("snippet", "message"), [
    ("enums: {mood: [a, b]}\ntables: {t: {columns: {a: {type: text}}}}", "enums are not supported"),
    ("tables: {t: {comment: hi, columns: {a: {type: text}}}}", "comments are not supported"),
    ("tables: {t: {columns: {a: {type: text, comment: hi}}}}", "comments are not supported"),
    ('tables: {t: {columns: {a: {type: "text[]"}}}}', 'unknown type "text[]"'),
    ("tables: {t: {columns: {a: {type: serial}}}}", "serial needs the column to be the table's only primary key"),
    ("tables: {t: {columns: {a: {type: text}}, indexes: [{columns: [a], method: gin}]}}", "only support method btree"),
    ("tables: {t: {columns: {a: {type: text}}, indexes: [{columns: [a], include: [a]}]}}", "include is not supported"),
])
def test_what_sqlite_cannot_store_is_a_spec_error(tmp_path, snippet: str, message: str) -> None:
    with pytest.raises((SpecError, SpecErrors)) as info:
        model_from_yaml(tmp_path, snippet + "\n")
    assert message in str(info.value)
    # Errors point at the spec file and line.
    assert "schema.yaml:" in str(info.value)
