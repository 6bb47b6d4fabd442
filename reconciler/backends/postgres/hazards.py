"""What can go wrong when a change runs on PostgreSQL: data loss, rewrites, locks, scans.

`annotate_hazards` adds hazards (from `changes.Hazard`) with a short note each,
so `plan` can refuse or warn. The rules are PostgreSQL's: which type changes
rewrite the table, which statements scan it, which block writes.
"""

from __future__ import annotations

import re

from reconciler.backends import RenderOptions
from reconciler.changes import Action, Change, Hazard
from reconciler.model import Column

from .kinds.column import changed_attributes
from .kinds.enum import only_added

_VARCHAR = re.compile(r"^character varying(?:\((\d+)\))?\Z")
_NUMERIC = re.compile(r"^numeric(?:\((\d+),(\d+)\))?\Z")
_PRECISION = re.compile(r"^(timestamp|time|interval)(?:\((\d+)\))?(.*)\Z")
_INTEGER_WIDTH = {"smallint": 2, "integer": 4, "bigint": 8}
_TEXTUAL = re.compile(r"^(text|character varying.*|character\(.*|public\.citext)\Z")
# Defaults evaluated per row when a column is added, so the table is rewritten.
_VOLATILE = re.compile(r"\b(gen_random_uuid|uuid_generate_v[14]|random|clock_timestamp|nextval|timeofday)\s*\(",
                       re.IGNORECASE)
_MAX_PRECISION = 6


def _varchar_length(t: str) -> int | None:
    match = _VARCHAR.match(t)
    return int(match.group(1)) if match and match.group(1) else None


def type_change_effect(old: str, new: str) -> str:
    """"free" (catalog-only), "narrowing" (may lose or reject data) or "rewrite"."""
    if old == new:
        return "free"
    if _VARCHAR.match(old) and (new == "text" or _VARCHAR.match(new)):
        old_len, new_len = _varchar_length(old), _varchar_length(new)
        if new_len is None or (old_len is not None and new_len >= old_len):
            return "free"
        return "narrowing"
    if old == "text" and _VARCHAR.match(new):
        return "free" if _varchar_length(new) is None else "narrowing"
    old_num, new_num = _NUMERIC.match(old), _NUMERIC.match(new)
    if old_num and new_num:
        return _numeric_effect(old_num, new_num)
    old_p, new_p = _PRECISION.match(old), _PRECISION.match(new)
    if old_p and new_p and old_p.group(1) == new_p.group(1) and old_p.group(3) == new_p.group(3):
        old_prec = int(old_p.group(2) or _MAX_PRECISION)
        new_prec = int(new_p.group(2) or _MAX_PRECISION)
        return "free" if new_prec >= old_prec else "narrowing"
    if old in _INTEGER_WIDTH and new in _INTEGER_WIDTH and _INTEGER_WIDTH[new] < _INTEGER_WIDTH[old]:
        return "narrowing"
    return "rewrite"


def _numeric_effect(old: re.Match[str], new: re.Match[str]) -> str:
    if new.group(1) is None:
        return "free"
    if old.group(1) is None:
        return "narrowing"
    old_p, old_s, new_p, new_s = (int(g) for g in (old.group(1), old.group(2), new.group(1), new.group(2)))
    if new_s == old_s and new_p >= old_p:
        return "free"
    if new_s < old_s or (new_p - new_s) < (old_p - old_s):
        return "narrowing"
    return "rewrite"


def _may_fail_cast(old: str, new: str) -> bool:
    """Casts from text-like values to anything stricter can fail on existing rows."""
    return bool(_TEXTUAL.match(old)) and not _TEXTUAL.match(new)


def _column_alter(change: Change) -> None:
    before: Column = change.before
    after: Column = change.after
    changed = changed_attributes(change)
    name = after.name
    if "type" in changed or "collation" in changed:
        effect = type_change_effect(before.type, after.type) if "type" in changed else "rewrite"
        change.add_hazard(Hazard.ACCESS_EXCLUSIVE_LOCK, f"changing the type of {name} locks the table")
        if effect in ("rewrite", "narrowing"):
            change.add_hazard(Hazard.TABLE_REWRITE, f"{before.type} -> {after.type} rewrites the table")
        if effect == "narrowing":
            change.add_hazard(Hazard.DATA_LOSS, f"{before.type} -> {after.type} narrows column {name}")
            change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"existing values of {name} may not fit {after.type}")
        if after.using_auto:
            change.notes.append(f"converted with USING {after.using}: every existing value of {name} is a label "
                                f"of {after.type} (checked when planned)")
        elif effect == "rewrite" and (after.using or _may_fail_cast(before.type, after.type)):
            change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"existing values of {name} may not convert to {after.type}")
    if "nullable" in changed and not after.nullable:
        change.add_hazard(Hazard.FULL_SCAN_VALIDATION, f"SET NOT NULL scans the table to check {name}")
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"fails if {name} has NULLs")
    if "generated" in changed and after.generated is not None:
        change.add_hazard(Hazard.TABLE_REWRITE, f"changing the generation of {name} drops the column and adds it "
                                                "again, computing every row (indexes and constraints on it are rebuilt)")
        change.add_hazard(Hazard.ACCESS_EXCLUSIVE_LOCK, f"replacing {name} locks the table")
    elif "generated" in changed:
        change.add_hazard(Hazard.ACCESS_EXCLUSIVE_LOCK, f"DROP EXPRESSION on {name} locks the table")
    if "identity" in changed and after.identity and not before.identity or \
            "serial" in changed and after.serial and not before.serial:
        change.add_hazard(Hazard.ACCESS_EXCLUSIVE_LOCK, f"making {name} generated locks the table")


def _column_create(change: Change) -> None:
    column: Column = change.after
    generated = column.identity or column.serial
    volatile = column.default is not None and _VOLATILE.search(column.default.expression)
    if generated or volatile or column.generated is not None:
        change.add_hazard(Hazard.TABLE_REWRITE, f"adding {column.name} fills every existing row")
        change.add_hazard(Hazard.ACCESS_EXCLUSIVE_LOCK, f"adding {column.name} locks the table while it is filled")
    if not column.nullable and column.default is None and not generated and column.generated is None:
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"NOT NULL column {column.name} without a default fails "
                                                   f"if the table has rows{_rows(change)}")


def _rows(change: Change) -> str:
    """The planner's row estimate of the table, as the end of a note."""
    estimate = change.extra.get("row_estimate")
    if estimate is None:
        return ""  # not read from a database (an offline diff)
    if estimate < 0:
        return " (no row estimate: the table was never analyzed)"
    rows = round(estimate)
    return f"; it has about {rows:,} row{'s' if rows != 1 else ''} (planner estimate)"


def _enum_alter(change: Change) -> None:
    before, after = change.before, change.after
    if before.values == after.values:
        return
    recreate = change.extra.get("recreate")
    if recreate is None:
        recreate = not only_added(before.values, after.values)
    if not recreate:
        return
    removed = [v for v in before.values if v not in after.values]
    if removed:
        change.add_hazard(Hazard.DATA_LOSS, f"enum values {', '.join(removed)} are removed")
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, "fails if a row still uses a removed value")
    if change.extra.get("columns") or change.extra.get("column_info"):
        change.add_hazard(Hazard.TABLE_REWRITE, "recreating the enum rewrites every table that uses it")
        change.add_hazard(Hazard.ACCESS_EXCLUSIVE_LOCK, "recreating the enum locks every table that uses it")


def _domain_alter(change: Change) -> None:
    """A new NOT NULL or check on a domain is checked against every column using it."""
    users = [f"{t}.{c}" for t, c in change.extra.get("columns", []) if t]
    if not users:
        return
    before, after = change.before, change.after
    added = change.extra.get("checks_added", [n for n, c in after.checks.items() if before.checks.get(n) != c])
    columns = ", ".join(users)
    if before.nullable and not after.nullable:
        change.add_hazard(Hazard.FULL_SCAN_VALIDATION, f"SET NOT NULL on domain {after.name} scans {columns}")
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"fails if {columns} has NULLs")
    for name in added:
        change.add_hazard(Hazard.FULL_SCAN_VALIDATION, f"adding {name} scans {columns}")
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"fails if existing values of {columns} violate {name}")


def _constraint_or_index(change: Change, options: RenderOptions) -> None:
    kind = change.kind
    # An invalid index (a failed concurrent build) serves no query: rebuilding it takes nothing away.
    rebuilds_invalid = kind == "index" and change.action == Action.REPLACE and not change.before.valid
    if change.destroys and kind in ("index", "unique", "primary_key", "exclusion") and not rebuilds_invalid:
        what = "" if kind == "index" else " with its index"
        change.add_hazard(Hazard.INDEX_DROPPED, f"{kind.replace('_', ' ')} {change.before.name} is dropped{what}; "
                                                "queries using it slow down")
    if change.action not in (Action.CREATE, Action.REPLACE):
        return
    name = change.after.name
    builds_index = kind in ("primary_key", "unique", "index", "exclusion")
    if builds_index and not (options.online and kind in ("index", "unique")):
        change.add_hazard(Hazard.BLOCKS_WRITES, f"building index {name} blocks writes to the table")
    if kind in ("primary_key", "unique") or (kind == "index" and change.after.unique):
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"fails if existing rows have duplicates for {name}")
    if kind in ("check", "foreign_key") and not change.after.valid:
        return  # added NOT VALID: existing rows are not scanned
    if kind in ("primary_key", "check", "foreign_key", "unique", "exclusion"):
        change.add_hazard(Hazard.FULL_SCAN_VALIDATION, f"adding {name} scans existing rows")
    if kind == "exclusion":
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"fails if existing rows conflict under {name}")
    # A foreign key with a column this plan adds without a default checks no existing row: it is NULL in all.
    if kind == "check" or (kind == "foreign_key" and not change.extra.get("on_new_null_column")):
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"fails if existing rows violate {name}")


def _offline_for_partitioned(change: Change, options: RenderOptions) -> RenderOptions:
    from .kinds.partition import offline_for_partitioned

    offline = offline_for_partitioned(change, options)
    if offline is not options:
        change.add_hazard(Hazard.BLOCKS_WRITES, f"--online does not apply: {change.table} is partitioned, and "
                          "PostgreSQL builds no index CONCURRENTLY (nor adds a foreign key NOT VALID) on a "
                          "partitioned table; this runs as without --online")
    return offline


def annotate_hazards(change: Change, options: RenderOptions) -> Change:
    """Add the change's hazards in place (and return it, for chaining)."""
    from .kinds import OBJECT_KINDS

    kind, action = change.kind, change.action
    registered = OBJECT_KINDS.get(kind)
    if registered is not None:
        if registered.hazards is not None:
            registered.hazards(change)
    elif action == Action.DROP and kind == "table":
        change.add_hazard(Hazard.DATA_LOSS, f"table {change.before.name} is dropped with all its rows")
    elif action == Action.DROP and kind == "column":
        change.add_hazard(Hazard.DATA_LOSS, f"column {change.before.name} is dropped with its data")
    elif kind == "column" and action == Action.ALTER:
        _column_alter(change)
    elif kind == "column" and action == Action.CREATE:
        _column_create(change)
    elif kind == "enum" and action == Action.ALTER:
        _enum_alter(change)
    elif kind == "domain" and action == Action.ALTER:
        _domain_alter(change)
    elif kind == "table" and action == Action.ALTER and change.before.unlogged != change.after.unlogged:
        persistence = "UNLOGGED" if change.after.unlogged else "LOGGED"
        change.add_hazard(Hazard.TABLE_REWRITE, f"SET {persistence} rewrites table {change.after.name}")
        change.add_hazard(Hazard.ACCESS_EXCLUSIVE_LOCK, f"SET {persistence} locks table {change.after.name}")
    elif kind in ("primary_key", "unique", "index", "foreign_key", "check", "exclusion"):
        _constraint_or_index(change, _offline_for_partitioned(change, options))
    return change
