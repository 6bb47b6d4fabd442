"""Managed roles: the roles the spec lists (`roles:`). Roles are cluster-wide, so only those are read,
created when missing (NOLOGIN unless `login: true`) or changed: each attribute (LOGIN, CREATEDB, CREATEROLE,
INHERIT, BYPASSRLS, REPLICATION, CONNECTION LIMIT) only when the spec gives it, and the memberships among the
managed roles (`member_of`) only when the spec lists them. A role is never dropped (it may own objects and hold
privileges in other databases), a role the spec does not list is never touched (nor a membership in one), and
neither SUPERUSER nor passwords are managed. Their privileges are the `grant` kind's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Statement
from reconciler.objects import ObjectKind

from ..catalog import Catalog, Rows
from ..types import quote_ident

QUERY = "role"
READ_ORDER = 12  # after schema: the catalog pipeline still starts with the schema query (test_network_faults)

#: Boolean attributes -> their keyword (NO<keyword> turns one off), in the order they are written.
FLAGS = {"login": "LOGIN", "createdb": "CREATEDB", "createrole": "CREATEROLE", "inherit": "INHERIT",
         "bypassrls": "BYPASSRLS", "replication": "REPLICATION"}
#: What CREATE ROLE gives an attribute left out: inspect writes only the attributes that differ from it.
DEFAULTS: dict[str, Any] = {"createdb": False, "createrole": False, "inherit": True, "bypassrls": False,
                            "replication": False, "connection_limit": -1}


@dataclass
class Role:
    name: str
    #: Each attribute: None in a spec that leaves it to the role as it is (a new role gets PostgreSQL's default).
    login: bool | None = None
    createdb: bool | None = None
    createrole: bool | None = None
    inherit: bool | None = None
    bypassrls: bool | None = None
    replication: bool | None = None
    #: CONNECTION LIMIT; -1: no limit.
    connection_limit: int | None = None
    #: The managed roles it is a member of (sorted); None in a spec that leaves its memberships alone.
    member_of: tuple[str, ...] | None = None

    @property
    def key(self) -> str:
        return self.name


ATTRIBUTES = [f.name for f in fields(Role) if f.name not in ("name", "member_of")]
_RESERVED = frozenset({"public", "none", "current_user", "session_user", "current_role"})


def build(key: str, spec: dict[str, Any] | None, context: Any) -> Role:
    if key.lower() in _RESERVED or key.startswith("pg_"):
        raise ValueError(f"role name {key!r} is reserved by PostgreSQL")
    spec = spec or {}
    values: dict[str, Any] = {name: None if spec.get(name) is None else bool(spec[name]) for name in FLAGS}
    if spec.get("connection_limit") is not None:
        values["connection_limit"] = int(spec["connection_limit"])
    member_of = spec.get("member_of")
    if member_of is not None:
        declared = context.declared_roles
        for group in member_of:
            if group == key:
                raise ValueError(f"member_of: a role cannot be a member of itself ({group!r})")
            if group not in declared:
                raise ValueError(f"member_of: role {group!r} is not listed in roles (memberships are managed "
                                 f"among the roles of the spec only)")
        if len(set(member_of)) != len(member_of):
            raise ValueError("member_of: a role is listed twice")
        values["member_of"] = tuple(sorted(member_of))
    return Role(name=key, **values)


def to_spec(role: Role) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {}
    if role.login is not None:
        spec["login"] = role.login
    for name in ATTRIBUTES:
        value = getattr(role, name)
        if name != "login" and value is not None and value != DEFAULTS[name]:
            spec[name] = value
    if role.member_of:
        spec["member_of"] = list(role.member_of)
    return role.name, spec


def load(rows: Rows, catalog: Catalog) -> None:
    for (name, login, createdb, createrole, inherit, bypassrls, replication, connection_limit, member_of) in rows:
        catalog.db.objects.setdefault("role", {})[name] = Role(
            name, login=login, createdb=createdb, createrole=createrole, inherit=inherit, bypassrls=bypassrls,
            replication=replication, connection_limit=connection_limit, member_of=tuple(sorted(member_of)))


def diff(kind: ObjectKind, key: str, before: Role | None, after: Role | None) -> list[Change]:
    """Created when missing; an attribute or the memberships changed only when the spec says them; never dropped
    (a live role read here is always one the spec lists, so `after` is None only for one removed since: left
    alone)."""
    if after is None:
        return []
    if before is None:
        return [Change(Action.CREATE, kind.name, kind.address(key), after=after)]
    attributes = [AttributeChange(name, getattr(before, name), getattr(after, name))
                  for name in [*ATTRIBUTES, "member_of"]
                  if getattr(after, name) is not None and getattr(after, name) != getattr(before, name)]
    if not attributes:
        return []
    return [Change(Action.ALTER, kind.name, kind.address(key), before=before, after=after, attributes=attributes)]


def _options_sql(role: Role, names: list[str]) -> str:
    options = []
    for name in names:
        value = getattr(role, name)
        if name == "connection_limit":
            options.append(f"CONNECTION LIMIT {int(value)}")
        else:
            options.append(FLAGS[name] if value else f"NO{FLAGS[name]}")
    return " ".join(options)


def _membership_sql(role: Role, groups: list[str], revoke: bool) -> list[Statement]:
    if not groups:
        return []
    names = ", ".join(quote_ident(g) for g in groups)
    if revoke:
        return [Statement(f"REVOKE {names} FROM {quote_ident(role.name)};")]
    return [Statement(f"GRANT {names} TO {quote_ident(role.name)};")]


def render(change: Change, options: Any) -> list[Statement]:
    role: Role = change.after
    name = quote_ident(role.name)
    if change.action == Action.CREATE:
        # A new role is NOLOGIN unless the spec says login: true (CREATE ROLE's own default).
        given = [n for n in ATTRIBUTES if getattr(role, n) is not None and n != "login"]
        statements = [Statement(f"CREATE ROLE {name} {'LOGIN' if role.login else 'NOLOGIN'}"
                                f"{' ' + _options_sql(role, given) if given else ''};")]
        return statements + _membership_sql(role, list(role.member_of or ()), revoke=False)
    changed = [a.name for a in change.attributes]
    statements = []
    attributes = [n for n in ATTRIBUTES if n in changed]
    if attributes:
        statements.append(Statement(f"ALTER ROLE {name} {_options_sql(role, attributes)};"))
    if "member_of" in changed:
        had, wanted = set(change.before.member_of or ()), set(role.member_of or ())
        statements += _membership_sql(role, sorted(had - wanted), revoke=True)
        statements += _membership_sql(role, sorted(wanted - had), revoke=False)
    return statements


def groups_first(changes: list[Change], current: Any, desired: Any) -> list[Change]:
    """A role's changes after those of the managed roles it becomes a member of (GRANT needs them created);
    PostgreSQL refuses circular memberships, so the order exists."""
    mine = [c for c in changes if c.kind == KIND.name]
    if len(mine) < 2:
        return changes
    by_name = {c.after.name: c for c in mine}
    done: list[Change] = []
    seen: set[str] = set()

    def visit(name: str, path: frozenset[str]) -> None:
        if name in seen or name in path or name not in by_name:
            return
        for group in by_name[name].after.member_of or ():
            visit(group, path | {name})
        seen.add(name)
        done.append(by_name[name])

    for change in mine:
        visit(change.after.name, frozenset())
    return [c for c in changes if c.kind != KIND.name] + done


# Roles come first: policies and grants name them.
KIND = ObjectKind(name="role", section="roles", build=build, to_spec=to_spec, render=render,
                  create_before="schema", diff=diff, after_diff=groups_first)
