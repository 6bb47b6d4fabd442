"""Attacks on `plan` and `apply` through the spec, the live catalog and the command line.

`plan` runs on pull requests with a spec written by whoever opened them and the deploy role's
credentials: nothing in a spec or a catalog may run as SQL, and `plan` may not change its target.
Each test names the attack it repeats; every one succeeded before the fix.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from reconciler.changes import Hazard
from tests.cli.helpers import invoke

CANARY = "CREATE TABLE canary(x int)"
ALL_HAZARDS = ",".join(h.value for h in Hazard)


def canaries(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relname LIKE 'canary%'").fetchall()]


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False,
                                   allow_unicode=True))
    return path


def test_collation_in_the_spec_never_runs_as_sql(pg_url, pg_conn, tmp_path) -> None:
    """Repro 1: a collation starting with `"` was passed through unquoted, and `plan` ran it."""
    pg_conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text); CREATE INDEX t_name_idx ON t (name) WHERE id > 0")
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {
        "columns": {"id": {"type": "integer", "primary_key": True}, "name": {"type": "text", "nullable": True}},
        "indexes": [{"name": "t_name_idx", "where": "id > 0 + 0",
                     "columns": [{"column": "name", "collation": f'"C"); COMMIT; {CANARY}; --'}]}]}}})
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 0, out
    assert canaries(pg_conn) == []
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--allow-hazards", ALL_HAZARDS)
    assert code == 1 and "does not exist" in out, out
    assert canaries(pg_conn) == []


def test_collation_named_by_a_database_user_never_runs_as_sql(pg_url, pg_conn, tmp_path) -> None:
    """Repro 2: a collation created with a hostile name, used by a managed column, ran on inspect -> plan."""
    hostile = f'"C"); COMMIT; {CANARY}; --'
    pg_conn.execute(sql.SQL('CREATE COLLATION {} FROM "C"').format(sql.Identifier(hostile)))
    pg_conn.execute(sql.SQL("CREATE TABLE t (id int PRIMARY KEY, name text COLLATE {} CHECK (name <> ''))")
                    .format(sql.Identifier(hostile)))
    inspected = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", pg_url, "-o", str(inspected))
    assert code == 0, out
    doc = yaml.safe_load(inspected.read_text())
    assert doc["tables"]["t"]["columns"]["name"]["collation"] == hostile
    # Touch the column: retype it, which renders its collation.
    doc["tables"]["t"]["columns"]["name"]["type"] = "varchar(50)"
    inspected.write_text(yaml.safe_dump(doc, sort_keys=False))
    for command in (["plan"], ["apply", "--auto-approve", "--allow-hazards", ALL_HAZARDS]):
        code, out = invoke(*command, str(inspected), "--url", pg_url)
        assert code == 0, out
    assert canaries(pg_conn) == []
    assert invoke("plan", str(inspected), "--url", pg_url)[1].count("No changes") == 1


@pytest.fixture
def non_standard_strings(pg_url, pg_conn):
    """A database whose sessions start with standard_conforming_strings = off."""
    dbname = pg_conn.info.dbname
    pg_conn.execute(sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = off").format(sql.Identifier(dbname)))
    with psycopg.connect(pg_url, autocommit=True) as fresh:
        assert fresh.execute("SHOW standard_conforming_strings").fetchone()[0] == "off"
    return pg_url


def test_backslash_quote_in_strings_stays_data_without_standard_strings(non_standard_strings, pg_conn,
                                                                           tmp_path) -> None:
    """Repro 3: `a\\'; CREATE TABLE ...` in a comment, an enum label or a default ran where the setting is off."""
    text = f"a\\'; {CANARY}; --"
    spec = write(tmp_path / "s.yaml", {
        "enums": {"mood": ["ok", text]},
        "tables": {"t": {"comment": text, "columns": {
            "id": {"type": "integer", "primary_key": True},
            "note": {"type": "text", "default": text, "comment": text},
            "mood": {"type": "mood", "default": text}}}}})
    for command in (["plan"], ["apply", "--auto-approve"]):
        code, out = invoke(*command, str(spec), "--url", non_standard_strings)
        assert code == 0, out
        assert canaries(pg_conn) == []
    assert pg_conn.execute("SELECT obj_description('public.t'::regclass, 'pg_class')").fetchone()[0] == text
    assert pg_conn.execute("SELECT enum_range(NULL::mood)::text[]").fetchone()[0] == ["ok", text]
    pg_conn.execute("INSERT INTO t (id) VALUES (1)")
    assert pg_conn.execute("SELECT note, mood::text FROM t").fetchone() == (text, text)
    assert "No changes" in invoke("plan", str(spec), "--url", non_standard_strings)[1]


def test_dollar_quote_tag_and_quoted_enum_names(pg_url, pg_conn, tmp_path) -> None:
    """Repro 4: `$schemactl$` in a name broke the DO block of serial columns; an enum name with `"`
    hid its columns from value removal."""
    table, column, enum = "t$schemactl$x", "id$schemactl$; SELECT 1; $schemactl$", 'st"atus'
    spec_doc = {"enums": {enum: ["a", "b", "c"]}, "tables": {table: {"columns": {
        column: {"type": "serial", "primary_key": True},
        "s": {"type": enum, "default": "a"}}}}}
    spec = write(tmp_path / "s.yaml", spec_doc)
    assert invoke("apply", str(spec), "--url", pg_url, "--auto-approve")[0] == 0
    pg_conn.execute(sql.SQL("INSERT INTO {} (s) VALUES ('b')").format(sql.Identifier(table)))
    spec_doc["tables"][table]["columns"][column]["type"] = "bigserial"
    spec_doc["enums"][enum] = ["a", "b"]
    write(spec, spec_doc)
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--allow-hazards", ALL_HAZARDS)
    assert code == 0, out
    assert "No changes" in invoke("plan", str(spec), "--url", pg_url)[1]
    assert pg_conn.execute(sql.SQL("SELECT s::text FROM {}").format(sql.Identifier(table))).fetchone() == ("b",)


def test_an_explicit_url_takes_none_of_the_environments_allowances(pg_server, pg_url, pg_conn, tmp_path,
                                                                     monkeypatch) -> None:
    """Repro 5: `apply --env dev --url OTHER` applied dev's allow_destroy to OTHER and dropped a table."""
    pg_conn.execute("CREATE TABLE keep (id int PRIMARY KEY); INSERT INTO keep VALUES (1)")
    write(tmp_path / "s.yaml", {"tables": {"t": {"columns": {"id": {"type": "integer", "primary_key": True}}}}})
    (tmp_path / "schemactl.yaml").write_text(
        "version: 1\nenvironments:\n  dev:\n    spec: s.yaml\n    url_env: DEV_URL\n"
        "    allow_destroy: true\n    allow_hazards: [table_rewrite]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEV_URL", pg_server.url("postgres"))
    code, out = invoke("apply", "--env", "dev", "--url", pg_url, "--auto-approve")
    assert code == 1, out
    assert "allowances" in out and "--allow-destroy" in out
    assert pg_conn.execute("SELECT count(*) FROM keep").fetchone() == (1,)


def test_a_password_that_is_a_common_word_is_not_redacted_from_sql(pg_server, pg_url, pg_conn, tmp_path) -> None:
    """Repro 6: with the password `public`, `--format sql` printed `CREATE TABLE "***"."t"`."""
    role = f"app_{uuid.uuid4().hex[:8]}"
    pg_conn.execute(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD 'public'").format(sql.Identifier(role)))
    url = pg_url.replace(pg_server.url("x").split("@")[0].split("//")[1], f"{role}:public")
    assert f"{role}:public@" in url
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {"columns": {"id": {"type": "integer"}}}}})
    code, out = invoke("plan", str(spec), "--url", url, "--format", "sql")
    assert code == 0, out
    assert 'CREATE TABLE "public"."t"' in out
    code, out = invoke("plan", str(spec), "--url", url)
    assert f"{role}:***@" in out and ":public@" not in out
    # A connection error still hides it.
    code, out = invoke("plan", str(spec), "--url", url.rsplit("/", 1)[0] + "/no_such_db")
    assert code == 1 and ":public@" not in out and "***" in out


def test_plan_on_a_mistyped_sqlite_path_creates_no_file(tmp_path) -> None:
    """Repro 7: `plan` created an empty database file where the path was mistyped."""
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\ndialect: sqlite\ntables:\n  t:\n    columns:\n      id: {type: integer}\n")
    missing = tmp_path / "typo.db"
    for command in ("plan", "status"):
        code, out = invoke(command, str(spec), "--url", f"sqlite:///{missing}")
        assert code == 0, out
        assert not missing.exists()


def test_plan_sends_nothing_that_writes(pg_url, pg_conn, tmp_path) -> None:
    """Expressions `plan` compares with the server's help are planned, never executed, in a read-only session."""
    pg_conn.execute(f"CREATE FUNCTION boom() RETURNS int LANGUAGE plpgsql AS $$ BEGIN {CANARY}; RETURN 1; END $$;"
                    "CREATE TABLE t (id int PRIMARY KEY, n int DEFAULT 1 CHECK (n > 0));"
                    "CREATE INDEX t_n_idx ON t ((n + 1)) WHERE n > 0")
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {
        "columns": {"id": {"type": "integer", "primary_key": True},
                    "n": {"type": "integer", "nullable": True, "default": {"sql": "public.boom()"}}},
        "checks": {"t_n_check": "n > public.boom() - 1"},
        "indexes": [{"name": "t_n_idx", "columns": [{"expression": "n + public.boom()"}],
                     "where": "n > public.boom()"}]}}})
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 0, out
    assert canaries(pg_conn) == []


def test_plan_runs_with_a_role_that_can_only_read_the_catalog(pg_server, pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {
        "columns": {"id": {"type": "integer", "primary_key": True}, "name": {"type": "text", "default": "x"}},
        "checks": {"name_known": "name IN ('x', 'y')"}}}})
    assert invoke("apply", str(spec), "--url", pg_url, "--auto-approve")[0] == 0
    role = f"reader_{uuid.uuid4().hex[:8]}"
    pg_conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw'").format(sql.Identifier(role)))
    pg_conn.execute(sql.SQL("REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO {}")
                    .format(sql.Identifier(role)))
    reader_url = pg_url.replace(pg_server.url("x").split("@")[0].split("//")[1], f"{role}:pw")
    code, out = invoke("plan", str(spec), "--url", reader_url)
    assert code == 0 and "No changes" in out, out
    spec_doc = yaml.safe_load(spec.read_text())
    spec_doc["tables"]["t"]["columns"]["extra"] = {"type": "text", "nullable": True}
    spec.write_text(yaml.safe_dump(spec_doc))
    code, out = invoke("plan", str(spec), "--url", reader_url)
    assert code == 0 and "+ column public.t.extra" in out, out
