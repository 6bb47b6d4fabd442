"""Durations: one parser for every flag and project-file key; a bare number means seconds everywhere."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg
import pytest

from reconciler.backends.postgres.execute import LOCK_KEY
from tests.cli.helpers import invoke

SPEC = """\
version: 1
dialect: postgres
tables:
  t:
    columns:
      id: {type: integer, primary_key: true}
"""
CHANGED = SPEC + "      note: {type: text, nullable: true}\n"


@pytest.fixture
def spec(tmp_path: Path, pg_url: str) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(SPEC)
    assert invoke("apply", str(path), "--url", pg_url, "--auto-approve", "--quiet")[0] == 0
    path.write_text(CHANGED)
    return path


def _timeouts(out: str) -> set[tuple[str | None, str | None]]:
    document = json.loads(out)
    return {(s["lock_timeout"], s["statement_timeout"]) for c in document["changes"] for s in c["statements"]}


def _settings_in_postgres(conn: psycopg.Connection, lock_timeout: str, statement_timeout: str) -> tuple[str, str]:
    """What PostgreSQL makes of the rendered values, in its own unit (milliseconds)."""
    with conn.transaction():
        conn.execute("SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
                      (lock_timeout, statement_timeout))
        row = conn.execute("SELECT setting FROM pg_settings WHERE name IN ('lock_timeout', 'statement_timeout') "
                           "ORDER BY name").fetchall()
    return row[0][0], row[1][0]


def test_a_bare_number_means_seconds_for_every_duration_flag(spec, pg_url, pg_conn):
    code, out = invoke("plan", str(spec), "--url", pg_url, "--online", "--format", "json",
                       "--statement-lock-timeout", "3", "--statement-timeout", "10")
    assert code == 0, out
    [(lock, statement)] = _timeouts(out)
    # PostgreSQL reads both as seconds (a bare "10" would be 10 milliseconds there).
    assert _settings_in_postgres(pg_conn, lock, statement) == ("3000", "10000")


@pytest.mark.parametrize(("given", "milliseconds"), [("500ms", "500"), ("5s", "5000"), ("2min", "120000"),
                                                     ("1h", "3600000"), ("1.5", "1500"), ("0.25min", "15000")])
def test_units_are_accepted_and_mean_what_they_say(spec, pg_url, pg_conn, given, milliseconds):
    code, out = invoke("plan", str(spec), "--url", pg_url, "--online", "--format", "json",
                       "--statement-lock-timeout", given, "--statement-timeout", given)
    assert code == 0, out
    [(lock, statement)] = _timeouts(out)
    assert _settings_in_postgres(pg_conn, lock, statement) == (milliseconds, milliseconds)


@pytest.mark.parametrize("flag", ["--statement-timeout", "--statement-lock-timeout", "--lock-timeout"])
@pytest.mark.parametrize("bad", ["soon", "-1", "5 parsecs", "1e3", "0.1ms"])
def test_a_bad_duration_is_one_clear_error(spec, pg_url, flag, bad):
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", flag, bad)
    assert code == 1 and "Traceback" not in out
    assert flag in out and "duration" in out, out


def test_lock_timeout_takes_units_too(spec, pg_url):
    with psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        started = time.monotonic()
        code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--lock-timeout", "300ms")
        elapsed = time.monotonic() - started
        other.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    assert code == 1 and "waited 0.3s" in out, out
    assert elapsed < 20


def _project(tmp_path: Path, spec: Path, settings: str) -> Path:
    project = tmp_path / "schemactl.yaml"
    project.write_text(f"version: 1\nenvironments:\n  prod:\n    spec: {spec.name}\n    url_env: PROD_DB_URL\n"
                       f"    online: true\n{settings}")
    return project


def test_project_file_durations_use_the_same_rules(spec, pg_url, pg_conn, tmp_path, monkeypatch):
    monkeypatch.setenv("PROD_DB_URL", pg_url)
    project = _project(tmp_path, spec, "    statement_lock_timeout: 3\n    statement_timeout: 2min\n"
                                       "    lock_timeout: 500ms\n")
    code, out = invoke("plan", "--env", "prod", "--config", str(project), "--format", "json")
    assert code == 0, out
    [(lock, statement)] = _timeouts(out)
    assert _settings_in_postgres(pg_conn, lock, statement) == ("3000", "120000")
    with psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        code, out = invoke("apply", "--env", "prod", "--config", str(project), "--auto-approve")
        other.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    assert code == 1 and "waited 0.5s" in out, out


@pytest.mark.parametrize("bad", ["statement_timeout: soon", "lock_timeout: -2", "statement_lock_timeout: 10 parsecs"])
def test_a_bad_duration_in_the_project_file_names_its_place(spec, pg_url, tmp_path, monkeypatch, bad):
    monkeypatch.setenv("PROD_DB_URL", pg_url)
    project = _project(tmp_path, spec, f"    {bad}\n")
    code, out = invoke("plan", "--env", "prod", "--config", str(project))
    assert code == 1 and "Traceback" not in out
    assert f"{project}:7:" in out and bad.split(":")[0] in out, out


def test_the_project_schema_and_the_parser_agree_on_what_a_duration_is():
    from reconciler.durations import DURATION_PATTERN
    from reconciler.spec.validate import schema_path

    schema = json.loads(schema_path("project.schema.json").read_text())
    environment = schema["properties"]["environments"]["additionalProperties"]["properties"]
    for key in ("lock_timeout", "statement_lock_timeout", "statement_timeout"):
        assert environment[key]["$ref"] == "#/$defs/duration", key
    assert schema["$defs"]["duration"]["anyOf"][1]["pattern"] == DURATION_PATTERN
