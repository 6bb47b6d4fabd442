"""Spell the desired model the way the live server spells equivalent settings.

A collation in the spec names only the fields the user cares about; the
server stores every field, with defaults that depend on the locale (fr_CA
sorts `backwards`, bn turns `normalization` on ...). `normalize.collation`
removes the defaults it knows (normalize.LOCALE_COLLATION_DEFAULTS). For a
locale that table does not list, a locale-dependent field the server shows
and the spec leaves out is taken as that locale's default. Any other field
the spec leaves out (strength, caseLevel, numericOrdering, maxVariable have
the same default everywhere) is a real difference: it was set on purpose
and the spec removed it.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.backends.mongodb.expand import expand
from reconciler.backends.mongodb.model import Collection, MongoDatabase, MongoDeployment
from reconciler.backends.mongodb.normalize import COLLATION_LOCALE_FIELDS, LOCALE_COLLATION_DEFAULTS


def settle_collation(desired: dict[str, Any] | None, current: dict[str, Any] | None) -> dict[str, Any] | None:
    if desired is None or current is None or desired == current:
        return desired
    if desired.get("locale") != current.get("locale") or desired["locale"] in LOCALE_COLLATION_DEFAULTS:
        return desired
    if any(current.get(k) != v for k, v in desired.items()):
        return desired
    unnamed = set(current) - set(desired)
    if unnamed <= set(COLLATION_LOCALE_FIELDS):
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


def canonicalize(desired: MongoDeployment, current: MongoDeployment | None) -> MongoDeployment:
    """Templates expanded against the live databases, collations in the server's spelling."""
    if current is None or current.discovered is None:
        return desired
    out = MongoDeployment(history_database=desired.history_database,
                          history_collection=desired.history_collection, hooks=desired.hooks)
    for name, database in expand(desired, current.discovered).items():
        live = current.databases.get(name)
        collections = {cname: settle_collection(coll, _live_collection(live, coll))
                       for cname, coll in database.collections.items()}
        out.databases[name] = MongoDatabase(name=name, collections=collections, template=database.template)
    # Templates are resolved now; keep the list of names so diff does not resolve them again.
    out.discovered = list(current.discovered)
    out.scope = desired.scope
    return out


def _live_collection(live: MongoDatabase | None, coll: Collection) -> Collection | None:
    if live is None:
        return None
    found = live.collections.get(coll.name)
    if found is None and coll.renamed_from:
        found = live.collections.get(coll.renamed_from)
    return found
