"""Applying on MySQL: no transaction, so a failure stops the apply and says (and records) what stayed applied;
the apply lock; the CLI end to end in a process of its own."""

from __future__ import annotations

import subprocess
import sys

from reconciler.backends.mysql import BACKEND
from tests.cli.helpers import apply_ok, invoke, replan

from .conftest import run_sql
from .helpers import EMPTY_PLAN, write_spec

V1 = """
tables:
  t:
    columns:
      id: {type: int, primary_key: true}
      a: {type: int, nullable: true}
"""
V2 = V1 + """
    unique: [[a]]
  z:
    columns:
      id: {type: int, primary_key: true}
"""


def test_a_failed_statement_stops_the_apply_and_what_ran_stays_applied(tmp_path, mysql_url, mysql_conn) -> None:
    apply_ok(write_spec(tmp_path, V1, "v1.yaml"), mysql_url)
    run_sql(mysql_conn, "INSERT INTO t VALUES (1, 7), (2, 7)")
    v2 = write_spec(tmp_path, V2, "v2.yaml")
    code, out = invoke("apply", str(v2), "--url", mysql_url, "--auto-approve", "--quiet",
                       "--allow-hazards", "may_fail_on_data")
    assert code == 1, out
    assert "apply failed" in out and "(1 of 2 steps applied)" in out, out
    assert "at ALTER TABLE `t` ADD CONSTRAINT `t_a_key` UNIQUE (`a`)" in out and "Duplicate entry" in out, out
    assert run_sql(mysql_conn, "SHOW TABLES LIKE 'z'") == [("z",)]  # DDL commits itself: z stays
    conn = BACKEND.connect(mysql_url, read_only=True)
    try:
        [last] = BACKEND.read_history(conn, 1)
    finally:
        BACKEND.close(conn)
    assert last["outcome"] == "failed"
    assert last["statements"] == ["CREATE TABLE `z` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;"]
    assert last["failed_statement"] == "ALTER TABLE `t` ADD CONSTRAINT `t_a_key` UNIQUE (`a`);"
    assert "stay applied" in last["error"]
    code, out = invoke("plan", str(v2), "--url", mysql_url)
    assert code == 0 and "+ unique t.t_a_key" in out and "table z" not in out, out
    run_sql(mysql_conn, "DELETE FROM t WHERE id = 2")
    apply_ok(v2, mysql_url, "--allow-hazards", "may_fail_on_data")
    assert replan(v2, mysql_url) == EMPTY_PLAN


def test_a_second_apply_waits_for_the_lock_and_gives_up(tmp_path, mysql_url, mysql_conn, mysql_database) -> None:
    spec = write_spec(tmp_path, V1)
    assert run_sql(mysql_conn, f"SELECT GET_LOCK('schemactl-apply:{mysql_database}', 0)") == [(1,)]
    code, out = invoke("apply", str(spec), "--url", mysql_url, "--auto-approve", "--quiet", "--lock-timeout", "1s")
    assert code == 1 and "another schemactl apply holds the lock" in out, out
    assert run_sql(mysql_conn, "SHOW TABLES") == []
    run_sql(mysql_conn, f"SELECT RELEASE_LOCK('schemactl-apply:{mysql_database}')")
    apply_ok(spec, mysql_url, "--lock-timeout", "1s")
    assert replan(spec, mysql_url) == EMPTY_PLAN


def test_plan_and_apply_through_the_command_line(tmp_path, mysql_server, mysql_database) -> None:
    spec = write_spec(tmp_path, V1)
    url = f"mariadb://root:pw@127.0.0.1:{mysql_server.port}/{mysql_database}"  # any password: no grant tables

    def schemactl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)

    planned = schemactl("plan", str(spec), "--url", url, "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    assert "+ table t" in planned.stdout and "CREATE TABLE `t`" in planned.stdout and "pw@" not in planned.stdout
    applied = schemactl("apply", str(spec), "--url", url, "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    planned = schemactl("plan", str(spec), "--url", url, "--detailed-exitcode")
    assert planned.returncode == 0 and EMPTY_PLAN in planned.stdout, planned.stdout + planned.stderr
