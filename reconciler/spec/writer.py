"""Turn a relational model back into a spec document (`schemactl inspect`), for every relational dialect.

The output is what a person would write: names only where they differ from
the default naming convention, single-column keys and references on the
column, plain values for literal defaults. Loading it again must give a model
equal to the one it came from (after the backend's `canonicalize`). What the
dialects spell differently comes in through a `SpecStyle`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.model import (
    CheckConstraint,
    Column,
    Database,
    Domain,
    ExclusionConstraint,
    ForeignKey,
    Index,
    IndexElement,
    Table,
)
from reconciler.spec.relational import DialectRules, collation_name, index_column_name, make_object_name

FK_DEFAULT = "no action"


@dataclass(frozen=True)
class SpecStyle:
    """How one dialect writes a model as a spec."""

    #: The dialect's name, default schema and identifier limit, shared with the spec loader.
    rules: DialectRules
    #: Spec spelling of a column's (or a domain's) type.
    column_type: Callable[[Column], str]
    #: A YAML scalar for a default the spec loader reads back as the same expression, else {"sql": ...}.
    default_value: Callable[[Column], Any]
    #: Names that may stand unquoted in the `table(col)` reference shorthand.
    plain_name: re.Pattern[str]
    #: Drop `nullable` from primary-key columns: the spec has no way to say a key column is nullable.
    key_columns_drop_nullable: bool = False


def write_spec(model: Database, style: SpecStyle) -> dict[str, Any]:
    return _Writer(style).document(model)


class _Writer:
    def __init__(self, style: SpecStyle) -> None:
        self.style = style
        self.rules = style.rules

    def key(self, schema: str | None, name: str) -> str:
        return name if schema in (None, self.rules.default_schema) else f"{schema}.{name}"

    def default_name(self, table: Table, columns: list[str], label: str) -> str:
        return make_object_name(table.name, columns, label, self.rules.max_identifier)

    def document(self, model: Database) -> dict[str, Any]:
        doc: dict[str, Any] = {"version": 1, "dialect": self.rules.name}
        others: list[Any] = [s if model.schema_comments.get(s) is None else {"name": s, "comment": model.schema_comments[s]}
                             for s in model.schemas if s != self.rules.default_schema]
        if others:
            doc["schemas"] = others
        if model.extensions:
            doc["extensions"] = [e.name if e.schema in (None, self.rules.default_schema)
                                 else {"name": e.name, "schema": e.schema} for e in model.extensions.values()]
        if model.enums:
            doc["enums"] = {self.key(e.schema, e.name): list(e.values) if e.comment is None
                            else {"values": list(e.values), "comment": e.comment} for e in model.enums.values()}
        if model.domains:
            doc["domains"] = {self.key(d.schema, d.name): self.domain(d) for d in model.domains.values()}
        doc["tables"] = {self.key(t.schema, t.name): self.table(t) for t in model.tables.values()}
        return doc

    def column(self, column: Column) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.style.column_type(column)}
        if column.nullable:
            spec["nullable"] = True
        if column.default is not None:
            spec["default"] = self.style.default_value(column)
        if column.identity:
            spec["identity"] = column.identity.replace(" ", "_")
            if column.identity_options is not None:
                options = column.identity_options
                spec["identity"] = {"generated": spec["identity"], **{
                    k: getattr(options, k) for k in ("start", "increment", "min_value", "max_value", "cache")
                    if getattr(options, k) is not None}}
                if options.cycle:
                    spec["identity"]["cycle"] = True
        if column.generated is not None:
            spec["generated"] = column.generated
        if column.collation:
            spec["collation"] = collation_spelling(column.collation)
        if column.comment is not None:
            spec["comment"] = column.comment
        return spec

    def domain(self, domain: Domain) -> dict[str, Any]:
        # Typed like a column (short type names, literal defaults); domains are nullable unless NOT NULL.
        as_column = Column(name=domain.name, type=domain.type, default=domain.default)
        spec: dict[str, Any] = {"type": self.style.column_type(as_column)}
        if not domain.nullable:
            spec["nullable"] = False
        if domain.default is not None:
            spec["default"] = self.style.default_value(as_column)
        if domain.checks:
            spec["checks"] = {c.name: c.expression if c.comment is None else {"expression": c.expression,
                                                                              "comment": c.comment}
                              for c in domain.checks.values()}
        if domain.collation:
            spec["collation"] = collation_spelling(domain.collation)
        if domain.comment is not None:
            spec["comment"] = domain.comment
        return spec

    def table(self, table: Table) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if table.comment is not None:
            spec["comment"] = table.comment
        if table.unlogged:
            spec["unlogged"] = True
        if table.options:
            spec["options"] = {k: int(v) if v.isdigit() else v for k, v in table.options.items()}
        if table.partition_of is not None:
            # A partition: its columns, keys and indexes are its parent's.
            spec["partition_of"] = self.key(*table.partition_of)
            if table.partition_bound == "DEFAULT":
                spec["default"] = True
            else:
                spec["bounds"] = table.partition_bound
        if table.partition_by is not None:
            spec["partition_by"] = {"strategy": table.partition_by.strategy, "key": table.partition_by.key}
        if table.partition_of is not None:
            return spec
        columns = {name: self.column(c) for name, c in table.columns.items()}
        spec["columns"] = columns
        self.primary_key(table, columns, spec)
        self.uniques(table, columns, spec)
        indexes = [self.index(table, ix) for ix in table.indexes.values()]
        # Inline references go onto `columns` whatever the section order.
        foreign_keys = self.foreign_keys(table, columns)
        for key, entries in (("indexes", indexes), ("foreign_keys", foreign_keys)):
            if entries:
                spec[key] = entries
        if table.checks:
            spec["checks"] = {c.name: _check(c) for c in table.checks.values()}
        if table.exclusions:
            spec["exclusions"] = {x.name: _exclusion(x) for x in table.exclusions.values()}
        return spec

    def primary_key(self, table: Table, columns: dict[str, dict[str, Any]], spec: dict[str, Any]) -> None:
        pk = table.primary_key
        if pk is None:
            return
        if self.style.key_columns_drop_nullable:
            for name in pk.columns:
                columns[name].pop("nullable", None)
        default = pk.name == self.default_name(table, [], "pkey")
        plain = pk.comment is None and not pk.deferrable
        if default and len(pk.columns) == 1 and plain:
            columns[pk.columns[0]]["primary_key"] = True
        elif default and plain:
            spec["primary_key"] = list(pk.columns)
        else:
            spec["primary_key"] = {"columns": list(pk.columns)} if default else \
                {"name": pk.name, "columns": list(pk.columns)}
            spec["primary_key"].update(_deferral(pk))
            if pk.comment is not None:
                spec["primary_key"]["comment"] = pk.comment

    def uniques(self, table: Table, columns: dict[str, dict[str, Any]], spec: dict[str, Any]) -> None:
        entries: list[Any] = []
        for uq in table.uniques.values():
            default = uq.name == self.default_name(table, uq.columns, "key")
            # The column and list shorthands cannot say `deferrable`.
            short = default and not uq.deferrable and not uq.nulls_not_distinct and uq.comment is None
            if short and len(uq.columns) == 1 and "unique" not in columns[uq.columns[0]]:
                columns[uq.columns[0]]["unique"] = True
            elif short:
                entries.append(list(uq.columns))
            else:
                entry: dict[str, Any] = {"columns": list(uq.columns)}
                if not default:
                    entry = {"name": uq.name, **entry}
                entry.update(_deferral(uq))
                if uq.nulls_not_distinct:
                    entry["nulls_not_distinct"] = True
                if uq.comment is not None:
                    entry["comment"] = uq.comment
                entries.append(entry)
        if entries:
            spec["unique"] = entries

    def reference(self, fk: ForeignKey) -> str | dict[str, Any]:
        names = [fk.ref_table, *fk.ref_columns] + ([fk.ref_schema] if fk.ref_schema else [])
        if all(self.style.plain_name.match(n) for n in names):
            return f"{self.key(fk.ref_schema, fk.ref_table)}({', '.join(fk.ref_columns)})"
        ref: dict[str, Any] = {"table": fk.ref_table, "columns": list(fk.ref_columns)}
        if fk.ref_schema:
            ref["schema"] = fk.ref_schema
        return ref

    def foreign_keys(self, table: Table, columns: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for fk in table.foreign_keys.values():
            default = fk.name == self.default_name(table, fk.columns, "fkey")
            column = columns.get(fk.columns[0]) if len(fk.columns) == 1 else None
            # `references: table(col)` on a column says nothing of deferral and cannot carry a name.
            if (column is not None and "references" not in column and default and len(fk.ref_columns) == 1
                    and not fk.deferrable and not fk.initially_deferred and fk.valid and fk.match == "simple"
                    and fk.comment is None):
                reference = self.reference(fk)
                if isinstance(reference, str):
                    column["references"] = reference
                    self.actions(fk, column)
                    continue
            entry: dict[str, Any] = {
                "columns": list(fk.columns),
                "references": self.reference(fk)}
            if not default:
                entry = {"name": fk.name, **entry}
            self.actions(fk, entry)
            entry.update(_deferral(fk))
            if not fk.valid:
                entry["not_valid"] = True
            if fk.match != "simple":
                entry["match"] = fk.match
            if fk.comment is not None:
                entry["comment"] = fk.comment
            entries.append(entry)
        return entries

    @staticmethod
    def actions(fk: ForeignKey, target: dict[str, Any]) -> None:
        if fk.on_delete != FK_DEFAULT:
            target["on_delete"] = fk.on_delete if not fk.on_delete_columns else \
                {"action": fk.on_delete, "columns": list(fk.on_delete_columns)}
        if fk.on_update != FK_DEFAULT:
            target["on_update"] = fk.on_update

    def index(self, table: Table, index: Index) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if index.name != self.default_name(table, [index_column_name(e) for e in index.elements], "idx"):
            spec["name"] = index.name
        spec["columns"] = [_element(e) for e in index.elements]
        return {**spec, **index_attributes(index)}


_INTEGER = re.compile(r"^-?\d+\Z")


def index_attributes(index: Index) -> dict[str, Any]:
    """An index's spec entry but for its name and columns: a table's index, or a materialized view's."""
    spec: dict[str, Any] = {}
    if index.unique:
        spec["unique"] = True
    if index.method != "btree":
        spec["method"] = index.method
    if index.where:
        spec["where"] = index.where
    if index.include:
        spec["include"] = list(index.include)
    if index.nulls_not_distinct:
        spec["nulls_not_distinct"] = True
    if index.with_:
        spec["with"] = {k: int(v) if _INTEGER.match(v) else v for k, v in index.with_.items()}
    if index.comment is not None:
        spec["comment"] = index.comment
    return spec


def _check(check: CheckConstraint) -> str | dict[str, Any]:
    if check.valid and not check.no_inherit and check.comment is None:
        return check.expression
    spec: dict[str, Any] = {"expression": check.expression}
    if not check.valid:
        spec["not_valid"] = True
    if check.no_inherit:
        spec["no_inherit"] = True
    if check.comment is not None:
        spec["comment"] = check.comment
    return spec


def _exclusion(exclusion: ExclusionConstraint) -> dict[str, Any]:
    spec: dict[str, Any] = {"using": exclusion.method, "elements": []}
    for element, operator in zip(exclusion.elements, exclusion.operators, strict=True):
        item = _element(element)
        item = {"column": item, "operator": operator} if isinstance(item, str) else {**item, "operator": operator}
        spec["elements"].append(item)
    if exclusion.where:
        spec["where"] = exclusion.where
    spec.update(_deferral(exclusion))
    if exclusion.comment is not None:
        spec["comment"] = exclusion.comment
    return spec


def _deferral(constraint: Any) -> dict[str, Any]:
    """`deferrable` and `initially_deferred`, where the constraint is."""
    return {name: True for name in ("deferrable", "initially_deferred") if getattr(constraint, name)}


def _element(element: IndexElement) -> str | dict[str, Any]:
    spec: dict[str, Any] = ({"column": element.column} if element.column is not None
                            else {"expression": element.expression})
    if element.descending:
        spec["order"] = "desc"
    for key in ("nulls", "opclass"):
        if getattr(element, key):
            spec[key] = getattr(element, key)
    if element.collation:
        spec["collation"] = collation_spelling(element.collation)
    return spec["column"] if list(spec) == ["column"] else spec


def collation_spelling(name: str) -> str:
    """The spec spelling that `collation_name` reads back as `name` (a name that looks quoted is quoted)."""
    return name if collation_name(name) == name else '"' + name.replace('"', '""') + '"'
