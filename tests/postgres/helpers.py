"""Shared helpers for the PostgreSQL backend tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import yaml

from reconciler.backends import RenderOptions
from reconciler.backends.postgres import BACKEND
from reconciler.changes import Change, Statement
from reconciler.model import Database
from reconciler.spec.loader import load_spec
from reconciler.spec.validate import validate_document


def model_from_spec(tmp_path: Path, doc: dict[str, Any]) -> Database:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    loaded = load_spec(path, env={})
    validate_document(loaded)
    return BACKEND.build_model(loaded)


def run_sql(conn: psycopg.Connection[Any], statements: list[Statement]) -> None:
    """Execute rendered statements the simple way (one after another, autocommit)."""
    for statement in statements:
        conn.execute(statement.sql)


def apply_changes(conn: psycopg.Connection[Any], changes: list[Change], online: bool = False) -> list[str]:
    options = RenderOptions(online=online)
    statements = [s for c in changes for s in BACKEND.render(c, options)]
    run_sql(conn, statements)
    return [s.sql for s in statements]


def inspect(conn: psycopg.Connection[Any], schemas: list[str] | None = None) -> Database:
    return BACKEND.inspect(conn, Database(dialect="postgres", schemas=schemas or ["public"]))
