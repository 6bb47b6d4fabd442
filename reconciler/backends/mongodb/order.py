"""Apply order for MongoDB changes: safe to stop after any step.

Per database: renames, then collection creates/replaces, collMods, then new
indexes *before* the old ones they replace are dropped (queries always have
an index), in-place index changes, same-name index rebuilds, index drops, and
collection drops last. A failure part-way therefore leaves extra indexes or a
missing new object, never a missing old one that is still wanted, and the
next plan simply continues.
"""

from __future__ import annotations

from reconciler.backends.mongodb.diff import COLLECTION, MONGO_INDEX
from reconciler.changes import Action, Change

_PHASES = {
    (COLLECTION, Action.RENAME): 0,
    (COLLECTION, Action.CREATE): 1,
    (COLLECTION, Action.REPLACE): 1,
    (COLLECTION, Action.ALTER): 2,
    # An old index whose key pattern a new one reuses must go first (MongoDB refuses duplicates).
    ("drop_early", Action.DROP): 3,
    (MONGO_INDEX, Action.CREATE): 4,
    (MONGO_INDEX, Action.ALTER): 5,
    (MONGO_INDEX, Action.REPLACE): 6,
    (MONGO_INDEX, Action.DROP): 7,
    (COLLECTION, Action.DROP): 8,
}


def phase(change: Change) -> int:
    if change.kind == MONGO_INDEX and change.action == Action.DROP and change.extra.get("drop_early"):
        return _PHASES[("drop_early", Action.DROP)]
    return _PHASES.get((change.kind, change.action), 9)


def order(changes: list[Change]) -> list[Change]:
    def key(change: Change) -> tuple:
        extra = change.extra
        if extra.get("new_table"):
            # Indexes of a collection created in this plan follow their collection's create directly,
            # so the script reads collection by collection.
            return (extra.get("database", ""), _PHASES[(COLLECTION, Action.CREATE)], extra.get("collection", ""),
                    1, extra.get("index") or "")
        return (extra.get("database", ""), phase(change), extra.get("collection", ""),
                0 if change.kind == COLLECTION else 1, extra.get("index") or "")

    return sorted(changes, key=key)
