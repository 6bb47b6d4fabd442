"""Throwaway MariaDB (or MySQL) server for tests: a datadir in a temporary directory, its own socket, a free
loopback port, no grant tables (any user, no password). Never a server that was already running.

Usage::

    with MariadbServer() as server:
        url = server.create_database("t1")      # mysql://root@127.0.0.1:PORT/t1
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

from reconciler.backends.mysql.types import quote_ident

HOST = "127.0.0.1"
_SERVERS = ("mariadbd", "mysqld")
_INSTALLERS = ("mariadb-install-db", "mysql_install_db")
_SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"])


def find_binaries() -> tuple[str, str]:
    """(server, install-db) from PATH or the usual sbin directories; RuntimeError saying how to get them."""
    server = next((p for p in (shutil.which(n, path=_SEARCH) for n in _SERVERS) if p), None)
    installer = next((p for p in (shutil.which(n, path=_SEARCH) for n in _INSTALLERS) if p), None)
    if server is None or installer is None:
        raise RuntimeError(
            "MariaDB server binaries (mariadbd/mysqld and mariadb-install-db/mysql_install_db) not found on PATH "
            "or in /usr/sbin. Install them, e.g. `apt-get install -y mariadb-server` (or run `make deps`).")
    return server, installer


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class MariadbServer:
    def __init__(self) -> None:
        self.tmpdir: str | None = None
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MariadbServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> MariadbServer:
        server, installer = find_binaries()
        self.tmpdir = tempfile.mkdtemp(prefix="schemactl-mariadb-")
        try:
            self._start(server, installer)
        except BaseException:
            self.stop()
            raise
        return self

    def _user_args(self) -> list[str]:
        # mariadbd refuses to run as root unless told to; as root, it runs as root in its own directory.
        return ["--user=root"] if os.geteuid() == 0 else []

    def _start(self, server: str, installer: str) -> None:
        assert self.tmpdir is not None
        datadir = os.path.join(self.tmpdir, "data")
        done = subprocess.run(
            [installer, "--no-defaults", f"--datadir={datadir}", "--auth-root-authentication-method=normal",
             "--skip-test-db", *self._user_args()],
            capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL, cwd=self.tmpdir)
        if done.returncode != 0:
            raise RuntimeError(f"{installer} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        log = os.path.join(self.tmpdir, "server.log")
        for _attempt in range(3):  # the free port may be taken in between
            self.port = _free_port()
            self.process = subprocess.Popen(
                [server, "--no-defaults", f"--datadir={datadir}", f"--socket={os.path.join(self.tmpdir, 'sock')}",
                 f"--port={self.port}", f"--bind-address={HOST}", "--skip-grant-tables", "--skip-log-bin",
                 "--skip-name-resolve", f"--pid-file={os.path.join(self.tmpdir, 'server.pid')}",
                 "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=0",
                 "--performance-schema=OFF", f"--log-error={log}", *self._user_args()],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready(log):
                return
            self._kill()
        with open(log, errors="replace") as fh:
            raise RuntimeError(f"could not start {server}; server log:\n{fh.read()[-4000:]}")

    def _wait_ready(self, log: str, timeout: float = 60) -> bool:
        import pymysql

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            try:
                pymysql.connect(host=HOST, port=self.port, user="root", connect_timeout=2).close()
                return True
            except pymysql.MySQLError:
                time.sleep(0.2)
        return False

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        try:
            self._kill()
        finally:
            if self.tmpdir:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
                self.tmpdir = None

    def url(self, database: str) -> str:
        return f"mysql://root@{HOST}:{self.port}/{database}"

    def admin(self, sql: str, database: str | None = None) -> list[tuple]:
        """Run one statement as root (autocommit) and return its rows."""
        import pymysql

        conn = pymysql.connect(host=HOST, port=self.port, user="root", database=database, autocommit=True)
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())
        finally:
            conn.close()

    def create_database(self, name: str) -> str:
        self.admin(f"CREATE DATABASE {quote_ident(name)} CHARACTER SET utf8mb4")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {quote_ident(name)}")
