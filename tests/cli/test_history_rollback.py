"""`history`, `rollback`, `status --format json/--detailed-exitcode` and `plan`/`apply` of git paths against a
real PostgreSQL and SQLite (MongoDB: tests/mongodb/test_server_history.py runs the same scenario)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from tests.cli import history_scenario as scenario
from tests.cli.helpers import invoke

BASE = """\
version: 1
dialect: {dialect}
tables:
  items:
    columns:
      id: {{type: integer, primary_key: true}}
      name: {{type: text}}
"""
TAGS = "tables:\n  tags:\n    columns:\n      id: {type: integer, primary_key: true}\n"
UNIQUE = "    indexes:\n      - {columns: [name], unique: true}\n"


def sql_case(dialect: str, url: str) -> scenario.Case:
    base = BASE.format(dialect=dialect)

    def break_data() -> None:
        if dialect == "postgres":
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("INSERT INTO items VALUES (1, 'dup'), (2, 'dup')")
        else:
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                conn.execute("INSERT INTO items VALUES (1, 'dup'), (2, 'dup')")

    return scenario.Case(url=url, v1={"base.yaml": base}, v2={"base.yaml": base, "tags.yaml": TAGS},
                         failing={"base.yaml": base + UNIQUE},
                         failing_flags=("--allow-hazards", "blocks_writes,may_fail_on_data"),
                         break_data=break_data,
                         destroyed="- table public.tags" if dialect == "postgres" else "- table tags")


@pytest.fixture(params=["postgres", "sqlite"])
def case(request) -> scenario.Case:
    url = request.getfixturevalue("pg_url" if request.param == "postgres" else "sqlite_url")
    return sql_case(request.param, url)


def bad_url(case: scenario.Case, tmp_path) -> str:
    if case.url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'missing' / 'nope.db'}"
    return "postgresql://nobody@127.0.0.1:1/nothing"


def test_apply_history_rollback_and_replan(case, tmp_path):
    scenario.apply_then_roll_back(case, tmp_path)


def test_a_failed_apply_shows_its_error_in_history_and_status(case, tmp_path):
    scenario.failed_apply_is_shown(case, tmp_path)


def test_status_json_and_detailed_exit_codes(case, tmp_path):
    scenario.status_exit_codes(case, tmp_path, bad_url(case, tmp_path))


def test_plan_and_apply_from_a_git_path(case, tmp_path, monkeypatch):
    scenario.plan_and_apply_from_git(case, tmp_path, monkeypatch)


def test_rollback_with_nothing_to_go_back_to(case, tmp_path):
    v1 = scenario.write_dir(tmp_path / "v1", case.v1)
    code, out = invoke("rollback", "--url", case.url, "--dry-run")
    assert code == 1 and "nothing to roll back to" in out, out
    assert invoke("apply", v1, "--url", case.url, "--auto-approve", "--quiet")[0] == 0
    code, out = invoke("rollback", "--url", case.url, "--dry-run")
    assert code == 1 and "nothing to roll back to" in out, out


def test_rollback_keeps_the_environment_guards(tmp_path, sqlite_url, monkeypatch):
    """`rollback --env` allows what the environment allows, like `apply --env`."""
    case = sql_case("sqlite", sqlite_url)
    for spec in (scenario.write_dir(tmp_path / "v1", case.v1), scenario.write_dir(tmp_path / "v2", case.v2)):
        assert invoke("apply", spec, "--url", sqlite_url, "--auto-approve", "--quiet")[0] == 0
    project = tmp_path / "schemactl.yaml"
    project.write_text("version: 1\nenvironments:\n  dev:\n    spec: v1\n    url_env: DEV_DB_URL\n"
                       "    allow_destroy: true\n")
    monkeypatch.setenv("DEV_DB_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)
    code, out = invoke("rollback", "--env", "dev", "--auto-approve", "--quiet")
    assert code == 0 and "Rollback complete!" in out, out
    assert scenario.history_json(sqlite_url)[0]["rollback_to"] == 1


OLD_PG_HISTORY = """
CREATE SCHEMA schemactl;
CREATE TABLE schemactl.schemactl_history (
    id bigserial PRIMARY KEY, applied_at timestamptz NOT NULL, spec_hash text NOT NULL, plan_hash text NOT NULL,
    tool_version text NOT NULL, outcome text NOT NULL, statements jsonb NOT NULL, error text);
INSERT INTO schemactl.schemactl_history (applied_at, spec_hash, plan_hash, tool_version, outcome, statements)
    VALUES ('2025-01-01T00:00:00Z', 'sha256:old', 'sha256:oldplan', '0.0.1', 'applied', '["CREATE TABLE old ()"]');
"""
OLD_SQLITE_HISTORY = """
CREATE TABLE schemactl_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, applied_at TEXT NOT NULL, spec_hash TEXT NOT NULL, plan_hash TEXT NOT NULL,
    tool_version TEXT NOT NULL, outcome TEXT NOT NULL, statements TEXT NOT NULL, error TEXT);
INSERT INTO schemactl_history (applied_at, spec_hash, plan_hash, tool_version, outcome, statements)
    VALUES ('2025-01-01T00:00:00+00:00', 'sha256:old', 'sha256:oldplan', '0.0.1', 'applied', '["CREATE TABLE old ()"]');
"""


def test_a_history_table_of_an_older_version_reads_and_gains_the_new_columns(case, tmp_path):
    if case.url.startswith("sqlite"):
        with sqlite3.connect(case.url.removeprefix("sqlite:///")) as conn:
            conn.executescript(OLD_SQLITE_HISTORY)
    else:
        with psycopg.connect(case.url, autocommit=True) as conn:
            conn.execute(OLD_PG_HISTORY)
    [old] = scenario.history_json(case.url)
    assert old["id"] == 1 and old["outcome"] == "applied" and old["statement_count"] == 1
    assert old["has_spec"] is False and old["applied_by"] is None and old["rollback_to"] is None
    code, out = invoke("history", "--url", case.url)
    assert code == 0 and "#1" in out and "cannot be rolled back to" in out, out
    code, out = invoke("status", "--url", case.url)
    assert code == 0 and "Last apply: " in out and " id=1 by=" in out, out

    # The next apply adds the columns and records its spec.
    v1 = scenario.write_dir(tmp_path / "v1", case.v1)
    assert invoke("apply", v1, "--url", case.url, "--auto-approve", "--quiet")[0] == 0
    new, old = scenario.history_json(case.url)
    assert new["id"] == 2 and new["has_spec"] and new["applied_by"] and not old["has_spec"]
    code, out = invoke("rollback", "--url", case.url, "--to", "1", "--dry-run")
    assert code == 1 and "without its spec" in out, out


def test_rollback_asks_before_applying(tmp_path, sqlite_url):
    """Without --auto-approve a rollback asks, like apply; anything but `yes` changes and records nothing."""
    case = sql_case("sqlite", sqlite_url)
    v2 = scenario.write_dir(tmp_path / "v2", case.v2)
    for spec in (scenario.write_dir(tmp_path / "v1", case.v1), v2):
        assert invoke("apply", spec, "--url", sqlite_url, "--auto-approve", "--quiet")[0] == 0
    code, out = invoke("rollback", "--url", sqlite_url, "--allow-destroy", "--quiet", input="no\n")
    assert code == 1 and "Only 'yes' will be accepted" in out and "cancelled" in out, out
    assert len(scenario.history_json(sqlite_url)) == 2
    assert scenario.NO_CHANGES in invoke("plan", v2, "--url", sqlite_url)[1]
    code, out = invoke("rollback", "--url", sqlite_url, "--allow-destroy", "--quiet", input="yes\n")
    assert code == 0 and "Rollback complete!" in out, out
