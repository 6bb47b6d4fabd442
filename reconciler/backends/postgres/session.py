"""PostgreSQL sessions that do not hang on a dead or silent peer (README, "Timeouts").

Three layers, because each alone misses a case:

- libpq, in the client: `connect_timeout`, TCP keepalives and `tcp_user_timeout`, so that the kernel notices
  a peer that vanished, whether the connection is idle or has data in flight;
- the server, for schemactl's own sessions: the same keepalives and `tcp_user_timeout`,
  `client_connection_check_interval` and `idle_in_transaction_session_timeout`, so that a session whose
  client is gone ends, and its locks with it;
- a liveness check, in the client: a peer that keeps the TCP connection open but forwards nothing (a hung
  proxy or pooler, a frozen VM) acknowledges every keepalive. Once schemactl has waited half the network
  timeout for an answer, it asks the server on a second connection what its session is doing. No new
  connection within the connect timeout, a session that no longer exists, or one that has been idle all
  along (the request or its answer was lost), means the connection is lost: it is closed, an idle session
  is ended (its locks released), and the waiting call raises `ConnectionLost`.

`reopen` connects again with the same settings, to record an apply whose connection was lost.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import psycopg
from psycopg import errors as pg_errors

from reconciler.backends import ConnectOptions
from reconciler.errors import TargetError
from reconciler.redact import password_of, redact_text, redact_url

APPLICATION_NAME = "schemactl"

# The liveness check needs a wait that returns control after a while without losing its place: psycopg's
# Connection.wait(timeout=...) raising _WaitTimeout, after which the same generator can be waited on again
# (psycopg itself does so after a Ctrl-C). Older psycopg versions lack it and get the first two layers only.
_WAIT_TIMEOUT: type[Exception] | None = getattr(pg_errors, "_WaitTimeout", None)
_CAN_CHECK = _WAIT_TIMEOUT is not None and "timeout" in inspect.signature(psycopg.Connection.wait).parameters

# Our session is (pid, backend_start): a pid alone may belong to another session after a restart.
_OWN_SESSION = "SELECT backend_start FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid())"
# What the server is doing on our session. `stale`: it has been in that state longer than we have been waiting.
_SESSION_STATE = ("SELECT state, now() - state_change > make_interval(secs => %s) "
                  "FROM pg_catalog.pg_stat_activity WHERE pid = %s AND backend_start = %s")
_TERMINATE = ("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
              "WHERE pid = %s AND backend_start = %s")
_GONE = "SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = %s AND backend_start = %s"
# A connection refused with one of these comes from a server that is restarting: the session is gone.
_SERVER_GOING_AWAY = ("shutting down", "starting up", "not yet accepting connections", "in recovery mode")


class ConnectionLost(psycopg.OperationalError):
    """The connection was closed by schemactl: its peer stopped answering (see the module docstring)."""


def one_line(exc: BaseException, secrets: tuple[str, ...] = (), *, first_line: bool = False) -> str:
    """A psycopg error as one line: the server's primary message, or libpq's text without its line breaks
    (`first_line`: only its first line, where libpq puts what happened before its explanations)."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = primary or (lines[0] if first_line and lines else " ".join(" ".join(lines).split()))
    return redact_text(text or type(exc).__name__, secrets)


def secrets_of(url: str) -> tuple[str, ...]:
    password = password_of(url)
    return (password, unquote(password)) if password else ()


def _seconds(value: float) -> int:
    return max(1, round(value))


def client_parameters(options: ConnectOptions) -> dict[str, Any]:
    """libpq connection parameters: the connect timeout, TCP keepalives, TCP user timeout."""
    params: dict[str, Any] = {}
    if options.connect_timeout > 0:
        params["connect_timeout"] = max(2, math.ceil(options.connect_timeout))  # libpq's minimum is 2
    if options.network_timeout > 0:
        n = options.network_timeout
        params.update(keepalives=1, keepalives_idle=_seconds(n / 2), keepalives_interval=_seconds(n / 6),
                      keepalives_count=3, tcp_user_timeout=max(1000, round(n * 1000)))
    return params


def server_settings(options: ConnectOptions, server_version: int) -> list[tuple[str, str]]:
    """The same bounds on the server's side of schemactl's sessions (settings its version knows)."""
    n = options.network_timeout
    if n <= 0:
        return []
    wanted = [
        (90600, "idle_in_transaction_session_timeout", f"{max(1000, round(n * 1000))}ms"),
        (0, "tcp_keepalives_idle", f"{_seconds(n / 2)}s"),
        (0, "tcp_keepalives_interval", f"{_seconds(n / 6)}s"),
        (0, "tcp_keepalives_count", "3"),
        (120000, "tcp_user_timeout", f"{max(1000, round(n * 1000))}ms"),
        (140000, "client_connection_check_interval", f"{max(1000, round(n * 1000 / 6))}ms"),
    ]
    return [(name, value) for since, name, value in wanted if server_version >= since]


class Session(psycopg.Connection[Any]):
    """A connection whose waits for the server are watched by a `Guard` (see the module docstring)."""

    guard: Guard | None = None
    #: A hard limit on every wait, in seconds: the liveness check's own connection must not hang either.
    bound: float | None = None

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        guard = self.guard if self.guard is not None and self.guard.options.network_timeout > 0 else None
        if not _CAN_CHECK or kwargs.get("timeout") is not None or (guard is None and self.bound is None):
            return super().wait(gen, *args, **kwargs)
        assert _WAIT_TIMEOUT is not None
        if guard is None:
            try:
                return super().wait(gen, *args, **kwargs, timeout=self.bound)
            except _WAIT_TIMEOUT:
                self.pgconn.finish()
                raise ConnectionLost(f"no answer within {self.bound:g}s") from None
        started = time.monotonic()
        while True:
            try:
                return super().wait(gen, *args, **kwargs, timeout=guard.silence)
            except _WAIT_TIMEOUT:
                try:
                    guard.check(self, started)
                except KeyboardInterrupt:
                    # Ctrl-C during the check, with the query still running: close rather than leave the
                    # connection busy (psycopg cancels only interrupts that arrive while it waits itself).
                    self.pgconn.finish()
                    raise


@dataclass
class Guard:
    """Remembers how a session was opened, and decides whether one that has not answered is lost."""

    conninfo: str
    read_only: bool
    options: ConnectOptions
    display: str
    #: The session's (pid, backend_start) on the server; None behind a pooler (pg_backend_pid() disagrees).
    session: tuple[int, Any] | None
    probe: Session | None = None

    @property
    def silence(self) -> float:
        return max(self.options.network_timeout / 2, 0.5)

    def check(self, conn: Session, started: float) -> None:
        """Raise ConnectionLost (after closing `conn`) when the session is lost; return while it works."""
        reason = self._lost(time.monotonic() - started)
        if reason is None:
            return
        self.close_probe()
        conn.pgconn.finish()
        raise ConnectionLost(f"no answer from the server for {time.monotonic() - started:.0f}s: {reason}")

    def _lost(self, waited: float) -> str | None:
        try:
            probe = self._probe()
            if self.session is None:
                return None  # reachable; which session is ours cannot be told behind a pooler
            row = probe.execute(_SESSION_STATE, (waited, *self.session)).fetchone()
            if row is None:
                return "the server ended the session"
            state, stale = row
            if state is None or state == "active" or not stale:
                return None  # working on it (or not ours to see)
        except psycopg.OperationalError as exc:
            self.close_probe()
            message = one_line(exc, secrets_of(self.conninfo))
            if "FATAL" in message and not any(s in message for s in _SERVER_GOING_AWAY):
                return None  # the server answered, refusing a connection (too many clients): it is alive
            return f"a new connection got none either ({message})"
        except psycopg.Error:
            return None  # the server answered: it is alive, and the check cannot tell more
        # Idle all the while: the request or its answer was lost on the way. End the session, release its locks.
        try:
            ended = probe.execute(_TERMINATE, self.session).fetchone() == (True,)
        except psycopg.Error:
            ended = False
        return ("the server has been idle meanwhile, so the request or its answer was lost"
                + ("; the session was ended" if ended else ""))

    def _probe(self) -> Session:
        if self.probe is None or self.probe.closed:
            probe = _connect(self.conninfo, self.options, f"{APPLICATION_NAME} (check)")
            probe.bound = self.silence + self.options.connect_timeout
            self.probe = probe
        return self.probe

    def close_probe(self) -> None:
        probe, self.probe = self.probe, None
        if probe is not None and not probe.closed:
            try:
                probe.close()
            except psycopg.Error:
                pass


def _connect(url: str, options: ConnectOptions, application_name: str) -> Session:
    given = psycopg.conninfo.conninfo_to_dict(url)
    # A libpq parameter written in the URL (`?keepalives_idle=5`) wins over schemactl's default.
    parameters = {k: v for k, v in client_parameters(options).items() if k not in given}
    return Session.connect(url, autocommit=True, application_name=application_name, **parameters)


def open_session(url: str, *, read_only: bool, options: ConnectOptions) -> Session:
    """Connect with the client and server bounds above; `TargetError` (redacted) when it fails."""
    secrets = secrets_of(url)
    try:
        conn = _connect(url, options, APPLICATION_NAME)
    except (psycopg.Error, ValueError) as exc:
        # `from None`: the original exception (and its traceback) may quote the URL.
        raise TargetError(f"cannot connect to {redact_url(url)}: {one_line(exc, secrets)}") from None
    try:
        # Every session reads and writes strings the same way whatever the database's default says; a
        # read-only session (plan, status, inspect) cannot change anything, whatever it is sent.
        settings = [("standard_conforming_strings", "on")]
        if read_only:
            settings.append(("default_transaction_read_only", "on"))
        settings += server_settings(options, conn.info.server_version)
        calls = "".join([", pg_catalog.set_config(%s, %s, false)"] * len(settings))
        row = conn.execute(f"SELECT pg_catalog.pg_backend_pid(), ({_OWN_SESSION}){calls}",
                           [value for setting in settings for value in setting]).fetchone()
    except psycopg.Error as exc:
        conn.close()
        raise TargetError(f"cannot set up the session on {redact_url(url)}: {one_line(exc, secrets)}") from None
    session = (row[0], row[1]) if row and row[0] == conn.info.backend_pid and row[1] is not None else None
    conn.guard = Guard(url, read_only, options, redact_url(url), session)
    return conn


def reopen(conn: psycopg.Connection[Any], *, within: float | None = None) -> Session | None:
    """A new session like `conn` once the server answers again (after a restart), or None after `within`
    seconds (default: the connect timeout).

    The old session, if the server still has it (the network went silent), is ended first, so that its
    transaction is over (rolled back, or committed already) and its locks are released.
    """
    guard = getattr(conn, "guard", None)
    if guard is None:
        return None
    within = guard.options.connect_timeout if within is None else within
    deadline = time.monotonic() + max(within, 1.0)
    pause = 0.2
    while True:
        try:
            new = open_session(guard.conninfo, read_only=guard.read_only, options=guard.options)
        except TargetError:
            if time.monotonic() + pause > deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
            continue
        try:
            if guard.session is not None:
                _end_session(new, guard.session)
        except psycopg.Error:
            new.close()
            return None
        return new


def _end_session(conn: Session, session: tuple[int, Any]) -> None:
    if conn.execute(_TERMINATE, session).fetchone() == (True,):
        for _ in range(50):  # its transaction is rolled back as the process exits
            if conn.execute(_GONE, session).fetchone() is None:
                return
            time.sleep(0.1)


def close(conn: psycopg.Connection[Any]) -> None:
    guard = getattr(conn, "guard", None)
    if guard is not None:
        guard.close_probe()
    if not conn.closed:
        conn.close()


def display(conn: psycopg.Connection[Any]) -> str:
    """The target as the user named it (password redacted), or as libpq knows it."""
    guard = getattr(conn, "guard", None)
    if guard is not None:
        return guard.display
    info = conn.info
    host = info.host if not info.host.startswith("/") else "localhost"
    return f"postgresql://{host}:{info.port}/{info.dbname}"


def is_lost(conn: psycopg.Connection[Any], exc: BaseException) -> bool:
    """The error ended the connection (terminated, server restarted, network gone)."""
    return isinstance(exc, psycopg.OperationalError) and conn.closed


@contextmanager
def lost_is_target_error(conn: psycopg.Connection[Any], doing: str) -> Iterator[None]:
    """A lost connection while `doing` becomes one line naming the target: TargetError."""
    try:
        yield
    except psycopg.OperationalError as exc:
        if not is_lost(conn, exc):
            raise
        raise TargetError(f"lost the connection to {display(conn)} while {doing}: {one_line(exc)}") from None
