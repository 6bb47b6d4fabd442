"""Plans limited to part of the spec (`--public-only`, `--tenants-only`, `--database`, `--collection`,
`--indexes-only`, the flags of seed 002's migration tool and its `sync:indexes`).

The one place a scope acts: both sides of the comparison are cut to what it selects before `diff`
compares them, so an object outside the scope is neither changed nor dropped, whatever it looks like.
"""

from __future__ import annotations

import dataclasses
from fnmatch import fnmatchcase

from reconciler.backends import PlanScope
from reconciler.backends.mongodb.model import Collection, MongoDatabase
from reconciler.errors import PlanError


def _selected(name: str, patterns: tuple[str, ...]) -> bool:
    return not patterns or any(fnmatchcase(name, pattern) for pattern in patterns)


def database_in_scope(name: str, template: str | None, scope: PlanScope) -> bool:
    """Whether database `name` (created from `template`, None for a public one) is selected."""
    if scope.public_only and template is not None or scope.tenants_only and template is None:
        return False
    return _selected(name, scope.databases)


def limit_to_scope(have: dict[str, MongoDatabase], want: dict[str, MongoDatabase],
                   scope: PlanScope) -> tuple[dict[str, MongoDatabase], dict[str, MongoDatabase]]:
    """The live and wanted databases (concrete names) cut to `scope`; neither input is changed."""
    out_have: dict[str, MongoDatabase] = {}
    out_want: dict[str, MongoDatabase] = {}
    names = sorted(set(have) | set(want))
    _refuse_unmatched("--database", scope.databases, names, "databases the spec manages on the target")
    seen_collections: set[str] = set()
    for name in names:
        wanted, live = want.get(name), have.get(name)
        template = wanted.template if wanted is not None else live.template if live is not None else None
        if not database_in_scope(name, template, scope):
            continue
        live_colls = dict(live.collections) if live is not None else {}
        want_colls = dict(wanted.collections) if wanted is not None else {}
        seen_collections |= set(live_colls) | set(want_colls)
        if scope.collections:
            want_colls = {n: c for n, c in want_colls.items() if _selected(n, scope.collections)}
            # A selected collection renamed from an unselected name still needs its old self to rename.
            old_names = {c.renamed_from for c in want_colls.values() if c.renamed_from}
            live_colls = {n: c for n, c in live_colls.items() if _selected(n, scope.collections) or n in old_names}
        if scope.indexes_only:
            want_colls = _indexes_only(live_colls, want_colls)
        if live is not None:
            out_have[name] = dataclasses.replace(live, collections=live_colls)
        if wanted is not None:
            out_want[name] = dataclasses.replace(wanted, collections=want_colls)
    _refuse_unmatched("--collection", scope.collections, sorted(seen_collections),
                      "collections of the selected databases, in the spec or on the target")
    return out_have, out_want


def _refuse_unmatched(flag: str, patterns: tuple[str, ...], names: list[str], what: str) -> None:
    """A pattern that selects nothing is a typo far more often than a wish: a plan that silently says
    "No changes" would hide it."""
    for pattern in patterns:
        if not any(fnmatchcase(name, pattern) for name in names):
            raise PlanError(f"{flag} {pattern} matches none of the {len(names)} {what}")


def _indexes_only(live: dict[str, Collection], wanted: dict[str, Collection]) -> dict[str, Collection]:
    """Every live collection as it is (options, validator, its existence) with the wanted indexes of the
    collections the spec names: only index changes remain. Collections the spec adds or renames are left
    for a full plan (an index needs its collection, and creating one is not an index change)."""
    out: dict[str, Collection] = {}
    for name, coll in live.items():
        spec = wanted.get(name)
        out[name] = coll if spec is None else dataclasses.replace(coll, indexes=dict(spec.indexes),
                                                                  prevent_destroy=spec.prevent_destroy)
    return out
