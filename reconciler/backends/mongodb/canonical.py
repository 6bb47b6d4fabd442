"""Spell the desired model the way the live server spells equivalent settings.

A collation in the spec names only the fields the user cares about; the
server stores every field, with defaults that depend on the locale (fr_CA
sorts `backwards`, da sorts `caseFirst: upper` ...). When the live collation
agrees with every field the spec gives, the live spelling is the desired one.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.backends.mongodb.model import Collection


def settle_collation(desired: dict[str, Any] | None, current: dict[str, Any] | None) -> dict[str, Any] | None:
    if desired is None or current is None or desired == current:
        return desired
    if all(current.get(k) == v for k, v in desired.items()):
        return dict(current)
    return desired


def settle_collection(desired: Collection, current: Collection | None) -> Collection:
    """A copy of `desired` with collations spelled as in `current` where they agree."""
    if current is None:
        return desired
    out = copy.copy(desired)
    out.options = dict(desired.options)
    live_collation = current.options.get("collation")
    settled = settle_collation(desired.options.get("collation"), live_collation)
    if settled is not None:
        out.options["collation"] = settled
    out.indexes = {}
    for name, index in desired.indexes.items():
        live = current.indexes.get(name)
        want = index.options.get("collation")
        if live is not None and want is not None:
            settled_index = settle_collation(want, live.options.get("collation"))
            if settled_index is not want:
                index = copy.copy(index)
                index.options = {**index.options, "collation": settled_index}
        out.indexes[name] = index
    return out
