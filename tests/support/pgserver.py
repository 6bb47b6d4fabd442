"""Throwaway PostgreSQL server for tests (no dependencies beyond psycopg for DB admin).

Usage::

    with PgServer() as pg:
        pg.create_database("t1")
        url = pg.url("t1")

    PgServer(settings={"max_locks_per_transaction": "10"})   # extra server settings (-c name=value)
"""

from __future__ import annotations

import glob
import os
import pwd
import queue
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid

SUPERUSER = "postgres"
PASSWORD = "s3cret-pw"
HOST = "127.0.0.1"
_BINARIES = ("initdb", "pg_ctl", "postgres")


def _version_key(path: str) -> tuple[int, ...]:
    m = re.search(r"/postgresql/([\d.]+)/bin", path)
    return tuple(int(p) for p in m.group(1).split(".") if p) if m else (0,)


def find_pg_bindir() -> str:
    """Directory containing initdb, pg_ctl and postgres; PATH first, then the highest /usr/lib/postgresql/*/bin."""
    initdb = shutil.which("initdb")
    if initdb:
        bindir = os.path.dirname(os.path.realpath(initdb))
        if all(os.access(os.path.join(bindir, b), os.X_OK) for b in _BINARIES):
            return bindir
        if all(shutil.which(b) for b in _BINARIES):
            return os.path.dirname(initdb)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if all(os.access(os.path.join(bindir, b), os.X_OK) for b in _BINARIES):
            return bindir
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in "
        "/usr/lib/postgresql/*/bin. Install them, e.g. `apt-get install -y postgresql` "
        "(or run `make deps`)."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/bin/sh", name],
            check=True,
            capture_output=True,
            text=True,
        )
        return pwd.getpwnam(name)


class PgServer:
    def __init__(self, bindir: str | None = None, settings: dict[str, str] | None = None):
        self._bindir = bindir
        #: Extra server settings (`-c name=value`), e.g. a low max_locks_per_transaction for a test.
        self.settings = dict(settings or {})
        self._logfile: str | None = None
        self.port: int | None = None
        self.tmpdir: str | None = None
        self.datadir: str | None = None
        self.sockdir: str | None = None
        self._run_as: str | None = None
        self._started = False

    # -- helpers ---------------------------------------------------------
    def _bin(self, name: str) -> str:
        return os.path.join(self._bindir, name)

    def _run(self, args: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self._run_as:
            cmd = ["runuser", "-u", self._run_as, "--", *cmd]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=self.tmpdir
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"command failed ({proc.returncode}): {' '.join(args)}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    # -- lifecycle -------------------------------------------------------
    def start(self) -> PgServer:
        if self._started:
            return self
        if self._bindir is None:
            self._bindir = find_pg_bindir()
        self.tmpdir = tempfile.mkdtemp(prefix="schemactl-pg-")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.datadir = os.path.join(self.tmpdir, "data")
        self.sockdir = os.path.join(self.tmpdir, "sock")
        os.mkdir(self.sockdir)
        pwfile = os.path.join(self.tmpdir, "pwfile")
        with open(pwfile, "w") as fh:
            fh.write(PASSWORD + "\n")
        os.chmod(self.tmpdir, 0o700)
        os.chmod(pwfile, 0o600)

        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: run it as the postgres system user.
            self._run_as = SUPERUSER
            pw = _ensure_system_user(SUPERUSER)
            for path in (self.tmpdir, self.sockdir, pwfile):
                os.chown(path, pw.pw_uid, pw.pw_gid)
            # Every ancestor of tmpdir must be traversable by that user.
            parent = os.path.dirname(self.tmpdir)
            while parent and parent != "/":
                st = os.stat(parent)
                if not st.st_mode & 0o001:
                    os.chmod(parent, st.st_mode | 0o001)
                parent = os.path.dirname(parent)

        self._run(
            [
                self._bin("initdb"),
                "-D", self.datadir,
                "-U", SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )  # fmt: skip
        os.unlink(pwfile)

        logfile = self._logfile = os.path.join(self.tmpdir, "postgres.log")
        last_err: Exception | None = None
        for _attempt in range(3):  # retry in the unlikely case the free port got taken
            self.port = _free_port()
            opts = self._options()
            try:
                self._run(
                    [
                        self._bin("pg_ctl"),
                        "start",
                        "-w",
                        "-t",
                        "60",
                        "-D",
                        self.datadir,
                        "-l",
                        logfile,
                        "-o",
                        opts,
                    ]
                )
                self._started = True
                break
            except RuntimeError as exc:
                last_err = exc
        else:
            log = ""
            try:
                with open(logfile) as fh:
                    log = fh.read()[-4000:]
            except OSError:
                pass
            raise RuntimeError(f"could not start PostgreSQL: {last_err}\nserver log:\n{log}")
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=5):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _options(self) -> str:
        return (
            f"-F -p {self.port} -c listen_addresses={HOST} -k {self.sockdir} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=50"
            + "".join(f" -c {name}={value}" for name, value in self.settings.items())
        )

    def restart(self) -> None:
        """Stop the server (ending every session, as a restart does) and start it again on the same port,
        with `self.settings` as they are now."""
        self._run([self._bin("pg_ctl"), "restart", "-m", "fast", "-w", "-t", "60", "-D", self.datadir,
                   "-l", self._logfile, "-o", self._options()])
        self._wait_ready()

    def stop(self) -> None:
        try:
            if self._started and self.datadir:
                try:
                    self._run(
                        [self._bin("pg_ctl"), "stop", "-m", "immediate", "-w", "-D", self.datadir], timeout=60
                    )
                except (RuntimeError, subprocess.TimeoutExpired):
                    pass
        finally:
            self._started = False
            if self.tmpdir:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
                self.tmpdir = None

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- convenience -----------------------------------------------------
    def url(self, dbname: str = "postgres", password: bool = True) -> str:
        if self.port is None:
            raise RuntimeError("PgServer is not started")
        auth = f"{SUPERUSER}:{PASSWORD}" if password else SUPERUSER
        return f"postgresql://{auth}@{HOST}:{self.port}/{dbname}"

    def _admin(self, sql) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        from psycopg import sql

        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        from psycopg import sql

        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class DatabasePool:
    """Empty databases made ahead of the tests that take them, and the taken ones dropped afterwards, on a
    background thread: `CREATE DATABASE` costs 0.1-0.2 s on a server the tests keep busy, which a test
    would otherwise wait for in its set-up. Each test still gets a database of its own, created fresh from
    template1 and never used before."""

    def __init__(self, server: PgServer, ahead: int = 3):
        self._server = server
        self._ready: queue.Queue[str] = queue.Queue(maxsize=ahead)
        self._to_drop: queue.Queue[str] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="pg-database-pool", daemon=True)
        self._thread.start()

    def take(self) -> str:
        """The name of a new empty database (made now if the pool has none ready)."""
        try:
            return self._ready.get_nowait()
        except queue.Empty:
            return self._create()

    def give_back(self, name: str) -> None:
        self._to_drop.put(name)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _create(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._server.create_database(name)
        return name

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception:  # a server the tests restart or stop: try again shortly
                time.sleep(0.2)

    def _step(self) -> None:
        """Drop one given-back database, or else make one ahead if fewer than `ahead` are ready."""
        try:
            name = self._to_drop.get_nowait()
        except queue.Empty:
            if self._ready.full():
                time.sleep(0.02)
            else:
                self._ready.put(self._create())
            return
        try:
            self._server.drop_database(name)
        except Exception:
            self._to_drop.put(name)  # dropped on a later turn
            raise
