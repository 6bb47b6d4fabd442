"""Primary keys, unique constraints, foreign keys and checks of the managed tables."""

from __future__ import annotations

import re

from reconciler.model import CheckConstraint, ForeignKey, PrimaryKey, UniqueConstraint

from ..catalog import Catalog, Rows

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
         on_update, on_delete, deferrable, deferred, validated) = row
        table = catalog.tables_by_oid[oid]
        if contype == "c":
            table.checks[name] = CheckConstraint(name, check_body(definition), validated)
            continue
        columns = [attnames[(oid, n)] for n in keys] if keys else []
        if contype == "p":
            table.primary_key = PrimaryKey(name, columns)
        elif contype == "u":
            table.uniques[name] = UniqueConstraint(name, columns, deferrable, deferred)
        elif contype == "f":
            ref_columns = (outside_names if outside_names is not None
                           else [attnames[(ref_oid, n)] for n in ref_keys or ()])
            table.foreign_keys[name] = ForeignKey(name, columns, ref_table, list(ref_columns), ref_schema,
                                                  FK_ACTIONS[on_delete], FK_ACTIONS[on_update], deferrable,
                                                  deferred, validated)
