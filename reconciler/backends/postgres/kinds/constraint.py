"""Primary keys, unique constraints, foreign keys and checks of the managed tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reconciler.changes import Action
from reconciler.model import (
    CheckConstraint,
    ExclusionConstraint,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    UniqueConstraint,
)

from ..catalog import Catalog, Rows
from ..render import Renderer, comment_sql, constraint_body, deferrable_sql, foreign_key_body
from ..types import quote_ident
from .index import render_create_index

QUERY = "constraint"
READ_ORDER = 80
FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
_CHECK = re.compile(r"^CHECK \((?P<expr>.*)\)(?P<flags>(?: NO INHERIT| NOT VALID)*)\Z", re.DOTALL)


def check_body(definition: str) -> str:
    """The expression inside `CHECK (...)` as pg_get_constraintdef prints it."""
    if definition.startswith("CHECK (") and definition.endswith(")"):
        return definition[7:-1]  # no NO INHERIT / NOT VALID after it: what the pattern finds too
    match = _CHECK.match(definition)
    return match.group("expr") if match else definition


def load(rows: Rows, catalog: Catalog) -> None:
    attnames = catalog.attnames
    for row in rows:
        (oid, name, contype, definition, keys, ref_schema, ref_table, ref_oid, ref_keys, outside_names,
         on_update, on_delete, deferrable, deferred, validated, match, set_columns, no_inherit, comment,
         nulls_not_distinct, method, predicate, elements) = row
        table = catalog.tables_by_oid[oid]
        if contype == "c":
            table.checks[name] = CheckConstraint(name, check_body(definition), validated, no_inherit, comment)
            continue
        if contype == "x":
            table.exclusions[name] = _exclusion(name, method, predicate, elements or [], deferrable, deferred,
                                                comment)
            continue
        columns = [attnames[(oid, n)] for n in keys] if keys else []
        if contype == "p":
            table.primary_key = PrimaryKey(name, columns, comment, deferrable, deferred)
        elif contype == "u":
            table.uniques[name] = UniqueConstraint(name, columns, deferrable, deferred, nulls_not_distinct, comment)
        elif contype == "f":
            ref_columns = (outside_names if outside_names is not None
                           else [attnames[(ref_oid, n)] for n in ref_keys or ()])
            table.foreign_keys[name] = ForeignKey(
                name, columns, ref_table, list(ref_columns), ref_schema, FK_ACTIONS[on_delete],
                FK_ACTIONS[on_update], deferrable, deferred, validated, "full" if match == "f" else "simple",
                [attnames[(oid, n)] for n in set_columns or ()], comment)


def _exclusion(name: str, method: str, predicate: str | None, elements: list[list[Any]], deferrable: bool,
               deferred: bool, comment: str | None) -> ExclusionConstraint:
    keys, operators = [], []
    for attname, expression, opclass, option, operator in elements:
        descending, nulls_first = bool(option & 1), bool(option & 2)
        keys.append(IndexElement(attname, None if attname is not None else expression, descending,
                                 None if nulls_first == descending else ("first" if nulls_first else "last"),
                                 opclass))
        operators.append(operator)
    return ExclusionConstraint(name, keys, operators, method, predicate, deferrable, deferred, comment)


# -- rendering ---------------------------------------------------------------------------------------


def _add_validated(r: Renderer, name: str, body: str, *, validate: bool = True) -> None:
    """ADD CONSTRAINT; online: NOT VALID now, VALIDATE after commit under a weaker lock; a constraint the
    spec wants `not_valid` is added NOT VALID and left so."""
    table = r.table_name()
    if not validate:
        r.add(f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(name)} {body} NOT VALID")
        return
    if not r.options.online:
        r.add(f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(name)} {body}")
        return
    r.add(f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(name)} {body} NOT VALID")
    r.add(f"ALTER TABLE {table} VALIDATE CONSTRAINT {quote_ident(name)}", transactional=False)


def _primary_key_create(r: Renderer, pk: PrimaryKey) -> None:
    r.add(f"ALTER TABLE {r.table_name()} ADD CONSTRAINT {quote_ident(pk.name)} {constraint_body(pk)}")


def _unique_create(r: Renderer, uq: UniqueConstraint) -> None:
    table = r.table_name()
    if not r.options.online:
        r.add(f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(uq.name)} {constraint_body(uq)}")
        return
    # Build the index without blocking writes, then attach it as the constraint.
    index = Index(name=uq.name, elements=[IndexElement(column=c) for c in uq.columns], unique=True,
                  nulls_not_distinct=uq.nulls_not_distinct)
    render_create_index(r, index)
    r.add(f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(uq.name)} UNIQUE USING INDEX {quote_ident(uq.name)}"
          f"{deferrable_sql(uq.deferrable, uq.initially_deferred)}", transactional=False)


def _foreign_key_create(r: Renderer, fk: ForeignKey) -> None:
    _add_validated(r, fk.name, foreign_key_body(fk), validate=fk.valid)


def _check_create(r: Renderer, check: CheckConstraint) -> None:
    _add_validated(r, check.name, constraint_body(check), validate=check.valid)


def _exclusion_create(r: Renderer, exclusion: ExclusionConstraint) -> None:
    r.add(f"ALTER TABLE {r.table_name()} ADD CONSTRAINT {quote_ident(exclusion.name)} {constraint_body(exclusion)}")


_CREATORS: dict[str, Callable[[Renderer, Any], None]] = {
    "primary_key": _primary_key_create, "unique": _unique_create,
    "foreign_key": _foreign_key_create, "check": _check_create, "exclusion": _exclusion_create,
}


def constraint_comment_sql(r: Renderer, name: str, comment: str | None) -> str:
    return comment_sql("CONSTRAINT", f"{quote_ident(name)} ON {r.table_name()}", comment)


def _constraint_change(r: Renderer) -> None:
    """Create, drop or replace (drop, then create) of a primary key, unique, foreign key, check or exclusion."""
    if r.change.action in (Action.DROP, Action.REPLACE):
        r.add(f"ALTER TABLE {r.table_name()} DROP CONSTRAINT {quote_ident(r.change.before.name)}")
    if r.change.action in (Action.CREATE, Action.REPLACE):
        _CREATORS[r.change.kind](r, r.change.after)
        if r.change.after.comment is not None:
            r.add(constraint_comment_sql(r, r.change.after.name, r.change.after.comment))


def _constraint_alter(r: Renderer) -> None:
    """Only the comment changes (everything else is a replace)."""
    r.add(constraint_comment_sql(r, r.change.after.name, r.change.after.comment))


def _constraint_rename(r: Renderer) -> None:
    # For primary keys and uniques this renames the backing index too.
    r.add(f"ALTER TABLE {r.table_name()} RENAME CONSTRAINT {quote_ident(r.change.before.name)} "
          f"TO {quote_ident(r.change.after.name)}")


RENDER = {(kind, action): _constraint_change for kind in _CREATORS
          for action in (Action.CREATE, Action.DROP, Action.REPLACE)}
RENDER.update({(kind, Action.RENAME): _constraint_rename for kind in _CREATORS})
RENDER.update({(kind, Action.ALTER): _constraint_alter for kind in _CREATORS})
