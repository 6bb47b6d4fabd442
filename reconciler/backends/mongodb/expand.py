"""Resolve database templates (`match:` / `names:`) into concrete databases.

A template stays a template until the live database names are known: an
inspected model carries `discovered` (the listDatabases answer). Without it
(offline `schemactl diff` of two specs) a template is compared as one
pseudo-database named by its spec key.
"""

from __future__ import annotations

import copy
import re

from reconciler.backends.mongodb.model import RESERVED_DATABASES, MongoDatabase, MongoDeployment
from reconciler.errors import PlanError


def managed_names(desired: MongoDeployment, discovered: list[str]) -> dict[str, str | None]:
    """Concrete database name -> template key (None for databases named directly)."""
    out: dict[str, str | None] = {}
    for key, database in desired.databases.items():
        if not database.is_template:
            out[key] = None
    for key, database in desired.databases.items():
        if database.names is not None:
            candidates = list(database.names)
        elif database.match is not None:
            pattern = re.compile(database.match)
            candidates = [n for n in discovered if pattern.search(n) and n not in RESERVED_DATABASES]
        else:
            continue
        for name in candidates:
            if name in out and out[name] is None:
                # A database named directly wins over a template that also matches it.
                continue
            if name in out:
                raise PlanError(f"database {name!r} belongs to two templates, {out[name]!r} and {key!r}; "
                                "make their match patterns exclusive")
            out[name] = key
    return dict(sorted(out.items()))


def expand(model: MongoDeployment, discovered: list[str] | None) -> dict[str, MongoDatabase]:
    """The databases of `model` by concrete name (or template key when nothing was discovered)."""
    if discovered is None:
        out = {}
        for key, database in model.databases.items():
            clone = copy.copy(database)
            if database.is_template:
                clone.template = key
            out[key] = clone
        return out
    names = managed_names(model, discovered)
    out = {}
    for name, template in names.items():
        source = model.databases[template if template is not None else name]
        # Collections are shared between tenants on purpose: the desired side is read-only.
        out[name] = MongoDatabase(name=name, collections=source.collections, template=template or source.template)
    return out
