"""Relational diff: model x model -> typed changes. Pure; no database needed.

PostgreSQL, SQLite and MySQL compare the same model, so the table family's comparison is shared, one module
per kind: `table`, `column`, `constraint` (primary key, unique, foreign key, check, exclusion), `index`, and
`compare`, what they build their changes with; each backend's own modules render the changes. A backend
composes it with its own kinds' comparisons (`compose_diff`: PostgreSQL's schemas, extensions, enums and
domains). Both models must already be canonical (each backend's `canonicalize`), so comparison is equality of
values. Ordering is `order.py`'s (each backend's `order` calls it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reconciler.changes import COLUMN, Change
from reconciler.model import Database

from .table import diff_tables

#: One kind's comparison: current x desired -> its changes (a backend's kinds: PostgreSQL's enums ...).
KindDiff = Callable[[Database, Database], list[Change]]
#: A pass over the whole change list, after the comparisons (PostgreSQL's enum kind rebuilds what names a
#: recreated enum).
ChangesPass = Callable[[list[Change], Database, Database], list[Change]]


def diff_databases(current: Database, desired: Database) -> list[Change]:
    """The relational diff of the models' dialect, as its backend composes it (`Backend.relational_diff`)."""
    from reconciler.backends import get_backend

    return get_backend(desired.dialect).relational_diff(current, desired)


def compose_diff(current: Database, desired: Database, kinds: Iterable[KindDiff] = (),
                 passes: Iterable[ChangesPass] = ()) -> list[Change]:
    """The backend's kinds' comparisons in its order, then the tables (shared), then the passes over the
    whole list, then the prevent_destroy marking."""
    changes: list[Change] = []
    for diff in kinds:
        changes += diff(current, desired)
    changes += diff_tables(current, desired)
    for apply_pass in passes:
        changes = apply_pass(changes, current, desired)
    mark_prevented(changes, desired)
    return changes


def mark_prevented(changes: list[Change], desired: Database) -> None:
    """Flag changes that would destroy what the spec protects: a protected object that is replaced, or a
    column of a protected table. (An object gone from the spec has no flag; PostgreSQL's enum kind flags
    the enums it recreates.)"""
    for change in changes:
        if not change.destroys:
            continue
        table = desired.tables.get(change.table) if change.table else None
        in_protected_table = change.kind == COLUMN and table is not None and table.prevent_destroy
        change.prevented = bool(getattr(change.after, "prevent_destroy", False) or in_protected_table)
