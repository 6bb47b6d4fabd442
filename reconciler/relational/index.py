"""The comparison of a table's indexes: explicit renames (`renamed_from`), then implicit ones (same index
under another name), then create, alter (comment, storage parameters) or replace."""

from __future__ import annotations

import copy
from typing import Any

from reconciler.changes import INDEX, Action, AttributeChange, Change
from reconciler.errors import PlanError
from reconciler.model import Table

from .compare import alter_or_replace, ordered_union, renamed_members, replace_or


def diff_indexes(key: str, live: Table, table: Table) -> list[Change]:
    changes = []
    renamed_old: set[str] = set()
    for name, index in table.indexes.items():
        if index.renamed_from and (name in live.indexes) == (index.renamed_from in live.indexes):
            if name not in live.indexes:
                raise PlanError(f"index {key}.{name} is renamed from {index.renamed_from}, but neither exists; "
                                "refusing to guess (remove renamed_from to create it)")
            raise PlanError(f"index {key}.{name} is renamed from {index.renamed_from}, but both exist; "
                            "drop one or remove renamed_from")
        if index.renamed_from and name not in live.indexes:
            old = live.indexes[index.renamed_from]
            renamed_old.add(old.name)
            changes.append(Change(Action.RENAME, INDEX, f"index {key}.{name}", before=old, after=index, table=key,
                                  attributes=[AttributeChange("name", old.name, name)]))
            moved = copy.copy(old)
            moved.name, moved.renamed_from = name, index.renamed_from
            if moved != index:
                changes += replace_or(INDEX, f"index {key}.{name}", moved, index, key)
    remaining = {n: ix for n, ix in live.indexes.items() if n not in renamed_old}
    wanted = {n: ix for n, ix in table.indexes.items()
              if not (ix.renamed_from and n not in live.indexes and ix.renamed_from in renamed_old)}
    implicit, remaining, wanted = renamed_members(INDEX, key, remaining, wanted, _same_index)
    changes += implicit
    for name in ordered_union(wanted, remaining):
        before, after = remaining.get(name), wanted.get(name)
        if before is not None and after is not None and _same_index(before, after) and \
                before.comment == after.comment:
            continue
        if before != after:
            changes += alter_or_replace(INDEX, f"index {key}.{name}", before, after, key)
    return changes


def _same_index(a: Any, b: Any) -> bool:
    return (a.elements, a.unique, a.method, a.where, a.include, a.valid, a.nulls_not_distinct, a.with_) == \
        (b.elements, b.unique, b.method, b.where, b.include, b.valid, b.nulls_not_distinct, b.with_)
