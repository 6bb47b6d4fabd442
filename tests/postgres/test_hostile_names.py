"""Hostile names and texts, in the spec and in the live catalog, through validate -> plan -> apply ->
inspect -> plan, under both settings of standard_conforming_strings.

Every name, label, comment and default below is data. The suite passes when no canary object is ever
created, every apply converges (the next plan is empty, for the spec and for what `inspect` wrote) and
nothing crashes.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from reconciler.changes import Hazard
from tests.cli.helpers import invoke

CANARY = "CREATE TABLE canary(x int)"
ALL_HAZARDS = ",".join(h.value for h in Hazard)

HOSTILE = [
    '"', "'", "\\", ";", "--", "/*", "*/", "$$", "$schemactl$", "\n",
    f"\"); {CANARY}; --", f"'); {CANARY}; --", f"\\'; {CANARY}; --", f"$$; {CANARY}; $$",
    f"$schemactl$; {CANARY}; $schemactl$", "ünïcødé ✓", "Mixed Case",
]
# Schemas: anything but `.` (which separates the schema in a spec's keys).
SCHEMAS = ["public", 's"1; --', "s'2\\ $schemactl$", "Ünï ✓"]
# 63 bytes exactly in two-byte characters: the longest name PostgreSQL keeps.
LONG_MULTIBYTE = "é" * 31 + "x"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def hostile_spec() -> dict:
    enums, tables, domains, views, materialized_views = {}, {}, {}, {}, {}
    for i, text in enumerate(HOSTILE):
        enum = f"e{i}{text}"
        enums[enum] = [text, f"{text}2"]
        domains[f"d{i}{text}"] = {"type": "text", "default": text, "comment": text,
                                  "checks": {f"k{i}{text}": "VALUE IS NOT NULL"}}
        column = f"c{text}"
        tables[f"t{i}{text}"] = {
            "comment": text,
            "columns": {
                "id": {"type": "serial", "primary_key": True},
                column: {"type": "text", "default": text, "comment": text, "collation": "C"},
                f"s{text}": {"type": enum, "nullable": True, "default": text},
            },
            "checks": {f"chk{i}{text}": f"length({quote(column)}) >= 0"},
            "indexes": [{"name": f"i{i}{text}", "columns": [column], "where": f"{quote(column)} <> ''"}],
        }
        # Views read the id, whose type the second round changes: they are rebuilt around it.
        views[f"v{i}{text}"] = {"query": f"SELECT id, {quote(column)} FROM {quote(f't{i}{text}')}", "comment": text}
        materialized_views[f"m{i}{text}"] = {"query": f"SELECT id AS {quote(text)} FROM {quote(f'v{i}{text}')}",
                                             "comment": text, "indexes": {f"mi{i}{text}": {"columns": [text]}}}
    tables[LONG_MULTIBYTE] = {"columns": {LONG_MULTIBYTE: {"type": "text", "nullable": True}}}
    for schema in SCHEMAS[1:]:
        enums[f"{schema}.mood"] = ["ok", schema]
        tables[f"{schema}.t"] = {"comment": schema, "columns": {
            "id": {"type": "integer", "primary_key": True},
            "mood": {"type": f"{quote(schema)}.mood", "default": schema}}}
    return {"version": 1, "dialect": "postgres", "schemas": SCHEMAS, "enums": enums, "domains": domains,
            "tables": tables, "views": views, "materialized_views": materialized_views}


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


def canaries(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relname LIKE 'canary%'").fetchall()]


def converge(spec: Path, url: str, conn: psycopg.Connection) -> None:
    code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--allow-destroy",
                       "--allow-hazards", ALL_HAZARDS)
    assert code == 0, out
    assert canaries(conn) == []
    code, out = invoke("plan", str(spec), "--url", url)
    assert code == 0 and "No changes" in out, out


@pytest.fixture(params=["on", "off"], ids=["standard_strings", "backslash_strings"])
def target(request, pg_url, pg_conn):
    pg_conn.execute(sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = {}")
                    .format(sql.Identifier(pg_conn.info.dbname), sql.SQL(request.param)))
    return pg_url


def test_hostile_names_in_the_spec(target, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "hostile.yaml", hostile_spec())
    code, out = invoke("validate", str(spec))
    assert code == 0, out
    code, out = invoke("plan", str(spec), "--url", target)
    assert code == 0, out
    assert canaries(pg_conn) == []
    converge(spec, target, pg_conn)

    # What inspect writes plans empty and builds the same database again.
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", target, "-o", str(inspected))[0] == 0
    code, out = invoke("plan", str(inspected), "--url", target)
    assert code == 0 and "No changes" in out, out

    # Rows keep every hostile text as data.
    for i, text in enumerate(HOSTILE):
        table = sql.Identifier(f"t{i}{text}")
        pg_conn.execute(sql.SQL("INSERT INTO {} DEFAULT VALUES").format(table))
        row = pg_conn.execute(sql.SQL("SELECT {}, {}::text FROM {}").format(
            sql.Identifier(f"c{text}"), sql.Identifier(f"s{text}"), table)).fetchone()
        assert row == (text, text)

    # Change everything once more: drop a label (enum recreation), rename through the comment, retype.
    doc = hostile_spec()
    for i, text in enumerate(HOSTILE):
        doc["enums"][f"e{i}{text}"] = [text]
        table = doc["tables"][f"t{i}{text}"]
        table["comment"] = f"{text} v2"
        table["columns"]["id"]["type"] = "bigserial"
        table["columns"][f"c{text}"]["comment"] = None
    converge(write(spec, doc), target, pg_conn)


def test_hostile_names_in_the_live_catalog(target, pg_conn, tmp_path) -> None:
    """Objects made by a database user with plain SQL: inspect, then plan and apply changes to them."""
    for i, text in enumerate(HOSTILE):
        ident, label = sql.Identifier, sql.Literal
        pg_conn.execute(sql.SQL("CREATE TYPE {} AS ENUM ({}, {})").format(ident(f"le{i}{text}"), label(text),
                                                                            label(f"{text}2")))
        pg_conn.execute(sql.SQL(
            "CREATE TABLE {t} ({c} text COLLATE \"C\" DEFAULT {v} CONSTRAINT {k} CHECK ({c} <> {v2}),"
            " {s} {e} DEFAULT {v})").format(
            t=ident(f"lt{i}{text}"), c=ident(f"c{text}"), v=label(text), v2=label(f"{text}x"),
            k=ident(f"lk{i}{text}"), s=ident(f"s{text}"), e=ident(f"le{i}{text}")))
        pg_conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(ident(f"lt{i}{text}"), label(text)))
        pg_conn.execute(sql.SQL("CREATE INDEX {} ON {} ({}) WHERE {} <> ''").format(
            ident(f"li{i}{text}"), ident(f"lt{i}{text}"), ident(f"c{text}"), ident(f"c{text}")))
        # A view reading the column the second round retypes, with a hostile literal in its definition.
        pg_conn.execute(sql.SQL("CREATE VIEW {} AS SELECT {}, {} AS {} FROM {}").format(
            ident(f"lv{i}{text}"), ident(f"c{text}"), label(text), ident(f"x{text}"), ident(f"lt{i}{text}")))
        pg_conn.execute(sql.SQL("COMMENT ON VIEW {} IS {}").format(ident(f"lv{i}{text}"), label(text)))
    inspected = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", target, "-o", str(inspected))
    assert code == 0, out
    code, out = invoke("plan", str(inspected), "--url", target)
    assert code == 0 and "No changes" in out, out

    # Change every table: a new column, a retyped one, a dropped label.
    doc = yaml.safe_load(inspected.read_text())
    for i, text in enumerate(HOSTILE):
        table = doc["tables"][f"lt{i}{text}"]
        table["columns"][f"n{text}"] = {"type": "integer", "nullable": True}
        table["columns"][f"c{text}"]["type"] = "varchar(100)"
        doc["enums"][f"le{i}{text}"] = [text]
    converge(write(inspected, doc), target, pg_conn)


@pytest.mark.parametrize("where", ["table", "column", "comment", "enum label", "default"])
def test_nul_characters_are_refused_by_validate(tmp_path, where: str) -> None:
    nul = "a\x00b"
    doc = {"version": 1, "dialect": "postgres", "enums": {"e": ["x"]},
           "tables": {"t": {"columns": {"id": {"type": "text"}}}}}
    if where == "table":
        doc["tables"][nul] = doc["tables"].pop("t")
    elif where == "column":
        doc["tables"]["t"]["columns"][nul] = {"type": "text"}
    elif where == "comment":
        doc["tables"]["t"]["comment"] = nul
    elif where == "enum label":
        doc["enums"]["e"] = [nul]
    else:
        doc["tables"]["t"]["columns"]["id"]["default"] = nul
    spec = tmp_path / "nul.yaml"
    spec.write_text(yaml.safe_dump(doc))
    code, out = invoke("validate", str(spec))
    assert code == 1, out
    assert "NUL" in out and "unexpected" not in out, out
