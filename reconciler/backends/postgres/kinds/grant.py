"""Privileges of the managed roles: `grants: {role: {schemas|tables|sequences|functions: {object: [privileges]}}}`.

Only roles the spec lists in `roles:` have their privileges read and managed: what the spec names and the
role lacks is granted, what the role holds on the managed schemas and the objects in them but the spec does
not name is revoked. Other roles, PUBLIC included (functions' default EXECUTE), are never touched, nor
an object's owner (who holds its privileges by owning it). `all` is the kind's every privilege.

A grant on an object that may be new runs last (after everything it could be on is created); a change to
privileges the role already holds on an object (revokes, and grants beside them) runs first, before any
drop, so a revoke never names an object the plan has dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Statement
from reconciler.objects import ObjectKind

from ..catalog import Catalog, Rows
from ..types import (
    DEFAULT_SCHEMA,
    normalize_type,
    qualified_name,
    quote_ident,
    split_dotted,
    user_type_name,
)

QUERY = "grant"
READ_ORDER = 110
#: Spec section -> what the privileges are on, and its privileges in PostgreSQL's order.
SECTIONS = {"schemas": "schema", "tables": "table", "sequences": "sequence", "functions": "function"}
PRIVILEGES = {
    "schema": ("usage", "create"),
    "table": ("select", "insert", "update", "delete", "truncate", "references", "trigger"),
    "sequence": ("usage", "select", "update"),
    "function": ("execute",),
}
_ON_SQL = {"schema": "SCHEMA", "table": "TABLE", "sequence": "SEQUENCE", "function": "ROUTINE"}
_FUNCTION = re.compile(r"\s*(.+?)\s*\((.*)\)\s*", re.DOTALL)
_NAME_PART = re.compile(r'\s*("(?:[^"]|"")+"|[^\s."()]+)\s*')
_PLAIN_NAME = re.compile(r'[^\s."()]+')
_TYPMOD = re.compile(r"\(\s*\d+\s*(?:,\s*\d+\s*)?\)")
# A type name as it goes into GRANT ... ON ROUTINE f(<types>): names (quoted or plain, words for the builtins
# that have them), optionally schema-qualified, optionally an array; nothing else reaches SQL.
_SIGNATURE_TYPE = re.compile(r'(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*(?: [a-z_]+)*)(?:\.(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))?'
                             r"(?:\[\])?")


@dataclass(frozen=True)
class Target:
    """What privileges are on: a schema, a table (or view), a sequence, or a function with its argument types."""

    on: str
    schema: str
    name: str | None = None
    #: A function's argument types as PostgreSQL prints them (`integer, text`).
    args: str | None = None

    @property
    def key(self) -> str:
        if self.on == "schema":
            return self.schema
        if self.on == "function":
            # As the function kind keys its functions: schema.name(types), the name as it is.
            return f"{self.schema}.{self.name}({self.args})"
        return f"{self.schema}.{self.name}"

    def spec_key(self) -> str:
        """As written in a spec: without the default schema; a function's name quoted where `split_dotted`
        needs it to read it back."""
        key = self.key
        if self.on == "function":
            name = self.name or ""
            if not _PLAIN_NAME.fullmatch(name):
                name = '"' + name.replace('"', '""') + '"'
            key = f"{self.schema}.{name}({self.args})"
        return key[len(DEFAULT_SCHEMA) + 1:] if self.on != "schema" and self.schema == DEFAULT_SCHEMA else key

    def sql(self) -> str:
        if self.on == "schema":
            return f"SCHEMA {quote_ident(self.schema)}"
        assert self.name is not None
        name = qualified_name(self.schema, self.name)
        # args: type names in format_type's spelling, from normalize_type (spec) or the catalog.
        return f"{_ON_SQL[self.on]} {name}({self.args})" if self.on == "function" else f"{_ON_SQL[self.on]} {name}"


@dataclass
class Privileges:
    """One role's privileges on one object: what a change grants or revokes."""

    role: str
    target: Target
    #: In PRIVILEGES order.
    privileges: tuple[str, ...]
    #: The role owns the object: it holds every privilege by that, and nothing is granted or revoked.
    owner: bool = False


@dataclass
class RoleGrants:
    role: str
    #: Target.key (with its kind) -> privileges.
    grants: dict[str, Privileges] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.role

    def add(self, target: Target, privileges: tuple[str, ...], owner: bool = False) -> None:
        self.grants[f"{target.on} {target.key}"] = Privileges(self.role, target, privileges, owner)


# -- spec <-> model -------------------------------------------------------------------------------


def privileges_of(on: str, names: list[str]) -> tuple[str, ...]:
    wanted = set(PRIVILEGES[on]) if "all" in names else set(names)
    return tuple(p for p in PRIVILEGES[on] if p in wanted)


def _split_args(text: str) -> list[str]:
    args, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    args.append(text[start:])
    return [arg.strip() for arg in args] if text.strip() else []


def _user_types(db: Any, default_schema: str) -> dict[str, str]:
    types: dict[str, str] = {}
    for obj in [*db.enums.values(), *db.domains.values()]:
        canonical = user_type_name(obj.schema, obj.name)
        types[obj.key] = types[canonical] = canonical
        if obj.schema == default_schema:
            types[obj.name] = canonical
    return types


def function_target(text: str, context: Any) -> Target:
    match = _FUNCTION.fullmatch(text)
    parts = split_dotted(match.group(1), _NAME_PART) if match else None
    if match is None or parts is None or len(parts) > 2:
        raise ValueError(f"function {text!r}: expected name(argument types) or schema.name(argument types)")
    schema, name = parts if len(parts) == 2 else (context.default_schema, parts[0])
    if schema not in context.schemas:
        raise ValueError(f"function {text!r}: schema {schema!r} is not listed in schemas")
    user_types = _user_types(context.db, context.default_schema)
    args = []
    for arg in _split_args(match.group(2)):
        try:
            # A function's identity has no type modifiers: numeric(10,2) is numeric.
            canonical = _TYPMOD.sub("", normalize_type(arg, user_types))
        except ValueError as exc:
            raise ValueError(f"function {text!r}: {exc}") from None
        if not _SIGNATURE_TYPE.fullmatch(canonical):
            raise ValueError(f"function {text!r}: {arg!r} cannot be an argument type of a function signature")
        args.append(canonical)
    return Target("function", schema, name, ", ".join(args))


def _implied_sequences(db: Any) -> set[str]:
    """The sequences serial and identity columns have, by PostgreSQL's default name."""
    return {f"{table.schema}.{table.name}_{column.name}_seq" for table in db.tables.values()
            for column in table.columns.values() if column.serial or column.identity}


def _target(on: str, text: str, context: Any) -> Target:
    if on == "function":
        target = function_target(text, context)
        from . import OBJECT_KINDS

        # With functions a kind of the spec (pg-functions), a grant names one of them: any other function in
        # a managed schema is the plan's to drop.
        if "function" in OBJECT_KINDS and target.key not in context.db.objects.get("function", {}):
            raise ValueError(f"function {target.key} is not a function of the spec")
        return target
    if on == "schema":
        if text not in context.schemas:
            raise ValueError(f"schema {text!r} is not listed in schemas")
        return Target("schema", text)
    schema, name = context.split(text)
    target, db = Target(on, schema, name), context.db
    if on == "table":
        known = target.key in db.tables or any(target.key in db.objects.get(kind, {})
                                               for kind in ("view", "materialized_view"))
    else:
        known = target.key in db.objects.get("sequence", {}) or target.key in _implied_sequences(db)
    if not known:
        raise ValueError(f"{on} {target.key} is not a {on} of the spec")
    return target


def build(key: str, spec: dict[str, Any] | None, context: Any) -> RoleGrants:
    if key not in context.db.objects.get("role", {}):
        raise ValueError(f"role {key!r} is not listed in roles: only the privileges of managed roles are managed")
    grants = RoleGrants(key)
    for section, on in SECTIONS.items():
        for text, names in ((spec or {}).get(section) or {}).items():
            try:
                target = _target(on, text, context)
            except ValueError as exc:
                raise ValueError(f"{section}: {exc}") from None
            if f"{on} {target.key}" in grants.grants:
                raise ValueError(f"{section}: {on} {target.key} is named twice")
            grants.add(target, privileges_of(on, names))
    return grants


def to_spec(grants: RoleGrants) -> tuple[str, dict[str, Any]]:
    spec: dict[str, dict[str, list[str]]] = {}
    for held in grants.grants.values():
        if held.owner:
            continue
        on = held.target.on
        section = next(name for name, kind in SECTIONS.items() if kind == on)
        names = ["all"] if held.privileges == PRIVILEGES[on] and len(held.privileges) > 1 else list(held.privileges)
        spec.setdefault(section, {})[held.target.spec_key()] = names
    return grants.role, spec


def load(rows: Rows, catalog: Catalog) -> None:
    held: dict[tuple[str, Target], set[str]] = {}
    for role, on, schema, name, args, privilege in rows:
        privilege = privilege.lower()
        # A privilege newer than this tool (MAINTAIN) is left alone.
        if privilege in PRIVILEGES[on] or privilege == "owner":
            held.setdefault((role, Target(on, schema, name, args)), set()).add(privilege)
    for (role, target), privileges in held.items():
        owner = "owner" in privileges
        grants = catalog.db.objects.setdefault("grant", {}).setdefault(role, RoleGrants(role))
        grants.add(target, PRIVILEGES[target.on] if owner else privileges_of(target.on, sorted(privileges)), owner)


# -- comparison, rendering ------------------------------------------------------------------------


def _address(held: Privileges) -> str:
    return f"grant on {held.target.on} {held.target.key} to {held.role}"


def diff(kind: ObjectKind, key: str, before: RoleGrants | None, after: RoleGrants | None) -> list[Change]:
    """Per object: CREATE (granted where the role holds nothing yet: runs last), or ALTER (privileges it
    holds change, revokes included: runs first)."""
    live, wanted = (before.grants if before else {}), (after.grants if after else {})
    changes = []
    for target_key, want in wanted.items():
        have = live.get(target_key)
        if have is not None and have.owner:  # owning it is every privilege; GRANT and REVOKE would not change that
            continue
        if have is None and want.privileges:
            changes.append(Change(Action.CREATE, kind.name, _address(want), after=want, table=_table(want)))
        elif have is not None and have.privileges != want.privileges:
            changes.append(_alter(kind, have, want))
    for target_key, have in live.items():
        if target_key not in wanted and not have.owner:
            changes.append(_alter(kind, have, Privileges(have.role, have.target, ())))
    return changes


def _table(held: Privileges) -> str | None:
    return held.target.key if held.target.on == "table" else None


def _alter(kind: ObjectKind, have: Privileges, want: Privileges) -> Change:
    return Change(Action.ALTER, kind.name, _address(want), before=have, after=want, table=_table(want),
                  attributes=[AttributeChange("privileges", list(have.privileges), list(want.privileges))])


def _privileges_sql(privileges: list[str]) -> str:
    return ", ".join(p.upper() for p in privileges)  # from PRIVILEGES only


def render(change: Change, options: Any) -> list[Statement]:
    after: Privileges = change.after
    had = change.before.privileges if change.before is not None else ()
    revoked = [p for p in had if p not in after.privileges]
    granted = [p for p in after.privileges if p not in had]
    role, target = quote_ident(after.role), after.target.sql()
    statements = []
    if revoked:
        statements.append(Statement(f"REVOKE {_privileges_sql(revoked)} ON {target} FROM {role};"))
    if granted:
        statements.append(Statement(f"GRANT {_privileges_sql(granted)} ON {target} TO {role};"))
    return statements


#: Kinds of objects a plan may drop and create again (a view rebuilt, a function replaced) -> what grants are on.
_RECREATED_ON = {"table": "table", "view": "table", "materialized_view": "table", "sequence": "sequence",
                 "function": "function"}


def grants_last(changes: list[Change], current: Any, desired: Any) -> list[Change]:
    """Grants on objects that may be new go after every other change of their phase (views are created in the
    same one, and order theirs in their own pass); and see `regrant_recreated`."""
    changes = regrant_recreated(changes, desired)
    grants = [c for c in changes if c.kind == KIND.name and c.action == Action.CREATE]
    return [c for c in changes if not (c.kind == KIND.name and c.action == Action.CREATE)] + grants


def regrant_recreated(changes: list[Change], desired: Any) -> list[Change]:
    """An object the plan drops and creates again loses every privilege on it: the managed roles' privileges the
    spec names are granted again once it is back (last), and no earlier change of them (which would run on the
    old object) is kept."""
    created = {(c.kind, c.address) for c in changes if c.action == Action.CREATE}
    recreated = set()
    for change in changes:
        if change.kind in _RECREATED_ON and (change.action == Action.REPLACE or (
                change.action == Action.DROP and (change.kind, change.address) in created)):
            recreated.add(f"{_RECREATED_ON[change.kind]} {change.before.key}")
    wanted = {(held.role, key): held for grants in desired.objects.get("grant", {}).values()
              for key, held in grants.grants.items() if key in recreated}
    if not wanted:
        return changes
    kept = [c for c in changes if c.kind != KIND.name
            or (c.after.role, f"{c.after.target.on} {c.after.target.key}") not in wanted]
    return kept + [Change(Action.CREATE, KIND.name, _address(held), after=held, table=_table(held))
                   for held in wanted.values() if held.privileges]


# Registered after views and functions (READ_ORDER): built after them (a grant names one), and this pass
# runs after theirs (which add the rebuilds).
KIND = ObjectKind(name="grant", section="grants", build=build, to_spec=to_spec, render=render,
                  create_before="foreign_key", alter_after="schema", diff=diff, after_diff=grants_last)
