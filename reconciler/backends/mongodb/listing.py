"""`schemactl list`: the databases a spec manages on a target, as the seed's `pnpm run list`/`status` show them."""

from __future__ import annotations

from typing import Any

from reconciler.backends.mongodb.expand import expand
from reconciler.backends.mongodb.model import MongoDeployment


def list_databases(desired: MongoDeployment, current: MongoDeployment | None) -> list[dict[str, Any]]:
    """One row per managed database: public ones (named in the spec) and those the templates match or name;
    `exists` and `collections` from the live model (collections schemactl manages, as inspect reads them)."""
    if current is None:
        return []
    rows = []
    for name, database in expand(desired, current.discovered).items():
        live = current.databases.get(name)
        rows.append({"database": name, "kind": "public" if database.template is None else "tenant",
                     "template": database.template, "exists": live is not None,
                     "collections": len(live.collections) if live is not None else 0})
    return rows
