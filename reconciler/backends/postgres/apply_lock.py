"""The apply lock held for a whole apply: before inspection, through execution.

Taking it only inside the applying transaction is not enough: a second apply would
inspect while the first holds ACCESS EXCLUSIVE locks on the tables it alters, and wait
on those with no timeout. Holding the session-level advisory lock from the start makes
the second apply wait on the lock itself, up to --lock-timeout, then fail clearly. The
executor's transaction-level lock on the same key is granted at once to this session.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reconciler.errors import PlanError

from .execute import LOCK_KEY, describe_target
from .session import lost_is_target_error

_POLL_SECONDS = 0.1


@contextmanager
def hold_apply_lock(conn: Any, lock_timeout: float) -> Iterator[None]:
    deadline = time.monotonic() + max(lock_timeout, 0)
    while True:
        with lost_is_target_error(conn, "taking the apply lock"):
            got = conn.execute("SELECT pg_catalog.pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]
            if not conn.autocommit:
                conn.commit()
        if got:
            break
        if time.monotonic() >= deadline:
            raise PlanError(f"another schemactl apply holds the lock on {describe_target(conn)} "
                            f"(waited {lock_timeout:g}s; see --lock-timeout)")
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_catalog.pg_advisory_unlock(%s)", (LOCK_KEY,))
            if not conn.autocommit:
                conn.commit()
