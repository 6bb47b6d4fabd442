"""Managed roles: the roles the spec lists (`roles:`). Roles are cluster-wide, so only those are read,
created when missing (NOLOGIN unless `login: true`) or changed (LOGIN/NOLOGIN when `login` is given);
a role is never dropped (it may own objects and hold privileges in other databases), and a role the
spec does not list is never touched. Their privileges are the `grant` kind's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Statement
from reconciler.objects import ObjectKind

from ..catalog import Catalog, Rows
from ..types import quote_ident

QUERY = "role"
READ_ORDER = 12  # after schema: the catalog pipeline still starts with the schema query (test_network_faults)


@dataclass
class Role:
    name: str
    #: LOGIN / NOLOGIN; None in a spec that leaves it to the role as it is.
    login: bool | None = None

    @property
    def key(self) -> str:
        return self.name


_RESERVED = frozenset({"public", "none", "current_user", "session_user", "current_role"})


def build(key: str, spec: dict[str, Any] | None, context: Any) -> Role:
    if key.lower() in _RESERVED or key.startswith("pg_"):
        raise ValueError(f"role name {key!r} is reserved by PostgreSQL")
    spec = spec or {}
    login = spec.get("login")
    return Role(name=key, login=None if login is None else bool(login))


def to_spec(role: Role) -> tuple[str, dict[str, Any]]:
    return role.name, {} if role.login is None else {"login": role.login}


def load(rows: Rows, catalog: Catalog) -> None:
    for name, can_login in rows:
        catalog.db.objects.setdefault("role", {})[name] = Role(name, bool(can_login))


def diff(kind: ObjectKind, key: str, before: Role | None, after: Role | None) -> list[Change]:
    """Created when missing; LOGIN changed only when the spec says it; never dropped (a live role read
    here is always one the spec lists, so `after` is None only for one removed since: left alone)."""
    if after is None:
        return []
    if before is None:
        return [Change(Action.CREATE, kind.name, kind.address(key), after=after)]
    if after.login is None or after.login == before.login:
        return []
    return [Change(Action.ALTER, kind.name, kind.address(key), before=before, after=after,
                   attributes=[AttributeChange("login", before.login, after.login)])]


def render(change: Change, options: Any) -> list[Statement]:
    role: Role = change.after
    login = "LOGIN" if role.login else "NOLOGIN"
    verb = "CREATE" if change.action == Action.CREATE else "ALTER"
    return [Statement(f"{verb} ROLE {quote_ident(role.name)} {login};")]


# Roles come first: policies and grants name them.
KIND = ObjectKind(name="role", section="roles", build=build, to_spec=to_spec, render=render,
                  create_before="schema", diff=diff)
