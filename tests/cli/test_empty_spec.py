"""A spec that declares no objects and so plans to drop everything gets a clear warning, on stderr and in the plan."""

from __future__ import annotations

import json

from click.testing import CliRunner

from reconciler.cli import main

FULL = """\
version: 1
dialect: {dialect}
tables:
  accounts:
    columns:
      id: {{type: integer, primary_key: true}}
"""
EMPTY = "version: 1\ndialect: {dialect}\n"
WARNING = "the spec declares no objects: this plan drops everything"


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_an_empty_spec_that_drops_everything_is_warned_about(tmp_path, pg_url):
    spec = tmp_path / "s.yaml"
    spec.write_text(FULL.format(dialect="postgres"))
    assert _run("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet").exit_code == 0
    spec.write_text(EMPTY.format(dialect="postgres"))
    result = _run("plan", str(spec), "--url", pg_url, "--no-color")
    assert result.exit_code == 0, result.output
    assert WARNING in result.stderr and WARNING in result.stdout, result.output
    assert "- table public.accounts" in result.stdout
    for fmt in ("sql", "markdown"):
        assert WARNING in _run("plan", str(spec), "--url", pg_url, "--format", fmt).stdout, fmt
    document = json.loads(_run("plan", str(spec), "--url", pg_url, "--format", "json").stdout)
    assert any(WARNING in w for w in document["warnings"])
    # apply shows it too before refusing the destroys.
    result = _run("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert result.exit_code == 1 and WARNING in result.stderr


def test_no_warning_when_there_is_nothing_to_drop_or_the_spec_declares_objects(tmp_path, sqlite_url):
    spec = tmp_path / "s.yaml"
    spec.write_text(EMPTY.format(dialect="sqlite"))
    result = _run("plan", str(spec), "--url", sqlite_url)
    assert result.exit_code == 0 and WARNING not in result.output and "No changes." in result.stdout
    spec.write_text(FULL.format(dialect="sqlite"))
    assert _run("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet").exit_code == 0
    spec.write_text(FULL.format(dialect="sqlite").replace("accounts", "others"))
    result = _run("plan", str(spec), "--url", sqlite_url)
    assert result.exit_code == 0 and "- table accounts" in result.stdout and WARNING not in result.output


def test_an_offline_diff_to_an_empty_spec_is_warned_about(tmp_path):
    full, empty = tmp_path / "full.yaml", tmp_path / "empty.yaml"
    full.write_text(FULL.format(dialect="sqlite"))
    empty.write_text(EMPTY.format(dialect="sqlite"))
    result = _run("diff", str(full), str(empty))
    assert result.exit_code == 0 and WARNING in result.stdout and WARNING in result.stderr, result.output
    assert WARNING not in _run("diff", str(empty), str(full)).output
