"""`history`, `rollback`, `status --format json/--detailed-exitcode` and `plan`/`apply` of git paths on a real
wire-protocol server (`real_server`: SecantusDB, or mongod with MONGODB_URL): the scenario of
tests/cli/history_scenario.py, which PostgreSQL and SQLite run too.

History and lock live in <prefix>_main, which is also the URL's database, so that the URL alone finds them.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.cli import history_scenario as scenario
from tests.cli.helpers import invoke

BASE = """\
version: 1
dialect: mongodb
history_database: PFX_main
databases:
  PFX_main:
    collections:
      items: {indexes: [{name: by_name, keys: {name: 1}}]}
"""
WITH_TAGS = BASE + "      tags: {}\n"
FAILING = BASE.replace("keys: {name: 1}}", "keys: {name: 1}}, {name: one_code, keys: {code: 1}, unique: true}")


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@pytest.fixture
def case(server, real_server) -> scenario.Case:
    conn, prefix = server

    def break_data() -> None:
        conn.client[f"{prefix}_main"]["items"].insert_many([{"code": "dup"}, {"code": "dup"}])

    return scenario.Case(
        url=with_database(real_server.url, f"{prefix}_main"),
        v1={"base.yaml": BASE.replace("PFX", prefix)},
        v2={"base.yaml": WITH_TAGS.replace("PFX", prefix)},
        failing={"base.yaml": FAILING.replace("PFX", prefix)},
        failing_flags=("--allow-hazards", "may_fail_on_data"),
        break_data=break_data,
        destroyed=f"- collection {prefix}_main.tags",
    )


def test_apply_history_rollback_and_replan(case, tmp_path):
    scenario.apply_then_roll_back(case, tmp_path)


def test_a_failed_apply_shows_its_error_in_history_and_status(case, tmp_path):
    scenario.failed_apply_is_shown(case, tmp_path)


def test_status_json_and_detailed_exit_codes(case, tmp_path):
    scenario.status_exit_codes(case, tmp_path, "mongodb://127.0.0.1:1/nothing")


def test_plan_and_apply_from_a_git_path(case, tmp_path, monkeypatch):
    scenario.plan_and_apply_from_git(case, tmp_path, monkeypatch)


def test_the_spec_says_where_the_history_is(case, server, real_server, tmp_path):
    """A URL without a database keeps no history of its own: the spec's history_database is read."""
    conn, prefix = server
    v1 = scenario.write_dir(tmp_path / "v1", case.v1)
    assert invoke("apply", v1, "--url", real_server.url, "--auto-approve", "--quiet")[0] == 0
    code, out = invoke("history", v1, "--url", real_server.url)
    assert code == 0 and out.splitlines()[1].startswith("#1  "), out
    assert [e["id"] for e in scenario.history_json(case.url)] == [1]
    code, out = invoke("status", v1, "--url", real_server.url, "--detailed-exitcode")
    assert code == 0 and "Last apply: " in out and " id=1 by=" in out, out


def test_an_older_history_document_reads(case, server):
    """Records written before history kept specs (no spec, user or host) still list, and cannot be rolled back to."""
    conn, prefix = server
    conn.client[f"{prefix}_main"]["schemactl_history"].insert_one(
        {"applied_at": "2025-01-01T00:00:00+00:00", "spec_hash": "sha256:old", "plan_hash": "sha256:p",
         "tool_version": "0.0.1", "outcome": "applied", "statements": ["db.createCollection('old')"], "error": None})
    [old] = scenario.history_json(case.url)
    assert old["id"] == 1 and old["has_spec"] is False and old["applied_by"] is None and old["statement_count"] == 1
    code, out = invoke("rollback", "--url", case.url, "--to", "1", "--dry-run")
    assert code == 1 and "without its spec" in out, out
