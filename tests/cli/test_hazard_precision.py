"""Hazards that say what is true of the data: no warning where nothing can fail, numbers where they help."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.cli.helpers import invoke

BASE = """\
version: 1
dialect: postgres
tables:
  authors:
    columns:
      id: {type: integer, primary_key: true}
  posts:
    columns:
      id: {type: integer, primary_key: true}
      body: {type: text}
"""


@pytest.fixture
def spec(tmp_path: Path, pg_url: str, pg_conn: psycopg.Connection) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(BASE)
    assert invoke("apply", str(path), "--url", pg_url, "--auto-approve", "--quiet")[0] == 0
    pg_conn.execute("INSERT INTO authors VALUES (1)")
    pg_conn.execute("INSERT INTO posts VALUES (1, 'a'), (2, 'a'), (3, 'b')")
    return path


def _changes(spec: Path, url: str, *flags: str) -> dict[str, dict]:
    code, out = invoke("plan", str(spec), "--url", url, "--format", "json", *flags)
    assert code == 0, out
    return {c["address"]: c for c in json.loads(out)["changes"]}


def test_a_foreign_key_on_a_column_added_in_the_same_plan_cannot_fail(spec, pg_url):
    spec.write_text(BASE + "      author_id: {type: integer, nullable: true, references: authors(id)}\n")
    changes = _changes(spec, pg_url)
    fk = changes["foreign_key public.posts.posts_author_id_fkey"]
    assert "may_fail_on_data" not in fk["hazards"], fk
    assert not any("violate" in n for n in fk["notes"]), fk
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet",
                       "--allow-hazards", ",".join(fk["hazards"]))
    assert code == 0, out


def test_a_foreign_key_on_a_new_column_with_a_default_may_still_fail(spec, pg_url):
    spec.write_text(BASE + "      author_id: {type: integer, default: 7, references: authors(id)}\n")
    fk = _changes(spec, pg_url)["foreign_key public.posts.posts_author_id_fkey"]
    assert "may_fail_on_data" in fk["hazards"]


def test_rebuilding_an_invalid_index_drops_it_once_and_asks_for_no_index_dropped(spec, pg_url, pg_conn):
    # A unique index built concurrently over duplicates fails and stays behind, invalid.
    with pytest.raises(psycopg.errors.UniqueViolation):
        pg_conn.execute("CREATE UNIQUE INDEX CONCURRENTLY posts_body_idx ON posts (body)")
    pg_conn.execute("UPDATE posts SET body = body || id")
    spec.write_text(BASE + "    indexes:\n      - {columns: [body], unique: true}\n")
    for flags in ((), ("--online",)):
        index = _changes(spec, pg_url, *flags)["index public.posts.posts_body_idx"]
        assert index["action"] == "replace"
        assert "index_dropped" not in index["hazards"], (flags, index)
        drops = [s["sql"] for s in index["statements"] if s["sql"].startswith("DROP INDEX")]
        assert len(drops) == 1, (flags, index["statements"])
    code, sql = invoke("plan", str(spec), "--url", pg_url, "--format", "sql", "--online")
    assert sql.count("DROP INDEX CONCURRENTLY") == 1, sql
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet", "--online",
                       "--allow-hazards", "may_fail_on_data")
    assert code == 0, out
    [(valid,)] = pg_conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'posts_body_idx'::regclass")
    assert valid is True


def test_dropping_a_valid_index_still_asks_for_index_dropped(spec, pg_url):
    spec.write_text(BASE + "    indexes:\n      - {columns: [body]}\n")
    assert invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet",
                  "--allow-hazards", "blocks_writes")[0] == 0
    spec.write_text(BASE + "    indexes:\n      - {columns: [body], where: \"body <> ''\"}\n")
    index = _changes(spec, pg_url)["index public.posts.posts_body_idx"]
    assert index["action"] == "replace" and "index_dropped" in index["hazards"]


def test_a_not_null_column_without_a_default_gives_the_row_estimate(spec, pg_url, pg_conn):
    spec.write_text(BASE + "      title: {type: text}\n")
    pg_conn.execute("ANALYZE posts")
    column = _changes(spec, pg_url)["column public.posts.title"]
    assert "may_fail_on_data" in column["hazards"]
    [note] = [n for n in column["notes"] if "title" in n]
    assert "about 3 rows" in note, note
    code, text = invoke("plan", str(spec), "--url", pg_url, "--no-color")
    assert "about 3 rows" in text


def test_the_row_estimate_says_when_it_is_unknown(spec, pg_url):
    # Never analyzed nor vacuumed: PostgreSQL has no estimate yet.
    spec.write_text(BASE + "      title: {type: text}\n")
    [note] = [n for n in _changes(spec, pg_url)["column public.posts.title"]["notes"] if "title" in n]
    assert "fails if the table has rows" in note and "no row estimate" in note, note
