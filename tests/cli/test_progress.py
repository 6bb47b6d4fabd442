"""Progress of a long apply: a heartbeat while a statement runs, each statement's duration, the total."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from reconciler.cli import main

SPEC = """\
version: 1
dialect: {dialect}
tables:
  items:
    columns:
      id: {{type: integer, primary_key: true}}
"""
CHANGED = SPEC + "      note: {{type: text, nullable: true}}\n"


def _apply(spec: Path, url: str, env: dict[str, str]):
    return CliRunner().invoke(main, ["apply", str(spec), "--url", url, "--auto-approve"], env=env)


def test_a_long_statement_gets_a_heartbeat_and_every_statement_its_duration(tmp_path, pg_url):
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(dialect="postgres"))
    assert _apply(spec, pg_url, {}).exit_code == 0
    spec.write_text(CHANGED.format(dialect="postgres"))
    # The ALTER waits for a lock the test holds until a few heartbeats had the time to appear.
    with psycopg.connect(pg_url) as locker, psycopg.connect(pg_url, autocommit=True) as watcher:
        locker.execute("LOCK TABLE items IN ACCESS SHARE MODE")
        def release_when_waited() -> None:
            for _ in range(600):
                if watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                   "AND query LIKE 'ALTER TABLE%'").fetchone()[0]:
                    threading.Event().wait(1.5)
                    break
                threading.Event().wait(0.1)
            locker.rollback()

        releaser = threading.Thread(target=release_when_waited, daemon=True)
        releaser.start()
        result = _apply(spec, pg_url, {"SCHEMACTL_PROGRESS_INTERVAL": "200ms"})
        releaser.join(timeout=30)
    assert result.exit_code == 0, result.output
    err = result.stderr.splitlines()
    assert any(re.match(r"^\[1/1\] still running: ALTER TABLE \"public\"\.\"items\" ADD COLUMN .* \(\d+s\)$", line)
               for line in err), result.stderr
    assert any(re.match(r"^\[1/1\] done in \d+\.\ds$", line) for line in err), result.stderr
    assert re.search(r"^Applied 1 statement in \d+\.\ds\.$", result.stderr, re.MULTILINE), result.stderr
    assert "still running" not in result.stdout


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_without_a_long_statement_there_is_no_heartbeat(dialect, tmp_path, request):
    url = request.getfixturevalue("pg_url" if dialect == "postgres" else "sqlite_url")
    spec = tmp_path / "s.yaml"
    spec.write_text(CHANGED.format(dialect=dialect))
    result = _apply(spec, url, {})
    assert result.exit_code == 0, result.output
    done = [line for line in result.stderr.splitlines() if re.match(r"^\[\d+/\d+\] done in \d+\.\ds$", line)]
    started = [line for line in result.stderr.splitlines() if re.match(r"^\[\d+/\d+\]\s+\d+\.\ds \S", line)]
    assert started and len(done) == len(started), result.stderr
    assert "still running" not in result.stderr
    assert re.search(rf"^Applied {len(done)} statements? in \d+\.\ds\.$", result.stderr, re.MULTILINE)


def test_the_heartbeat_interval_is_a_duration(tmp_path, sqlite_url):
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(dialect="sqlite"))
    result = _apply(spec, sqlite_url, {"SCHEMACTL_PROGRESS_INTERVAL": "often"})
    assert result.exit_code == 1 and "SCHEMACTL_PROGRESS_INTERVAL" in result.output, result.output
