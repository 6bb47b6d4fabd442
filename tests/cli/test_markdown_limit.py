"""`--format markdown` is a pull-request comment: it stays under GitHub's 65,536-character limit and says
what it left out, and where the rest is."""

from __future__ import annotations

import pytest

from tests.cli.helpers import invoke

GITHUB_COMMENT_LIMIT = 65_536


def _spec(tables: int, columns: int) -> str:
    body = "".join(
        f"  tenant_table_{t}:\n    columns:\n      id: {{type: integer, primary_key: true}}\n"
        + "".join(f"      column_number_{c}: {{type: text, nullable: true}}\n" for c in range(columns))
        for t in range(tables))
    return f"version: 1\ndialect: sqlite\ntables:\n{body}"


@pytest.mark.parametrize(("tables", "columns", "rows_cut"), [(600, 20, False), (2500, 1, True)],
                         ids=["long statements", "many changes"])
def test_a_huge_markdown_plan_fits_a_comment_and_says_so(tmp_path, sqlite_url, tables, columns, rows_cut):
    spec = tmp_path / "s.yaml"
    spec.write_text(_spec(tables, columns))
    code, md = invoke("plan", str(spec), "--url", sqlite_url, "--format", "markdown")
    assert code == 0
    assert len(md) < GITHUB_COMMENT_LIMIT - 1000, len(md)  # room for what a commenting action adds
    assert f"**Plan: {tables} to add, 0 to change, 0 to destroy.**" in md
    assert "Truncated to fit a pull-request comment" in md and "--format sql" in md and "CREATE TABLE" not in md
    assert ("more changes" in md) is rows_cut
    assert "| `+` | table tenant_table_0 |" in md
    # Whole rows only, and the table stays a table.
    rows = [line for line in md.splitlines() if line.startswith("| `+` |")]
    assert rows and all(line.endswith("|") for line in rows)
    assert (len(rows) < tables) is rows_cut


def test_a_small_markdown_plan_is_whole(tmp_path, sqlite_url):
    spec = tmp_path / "s.yaml"
    spec.write_text(_spec(3, 2))
    code, md = invoke("plan", str(spec), "--url", sqlite_url, "--format", "markdown")
    assert code == 0 and "Truncated" not in md and "CREATE TABLE" in md
