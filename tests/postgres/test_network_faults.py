"""A connection that goes silent: the apply ends with one clear error, and the server lets go of the session.

`FreezableProxy` sits between schemactl and the throwaway server and, once it sees a chosen statement,
stops forwarding in both directions while keeping every socket open: no FIN, no RST, keepalives
answered by the kernel. schemactl runs as a subprocess, as a deploy job would.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from reconciler.backends import ConnectOptions
from reconciler.backends.postgres import BACKEND
from tests.support.pgserver import PASSWORD
from tests.support.tcpproxy import FreezableProxy

ROOT = Path(__file__).resolve().parents[2]
# Short bounds so that the tests are fast; the defaults are 10s and 30s.
FAST = ["--connect-timeout", "2s", "--network-timeout", "2s"]


def tables_spec(n: int) -> str:
    lines = ["version: 1", "dialect: postgres", "tables:"]
    for i in range(n):
        lines += [f"  t_{i:03d}:", "    columns:", "      id: {type: integer, primary_key: true}",
                  "      name: {type: text, nullable: true}"]
    return "\n".join(lines) + "\n"


def run_cli(*args: str, timeout: float = 90) -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"schemactl {args[0]} still running after {timeout}s (it hangs on a silent peer)\n{err}")
    return proc.returncode, out, err, time.monotonic() - started


def schemactl_sessions(conn: psycopg.Connection, dbname: str) -> list[tuple]:
    return conn.execute(
        "SELECT a.pid, a.state, count(l.*) FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid "
        "WHERE a.datname = %s AND a.application_name LIKE 'schemactl%%' GROUP BY a.pid, a.state",
        (dbname,)).fetchall()


def wait_until_gone(conn: psycopg.Connection, dbname: str, within: float) -> list[tuple]:
    deadline = time.monotonic() + within
    while (left := schemactl_sessions(conn, dbname)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def public_tables(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")]


def assert_one_error_line(err: str, proxy: FreezableProxy) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    [line] = lines
    assert line.startswith("Error: ") and PASSWORD not in line, line
    assert f"postgresql://postgres:***@127.0.0.1:{proxy.port}/" in line, line
    return line


def test_sessions_carry_the_client_and_server_timeouts(pg_url: str) -> None:
    conn = BACKEND.connect(pg_url, options=ConnectOptions(connect_timeout=7, network_timeout=12))
    try:
        client = conn.pgconn.info
        given = {o.keyword.decode(): (o.val or b"").decode() for o in client}
        assert given["connect_timeout"] == "7"
        assert (given["keepalives"], given["keepalives_idle"], given["keepalives_interval"],
                given["keepalives_count"], given["tcp_user_timeout"]) == ("1", "6", "2", "3", "12000")
        server = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('idle_in_transaction_session_timeout', "
            "'tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count', 'tcp_user_timeout', "
            "'client_connection_check_interval', 'standard_conforming_strings')").fetchall())
        assert server["idle_in_transaction_session_timeout"] == "12000"
        assert server["tcp_user_timeout"] == "12000" and server["tcp_keepalives_count"] == "3"
        assert server["client_connection_check_interval"] == "2000"
        assert server["standard_conforming_strings"] == "on"
    finally:
        BACKEND.close(conn)


def test_a_libpq_parameter_in_the_url_wins_over_the_default(pg_url: str) -> None:
    conn = BACKEND.connect(pg_url + "?keepalives_idle=41")
    try:
        given = {o.keyword.decode(): (o.val or b"").decode() for o in conn.pgconn.info}
        assert given["keepalives_idle"] == "41" and given["keepalives_count"] == "3"
    finally:
        BACKEND.close(conn)


def test_a_peer_gone_silent_during_execution_ends_the_apply_and_the_server_releases_the_locks(
        tmp_path: Path, pg_url: str, pg_server, pg_conn: psycopg.Connection) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(tables_spec(40))
    dbname = urlsplit(pg_url).path.lstrip("/")
    with FreezableProxy(pg_server.port, freeze_on=b'"t_020"') as proxy:
        code, out, err, took = run_cli("apply", str(spec), "--url", proxy.url(pg_url), "--auto-approve",
                                       "--quiet", *FAST)
        assert proxy.frozen.is_set()
        assert code == 1, err
        line = assert_one_error_line(err, proxy)
        assert '"t_020"' in line and "no answer from the server" in line, line
        assert took < 30, took
        # The proxy still holds the server's socket open: the server ends the session itself (it was idle
        # in the transaction), and with it the exclusive locks of the twenty tables it had created.
        assert wait_until_gone(pg_conn, dbname, within=15) == []
    assert public_tables(pg_conn) == []
    assert "the transaction was rolled back" in out and "could not be recorded" in out, out


def test_a_connection_gone_silent_while_the_server_answers_others_is_ended_and_the_failure_recorded(
        tmp_path: Path, pg_url: str, pg_server, pg_conn: psycopg.Connection) -> None:
    # Only the apply's connection goes silent (a dropped NAT entry): the check gets through, finds the session
    # idle in its transaction, ends it (its locks go at once), and the failure is recorded on a new connection.
    spec = tmp_path / "schema.yaml"
    spec.write_text(tables_spec(40))
    dbname = urlsplit(pg_url).path.lstrip("/")
    with FreezableProxy(pg_server.port, freeze_on=b'"t_020"', freeze_new=False) as proxy:
        code, out, err, took = run_cli("apply", str(spec), "--url", proxy.url(pg_url), "--auto-approve",
                                       "--quiet", "--connect-timeout", "2s", "--network-timeout", "6s")
        assert proxy.frozen.is_set() and code == 1, err
        line = assert_one_error_line(err, proxy)
        assert "the server has been idle meanwhile, so the request or its answer was lost; the session was ended" \
            in line, line
        assert took < 30, took
        assert schemactl_sessions(pg_conn, dbname) == []  # ended by schemactl, not by a server timeout
    assert "the failed apply was recorded after reconnecting" in out, out
    [row] = BACKEND.read_history(pg_conn, 1)
    assert row["outcome"] == "failed" and '"t_020"' in row["failed_statement"] and len(row["rolled_back"]) == 20
    assert public_tables(pg_conn) == []


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_peer_gone_silent_while_reading_the_catalog_ends_the_command(
        tmp_path: Path, pg_url: str, pg_server, pg_conn: psycopg.Connection, command: str) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(tables_spec(3))
    dbname = urlsplit(pg_url).path.lstrip("/")
    extra = ["--auto-approve"] if command == "apply" else []
    with FreezableProxy(pg_server.port, freeze_on=b"pg_catalog.pg_namespace") as proxy:
        code, _, err, took = run_cli(command, str(spec), "--url", proxy.url(pg_url), *extra, *FAST)
        assert proxy.frozen.is_set()
        assert code == 1, err
        line = assert_one_error_line(err, proxy)
        assert "while reading the catalog" in line and "no answer from the server" in line, line
        assert took < 30, took
        assert wait_until_gone(pg_conn, dbname, within=15) == []
    assert public_tables(pg_conn) == []


def test_timeouts_come_from_flags_then_the_project_file_then_the_defaults(tmp_path: Path) -> None:
    from reconciler.cli import _connect_options
    from reconciler.project import load_environment

    project = tmp_path / "schemactl.yaml"
    project.write_text("version: 1\nenvironments:\n  prod:\n    spec: s.yaml\n    url_env: PROD_URL\n"
                       "    connect_timeout: 3\n    network_timeout: 1min\n  dev:\n    spec: s.yaml\n"
                       "    url_env: DEV_URL\n")
    prod, dev = load_environment("prod", str(project)), load_environment("dev", str(project))
    assert _connect_options(None, None, prod) == ConnectOptions(connect_timeout=3, network_timeout=60)
    assert _connect_options(None, 0.5, prod) == ConnectOptions(connect_timeout=3, network_timeout=0.5)
    assert _connect_options(None, None, dev) == ConnectOptions(connect_timeout=10, network_timeout=30)


@pytest.mark.parametrize(("value", "ok"), [("45", True), ("500ms", True), ("2min", True), ("0", True),
                                           ("soon", False), ("-1", False), ("5 minutes", False)])
def test_timeout_flags_take_durations(tmp_path: Path, value: str, ok: bool) -> None:
    from tests.cli.helpers import invoke

    spec = tmp_path / "schema.yaml"
    spec.write_text(tables_spec(1))
    # Port 1 refuses at once: a valid flag gets as far as connecting.
    code, out = invoke("plan", str(spec), "--url", "postgresql://u@127.0.0.1:1/db", "--network-timeout", value)
    assert code == 1
    assert ("cannot connect to" in out) == ok and ("is not a duration" in out) != ok, out
