"""Domains: base type, NOT NULL, default, collation, checks, comment."""

from __future__ import annotations

from reconciler.model import CheckConstraint, Default, Domain

from ..catalog import Catalog, Rows
from ..types import user_type_name
from .constraint import check_body

QUERY = "domain"
READ_ORDER = 40


def load(rows: Rows, catalog: Catalog) -> None:
    for domain in _dependency_order([_domain(row) for row in rows]):
        catalog.db.domains[domain.key] = domain


def _domain(row: tuple) -> Domain:
    schema, name, base, notnull, default, collation, comment, check_names, check_defs = row
    return Domain(name=name, type=base, schema=schema, nullable=not notnull, collation=collation, comment=comment,
                  default=Default(expression=default, literal=False) if default is not None else None,
                  checks={n: CheckConstraint(name=n, expression=check_body(d))
                          for n, d in zip(check_names, check_defs, strict=True)})


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
