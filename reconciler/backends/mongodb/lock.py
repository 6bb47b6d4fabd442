"""One apply at a time per target: a lock document with an expiry.

The document `{_id: "apply"}` in `schemactl_lock` (history database) names
its owner and when the lease ends. An apply that dies keeps the lock only
until the lease runs out; a live apply renews the lease while it runs.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from reconciler.errors import ApplyError

LOCK_ID = "apply"
DEFAULT_LEASE = timedelta(minutes=5)


def _now() -> datetime:
    # Naive UTC: what pymongo returns by default, and what mongomock compares without surprises.
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
