"""`status` says why the last apply failed, from its history row."""

from __future__ import annotations

import pytest

from tests.cli.helpers import invoke

SPEC = """\
version: 1
dialect: {dialect}
tables:
  items:
    columns:
      id: {{type: integer, primary_key: true}}
      name: {{type: text}}
"""


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_status_shows_the_error_and_statement_of_a_failed_apply(dialect, tmp_path, request):
    url = request.getfixturevalue("pg_url" if dialect == "postgres" else "sqlite_url")
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(dialect=dialect))
    assert invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")[0] == 0
    # A unique index over duplicate rows fails.
    if dialect == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO items VALUES (1, 'a'), (2, 'a')")
    else:
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("INSERT INTO items VALUES (1, 'a'), (2, 'a')")
    spec.write_text(SPEC.format(dialect=dialect) + "    indexes:\n      - {columns: [name], unique: true}\n")
    code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet",
                       "--allow-hazards", "blocks_writes,may_fail_on_data")
    assert code == 1
    code, out = invoke("status", str(spec), "--url", url)
    assert code == 0, out
    assert "outcome=failed" in out
    error = next((line for line in out.splitlines() if line.strip().startswith("Error:")), None)
    assert error is not None and "unique" in error.lower(), out
    statement = next((line for line in out.splitlines() if line.strip().startswith("Failed statement:")), None)
    assert statement is not None and "CREATE UNIQUE INDEX" in statement, out


def test_status_of_a_successful_apply_shows_no_error(tmp_path, sqlite_url):
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(dialect="sqlite"))
    assert invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet")[0] == 0
    code, out = invoke("status", str(spec), "--url", sqlite_url)
    assert code == 0 and "outcome=applied" in out and "Error:" not in out and "Failed statement" not in out
