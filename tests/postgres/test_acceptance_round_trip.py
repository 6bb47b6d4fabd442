"""Issue 13's acceptance test: a production-like schema written by hand in SQL survives
inspect -> plan (empty) -> apply to an empty database -> plan (empty), and both databases dump the same."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from tests.cli.helpers import invoke

FIXTURE = Path(__file__).with_name("acceptance_schema.sql")
FIXTURE_SPELLINGS = Path(__file__).with_name("acceptance_equivalent_spellings.yaml")
NO_CHANGES = "No changes. The database matches the spec."


@pytest.fixture
def roles(pg_server) -> Iterator[tuple[str, str]]:
    """Two role names of this test run. Roles are cluster-wide: whatever they hold in any database is dropped
    (each test database first, by the caller), then the roles."""
    names = (f"acc_ro_{uuid.uuid4().hex[:8]}", f"acc_rw_{uuid.uuid4().hex[:8]}")
    yield names
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        for role in names:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def second_db(pg_server, roles) -> Iterator[str]:
    """An empty database B on the same server, dropped (with what the roles hold in it) after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = pg_server.create_database(name)
    try:
        yield url
    finally:
        _drop_owned(url, roles)
        pg_server.drop_database(name)


def _drop_owned(url: str, roles: tuple[str, ...]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for role in roles:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))


def _pg_dump(pg_server, url: str) -> str:
    """The schema-only dump by the pg_dump of the server's own version (next to its initdb)."""
    dbname = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    proc = subprocess.run(
        [os.path.join(pg_server._bindir, "pg_dump"), "--schema-only", "--no-owner",
         # schemactl's own history table (schema `schemactl`) is in B only: it is not part of the schema.
         "--exclude-schema=schemactl", "--dbname", pg_server.url(dbname)],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _statements(dump: str) -> list[str]:
    """The dump's statements, sorted: comments, blank lines, session settings and psql meta-commands (pg_dump's
    `\\restrict KEY`, a random key per dump) dropped, whitespace collapsed.
    Sorting is the only thing that is forgiven: pg_dump orders by dependency and OID, and B's objects were
    created in the plan's order, not the fixture's."""
    lines = [
        line for line in dump.splitlines()
        if line.strip() and not line.startswith("--") and not line.startswith("SET ")
        and not line.startswith("SELECT pg_catalog.set_config(") and not line.startswith("\\")
    ]
    statements: list[str] = []
    current: list[str] = []
    in_body = False
    for line in lines:
        current.append(line)
        # Dollar-quoted bodies hold `;` of their own: a statement ends at `;` outside them.
        if line.count("$_$") % 2 or line.count("$$") % 2:
            in_body = not in_body
        if line.rstrip().endswith(";") and not in_body:
            statements.append(re.sub(r"\s+", " ", " ".join(current)).strip())
            current = []
    if current:
        statements.append(re.sub(r"\s+", " ", " ".join(current)).strip())
    return sorted(statements)


# What A's dump must hold, so that an equal dump of B is not equal by being empty of a kind.
EVERY_KIND = (
    "CREATE SCHEMA", "COMMENT ON SCHEMA", "CREATE TYPE", "CREATE DOMAIN", "CREATE FUNCTION", "CREATE PROCEDURE",
    "CREATE SEQUENCE", "CREATE TABLE", "CREATE UNLOGGED TABLE", "ATTACH PARTITION", "CREATE INDEX",
    "CREATE UNIQUE INDEX", "CREATE VIEW", "CREATE MATERIALIZED VIEW", "CREATE TRIGGER", "CREATE POLICY",
    "ENABLE ROW LEVEL SECURITY", "EXCLUDE USING gist", "NULLS NOT DISTINCT", "MATCH FULL", "SET NULL (account_code)",
    "NO INHERIT", "GENERATED ALWAYS AS IDENTITY", "GENERATED ALWAYS AS (", "OWNED BY", "WITH (fillfactor='70')",
    "COMMENT ON INDEX", "COMMENT ON CONSTRAINT", "COMMENT ON VIEW", "COMMENT ON FUNCTION", "COMMENT ON TRIGGER",
    "COMMENT ON POLICY", "COMMENT ON SEQUENCE", "COMMENT ON COLUMN", "GRANT USAGE ON SCHEMA", "GRANT SELECT ON TABLE",
    "ON SEQUENCE", "GRANT ALL ON FUNCTION", "ON PROCEDURE", 'COLLATE pg_catalog."C"',
    "PARTITION BY LIST", "PARTITION BY HASH", "FOR VALUES WITH", "ENABLE REPLICA TRIGGER", "DISABLE TRIGGER",
    "CREATE CONSTRAINT TRIGGER", "FORCE ROW LEVEL SECURITY", "NOT VALID", "DEFERRABLE INITIALLY DEFERRED",
    "text_pattern_ops DESC NULLS LAST", "USING hash", "USING brin", "security_invoker", "LOCAL CHECK OPTION",
    "WITH NO DATA", "SECURITY DEFINER", "VARIADIC", "ROWS 20", "RETURNS TABLE(", "OUT head text",
    "GRANT ALL ON SCHEMA public", "GRANT UPDATE ON SEQUENCE", "ON UPDATE CASCADE", "gen_random_uuid()",
    "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public", "app.citext", "room_id WITH =",
    "INSTEAD OF INSERT OR UPDATE ON public.note_bodies", "BEFORE DELETE ON public.note_bodies",
    "REPLICA IDENTITY FULL", "REPLICA IDENTITY USING INDEX tasks_id_tenant",
    "CREATE STATISTICS app.tenant_names (dependencies, mcv)", "SET STATISTICS 300", "COMMENT ON STATISTICS",
    "CREATE STATISTICS public.task_stats ON",
    "ALTER COLUMN body SET STATISTICS 400", "ALTER COLUMN body SET STORAGE EXTERNAL",
    "ALTER COLUMN amount SET STATISTICS 250",
)


def _assert_same_dump(dump_a: str, dump_b: str) -> None:
    a, b = _statements(dump_a), _statements(dump_b)
    missing = [kind for kind in EVERY_KIND if not any(kind in statement for statement in a)]
    assert not missing, f"the fixture lost {missing}"
    if a != b:
        diff = "\n".join(difflib.unified_diff(a, b, "A (built by hand)", "B (applied by schemactl)", lineterm="", n=0))
        pytest.fail("pg_dump of A and B differ:\n" + diff)


def test_a_hand_built_schema_round_trips(pg_server, pg_url, pg_conn, roles, second_db, tmp_path) -> None:
    ro, rw = roles
    try:
        pg_conn.execute(FIXTURE.read_text().replace("__RO__", ro).replace("__RW__", rw))
        spec = tmp_path / "spec.yaml"
        code, out = invoke("inspect", "--url", pg_url, "--role", ro, "--role", rw, "-o", str(spec))
        # No warning: inspect wrote every object of the fixture (its warnings name what it reads past).
        assert code == 0 and "Warning" not in out, out
        # Roles are cluster-wide (B shares them): the spec at least carries their attributes and membership.
        assert yaml.safe_load(spec.read_text())["roles"][rw] == {
            "login": True, "createdb": True, "connection_limit": 20, "member_of": [ro]}
        code, out = invoke("plan", str(spec), "--url", pg_url)
        assert code == 0 and NO_CHANGES in out, out

        code, out = invoke("apply", str(spec), "--url", second_db, "--auto-approve")
        assert code == 0, out
        code, out = invoke("plan", str(spec), "--url", second_db)
        assert code == 0 and NO_CHANGES in out, out
        # B inspects to the very same spec.
        spec_b = tmp_path / "spec_b.yaml"
        code, out = invoke("inspect", "--url", second_db, "--role", ro, "--role", rw, "-o", str(spec_b))
        assert code == 0 and "Warning" not in out, out
        assert spec_b.read_text() == spec.read_text(), "\n".join(difflib.unified_diff(
            spec.read_text().splitlines(), spec_b.read_text().splitlines(), "A", "B", lineterm=""))

        # Both databases are on the same cluster: role names in GRANTs and policies are the same ones.
        _assert_same_dump(_pg_dump(pg_server, pg_url), _pg_dump(pg_server, second_db))
    finally:
        _drop_owned(pg_url, roles)


def test_equivalent_spellings_are_no_change(pg_url, roles, tmp_path) -> None:
    ro, _ = roles
    spec = tmp_path / "spec.yaml"
    spec.write_text(FIXTURE_SPELLINGS.read_text().replace("__RO__", ro))
    try:
        code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
        assert code == 0, out
        code, out = invoke("plan", str(spec), "--url", pg_url)
        assert code == 0 and NO_CHANGES in out, out
    finally:
        _drop_owned(pg_url, roles)
