"""Roles for tests: cluster-wide, so each test gets names of its own (uuid suffix) and drops them at the end."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from psycopg import sql


@pytest.fixture
def role_names(pg_conn) -> Iterator[Callable[[str], str]]:
    """`role_names("app_ro")` -> a unique role name; every such role that exists is dropped after the test."""
    made: list[str] = []

    def name(prefix: str) -> str:
        made.append(f"{prefix}_{uuid.uuid4().hex[:8]}")
        return made[-1]

    yield name
    for role in made:
        if pg_conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            pg_conn.execute(sql.SQL("DROP OWNED BY {0}; DROP ROLE {0}").format(sql.Identifier(role)))
