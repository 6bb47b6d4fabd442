"""Typed, backend-neutral model of a relational database schema.

The spec loader produces it (desired state) and every relational backend's
inspector produces it (live state); `diff` compares two of them. Values are
kept in the canonical form the backends agree on (types as PostgreSQL's
`format_type` prints them, expressions as the database re-prints them), so
comparison is plain equality.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Default:
    """A column default: always a SQL expression in the model.

    `literal` records whether the spec wrote it as a plain value, which only
    matters for rendering the spec back (`inspect`), never for comparison.
    """

    expression: str
    literal: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class IdentityOptions:
    """An identity column's sequence options; None where the sequence has the default for the column's type
    and direction (so a spec that says nothing and a live sequence left as created compare equal)."""

    start: int | None = None
    increment: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    cache: int | None = None
    cycle: bool = False


@dataclass(slots=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    default: Default | None = None
    # "always" | "by default" | None
    identity: str | None = None
    # "serial" | "bigserial" | "smallserial" | None: a sequence owned by the column
    serial: str | None = None
    comment: str | None = None
    collation: str | None = None
    # Conversion expression for type changes the database cannot cast implicitly.
    using: str | None = None
    #: `using` was written by the plan, not the spec: a conversion to an enum every existing value fits.
    using_auto: bool = field(default=False, compare=False)
    renamed_from: str | None = None
    prevent_destroy: bool = False
    # GENERATED ALWAYS AS (expression) STORED: the expression, as the database prints it.
    generated: str | None = None
    # Options of an identity column's sequence (None: all defaults).
    identity_options: IdentityOptions | None = None


@dataclass(slots=True)
class IndexElement:
    """One key of an index: a column or an expression, with its ordering."""

    column: str | None = None
    expression: str | None = None
    descending: bool = False
    # "first" | "last" | None (the default for the direction)
    nulls: str | None = None
    opclass: str | None = None
    collation: str | None = None


@dataclass(slots=True)
class Index:
    name: str
    elements: list[IndexElement]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: list[str] = field(default_factory=list)
    renamed_from: str | None = None
    # False for an index PostgreSQL left invalid (a failed concurrent build); the spec always wants True.
    valid: bool = True
    # UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+): NULLs count as equal.
    nulls_not_distinct: bool = False
    # Storage parameters (reloptions): name -> value as the catalog keeps it ("70", "off").
    with_: dict[str, str] = field(default_factory=dict)
    comment: str | None = None


@dataclass(slots=True)
class PrimaryKey:
    name: str
    columns: list[str]
    comment: str | None = None
    # DEFERRABLE [INITIALLY DEFERRED] (PostgreSQL).
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(slots=True)
class UniqueConstraint:
    name: str
    columns: list[str]
    deferrable: bool = False
    initially_deferred: bool = False
    nulls_not_distinct: bool = False
    comment: str | None = None


@dataclass(slots=True)
class ExclusionConstraint:
    """EXCLUDE USING method (element WITH operator, ...) WHERE (predicate) (PostgreSQL)."""

    name: str
    elements: list[IndexElement]
    operators: list[str]
    method: str = "gist"
    where: str | None = None
    deferrable: bool = False
    initially_deferred: bool = False
    comment: str | None = None


@dataclass(slots=True)
class ForeignKey:
    name: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    ref_schema: str | None = None
    on_delete: str = "no action"
    on_update: str = "no action"
    deferrable: bool = False
    initially_deferred: bool = False
    # False while PostgreSQL has not validated the existing rows (NOT VALID, or a failed VALIDATE in
    # an --online apply); the spec always wants True, so the plan re-adds it.
    valid: bool = True
    # "simple" | "full" (MATCH FULL: all key columns NULL or none)
    match: str = "simple"
    # ON DELETE SET NULL / SET DEFAULT (columns): only these columns are set (PostgreSQL 15+); empty: all.
    on_delete_columns: list[str] = field(default_factory=list)
    comment: str | None = None


@dataclass(slots=True)
class CheckConstraint:
    name: str
    expression: str
    # As for ForeignKey.valid.
    valid: bool = True
    # NO INHERIT: not inherited by child tables (PostgreSQL).
    no_inherit: bool = False
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class PartitionKey:
    """How a partitioned table (PostgreSQL) splits its rows: strategy and key as pg_get_partkeydef prints them."""

    # "range" | "list" | "hash"
    strategy: str
    # The column list or expressions inside the parentheses: "created_at", "lower(name), id".
    key: str


@dataclass(slots=True)
class Table:
    name: str
    schema: str | None = None
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: PrimaryKey | None = None
    uniques: dict[str, UniqueConstraint] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    foreign_keys: dict[str, ForeignKey] = field(default_factory=dict)
    checks: dict[str, CheckConstraint] = field(default_factory=dict)
    exclusions: dict[str, ExclusionConstraint] = field(default_factory=dict)
    comment: str | None = None
    renamed_from: str | None = None
    prevent_destroy: bool = False
    # UNLOGGED (PostgreSQL): not written to the WAL, emptied after a crash.
    unlogged: bool = False
    # Storage parameters (PostgreSQL WITH (fillfactor = 70, ...)), as pg_class.reloptions keeps them.
    options: dict[str, str] = field(default_factory=dict)
    # PostgreSQL declarative partitioning. A partitioned table has `partition_by`; a partition names its
    # parent (schema, name) and its bound as pg_get_expr(relpartbound) prints it ("DEFAULT" for the default
    # partition). A partition's columns, keys and indexes are its parent's: the model keeps none for it.
    partition_by: PartitionKey | None = None
    partition_of: tuple[str | None, str] | None = None
    partition_bound: str | None = None
    # The live table's row count as the planner estimates it (PostgreSQL: pg_class.reltuples, -1 when the
    # table was never analyzed; None when not read, as for a model built from a spec). Said in hazard
    # notes; never compared, fingerprinted or written to a spec.
    row_estimate: float | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return qualified(self.schema, self.name)

    @property
    def parent_key(self) -> str | None:
        """The key of the table this one is a partition of."""
        return qualified(*self.partition_of) if self.partition_of else None


@dataclass(slots=True)
class Enum:
    name: str
    values: list[str]
    schema: str | None = None
    comment: str | None = None
    prevent_destroy: bool = False

    @property
    def key(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(slots=True)
class Domain:
    """A PostgreSQL domain: a base type with an optional default, NOT NULL and named checks (on `VALUE`)."""

    name: str
    type: str
    schema: str | None = None
    # Domains, unlike spec columns, are nullable unless declared NOT NULL.
    nullable: bool = True
    default: Default | None = None
    checks: dict[str, CheckConstraint] = field(default_factory=dict)
    collation: str | None = None
    comment: str | None = None
    prevent_destroy: bool = False

    @property
    def key(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(slots=True)
class Extension:
    name: str
    schema: str | None = None
    # Extension versions are not compared: upgrades are out of scope.


@dataclass(slots=True)
class Database:
    """A whole relational schema: what a spec describes or an inspector reads."""

    dialect: str
    schemas: list[str] = field(default_factory=list)
    #: Schema comments (PostgreSQL). Desired: only those the spec gives (`{name, comment}`; the comment of a
    #: schema listed by name alone is left as it is); live: every managed schema's that has one. Not part of
    #: equality, as the two sides hold different things: the schema diff compares them itself.
    schema_comments: dict[str, str | None] = field(default_factory=dict, compare=False)
    extensions: dict[str, Extension] = field(default_factory=dict)
    enums: dict[str, Enum] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    #: Objects of the kinds a backend registers (`reconciler.objects`): kind name -> key -> object.
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The spec's data-migration hooks (`reconciler.hooks`): desired models only, never compared.
    hooks: dict[str, Any] = field(default_factory=dict, compare=False)

    def table(self, schema: str | None, name: str) -> Table | None:
        return self.tables.get(qualified(schema, name))


def qualified(schema: str | None, name: str) -> str:
    """The model's key for a schema-scoped object: `schema.name`, or `name` without a schema."""
    return f"{schema}.{name}" if schema else name


_SKIPPED_FIELDS = frozenset({"renamed_from", "prevent_destroy", "using", "literal"})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _compared_fields(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in fields(cls) if f.compare and f.name not in _SKIPPED_FIELDS)
        _FIELD_NAMES[cls] = names
    return names


def to_plain(value: Any) -> Any:
    """A JSON-ready structure of a model object, used for fingerprints and `--format json`.

    Hashed for every plan of the whole live schema, so field lists are computed once per class.
    """
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {name: to_plain(getattr(value, name)) for name in _compared_fields(type(value))}
    return value
