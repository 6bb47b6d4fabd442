"""Domains: base type, NOT NULL, default, collation, checks, comment."""

from __future__ import annotations

from reconciler.changes import FOREIGN_KEY, TABLE, Action, AttributeChange, Change
from reconciler.errors import PlanError
from reconciler.model import CheckConstraint, Database, Default, Domain
from reconciler.relational.order import Placement

from ..catalog import Catalog, Rows
from ..render import Renderer, collation_sql, comment_sql, constraint_body
from ..types import qualified_name, quote_ident, user_type_name
from .constraint import check_body
from .enum import uses_type

DOMAIN = "domain"
QUERY = "domain"
READ_ORDER = 40
DIFF_ORDER = 40
# Before every table step (columns use domains); dropped once the tables using them are gone.
ORDER = (Placement(DOMAIN, (Action.CREATE, Action.REPLACE, Action.ALTER), before=(FOREIGN_KEY, Action.DROP)),
         Placement(DOMAIN, (Action.DROP,), after=(TABLE, Action.DROP)))


def load(rows: Rows, catalog: Catalog) -> None:
    for domain in _dependency_order([_domain(row) for row in rows]):
        catalog.db.domains[domain.key] = domain


def _domain(row: tuple) -> Domain:
    schema, name, base, notnull, default, collation, comment, check_names, check_defs, check_comments = row
    return Domain(name=name, type=base, schema=schema, nullable=not notnull, collation=collation, comment=comment,
                  default=Default(expression=default, literal=False) if default is not None else None,
                  checks={n: CheckConstraint(name=n, expression=check_body(d), comment=c)
                          for n, d, c in zip(check_names, check_defs, check_comments, strict=True)})


def _dependency_order(domains: list[Domain]) -> list[Domain]:
    """Domains based on other domains after their base, so specs and creates can run top to bottom."""
    by_type = {user_type_name(d.schema, d.name): d for d in domains}
    ordered: dict[str, Domain] = {}

    def visit(domain: Domain, seen: frozenset[str]) -> None:
        base = by_type.get(domain.type.removesuffix("[]"))
        if base is not None and base.key not in seen:
            visit(base, seen | {domain.key})
        ordered.setdefault(domain.key, domain)

    for domain in domains:
        visit(domain, frozenset())
    return list(ordered.values())


# -- comparison ------------------------------------------------------------------------------------


def _type_users(current: Database, key: str) -> list[tuple[str, str]]:
    """Live columns (table_key, column) and domains ("", domain_key) whose type is `key` or an array of it."""
    users = [(t.key, c.name) for t in current.tables.values() for c in t.columns.values() if uses_type(c.type, key)]
    return users + [("", d.key) for d in current.domains.values() if uses_type(d.type, key)]


def diff_domains(current: Database, desired: Database) -> list[Change]:
    changes = []
    for key, domain in desired.domains.items():
        live = current.domains.get(key)
        address = f"domain {key}"
        if live is None:
            changes.append(Change(Action.CREATE, DOMAIN, address, after=domain))
            continue
        users = _type_users(current, key)
        if live.type != domain.type or live.collation != domain.collation:
            if users:
                used_by = ", ".join(f"{t}.{c}" if t else f"domain {c}" for t, c in users)
                raise PlanError(f"{address}: changing the base type of a domain in use ({used_by}) is not "
                                "supported; create a new domain and change the columns")
            changes.append(Change(Action.REPLACE, DOMAIN, address, before=live, after=domain, attributes=[
                AttributeChange(a, getattr(live, a), getattr(domain, a)) for a in ("type", "collation")
                if getattr(live, a) != getattr(domain, a)]))
            continue
        attrs = []
        old_default = live.default.expression if live.default else None
        new_default = domain.default.expression if domain.default else None
        if old_default != new_default:
            attrs.append(AttributeChange("default", old_default, new_default))
        for attr in ("nullable", "comment"):
            if getattr(live, attr) != getattr(domain, attr):
                attrs.append(AttributeChange(attr, getattr(live, attr), getattr(domain, attr)))
        old_checks = {n: c.expression for n, c in live.checks.items()}
        new_checks = {n: c.expression for n, c in domain.checks.items()}
        if old_checks != new_checks:
            attrs.append(AttributeChange("checks", old_checks, new_checks))
        old_comments = {n: c.comment for n, c in live.checks.items() if c.comment is not None}
        new_comments = {n: c.comment for n, c in domain.checks.items() if c.comment is not None}
        if old_comments != new_comments:
            attrs.append(AttributeChange("check comments", old_comments, new_comments))
        if attrs:
            changes.append(Change(Action.ALTER, DOMAIN, address, before=live, after=domain, attributes=attrs, extra={
                "checks_dropped": [n for n, e in old_checks.items() if new_checks.get(n) != e],
                "checks_added": [n for n, e in new_checks.items() if old_checks.get(n) != e],
                "columns": users}))
    # The inspector lists a domain's base domain first: drop in reverse, dependants first.
    for key, live in reversed(current.domains.items()):
        if key not in desired.domains:
            changes.append(Change(Action.DROP, DOMAIN, f"domain {key}", before=live,
                                  extra={"columns": _type_users(current, key)}))
    return changes


DIFF = diff_domains


# -- rendering ---------------------------------------------------------------------------------------


def create_domain_sql(domain: Domain) -> str:
    sql = f"CREATE DOMAIN {qualified_name(domain.schema, domain.name)} AS {domain.type}"
    if domain.collation:
        sql += f" COLLATE {collation_sql(domain.collation)}"
    if domain.default is not None:
        sql += f" DEFAULT {domain.default.expression}"
    if not domain.nullable:
        sql += " NOT NULL"
    for check in domain.checks.values():
        sql += f" CONSTRAINT {quote_ident(check.name)} {constraint_body(check)}"
    return sql


def _check_comment_sql(domain: Domain, check: CheckConstraint) -> str:
    target = f"{quote_ident(check.name)} ON DOMAIN {qualified_name(domain.schema, domain.name)}"
    return comment_sql("CONSTRAINT", target, check.comment)


def _domain_create(r: Renderer) -> None:
    domain: Domain = r.change.after
    r.add(create_domain_sql(domain))
    if domain.comment is not None:
        r.add(comment_sql("DOMAIN", qualified_name(domain.schema, domain.name), domain.comment))
    for check in domain.checks.values():
        if check.comment is not None:
            r.add(_check_comment_sql(domain, check))


def _domain_drop(r: Renderer) -> None:
    domain: Domain = r.change.before
    r.add(f"DROP DOMAIN {qualified_name(domain.schema, domain.name)}")


def _domain_replace(r: Renderer) -> None:
    _domain_drop(r)
    _domain_create(r)


def _domain_alter(r: Renderer) -> None:
    before: Domain = r.change.before
    after: Domain = r.change.after
    name = qualified_name(after.schema, after.name)
    extra = r.change.extra
    dropped = extra.get("checks_dropped",
                        [n for n, c in before.checks.items() if after.checks.get(n) != c])
    added = extra.get("checks_added", [n for n, c in after.checks.items() if before.checks.get(n) != c])
    # Relax first (drop checks, NOT NULL, default), then tighten: no statement trips over the previous one.
    for check_name in dropped:
        r.add(f"ALTER DOMAIN {name} DROP CONSTRAINT {quote_ident(check_name)}")
    if before.nullable != after.nullable and after.nullable:
        r.add(f"ALTER DOMAIN {name} DROP NOT NULL")
    if before.default != after.default:
        if after.default is None:
            r.add(f"ALTER DOMAIN {name} DROP DEFAULT")
        else:
            r.add(f"ALTER DOMAIN {name} SET DEFAULT {after.default.expression}")
    if before.nullable != after.nullable and not after.nullable:
        r.add(f"ALTER DOMAIN {name} SET NOT NULL")
    for check_name in added:
        check = after.checks[check_name]
        if r.options.online:
            # NOT VALID skips the scan of every column using the domain; VALIDATE runs after commit.
            r.add(f"ALTER DOMAIN {name} ADD CONSTRAINT {quote_ident(check.name)} {constraint_body(check)} NOT VALID")
            r.add(f"ALTER DOMAIN {name} VALIDATE CONSTRAINT {quote_ident(check.name)}", transactional=False)
        else:
            r.add(f"ALTER DOMAIN {name} ADD CONSTRAINT {quote_ident(check.name)} {constraint_body(check)}")
    if before.comment != after.comment:
        r.add(comment_sql("DOMAIN", name, after.comment))
    # A check added again starts without a comment; one kept keeps its own until changed.
    for check_name, check in after.checks.items():
        was = None if check_name in added or check_name not in before.checks else before.checks[check_name].comment
        if check.comment != was:
            r.add(_check_comment_sql(after, check))


# (change kind, action) -> the renderer of that change (see render.render).
RENDER = {("domain", Action.CREATE): _domain_create, ("domain", Action.DROP): _domain_drop,
          ("domain", Action.ALTER): _domain_alter, ("domain", Action.REPLACE): _domain_replace}
