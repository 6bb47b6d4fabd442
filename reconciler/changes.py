"""Typed changes: what `diff` produces and `plan`, renderers and formatters consume.

A change names one object (by `kind` and `address`), what happens to it
(`action`), the model objects before and after, the attributes that differ,
and the hazards it carries. Renderers dispatch on `(kind, action)`.

Relational changes (`table` is the owning table's key): `reconciler.relational` emits the tables' and
their members' (one module per kind); PostgreSQL's kind modules (`backends/postgres/kinds/`) emit schema,
extension, enum and domain:

| kind        | action  | before / after                 | notes                                        |
|-------------|---------|--------------------------------|----------------------------------------------|
| schema      | create, drop | schema name (str)         |                                              |
| extension   | create, drop | Extension                 |                                              |
| enum        | create, drop | Enum                      |                                              |
| enum        | alter   | Enum / Enum                    | extra["added"]: [(value, after_value or None)] when values are only added;
|             |         |                                | extra["recreate"]: True when values are removed or reordered,
|             |         |                                | extra["columns"]: [(table_key, column_name)] using the type |
| domain      | create, drop | Domain                    | checks inline on create; a drop carries no data_loss (values stay in the columns' types) |
| domain      | alter   | Domain / Domain                | attributes: default, nullable, comment, checks (old/new name -> expression);
|             |         |                                | extra["checks_dropped"] / ["checks_added"]: names (a changed check is in both, dropped first);
|             |         |                                | extra["columns"]: [(table_key, column_name)] of live columns using the domain |
| domain      | replace | Domain / Domain                | base type or collation changed; only when no live column or domain uses it (else PlanError) |
| table       | create  | None / Table                   | columns, primary key, uniques, checks inline; indexes and FKs are separate changes |
| table       | drop    | Table / None                   |                                              |
| table       | rename  | Table (old name) / Table       |                                              |
| table       | alter   | Table / Table                  | attributes: comment only                     |
| table       | replace | Table / Table                  | PostgreSQL: partitioning changed (key, partition or not): drop + create |
| partition_detach, partition | alter | Table / Table (the partition) | PostgreSQL: DETACH from the old parent; ATTACH with the new bound |
| column      | create, drop | Column                    | extra["table"]: the Table the column belongs to (desired for create, live for drop) |
| column      | alter   | Column / Column                | attributes: type, nullable, default, identity, serial, comment, collation |
| column      | rename  | Column (old) / Column          |                                              |
| primary_key, unique, index, foreign_key, check | create, drop, replace | model object | replace = drop + create |
| index, primary_key, unique, foreign_key, check | rename | old / new object | only the name differs (e.g. after a table rename); attributes: name |
| view, materialized_view | create, drop, alter | View / MaterializedView | registered kinds (`kinds/view.py`); a rebuild is a drop + create pair with extra["rebuild"] |

A backend may post-process the list (SQLite folds what it cannot ALTER into
one `table` `alter` change with extra["rebuild"] = True, before/after = Tables).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    CREATE = "create"
    ALTER = "alter"
    DROP = "drop"
    REPLACE = "replace"
    RENAME = "rename"

    @property
    def symbol(self) -> str:
        return {"create": "+", "alter": "~", "drop": "-", "replace": "-/+", "rename": "~"}[self.value]


class Hazard(StrEnum):
    DATA_LOSS = "data_loss"
    TABLE_REWRITE = "table_rewrite"
    ACCESS_EXCLUSIVE_LOCK = "access_exclusive_lock"
    BLOCKS_WRITES = "blocks_writes"
    FULL_SCAN_VALIDATION = "full_scan_validation"
    MAY_FAIL_ON_DATA = "may_fail_on_data"
    INDEX_DROPPED = "index_dropped"
    #: Objects the spec does not manage (views in other schemas) read what the change alters or drops.
    DEPENDENT_OBJECTS = "dependent_objects"


# Kinds of the relational table family every relational backend has. Backends add their own kinds
# (PostgreSQL's schema, extension, enum, domain ... in their kind modules; MongoDB's collections).
TABLE = "table"
COLUMN = "column"
PRIMARY_KEY = "primary_key"
UNIQUE = "unique"
INDEX = "index"
FOREIGN_KEY = "foreign_key"
CHECK = "check"
EXCLUSION = "exclusion"


@dataclass
class AttributeChange:
    name: str
    old: Any
    new: Any


@dataclass
class Change:
    action: Action
    kind: str
    # Human-readable, stable identity: "table public.users", "column public.users.email".
    address: str
    before: Any = None
    after: Any = None
    # Key of the owning table (or collection) for sub-objects; None for top-level objects.
    table: str | None = None
    attributes: list[AttributeChange] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    # Why a hazard is there, shown beside it ("column role is dropped with its data").
    notes: list[str] = field(default_factory=list)
    # Backend-specific details the renderer needs (e.g. the table being rebuilt on SQLite).
    extra: dict[str, Any] = field(default_factory=dict)
    # Set when the object is marked prevent_destroy and this change would destroy it.
    prevented: bool = False

    @property
    def destroys(self) -> bool:
        return self.action in (Action.DROP, Action.REPLACE)

    def add_hazard(self, hazard: Hazard, note: str | None = None) -> None:
        if hazard not in self.hazards:
            self.hazards.append(hazard)
        if note and note not in self.notes:
            self.notes.append(note)


@dataclass
class Statement:
    """One statement a renderer produced for a change."""

    sql: str
    # False for statements PostgreSQL refuses inside a transaction block
    # (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE before PG 12 ...).
    transactional: bool = True
    # PostgreSQL durations ("5s"), set for this statement only (online mode).
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    # Run and commit before the main transaction: PostgreSQL cannot use a value added by
    # ALTER TYPE ... ADD VALUE in the transaction that added it.
    commit_first: bool = False
