"""The apply lock held for a whole apply: a lock file beside the database.

BEGIN IMMEDIATE (in `execute`) only starts after the plan was made; without a lock taken before
inspection, a second apply could plan against the schema the first one is about to change. An
advisory `flock` on `<database>.schemactl-lock` serialises schemactl applies from inspection to
commit; other writers are still held off by BEGIN IMMEDIATE itself.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.errors import PlanError

_POLL_SECONDS = 0.05


def _database_file(conn: sqlite3.Connection) -> str | None:
    for _, name, path in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return path or None  # "" for in-memory and temporary databases
    return None


@contextmanager
def hold_apply_lock(conn: sqlite3.Connection, lock_timeout: float) -> Iterator[None]:
    database = _database_file(conn)
    if database is None:
        yield
        return
    lock_path = f"{database}.schemactl-lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(lock_timeout, 0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PlanError(f"another schemactl apply holds the lock on {database} "
                                    f"(waited {lock_timeout:g}s; see --lock-timeout)") from None
                time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
