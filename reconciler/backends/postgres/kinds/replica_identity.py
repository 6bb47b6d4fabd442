"""REPLICA IDENTITY of a table (what logical replication writes of an updated or deleted row's old values):
`replica_identity: default | full | nothing | {index: name}` in its spec.

Its own kind keyed by table, built from the `tables:` section like `row_security`, so the table kind stays as
it is. Only tables whose identity is not DEFAULT have one, in the spec as in the catalog. A new table gets its
identity once created (and its indexes with it); a table that stays but is back to DEFAULT in the spec is set
back (`complete_identities`); one the plan drops takes it along. An index named by the identity that the plan
drops and creates again loses the flag: the identity is set again after it. Always an ALTER TABLE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Statement
from reconciler.model import qualified
from reconciler.objects import ObjectKind

from ..catalog import Catalog, Rows
from ..types import qualified_name, quote_ident

QUERY = "replica_identity"
READ_ORDER = 16
IDENTITIES = ("default", "full", "nothing")
_CATALOG = {"f": "full", "n": "nothing", "i": "index", "d": "default"}


@dataclass
class ReplicaIdentity:
    schema: str
    table: str
    #: "default", "full", "nothing" or "index".
    identity: str = "default"
    #: The index of `identity: index`.
    index: str | None = None

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.table}"


def _identity_index(table: Any, name: str) -> None:
    """ValueError unless `name` is an index PostgreSQL takes for a replica identity: unique, not partial, not
    deferrable, on NOT NULL columns only (a unique constraint or the primary key has such an index too)."""
    if table.primary_key is not None and table.primary_key.name == name:
        if table.primary_key.deferrable:
            raise ValueError(f"replica_identity: index {name!r} is deferrable")
        return
    unique = table.uniques.get(name)
    index = table.indexes.get(name)
    if unique is not None:
        if unique.deferrable:
            raise ValueError(f"replica_identity: index {name!r} is deferrable")
        columns = list(unique.columns)
    elif index is not None:
        if not index.unique or index.where is not None:
            raise ValueError(f"replica_identity: index {name!r} must be unique and not partial")
        if any(element.column is None for element in index.elements):
            raise ValueError(f"replica_identity: index {name!r} has an expression; it must index columns only")
        columns = [element.column for element in index.elements]
    else:
        raise ValueError(f"replica_identity: no index {name!r} on table {table.key} (the primary key, a unique "
                         f"constraint or a unique index of the spec)")
    nullable = [c for c in columns if c in table.columns and table.columns[c].nullable]
    if nullable:
        raise ValueError(f"replica_identity: index {name!r} covers nullable column {nullable[0]!r} "
                         f"(its columns must be NOT NULL)")


def build(key: str, spec: dict[str, Any], context: Any) -> ReplicaIdentity | None:
    value = spec.get("replica_identity")
    if value is None or value == "default":
        return None
    schema, name = context.split(key)
    table = context.db.tables.get(f"{schema}.{name}")
    if table is not None and table.partition_of is not None:
        raise ValueError("replica_identity: not on a partition (it is its parent's business here)")
    if isinstance(value, dict):
        if table is not None:
            _identity_index(table, value["index"])
        return ReplicaIdentity(schema, name, "index", value["index"])
    return ReplicaIdentity(schema, name, value)


def to_spec(identity: ReplicaIdentity) -> tuple[str, dict[str, Any]]:
    """An attribute of the table's entry in `tables:` (merged into it by the backend's `to_spec`)."""
    value: Any = {"index": identity.index} if identity.identity == "index" else identity.identity
    return (identity.table if identity.schema == "public" else identity.key), {"replica_identity": value}


def load(rows: Rows, catalog: Catalog) -> None:
    for schema, table, code, index in rows:
        identity = _CATALOG[code]
        if identity == "index" and index is None:  # its index was dropped: PostgreSQL behaves as NOTHING
            identity = "nothing"
        found = ReplicaIdentity(schema, table, identity, index if identity == "index" else None)
        catalog.db.objects.setdefault("replica_identity", {})[found.key] = found


def _alter(kind: ObjectKind, key: str, live: ReplicaIdentity, wanted: ReplicaIdentity) -> Change:
    return Change(Action.ALTER, kind.name, kind.address(key), before=live, after=wanted, table=wanted.key,
                  attributes=[AttributeChange("replica_identity", _shown(live), _shown(wanted))])


def _shown(identity: ReplicaIdentity) -> str:
    return f"index {identity.index}" if identity.identity == "index" else identity.identity


def diff(kind: ObjectKind, key: str, before: ReplicaIdentity | None,
         after: ReplicaIdentity | None) -> list[Change]:
    if after is None:  # DEFAULT in the spec, or the table leaves it: see `complete_identities`
        return []
    live = before or ReplicaIdentity(after.schema, after.table)
    return [] if live == after else [_alter(kind, key, live, after)]


def complete_identities(changes: list[Change], current: Any, desired: Any) -> list[Change]:
    """Back to DEFAULT for a table the spec keeps with no identity of its own; and set again where the index it
    names is dropped and created by the plan (the new index is not flagged)."""
    wanted = desired.objects.get(KIND.name, {})
    renamed = renamed_tables(current, desired)
    for old_key, live in current.objects.get(KIND.name, {}).items():
        key = renamed.get(old_key, old_key)  # a table the plan renames keeps its identity under its new name
        if key not in desired.tables:
            continue
        table = desired.tables[key]
        if key not in wanted:
            changes.append(_alter(KIND, key, live, ReplicaIdentity(table.schema, table.name)))
        elif key != old_key:
            changes = [c for c in changes if not (c.kind == KIND.name and c.after.key == key)]
            if (live.identity, live.index) != (wanted[key].identity, wanted[key].index):
                changes.append(_alter(KIND, key, live, wanted[key]))
    altered = {c.after.key for c in changes if c.kind == KIND.name}
    for change in list(changes):
        if change.kind not in ("index", "unique", "primary_key") or change.before is None:
            continue
        if change.action not in (Action.REPLACE, Action.DROP):
            continue
        for key, identity in wanted.items():
            if key == change.table and identity.identity == "index" and identity.index == change.before.name \
                    and key not in altered:
                live = current.objects.get(KIND.name, {}).get(key) or ReplicaIdentity(identity.schema, identity.table)
                alter = _alter(KIND, key, live, identity)
                alter.notes.append(f"set again: index {identity.index} is dropped and created again")
                changes.append(alter)
                altered.add(key)
    return changes


def renamed_tables(current: Any, desired: Any) -> dict[str, str]:
    """Live key -> desired key of the tables the plan renames (`renamed_from`, the old name still live)."""
    renamed = {}
    for key, table in desired.tables.items():
        if table.renamed_from and key not in current.tables:
            old_key = qualified(table.schema, table.renamed_from)
            if old_key in current.tables:
                renamed[old_key] = key
    return renamed


def render(change: Change, options: Any) -> list[Statement]:
    after: ReplicaIdentity = change.after
    table = qualified_name(after.schema, after.table)
    if after.identity == "index":
        clause = f"USING INDEX {quote_ident(after.index)}"
    else:
        clause = after.identity.upper()  # one of IDENTITIES
    return [Statement(f"ALTER TABLE {table} REPLICA IDENTITY {clause};")]


# After the tables and their indexes are created (USING INDEX needs the index).
KIND = ObjectKind(name="replica_identity", section="tables", build=build, to_spec=to_spec, render=render,
                  create_before="foreign_key", diff=diff, after_diff=complete_identities)
