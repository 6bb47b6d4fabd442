"""Standalone sequences: type, start, increment, bounds, cache, cycle, OWNED BY, comment.

Serial and identity columns keep their own sequences (the column kind reads those); this kind is
every other sequence, such as one an application calls with `nextval` in a default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Hazard, Statement
from reconciler.objects import ObjectKind, diff_object

from ..catalog import Catalog, Rows
from ..render import comment_sql as comment_on
from ..types import qualified_name, quote_ident

QUERY = "sequence"
READ_ORDER = 50
_BOUNDS = {"smallint": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}


@dataclass
class Sequence:
    name: str
    schema: str
    type: str = "bigint"
    start: int = 1
    increment: int = 1
    min_value: int = 1
    max_value: int = 2**63 - 1
    cache: int = 1
    cycle: bool = False
    #: "schema.table.column" of the column that owns it, or None.
    owned_by: str | None = None
    comment: str | None = None
    prevent_destroy: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"


def defaults(type_name: str, increment: int) -> dict[str, int]:
    """PostgreSQL's defaults for the bounds and the start, which depend on the type and direction."""
    low, high = _BOUNDS[type_name]
    min_value, max_value = (1, high) if increment > 0 else (low, -1)
    return {"min_value": min_value, "max_value": max_value}


# -- spec <-> model -------------------------------------------------------------------------------


def build(key: str, spec: dict[str, Any] | None, context: Any) -> Sequence:
    spec = spec or {}
    schema, name = context.split(key)
    type_name = spec.get("type", "bigint")
    increment = spec.get("increment", 1)
    bounds = defaults(type_name, increment)
    min_value, max_value = spec.get("min_value", bounds["min_value"]), spec.get("max_value", bounds["max_value"])
    low, high = _BOUNDS[type_name]
    if not low <= min_value < max_value <= high:
        raise ValueError(f"min_value {min_value} and max_value {max_value} must be ordered and fit {type_name}")
    start = spec.get("start", min_value if increment > 0 else max_value)
    if not min_value <= start <= max_value:
        raise ValueError(f"start {start} is outside min_value {min_value} .. max_value {max_value}")
    return Sequence(name=name, schema=schema, type=type_name, start=start, increment=increment,
                    min_value=min_value, max_value=max_value, cache=spec.get("cache", 1),
                    cycle=bool(spec.get("cycle", False)), owned_by=_owner(spec.get("owned_by"), schema, context),
                    comment=spec.get("comment"), prevent_destroy=bool(spec.get("prevent_destroy")))


def _owner(value: str | None, schema: str, context: Any) -> str | None:
    if value is None:
        return None
    table_ref, dot, column = value.rpartition(".")
    if not dot:
        raise ValueError(f"owned_by {value!r}: expected table.column")
    table_schema, table = context.split(table_ref) if "." in table_ref else (schema, table_ref)
    wanted = context.db.tables.get(f"{table_schema}.{table}")
    if wanted is None or column not in wanted.columns:
        raise ValueError(f"owned_by {value!r}: no column {column!r} in a table {table_schema}.{table} of the spec")
    return f"{table_schema}.{table}.{column}"


def to_spec(sequence: Sequence) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {}
    if sequence.type != "bigint":
        spec["type"] = sequence.type
    if sequence.increment != 1:
        spec["increment"] = sequence.increment
    for name, value in defaults(sequence.type, sequence.increment).items():
        if getattr(sequence, name) != value:
            spec[name] = getattr(sequence, name)
    if sequence.start != (sequence.min_value if sequence.increment > 0 else sequence.max_value):
        spec["start"] = sequence.start
    if sequence.cache != 1:
        spec["cache"] = sequence.cache
    if sequence.cycle:
        spec["cycle"] = True
    if sequence.owned_by is not None:
        owner_schema, _, rest = sequence.owned_by.partition(".")
        spec["owned_by"] = rest if owner_schema == sequence.schema else sequence.owned_by
    if sequence.comment is not None:
        spec["comment"] = sequence.comment
    return sequence.key if sequence.schema != "public" else sequence.name, spec


# -- catalog --------------------------------------------------------------------------------------


def load(rows: Rows, catalog: Catalog) -> None:
    for (schema, name, type_name, start, increment, min_value, max_value, cache, cycle,
         owner_schema, owner_table, owner_column, comment, serial_like) in rows:
        if serial_like:
            continue  # a serial column's own: that column is `type: serial`
        owned_by = f"{owner_schema}.{owner_table}.{owner_column}" if owner_column is not None else None
        sequence = Sequence(name, schema, type_name, start, increment, min_value, max_value, cache, cycle,
                            owned_by, comment)
        catalog.db.objects.setdefault("sequence", {})[sequence.key] = sequence


# -- comparison, rendering, hazards -----------------------------------------------------------------


def diff(kind: ObjectKind, key: str, before: Sequence | None, after: Sequence | None) -> list[Change]:
    """As `diff_object`; a new sequence's owner is set by a second change, once its table exists
    (the sequence itself comes before the tables whose defaults call it)."""
    if before is None and after is not None and after.owned_by is not None:
        unowned = replace(after, owned_by=None)
        return [Change(Action.CREATE, kind.name, kind.address(key), after=unowned),
                Change(Action.ALTER, kind.name, kind.address(key), before=unowned, after=after,
                       attributes=[AttributeChange("owned_by", None, after.owned_by)])]
    return diff_object(kind, key, before, after)


def _options_sql(sequence: Sequence, changed: set[str] | None = None) -> str:
    clauses = {
        "type": f"AS {sequence.type}",
        "increment": f"INCREMENT BY {int(sequence.increment)}",
        "min_value": f"MINVALUE {int(sequence.min_value)}",
        "max_value": f"MAXVALUE {int(sequence.max_value)}",
        "start": f"START WITH {int(sequence.start)}",
        "cache": f"CACHE {int(sequence.cache)}",
        "cycle": "CYCLE" if sequence.cycle else "NO CYCLE",
    }
    return " ".join(sql for name, sql in clauses.items() if changed is None or name in changed)


def _owner_sql(owned_by: str | None) -> str:
    if owned_by is None:
        return "OWNED BY NONE"
    table_key, _, column = owned_by.rpartition(".")
    schema, _, table = table_key.partition(".")
    return f"OWNED BY {qualified_name(schema, table)}.{quote_ident(column)}"


def _comment_sql(sequence: Sequence) -> str:
    return comment_on("SEQUENCE", qualified_name(sequence.schema, sequence.name), sequence.comment)


def render(change: Change, options: Any) -> list[Statement]:
    if change.action == Action.DROP:
        # IF EXISTS: a sequence owned by a column of a table dropped in the same plan is gone with it.
        return [Statement(f"DROP SEQUENCE IF EXISTS {qualified_name(change.before.schema, change.before.name)};")]
    after: Sequence = change.after
    name = qualified_name(after.schema, after.name)
    if change.action == Action.CREATE:
        statements = [Statement(f"CREATE SEQUENCE {name} {_options_sql(after)};")]
        if after.owned_by is not None:
            statements.append(Statement(f"ALTER SEQUENCE {name} {_owner_sql(after.owned_by)};"))
        if after.comment is not None:
            statements.append(Statement(_comment_sql(after)))
        return statements
    changed = {a.name for a in change.attributes}
    statements = []
    options = _options_sql(after, changed)
    if options:
        statements.append(Statement(f"ALTER SEQUENCE {name} {options};"))
    if "owned_by" in changed:
        statements.append(Statement(f"ALTER SEQUENCE {name} {_owner_sql(after.owned_by)};"))
    if "comment" in changed:
        statements.append(Statement(_comment_sql(after)))
    return statements


def hazards(change: Change) -> None:
    if change.action == Action.DROP:
        change.add_hazard(Hazard.DATA_LOSS, f"sequence {change.before.name} is dropped with its current value")


KIND = ObjectKind(name="sequence", section="sequences", build=build, to_spec=to_spec, render=render,
                  create_before="table", alter_after="column", diff=diff, hazards=hazards)
