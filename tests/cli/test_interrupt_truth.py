"""An interrupt (Ctrl-C, or SIGTERM from a cancelled deploy job) is reported as what really happened:
committed, rolled back, or partly applied; and the history says the same.

The interrupt is injected at exact points instead of timing a signal: right after the COMMIT of the
transaction that holds the `applied` row, before it, and after the apply while its result is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

import reconciler.apply
import reconciler.cli
from reconciler.backends.postgres import BACKEND as PG
from reconciler.backends.sqlite import BACKEND as SQLITE
from reconciler.backends.sqlite import execute as sqlite_execute
from tests.cli.helpers import invoke

PG_SPEC = """\
version: 1
dialect: postgres
tables:
  accounts:
    columns:
      id: {type: integer, primary_key: true}
"""
PG_MORE = PG_SPEC + "  audit:\n    columns:\n      id: {type: integer, primary_key: true}\n" \
    "  notes:\n    columns:\n      id: {type: integer, primary_key: true}\n"

SQLITE_SPEC = PG_SPEC.replace("postgres", "sqlite")
SQLITE_MORE = PG_MORE.replace("postgres", "sqlite")


def pg_history(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [r["outcome"] for r in reversed(PG.read_history(conn, 100))]


def sqlite_history(url: str) -> list[str]:
    conn = SQLITE.connect(url)
    try:
        return [r["outcome"] for r in reversed(SQLITE.read_history(conn, 100))]
    finally:
        SQLITE.close(conn)


@pytest.fixture
def interrupt_after_the_recorded_commit(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """KeyboardInterrupt the moment the PostgreSQL transaction that wrote the history row has committed."""
    fired: list[str] = []
    state = {"recorded": False}
    write_history = type(PG).write_history
    real_exit = psycopg.Transaction.__exit__

    def recording(self: Any, conn: Any, entry: dict[str, Any]) -> None:
        write_history(self, conn, entry)
        state["recorded"] = entry["outcome"] == "applied"

    def exit_then_interrupt(self: psycopg.Transaction, *exc: Any) -> bool:
        result = real_exit(self, *exc)
        if state["recorded"] and exc[0] is None and not fired:
            fired.append("after COMMIT")
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(type(PG), "write_history", recording)
    monkeypatch.setattr(psycopg.Transaction, "__exit__", exit_then_interrupt)
    yield fired


def apply(spec: Path, url: str) -> tuple[int, str]:
    return invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")


def test_postgres_interrupt_right_after_commit_says_committed(tmp_path: Path, pg_url: str, pg_conn,
                                                              interrupt_after_the_recorded_commit) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(PG_MORE)
    code, out = apply(spec, pg_url)
    assert interrupt_after_the_recorded_commit == ["after COMMIT"]
    assert code == 130, out
    assert "Interrupted after the changes were committed: all 3 statement(s) were applied, and the apply is " \
           "recorded as applied." in out, out
    assert "rolled back" not in out
    assert pg_history(pg_url) == ["applied"]  # no "interrupted" row contradicting it
    assert invoke("plan", str(spec), "--url", pg_url)[1].strip() == "No changes. The database matches the spec."


def test_postgres_interrupt_before_commit_says_rolled_back(tmp_path: Path, pg_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(PG_SPEC)
    assert apply(spec, pg_url)[0] == 0
    spec.write_text(PG_MORE)

    def interrupted(self: Any, conn: Any, entry: dict[str, Any]) -> None:
        if entry["outcome"] == "applied":
            raise KeyboardInterrupt  # inside the transaction, before its COMMIT
        write_history(self, conn, entry)

    write_history = type(PG).write_history
    monkeypatch.setattr(type(PG), "write_history", interrupted)
    code, out = apply(spec, pg_url)
    assert code == 130, out
    assert "Interrupted. Nothing was applied: the transaction was rolled back." in out, out
    assert pg_history(pg_url) == ["applied", "interrupted"]
    assert invoke("plan", str(spec), "--url", pg_url)[1].strip().endswith("Plan: 2 to add, 0 to change, 0 to destroy.")


def test_an_interrupt_while_the_result_is_checked_says_everything_was_applied(
        tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(PG_MORE)

    def interrupted(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(reconciler.cli, "_verify_converged", interrupted)
    code, out = apply(spec, pg_url)
    assert code == 130, out
    assert "Interrupted after the apply finished (3 of 3 steps applied), while checking the result." in out, out
    assert "rolled back" not in out
    assert pg_history(pg_url) == ["applied"]


def test_an_interrupt_before_applying_says_nothing_changed(tmp_path: Path, pg_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(PG_MORE)

    def interrupted(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(reconciler.apply, "check_guards", interrupted)
    code, out = apply(spec, pg_url)
    assert code == 130, out
    assert "Interrupted before applying anything: nothing was changed." in out, out
    assert pg_history(pg_url) == []


def test_sqlite_interrupt_right_after_commit_says_committed(tmp_path: Path, sqlite_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(SQLITE_SPEC)
    assert apply(spec, sqlite_url)[0] == 0
    spec.write_text(SQLITE_MORE)
    real_commit = sqlite_execute._commit

    def commit_then_interrupt(conn: Any) -> None:
        real_commit(conn)
        raise KeyboardInterrupt

    monkeypatch.setattr(sqlite_execute, "_commit", commit_then_interrupt)
    code, out = apply(spec, sqlite_url)
    assert code == 130, out
    assert "Interrupted after the changes were committed: all 2 statement(s) were applied, and the apply is " \
           "recorded as applied." in out, out
    assert "rolled back" not in out
    assert sqlite_history(sqlite_url) == ["applied", "applied"]


def test_sqlite_interrupt_before_commit_says_rolled_back(tmp_path: Path, sqlite_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(SQLITE_SPEC)
    assert apply(spec, sqlite_url)[0] == 0
    spec.write_text(SQLITE_MORE)

    def interrupted(conn: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sqlite_execute, "_commit", interrupted)
    code, out = apply(spec, sqlite_url)
    assert code == 130, out
    assert "Interrupted. Nothing was applied: the transaction was rolled back." in out, out
    assert sqlite_history(sqlite_url) == ["applied", "interrupted"]
