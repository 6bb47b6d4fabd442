"""`plan` estimates the lock-table entries of the apply transaction and says, before applying, when the
server's max_locks_per_transaction is too low, and to what to raise it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from reconciler.apply import execute_plan
from reconciler.backends import RenderOptions
from reconciler.backends.postgres import BACKEND
from reconciler.spec import load_model
from reconciler.workflow import open_target, plan_for_target
from tests.cli.helpers import invoke
from tests.support.pgserver import PgServer

# Entries the transaction holds in the shared lock table (fast-path locks are not there).
HELD = ("SELECT count(DISTINCT (locktype, database, relation, page, tuple, classid, objid, objsubid)) "
        "FROM pg_locks WHERE pid = pg_backend_pid() AND NOT fastpath "
        "AND locktype NOT IN ('virtualxid', 'transactionid')")


def tables_spec(n: int, first: int = 0) -> str:
    """Tables with an identity key, a unique email and a text column: 9 entries each when created."""
    lines = []
    for i in range(first, first + n):
        lines += [f"  t_{i:03d}:", "    columns:",
                  "      id: {type: integer, identity: always, primary_key: true}",
                  "      email: {type: text, unique: true}", "      note: {type: text, nullable: true}"]
    return "\n".join(lines) + "\n"


HEAD = "version: 1\ndialect: postgres\ntables:\n"

BASE = HEAD + """\
  accounts:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: "varchar(200)"}
      score: {type: integer}
    indexes:
      - {columns: [email]}
  old_stuff:
    columns:
      id: {type: integer, primary_key: true}
      body: {type: text}
"""
# New tables of several shapes, a new column, a rewrite (integer -> bigint), a new index, a foreign key,
# a dropped table.
CHANGED = HEAD + """\
  accounts:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: "varchar(200)"}
      score: {type: bigint}
      nick: {type: text, nullable: true}
    indexes:
      - {columns: [email]}
      - {columns: [score]}
  small:
    columns:
      id: {type: smallint, primary_key: true}
      code: {type: "varchar(20)"}
  notes:
    columns:
      id: {type: bigint, identity: by_default, primary_key: true}
      account_id: {type: integer, references: accounts(id)}
      body: {type: jsonb}
""" + tables_spec(12)


def test_the_estimate_is_at_least_what_the_transaction_holds_and_not_far_above(tmp_path: Path, pg_url: str,
                                                                              monkeypatch) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(BASE)
    assert invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet")[0] == 0
    spec.write_text(CHANGED)
    held: list[int] = []
    write_history = type(BACKEND).write_history

    def counting(self: Any, conn: Any, entry: dict[str, Any]) -> None:
        write_history(self, conn, entry)
        if entry["outcome"] == "applied":
            held.append(conn.execute(HELD).fetchone()[0])

    monkeypatch.setattr(type(BACKEND), "write_history", counting)
    loaded, desired = load_model(str(spec))
    with open_target(pg_url, loaded.dialect, read_only=False) as target:
        run = plan_for_target(target, loaded, desired, RenderOptions())
        from reconciler.backends.postgres.locks import estimate

        changes = [(p.change, any(s.transactional and not s.commit_first for s in p.statements))
                   for p in run.plan.changes]
        estimated = estimate(changes, run.current, run.desired)
        result = execute_plan(target.backend, target.conn, run.plan, lock_timeout=5, progress=None)
    assert result.error is None, result.error
    [actual] = held
    assert actual <= estimated <= 1.5 * actual, (actual, estimated)


@pytest.fixture(scope="module")
def low_locks():
    """A server whose lock table is small: max_locks_per_transaction = 10 (the minimum), 50 connections."""
    server = PgServer(settings={"max_locks_per_transaction": "10"}).start()
    try:
        yield server
    finally:
        server.stop()


def test_a_plan_that_fits_says_nothing(tmp_path: Path, low_locks: PgServer) -> None:
    url = low_locks.create_database("fits")
    spec = tmp_path / "schema.yaml"
    spec.write_text(HEAD + tables_spec(20))
    code, out = invoke("plan", str(spec), "--url", url)
    assert code == 0 and "max_locks_per_transaction" not in out, out


def test_plan_says_when_max_locks_per_transaction_is_too_low_and_what_to_raise_it_to(
        tmp_path: Path, low_locks: PgServer) -> None:
    url = low_locks.create_database("many")
    spec = tmp_path / "schema.yaml"
    spec.write_text(HEAD + tables_spec(250))
    code, out = invoke("plan", str(spec), "--url", url)
    assert code == 0, out
    # In the plan (every format) and on stderr: the same one warning.
    warnings = {line for line in out.splitlines() if line.startswith("Warning: ")}
    assert len(warnings) == 1, out
    [warning] = warnings
    assert "the apply transaction would hold about 2,2" in warning, warning
    assert "max_locks_per_transaction = 10 x 72 server processes" in warning, warning
    raise_to = int(warning.split("Raise max_locks_per_transaction to at least ")[1].split()[0])
    assert 30 < raise_to < 45, warning

    # apply says it too before applying, and then fails as predicted.
    code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")
    assert code == 1 and out.index("Warning: the apply transaction") < out.index("Error: "), out
    assert "out of shared memory" in out and "You might need to increase max_locks_per_transaction" in out, out

    # With the setting raised as told, the warning goes and the apply succeeds.
    low_locks.settings["max_locks_per_transaction"] = str(raise_to)
    low_locks.restart()
    try:
        code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")
        assert code == 0 and "Warning" not in out, out
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (250,)
    finally:
        low_locks.settings["max_locks_per_transaction"] = "10"
        low_locks.restart()


def test_a_saved_plan_keeps_the_warning(tmp_path: Path, low_locks: PgServer) -> None:
    url = low_locks.create_database("saved")
    spec, saved = tmp_path / "schema.yaml", tmp_path / "plan.json"
    spec.write_text(HEAD + tables_spec(250))
    code, planned = invoke("plan", str(spec), "--url", url, "-out", str(saved))
    assert code == 0, planned
    code, out = invoke("apply", str(saved), "--url", url, "--auto-approve", "--quiet")
    assert code == 1, out
    [from_plan] = {line for line in planned.splitlines() if line.startswith("Warning: ")}
    [from_saved] = {line for line in out.splitlines() if line.startswith("Warning: ")}
    assert from_saved == from_plan and "max_locks_per_transaction" in from_saved
    code, out = invoke("show", str(saved), "--format", "json")
    assert code == 0 and "max_locks_per_transaction" in out
