"""One apply at a time per target: a lock document with an expiry.

The document `{_id: "apply"}` in `schemactl_lock` (history database) names
its owner and when the lease ends. An apply that dies keeps the lock only
until the lease runs out; a live apply renews the lease while it runs.

`hold_apply_lock` holds it for a whole apply: inspection, planning, saved-plan
checks, confirmation and the steps. The lock document lives in the history
database, which the spec may name and which is only known once `inspect` has
the desired model; so the hold takes the lock there, first thing, before
anything is read (`held_lock`), and `execute` uses the held lock instead of
taking it a second time.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from reconciler.errors import ApplyError

LOCK_ID = "apply"
DEFAULT_LEASE = timedelta(minutes=5)


def _now() -> datetime:
    # Naive UTC: what pymongo returns by default, so it compares with the dates read back.
    now = datetime.now(UTC).replace(tzinfo=None)
    # BSON dates keep milliseconds.
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class ApplyLock:
    def __init__(self, collection: Any, *, lease: timedelta = DEFAULT_LEASE, target: str = "") -> None:
        self.collection, self.lease, self.target = collection, lease, target
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False

    def acquire(self, timeout: float, poll: float = 0.25) -> None:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            now = _now()
            document = {"_id": LOCK_ID, "owner": self.owner, "acquired_at": now, "expires_at": now + self.lease}
            try:
                self.collection.insert_one(document)
                self.held = True
                return
            except DuplicateKeyError:
                pass
            # The holder's lease ran out (it crashed or was killed): take the lock over.
            taken = self.collection.find_one_and_update(
                {"_id": LOCK_ID, "expires_at": {"$lt": now}},
                {"$set": {"owner": self.owner, "acquired_at": now, "expires_at": now + self.lease}},
                return_document=ReturnDocument.AFTER)
            if taken is not None:
                self.held = True
                return
            if time.monotonic() >= deadline:
                holder = self.collection.find_one({"_id": LOCK_ID}) or {}
                raise ApplyError(
                    f"another apply is running on {self.target or 'this target'} "
                    f"(lock held by {holder.get('owner', '?')} since {holder.get('acquired_at', '?')}, "
                    f"lease until {holder.get('expires_at', '?')} UTC); waited {timeout:g}s. "
                    "Retry later or raise --lock-timeout.")
            time.sleep(poll)

    def renew(self) -> None:
        if self.held:
            self.collection.update_one({"_id": LOCK_ID, "owner": self.owner},
                                       {"$set": {"expires_at": _now() + self.lease}})

    def release(self) -> None:
        if self.held:
            self.collection.delete_one({"_id": LOCK_ID, "owner": self.owner})
            self.held = False


class _Hold:
    """The lock an apply holds from its first read to its end, with the lease renewed meanwhile."""

    def __init__(self, conn: Any, timeout: float) -> None:
        self.conn, self.timeout = conn, timeout
        self.lock: ApplyLock | None = None
        self.done = threading.Event()
        self.renewer: threading.Thread | None = None

    def ensure(self) -> ApplyLock:
        if self.lock is None:
            lock = ApplyLock(self.conn.ops.collection(self.conn.history_database, self.conn.lock_collection),
                             lease=DEFAULT_LEASE, target=self.conn.url)
            lock.acquire(self.timeout)
            self.lock = lock
            # A person reading the plan before typing "yes" can take longer than the lease.
            self.renewer = threading.Thread(target=self._renew, name="schemactl-lock-lease", daemon=True)
            self.renewer.start()
        return self.lock

    def _renew(self) -> None:
        assert self.lock is not None
        while not self.done.wait(self.lock.lease.total_seconds() / 3):
            self.lock.renew()

    def close(self) -> None:
        self.done.set()
        if self.renewer is not None:
            self.renewer.join(timeout=1)
        if self.lock is not None:
            self.lock.release()


_HOLD = "apply_hold"


@contextmanager
def hold_apply_lock(conn: Any, lock_timeout: float) -> Iterator[None]:
    """Hold the apply lock until the end of the block; it is taken when the target is first read."""
    hold = _Hold(conn, lock_timeout)
    conn.extra[_HOLD] = hold
    try:
        yield
    finally:
        conn.extra.pop(_HOLD, None)
        hold.close()


def held_lock(conn: Any) -> ApplyLock | None:
    """The lock of the apply `conn` belongs to, taken now if it was not yet; None outside `hold_apply_lock`."""
    hold = conn.extra.get(_HOLD)
    return hold.ensure() if hold is not None else None
