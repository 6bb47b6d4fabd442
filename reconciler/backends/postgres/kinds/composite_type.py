"""Composite types (`types:`): CREATE TYPE name AS (attribute type, ...), usable as a column type.

Changes: attributes added at the end (ADD ATTRIBUTE), dropped (DROP ATTRIBUTE: the values of that
attribute in columns of the type are lost) and, while no column uses the type, retyped (ALTER ATTRIBUTE
... TYPE). What ALTER TYPE cannot do (attributes reordered, or added before existing ones) recreates the
type (DROP + CREATE), which PostgreSQL allows only while no column uses it: otherwise the plan stops
with the columns that use it, as it does for a retyped attribute of a used type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Hazard, Statement
from reconciler.errors import PlanError
from reconciler.model import Column, Database
from reconciler.objects import ObjectKind, created_dropped_or_same
from reconciler.spec.relational import collation_name, split_qualified

from ..catalog import Catalog, Rows
from ..render import comment_sql as comment_on
from ..types import normalize_type, qualified_name, quote_ident, user_type_name

QUERY = "composite_type"
READ_ORDER = 45
NAME = "composite_type"


@dataclass
class CompositeType:
    name: str
    schema: str
    #: (attribute name, type as format_type prints it), in order.
    attributes: list[tuple[str, str]]
    comment: str | None = None
    #: attribute name -> collation (pg_collation.collname) where it is not its type's default.
    collations: dict[str, str] = field(default_factory=dict)
    #: attribute name -> comment (COMMENT ON COLUMN type.attribute).
    attribute_comments: dict[str, str] = field(default_factory=dict)
    prevent_destroy: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def type_name(self) -> str:
        """How format_type (and so a column's type) names it."""
        return user_type_name(self.schema, self.name)


# -- spec <-> model -------------------------------------------------------------------------------


def spec_user_types(data: dict[str, Any], default_schema: str) -> dict[str, str]:
    """{spelling: canonical name} of the spec's composite types, for the column types that name them."""
    found: dict[str, str] = {}
    for key in data.get("types") or {}:
        schema, name = split_qualified(key, default_schema)
        canonical = user_type_name(schema, name)
        found[key] = found[f"{schema}.{name}"] = found[canonical] = canonical
    return found


def _user_types(db: Database, default_schema: str) -> dict[str, str]:
    """The types the spec defined before: enums, domains and the composite types built so far."""
    types: dict[str, str] = {}
    named = [*db.enums.values(), *db.domains.values(), *db.objects.get(NAME, {}).values()]
    for obj in named:
        schema = obj.schema or default_schema
        canonical = user_type_name(schema, obj.name)
        types[f"{schema}.{obj.name}"] = types[canonical] = canonical
        if schema == default_schema:
            types[obj.name] = canonical
    return types


def build(key: str, spec: dict[str, Any], context: Any) -> CompositeType:
    schema, name = context.split(key)
    qualified = f"{schema}.{name}"
    for what, names in (("table", context.db.tables), ("enum", context.db.enums), ("domain", context.db.domains)):
        if qualified in names:
            raise ValueError(f"type {qualified!r} has the name of a {what} (they share one namespace of types)")
    user_types = _user_types(context.db, context.default_schema)
    attributes = []
    collations: dict[str, str] = {}
    comments: dict[str, str] = {}
    for attribute, raw in spec["attributes"].items():
        if isinstance(raw, dict):
            if raw.get("collation"):
                collations[attribute] = collation_name(raw["collation"])
            if raw.get("comment") is not None:
                comments[attribute] = raw["comment"]
            raw = raw["type"]
        try:
            attributes.append((attribute, normalize_type(raw, user_types)))
        except ValueError as exc:
            raise ValueError(f"attribute {attribute!r}: {exc}") from None
    return CompositeType(name=name, schema=schema, attributes=attributes, comment=spec.get("comment"),
                         collations=collations, attribute_comments=comments, prevent_destroy=bool(spec.get("prevent_destroy")))


def to_spec(composite: CompositeType) -> tuple[str, dict[str, Any]]:
    from reconciler.spec.writer import collation_spelling

    from ..to_spec import spec_type

    attributes: dict[str, Any] = {}
    for name, type_ in composite.attributes:
        attributes[name] = spec_type(Column(name=name, type=type_))
        if name in composite.collations or name in composite.attribute_comments:
            attributes[name] = {"type": attributes[name]}
            if name in composite.collations:
                attributes[name]["collation"] = collation_spelling(composite.collations[name])
            if name in composite.attribute_comments:
                attributes[name]["comment"] = composite.attribute_comments[name]
    spec: dict[str, Any] = {"attributes": attributes}
    if composite.comment is not None:
        spec["comment"] = composite.comment
    return composite.key if composite.schema != "public" else composite.name, spec


# -- catalog --------------------------------------------------------------------------------------


def load(rows: Rows, catalog: Catalog) -> None:
    objects = catalog.db.objects
    for schema, name, attribute, type_, comment, collation, attribute_comment in rows:
        found = objects.setdefault(NAME, {})
        composite = found.get(f"{schema}.{name}")
        if composite is None:
            composite = found[f"{schema}.{name}"] = CompositeType(name, schema, [], comment)
        if attribute is not None:
            composite.attributes.append((attribute, type_))
            if collation is not None:
                composite.collations[attribute] = collation
            if attribute_comment is not None:
                composite.attribute_comments[attribute] = attribute_comment


# -- comparison -----------------------------------------------------------------------------------


def diff(kind: ObjectKind, key: str, before: CompositeType | None, after: CompositeType | None) -> list[Change]:
    simple = created_dropped_or_same(kind, key, before, after)
    if simple is not None:
        return simple
    address = kind.address(key)
    live, wanted = dict(before.attributes), dict(after.attributes)
    kept_live = [name for name, _ in before.attributes if name in wanted]
    kept_wanted = [name for name, _ in after.attributes if name in live]
    added = [name for name, _ in after.attributes if name not in live]
    # ADD ATTRIBUTE appends: the kept attributes must keep their order and come before the new ones.
    in_order = kept_live == kept_wanted and [n for n, _ in after.attributes] == kept_wanted + added
    attributes = []
    if _shown(before) != _shown(after):
        attributes.append(AttributeChange("attributes", _shown(before), _shown(after)))
    if before.comment != after.comment:
        attributes.append(AttributeChange("comment", before.comment, after.comment))
    if before.attribute_comments != after.attribute_comments:
        attributes.append(AttributeChange("attribute comments", before.attribute_comments, after.attribute_comments))
    if not in_order:
        return [Change(Action.REPLACE, kind.name, address, before=before, after=after, attributes=attributes,
                       notes=["attributes reordered: ALTER TYPE cannot, so the type is dropped and created again"])]
    extra = {"dropped": [name for name, _ in before.attributes if name not in wanted], "added": added,
             "retyped": [name for name in kept_wanted if live[name] != wanted[name]
                         or before.collations.get(name) != after.collations.get(name)]}
    return [Change(Action.ALTER, kind.name, address, before=before, after=after, attributes=attributes, extra=extra)]


def _shown(composite: CompositeType) -> str:
    return ", ".join(f"{name} {_attribute_type(composite, name)}" for name, _ in composite.attributes)


def _attribute_type(composite: CompositeType, attribute: str) -> str:
    """The attribute's type as SQL, with its COLLATE when it has one of its own."""
    type_ = dict(composite.attributes)[attribute]
    collation = composite.collations.get(attribute)
    return f"{type_} COLLATE {quote_ident(collation)}" if collation else type_


def _using_columns(db: Database, composite: CompositeType) -> list[str]:
    names = {composite.type_name, composite.type_name + "[]"}
    return [f"{table.key}.{column.name}" for table in db.tables.values() for column in table.columns.values()
            if column.type in names]


def after_diff(changes: list[Change], current: Database, desired: Database) -> list[Change]:
    """What the live columns using a changed type allow: PlanError where PostgreSQL would refuse."""
    for change in changes:
        if change.kind != NAME or change.action not in (Action.ALTER, Action.REPLACE):
            continue
        columns = _using_columns(current, change.before)
        change.extra["columns"] = columns
        if not columns:
            continue
        used = f"columns {', '.join(columns)} use it"
        if change.action == Action.REPLACE:
            raise PlanError(f"composite type {change.before.key} has its attributes reordered, which needs DROP "
                            f"TYPE and CREATE TYPE, but {used}: add attributes at the end instead, or change "
                            "those columns first")
        if change.extra["retyped"]:
            raise PlanError(f"composite type {change.before.key}: PostgreSQL cannot change the type of attribute "
                            f"{', '.join(change.extra['retyped'])} while {used}: change those columns first")
    return changes


# -- rendering, hazards ---------------------------------------------------------------------------


def _create(composite: CompositeType) -> list[Statement]:
    name = qualified_name(composite.schema, composite.name)
    body = ",\n".join(f"    {quote_ident(attribute)} {_attribute_type(composite, attribute)}"
                      for attribute, _ in composite.attributes)
    statements = [Statement(f"CREATE TYPE {name} AS (\n{body}\n);")]
    if composite.comment is not None:
        statements.append(Statement(_comment_sql(composite)))
    statements += [Statement(_attribute_comment_sql(composite, attribute)) for attribute, _ in composite.attributes
                   if attribute in composite.attribute_comments]
    return statements


def _attribute_comment_sql(composite: CompositeType, attribute: str) -> str:
    target = f"{qualified_name(composite.schema, composite.name)}.{quote_ident(attribute)}"
    return comment_on("COLUMN", target, composite.attribute_comments.get(attribute))


def _comment_sql(composite: CompositeType) -> str:
    return comment_on("TYPE", qualified_name(composite.schema, composite.name), composite.comment)


def render(change: Change, options: Any) -> list[Statement]:
    if change.action in (Action.DROP, Action.REPLACE):
        drop = [Statement(f"DROP TYPE {qualified_name(change.before.schema, change.before.name)};")]
        return drop + (_create(change.after) if change.action == Action.REPLACE else [])
    after: CompositeType = change.after
    if change.action == Action.CREATE:
        return _create(after)
    name = qualified_name(after.schema, after.name)
    statements = [Statement(f"ALTER TYPE {name} DROP ATTRIBUTE {quote_ident(attribute)};")
                  for attribute in change.extra.get("dropped", [])]
    statements += [Statement(f"ALTER TYPE {name} ALTER ATTRIBUTE {quote_ident(attribute)} TYPE {_attribute_type(after, attribute)};")
                   for attribute in change.extra.get("retyped", [])]
    statements += [Statement(f"ALTER TYPE {name} ADD ATTRIBUTE {quote_ident(attribute)} {_attribute_type(after, attribute)};")
                   for attribute in change.extra.get("added", [])]
    if change.before.comment != after.comment:
        statements.append(Statement(_comment_sql(after)))
    # An added attribute starts without a comment; a kept one keeps its own until changed.
    statements += [Statement(_attribute_comment_sql(after, attribute)) for attribute, _ in after.attributes
                   if after.attribute_comments.get(attribute) != (
                       None if attribute in change.extra.get("added", []) else change.before.attribute_comments.get(attribute))]
    return statements


def hazards(change: Change) -> None:
    columns = change.extra.get("columns") or []
    if change.action == Action.ALTER and change.extra.get("dropped") and columns:
        change.add_hazard(Hazard.DATA_LOSS, f"attribute {', '.join(change.extra['dropped'])} is dropped with its "
                                            f"values in {', '.join(columns)}")


KIND = ObjectKind(name=NAME, section="types", build=build, to_spec=to_spec, render=render,
                  create_before="table", diff=diff, hazards=hazards, after_diff=after_diff)
