"""Declarative partitioning: partitioned tables (`partition_by`) and their partitions (`partition_of`).

Partitions are tables of the model (`Database.tables`) with no columns, keys or indexes of their own:
PostgreSQL gives them their parent's, so the catalog's child indexes and constraints are never read
(the `managed` tables leave partitions out) and never planned. The partition key and the bounds are
compared as PostgreSQL prints them (pg_get_partkeydef, pg_get_expr(relpartbound)), spaces aside.

Changes:
- a partition key that changes, or a table that becomes (or stops being) partitioned or a partition:
  the table is replaced (`table` `replace`: DROP + CREATE, its rows are lost); the partitions of a
  replaced table go with it and are created again;
- a partition's bound or parent that changes: DETACH early in the plan (`partition_detach`), ATTACH with
  the new bound at its end (`partition`, both `alter`); its rows are kept (ATTACH checks that they fit);
- a dropped partitioned table drops its partitions: they are listed, and dropped first.
Online mode builds no index CONCURRENTLY and adds no foreign key NOT VALID on a partitioned table
(PostgreSQL refuses both): those changes render as without --online, and the plan says so
(`offline_for_partitioned`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from reconciler.backends import RenderOptions
from reconciler.changes import (
    FOREIGN_KEY,
    INDEX,
    PRIMARY_KEY,
    TABLE,
    UNIQUE,
    Action,
    AttributeChange,
    Change,
    Hazard,
)
from reconciler.errors import SpecError, raise_spec_errors
from reconciler.model import Database, PartitionKey, Table, qualified
from reconciler.relational.order import Placement
from reconciler.spec.relational import split_qualified

from ..catalog import Catalog, Rows
from ..render import Renderer
from ..types import check_expression, qualified_name

# A partition whose bound or parent changes is detached early (after the drops) and attached again with
# its new bound at the end (both `alter`: its rows are kept).
PARTITION_DETACH = "partition_detach"
PARTITION = "partition"
QUERY = "partition"
READ_ORDER = 65
DIFF_ORDER = 90
ORDER = (Placement(PARTITION_DETACH, (Action.ALTER,), after=(PRIMARY_KEY, Action.DROP)),
         Placement(PARTITION, (Action.ALTER,), after=(TABLE, Action.DROP)))
STRATEGIES = ("range", "list", "hash")
_PARTKEYDEF = re.compile(r"^(RANGE|LIST|HASH)\s*\((.*)\)\s*\Z", re.S | re.I)
_BOUND = re.compile(r"^FOR\s+VALUES\s+(?:FROM\s*(\(.*\))\s*TO\s*(\(.*\))|IN\s*(\(.*\))|"
                    r"WITH\s*\(\s*MODULUS\s+\d+\s*,\s*REMAINDER\s+\d+\s*\))\s*\Z", re.S | re.I)
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?\Z")
_BOUND_WORDS = re.compile(r"^(?:MINVALUE|MAXVALUE)\Z", re.I)
# What a partition's spec may say: the rest (columns, keys, indexes) is its parent's.
_PARTITION_KEYS = frozenset({"partition_of", "bounds", "default", "partition_by", "comment", "prevent_destroy",
                             "renamed_from"})
DEFAULT_BOUND = "DEFAULT"


# -- catalog -----------------------------------------------------------------------------------------


def load(rows: Rows, catalog: Catalog) -> None:
    tables = catalog.db.tables
    for oid, schema, name, partitioned, keydef, parent_schema, parent, bound, comment, reltuples in rows:
        table = catalog.tables_by_oid.get(oid)
        if parent is not None and parent_schema not in catalog.schemas:
            continue  # its parent is not read: a spec could not say what it is a partition of (inspect warns)
        if table is None and parent is not None:
            table = Table(name=name, schema=schema, comment=comment, partition_of=(parent_schema, parent),
                          partition_bound=normalize_sql(bound),
                          row_estimate=float(reltuples) if reltuples is not None else -1.0)
            tables[table.key] = table
        if table is not None and partitioned:
            table.partition_by = parse_partkeydef(keydef)


def parse_partkeydef(text: str) -> PartitionKey:
    match = _PARTKEYDEF.match(text.strip())
    if match is None:  # not a shape PostgreSQL prints; kept whole so that it never compares equal by mistake
        return PartitionKey(strategy="?", key=text)
    return PartitionKey(strategy=match.group(1).lower(), key=normalize_sql(match.group(2)))


def normalize_sql(text: str) -> str:
    """White space outside quotes as PostgreSQL prints a bound or a key: one space between words, none
    inside parentheses or before a comma (`FOR VALUES FROM ('a') TO ('b')`, `lower(name), id`)."""
    parts = re.split(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")", text.strip())
    return "".join(part if i % 2 else _tidy(part) for i, part in enumerate(parts))


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    return re.sub(r"\s*,\s*", ", ", text)


def split_top_level(text: str) -> list[str]:
    """Comma-separated parts at parenthesis depth 0, outside quotes."""
    parts, depth, start, quote = [], 0, 0, ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


# -- spec -> model -----------------------------------------------------------------------------------


def build_partitions(loaded: Any, db: Database) -> None:
    """The partitioning keys of the spec's tables: after the relational builder, which ignores them."""
    data = loaded.data
    default_schema = data.get("schema", "public")
    errors: list[SpecError] = []
    specs = data.get("tables") or {}
    for key, spec in specs.items():
        path = ("tables", key)
        table = db.tables.get(qualified(*split_qualified(key, default_schema)))
        if table is None or not isinstance(spec, dict):
            continue
        try:
            if "partition_by" in spec:
                table.partition_by = _partition_key(spec["partition_by"])
            if "partition_of" in spec:
                _partition(table, spec, default_schema)
            elif "bounds" in spec or "default" in spec:
                raise ValueError("bounds and default are for a partition: add partition_of")
        except ValueError as exc:
            errors.append(loaded.positions.error(path, str(exc)))
    for key in specs:
        table = db.tables.get(qualified(*split_qualified(key, default_schema)))
        if table is None or table.partition_of is None:
            continue
        parent = db.tables.get(table.parent_key or "")
        message = None
        if parent is None:
            message = f"partition_of names table {table.parent_key!r}, which the spec does not define"
        elif parent.partition_by is None:
            message = f"partition_of names table {table.parent_key!r}, which has no partition_by"
        elif table.partition_bound == DEFAULT_BOUND and parent.partition_by.strategy == "hash":
            message = "a hash-partitioned table has no default partition"
        elif table.key == parent.key:
            message = "a table cannot be a partition of itself"
        if message:
            errors.append(loaded.positions.error(("tables", key, "partition_of"), message))
    raise_spec_errors(errors)


def _partition_key(spec: dict[str, Any]) -> PartitionKey:
    key = spec["key"].strip()
    for part in split_top_level(key):
        try:
            check_expression(part)
        except ValueError as exc:
            raise ValueError(f"partition_by: invalid key {part!r}: {exc}") from None
    return PartitionKey(strategy=spec["strategy"], key=normalize_sql(key))


def _partition(table: Table, spec: dict[str, Any], default_schema: str) -> None:
    extra = sorted(set(spec) - _PARTITION_KEYS)
    if extra:
        raise ValueError(f"a partition has its parent's columns, keys and indexes: remove {', '.join(extra)}")
    table.partition_of = split_qualified(spec["partition_of"], default_schema)
    if spec.get("default"):
        if "bounds" in spec:
            raise ValueError("a partition has bounds or is the default partition, not both")
        table.partition_bound = DEFAULT_BOUND
        return
    if "bounds" not in spec:
        raise ValueError("a partition needs bounds (FOR VALUES ...) or default: true")
    table.partition_bound = _bound(spec["bounds"])


def _bound(text: str) -> str:
    """A spec's bound in PostgreSQL's spelling: keywords in its case, numbers quoted as it prints them."""
    bound = normalize_sql(text)
    match = _BOUND.match(bound)
    if match is None:
        raise ValueError(f"bounds {text!r}: expected FOR VALUES FROM (...) TO (...), FOR VALUES IN (...) or "
                         "FOR VALUES WITH (MODULUS m, REMAINDER r)")
    low, high, values = match.groups()
    if low is not None:
        return f"FOR VALUES FROM ({_bound_values(low)}) TO ({_bound_values(high)})"
    if values is not None:
        return f"FOR VALUES IN ({_bound_values(values)})"
    modulus, remainder = re.findall(r"\d+", bound)
    return f"FOR VALUES WITH (modulus {int(modulus)}, remainder {int(remainder)})"


def _bound_values(group: str) -> str:
    spelled = []
    for value in split_top_level(group[1:-1]):
        if _BOUND_WORDS.match(value):
            spelled.append(value.upper())
            continue
        try:
            check_expression(value)
        except ValueError as exc:
            raise ValueError(f"bounds: invalid value {value!r}: {exc}") from None
        # How PostgreSQL prints them; the other values are spelled the server's way in canonicalize_bounds.
        if value.lower() in ("true", "false"):
            value = value.lower()
        elif value.lower() == "null":
            value = "NULL"
        spelled.append(value)
    return ", ".join(spelled)


# -- the live spelling of bounds ------------------------------------------------------------------------

_QUOTED = re.compile(r"^'((?:[^']|'')*)'\Z")


def _key_column_types(db: Database, table: Table) -> list[str | None]:
    """The types of the partition key's columns of `table`'s parent (None for an expression key)."""
    parent = db.tables.get(table.parent_key or "")
    if parent is None or parent.partition_by is None:
        return []
    root, seen = parent, set()
    while root.partition_of is not None and root.key not in seen:  # a sub-partition has its root's columns
        seen.add(root.key)
        root = db.tables.get(root.parent_key or "", root)
    types = []
    for part in split_top_level(parent.partition_by.key):
        name = part[1:-1].replace('""', '"') if len(part) > 1 and part[0] == part[-1] == '"' else part
        column = root.columns.get(name)
        types.append(column.type if column is not None else None)
    return types


def canonicalize_bounds(conn: Any, desired: Database, current: Database) -> None:
    """The spec's bound values as PostgreSQL prints them for the key column's type (`'2024-01-01'` on a
    timestamptz key is `'2024-01-01 00:00:00+00'`, `1` on a bigint key `'1'`), asked of the server read-only:
    each value is a bound parameter cast to the column's type and back to text. A value the type refuses, or
    an expression, is left as written (apply reports it)."""
    import psycopg

    work: list[tuple[Table, list[list[str]], list[tuple[int, int, str]]]] = []
    for table in desired.tables.values():
        if table.partition_of is None or table.partition_bound in (None, DEFAULT_BOUND):
            continue
        live = current.tables.get(table.key)
        if live is not None and live.partition_bound == table.partition_bound:
            continue
        match = _BOUND.match(table.partition_bound or "")
        types = _key_column_types(desired, table)
        if match is None or not types or match.group(0).upper().startswith("FOR VALUES WITH"):
            continue
        low, high, values = match.groups()
        lists = [split_top_level(g[1:-1]) for g in ((low, high) if low is not None else (values,))]
        casts = []
        for i, items in enumerate(lists):
            for j, value in enumerate(items):
                type_ = (types[j] if j < len(types) else None) if low is not None else types[0]
                if type_ is not None and _literal_text(value) is not None:
                    casts.append((i, j, type_))
        if casts:
            work.append((table, lists, casts))
    if not work:
        return
    selects, params = [], []
    for _, lists, casts in work:
        for i, j, type_ in casts:
            selects.append(f"%s::text::{type_}::text")
            params.append(_literal_text(lists[i][j]))
    try:
        with conn.transaction():
            row = conn.execute("SELECT " + ", ".join(selects), params).fetchone()
    except psycopg.Error:
        return
    printed = iter(row)
    for table, lists, casts in work:
        for i, j, type_ in casts:
            value = next(printed)
            if value is not None:
                lists[i][j] = _as_printed(type_, value)
        if len(lists) == 2:
            table.partition_bound = f"FOR VALUES FROM ({', '.join(lists[0])}) TO ({', '.join(lists[1])})"
        else:
            table.partition_bound = f"FOR VALUES IN ({', '.join(lists[0])})"


def _literal_text(value: str) -> str | None:
    """The text of a constant bound value (quoted string, number, boolean); None for anything else."""
    quoted = _QUOTED.match(value)
    if quoted:
        return quoted.group(1).replace("''", "'")
    if _NUMBER.match(value) or value in ("true", "false"):
        return value
    return None


def _as_printed(type_: str, text: str) -> str:
    """A constant as pg_get_expr prints a bound (ruleutils.c, get_const_expr): int4 and numerals of numeric
    with a point or an exponent bare, booleans bare, everything else quoted."""
    base = type_.split("(")[0]
    if base == "integer" and not text.startswith("-"):
        return text
    if base == "numeric" and text[:1].isdigit() and any(c in text for c in ".eE"):
        return text
    if base == "boolean":
        return text
    return "'" + text.replace("'", "''") + "'"


def extend_spec_schema(schema: dict[str, Any]) -> None:
    """PostgreSQL's tables take partition_by, partition_of, bounds and default; a partition has no columns."""
    table = copy.deepcopy(schema["$defs"]["table"])
    table.pop("required", None)
    table["properties"].update({
        "partition_by": {"type": "object", "additionalProperties": False, "required": ["strategy", "key"],
                         "description": "A partitioned table: PARTITION BY strategy (key).",
                         "properties": {"strategy": {"enum": list(STRATEGIES)},
                                        "key": {"type": "string", "minLength": 1,
                                                "description": "Columns or expressions, as pg_get_partkeydef "
                                                               "prints them."}}},
        "partition_of": {"$ref": "#/$defs/qualifiedName",
                         "description": "A partition of this table (its columns, keys and indexes are the "
                                        "parent's)."},
        "bounds": {"type": "string", "minLength": 1,
                   "description": "The partition's bound as PostgreSQL prints it: FOR VALUES FROM (...) TO (...), "
                                  "IN (...) or WITH (MODULUS m, REMAINDER r)."},
        "default": {"const": True, "description": "The parent's default partition."},
    })
    schema["$defs"]["postgresTable"] = table
    schema["$defs"]["postgresSpec"]["properties"]["tables"]["additionalProperties"] = {"$ref": "#/$defs/postgresTable"}


# -- comparison --------------------------------------------------------------------------------------


def diff_partitions(current: Database, desired: Database) -> list[Change]:
    return []  # partitions are compared with the whole change list at hand: see after_diff


DIFF = diff_partitions


def _needs_replace(live: Table, wanted: Table) -> bool:
    return live.partition_by != wanted.partition_by or (live.partition_of is None) != (wanted.partition_of is None)


def _descendants(db: Database, key: str) -> list[Table]:
    """Partitions of `key`, their partitions, ... (parents first)."""
    found, todo = [], [key]
    while todo:
        parent = todo.pop(0)
        for table in db.tables.values():
            if table.parent_key == parent:
                found.append(table)
                todo.append(table.key)
    return found


def _depth(db: Database, table: Table) -> int:
    depth, seen = 0, set()
    while table.partition_of is not None and table.key not in seen:
        seen.add(table.key)
        parent = db.tables.get(table.parent_key or "")
        if parent is None:
            break
        depth, table = depth + 1, parent
    return depth


def after_diff(changes: list[Change], current: Database, desired: Database) -> list[Change]:
    replaced = [key for key, wanted in desired.tables.items()
                if key in current.tables and _needs_replace(current.tables[key], wanted)]
    # Partitions that go with a replaced table (and are created again when the spec keeps them).
    gone_with: dict[str, str] = {}
    for key in replaced:
        for partition in _descendants(current, key):
            gone_with.setdefault(partition.key, key)
    rebuilt = set(replaced) | {k for k in gone_with if k in desired.tables}
    changes = [c for c in changes if not _about(c, rebuilt)]
    for key in replaced:
        changes += _replace_table(current.tables[key], desired.tables[key], current)
    for key, parent in gone_with.items():
        if key in desired.tables and key not in replaced:
            change = Change(Action.CREATE, TABLE, f"table {key}", after=desired.tables[key],
                            notes=[f"created again: it is dropped with {parent}, which is replaced"])
            changes.append(change)
    for change in changes:
        if change.kind == TABLE and change.action == Action.DROP and change.before.key in gone_with:
            change.extra["dropped_with_parent"] = True
            change.notes.append(f"already dropped with {gone_with[change.before.key]}, which is replaced")
    changes += _moved_partitions(current, desired, rebuilt)
    _note_default_partition_scans(changes, current, rebuilt)
    _note_dropped_partitions(changes, current, desired)
    _mark_partitioned(changes, current, desired)
    return _parents_first(changes, current, desired)


def _about(change: Change, keys: set[str]) -> bool:
    """A change of one of these tables or their members (which their replacement makes again)."""
    if change.table in keys:
        return True
    table = change.after if change.after is not None else change.before
    return change.kind in (TABLE, PARTITION, PARTITION_DETACH) and isinstance(table, Table) and table.key in keys


def _replace_table(live: Table, wanted: Table, current: Database) -> list[Change]:
    key = wanted.key
    attributes = [AttributeChange(name, _shown(getattr(live, name)), _shown(getattr(wanted, name)))
                  for name in ("partition_by", "partition_of", "partition_bound")
                  if getattr(live, name) != getattr(wanted, name)]
    change = Change(Action.REPLACE, TABLE, f"table {key}", before=live, after=wanted, attributes=attributes)
    partitions = [p.key for p in _descendants(current, key)]
    with_them = f" with its partitions {', '.join(partitions)}" if partitions else ""
    change.add_hazard(Hazard.DATA_LOSS, f"table {wanted.name} is dropped{with_them} and created again "
                                        "(partitioning changed): all rows are lost")
    result = [change]
    result += [Change(Action.CREATE, INDEX, f"index {key}.{ix.name}", after=ix, table=key, extra={"new_table": True})
               for ix in wanted.indexes.values()]
    result += [Change(Action.CREATE, FOREIGN_KEY, f"foreign_key {key}.{fk.name}", after=fk, table=key,
                      extra={"new_table": True}) for fk in wanted.foreign_keys.values()]
    return result


def _shown(value: Any) -> Any:
    """An attribute's value as the plan shows it: `range (created_at)`, `public.events`."""
    if isinstance(value, PartitionKey):
        return f"{value.strategy} ({value.key})"
    if isinstance(value, tuple):
        return qualified(*value)
    return value


def _moved_partitions(current: Database, desired: Database, rebuilt: set[str]) -> list[Change]:
    """Partitions whose bound or parent changed: detached, then attached again (rows kept)."""
    changes = []
    # A parent renamed by this plan keeps its partitions: compare them under its new name.
    renamed = {(t.schema, t.renamed_from): (t.schema, t.name) for t in desired.tables.values()
               if t.renamed_from and qualified(t.schema, t.renamed_from) in current.tables
               and t.key not in current.tables}
    for key, wanted in desired.tables.items():
        live = current.tables.get(key)
        if live is None or key in rebuilt or wanted.partition_of is None or live.partition_of is None:
            continue
        live_parent = renamed.get(live.partition_of, live.partition_of)
        if (live_parent, live.partition_bound) == (wanted.partition_of, wanted.partition_bound):
            continue
        detach = Change(Action.ALTER, PARTITION_DETACH, f"partition {key}", before=live, after=wanted)
        detach.notes.append(f"detached from {live.parent_key} ({live.partition_bound}), attached again at the end "
                            "of the plan: its rows are kept")
        attach = Change(Action.ALTER, PARTITION, f"partition {key}", before=live, after=wanted,
                        attributes=[AttributeChange("partition_bound", live.partition_bound, wanted.partition_bound)]
                        + ([AttributeChange("partition_of", live.parent_key, wanted.parent_key)]
                           if live.partition_of != wanted.partition_of else []))
        attach.add_hazard(Hazard.FULL_SCAN_VALIDATION, f"attaching {key} scans its rows (and the default "
                                                       "partition's) against the new bound")
        attach.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"fails if rows of {key} fall outside {wanted.partition_bound}")
        attach.add_hazard(Hazard.ACCESS_EXCLUSIVE_LOCK, f"detach locks {live.parent_key} against reads and writes")
        changes += [detach, attach]
    return changes


def _note_default_partition_scans(changes: list[Change], current: Database, rebuilt: set[str]) -> None:
    """A new partition of a table with a live default partition: PostgreSQL scans the default partition for
    rows that belong to the new one, and refuses if it finds any."""
    defaults = {t.parent_key: t.key for t in current.tables.values()
                if t.partition_bound == DEFAULT_BOUND and t.key not in rebuilt}
    for change in changes:
        if not ((change.kind == TABLE and change.action == Action.CREATE) or change.kind == PARTITION):
            continue
        table = change.after
        default = defaults.get(table.parent_key)
        if table.partition_bound == DEFAULT_BOUND or default is None or default == table.key:
            continue
        change.add_hazard(Hazard.FULL_SCAN_VALIDATION, f"adding {table.key} scans the default partition {default}")
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA, f"fails if {default} holds rows for {table.partition_bound}")


def _note_dropped_partitions(changes: list[Change], current: Database, desired: Database) -> None:
    for change in changes:
        if change.kind == TABLE and change.action == Action.DROP and change.before.partition_by is not None:
            partitions = [p.key for p in _descendants(current, change.before.key)]
            if partitions:
                change.add_hazard(Hazard.DATA_LOSS, f"dropping {change.before.key} drops its partitions "
                                                    f"{', '.join(partitions)} and their rows")


def _partitioned_keys(current: Database, desired: Database) -> set[str]:
    return {key for db in (current, desired) for key, t in db.tables.items() if t.partition_by is not None}


def _mark_partitioned(changes: list[Change], current: Database, desired: Database) -> None:
    partitioned = _partitioned_keys(current, desired)
    for change in changes:
        # What --online would do CONCURRENTLY or NOT VALID that PostgreSQL refuses on a partitioned table
        # (checks NOT VALID + VALIDATE it allows).
        if change.table in partitioned and change.kind in (INDEX, UNIQUE, FOREIGN_KEY):
            change.extra["partitioned_table"] = True


def _parents_first(changes: list[Change], current: Database, desired: Database) -> list[Change]:
    """Within a phase the plan keeps this order: parents created before their partitions, partitions
    dropped before their parents."""
    def rank(change: Change) -> int:
        if change.kind != TABLE:
            return 0
        if change.action == Action.DROP:
            return -_depth(current, change.before)
        return _depth(desired, change.after)
    return sorted(changes, key=rank)


AFTER_DIFF = after_diff


# -- rendering ---------------------------------------------------------------------------------------


def partition_by_sql(table: Table) -> str:
    key = table.partition_by
    return f" PARTITION BY {key.strategy.upper()} ({key.key})" if key is not None else ""


def bound_sql(table: Table) -> str:
    return DEFAULT_BOUND if table.partition_bound == DEFAULT_BOUND else str(table.partition_bound)


def partition_of_sql(table: Table) -> str:
    assert table.partition_of is not None
    return (f"CREATE TABLE {qualified_name(table.schema, table.name)} PARTITION OF "
            f"{qualified_name(*table.partition_of)} {bound_sql(table)}{partition_by_sql(table)}")


def _replace(r: Renderer) -> None:
    from .table import _table_create

    before: Table = r.change.before
    r.add(f"DROP TABLE {qualified_name(before.schema, before.name)}")
    _table_create(r)


def _detach(r: Renderer) -> None:
    live: Table = r.change.before
    assert live.partition_of is not None
    r.add(f"ALTER TABLE {qualified_name(*live.partition_of)} DETACH PARTITION "
          f"{qualified_name(live.schema, live.name)}")


def _attach(r: Renderer) -> None:
    wanted: Table = r.change.after
    assert wanted.partition_of is not None
    r.add(f"ALTER TABLE {qualified_name(*wanted.partition_of)} ATTACH PARTITION "
          f"{qualified_name(wanted.schema, wanted.name)} {bound_sql(wanted)}")


RENDER = {("table", Action.REPLACE): _replace, (PARTITION_DETACH, Action.ALTER): _detach,
          (PARTITION, Action.ALTER): _attach}


def offline_for_partitioned(change: Change, options: RenderOptions) -> RenderOptions:
    """PostgreSQL builds (or drops) no index CONCURRENTLY, and adds no foreign key NOT VALID, on a partitioned
    table: those changes render as without --online (the statements keep --online's timeouts)."""
    if options.online and change.extra.get("partitioned_table"):
        return replace(options, online=False)
    return options
