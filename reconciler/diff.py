"""Relational diff: model x model -> typed changes. Pure; no database needed.

Both models must already be canonical (see each backend's `canonicalize`), so
comparison is equality of values. Ordering is not done here (see `plan`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from reconciler.changes import (
    CHECK,
    COLUMN,
    DOMAIN,
    ENUM,
    EXTENSION,
    FOREIGN_KEY,
    INDEX,
    PRIMARY_KEY,
    SCHEMA,
    TABLE,
    UNIQUE,
    Action,
    AttributeChange,
    Change,
    Hazard,
)
from reconciler.errors import PlanError
from reconciler.model import Column, Database, Table, qualified

COLUMN_ATTRIBUTES = ("type", "nullable", "default", "identity", "serial", "comment", "collation")


def diff_databases(current: Database, desired: Database) -> list[Change]:
    changes: list[Change] = []
    for schema in desired.schemas:
        if schema not in current.schemas:
            changes.append(Change(Action.CREATE, SCHEMA, f"schema {schema}", after=schema))
    changes += _diff_named(current.extensions, desired.extensions, EXTENSION, _same_extension)
    changes += _diff_enums(current, desired)
    changes += _diff_domains(current, desired)
    changes += _diff_tables(current, desired)
    changes = _rebuild_enum_dependents(changes, current, desired)
    _mark_prevented(changes, desired)
    return changes


def _rebuild_enum_dependents(changes: list[Change], current: Database, desired: Database) -> list[Change]:
    """Indexes and checks whose expressions name a recreated enum are dropped before it and created after.

    PostgreSQL re-parses them when the column changes type, and a literal still cast to the old type
    (`status <> 'draft'::status__old`) makes that fail. So they are split into a drop (ordered before
    the enum) and a create (after it), even when the spec does not change them.
    """
    recreated = [c.after for c in changes if c.kind == ENUM and c.extra.get("recreate")]
    if not recreated:
        return changes
    casts = tuple(f"::{spelling}" for enum in recreated for spelling in _type_spellings(enum.key))
    dependent: dict[tuple[str, str, str], Any] = {}
    for table in current.tables.values():
        for index in table.indexes.values():
            texts = [index.where or ""] + [e.expression or "" for e in index.elements]
            if any(cast in text for text in texts for cast in casts):
                dependent[(INDEX, table.key, index.name)] = index
        for check in table.checks.values():
            if any(cast in check.expression for cast in casts):
                dependent[(CHECK, table.key, check.name)] = check
    if not dependent:
        return changes
    result: list[Change] = []
    handled: set[tuple[str, str, str]] = set()
    for change in changes:
        key = (change.kind, change.table or "", getattr(change.before, "name", ""))
        if key in dependent and change.action in (Action.REPLACE, Action.DROP):
            handled.add(key)
            result.append(_drop(change.kind, change.address, change.before, table=change.table))
            if change.action == Action.REPLACE:
                result.append(Change(Action.CREATE, change.kind, change.address, after=change.after,
                                     table=change.table, attributes=change.attributes))
            continue
        result.append(change)
    for (kind, table_key, name), live in dependent.items():
        wanted_table = desired.tables.get(table_key)
        members = (wanted_table.indexes if kind == INDEX else wanted_table.checks) if wanted_table else {}
        if (kind, table_key, name) in handled or name not in members:
            continue
        address = f"{kind} {table_key}.{name}"
        note = "rebuilt around the enum it mentions, which is recreated"
        drop = _drop(kind, address, live, table=table_key)
        drop.notes.append(note)
        create = Change(Action.CREATE, kind, address, after=members[name], table=table_key)
        create.notes.append(note)
        result += [drop, create]
    return result


def _type_spellings(enum_key: str) -> list[str]:
    schema, _, name = enum_key.partition(".")
    # However the type's printer chose to quote each part (format_type quotes only where needed).
    return [f"{s}.{n}" for s in (schema, _quoted(schema)) for n in (name, _quoted(name))]


def _quoted(name: str) -> str:
    # As format_type prints a name that needs quoting: embedded quotes doubled.
    return '"' + name.replace('"', '""') + '"'


def _same_extension(a: Any, b: Any) -> bool:
    return a.name == b.name and (b.schema is None or a.schema == b.schema)


def _diff_named(current: dict[str, Any], desired: dict[str, Any], kind: str, same: Any) -> list[Change]:
    changes = []
    for key, obj in desired.items():
        if key not in current:
            changes.append(Change(Action.CREATE, kind, f"{kind} {key}", after=obj))
        elif not same(current[key], obj):
            changes.append(Change(Action.REPLACE, kind, f"{kind} {key}", before=current[key], after=obj))
    for key, obj in current.items():
        if key not in desired:
            changes.append(Change(Action.DROP, kind, f"{kind} {key}", before=obj))
    return changes


def _diff_enums(current: Database, desired: Database) -> list[Change]:
    changes = []
    for key, enum in desired.enums.items():
        live = current.enums.get(key)
        if live is None:
            changes.append(Change(Action.CREATE, ENUM, f"enum {key}", after=enum))
            continue
        attrs = []
        extra: dict[str, Any] = {}
        if live.values != enum.values:
            attrs.append(AttributeChange("values", live.values, enum.values))
            added = _insertions(live.values, enum.values)
            if added is not None:
                extra["added"] = added
            else:
                extra["recreate"] = True
                extra["columns"] = [(t.key, c.name) for t in current.tables.values()
                                    for c in t.columns.values() if _uses_type(c.type, enum.key)]
        if live.comment != enum.comment:
            attrs.append(AttributeChange("comment", live.comment, enum.comment))
        if attrs:
            change = Change(Action.ALTER, ENUM, f"enum {key}", before=live, after=enum, attributes=attrs, extra=extra)
            if extra.get("recreate"):
                # The hazards hold for every backend; the backend's annotate_hazards explains them.
                if any(v not in enum.values for v in live.values):
                    change.add_hazard(Hazard.DATA_LOSS)
                change.add_hazard(Hazard.TABLE_REWRITE)
                change.add_hazard(Hazard.MAY_FAIL_ON_DATA)
            changes.append(change)
    for key, enum in current.enums.items():
        if key not in desired.enums:
            changes.append(_drop(ENUM, f"enum {key}", enum))
    return changes


def _type_users(current: Database, key: str) -> list[tuple[str, str]]:
    """Live columns (table_key, column) and domains ("", domain_key) whose type is `key` or an array of it."""
    users = [(t.key, c.name) for t in current.tables.values() for c in t.columns.values() if _uses_type(c.type, key)]
    return users + [("", d.key) for d in current.domains.values() if _uses_type(d.type, key)]


def _diff_domains(current: Database, desired: Database) -> list[Change]:
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


def _uses_type(column_type: str, enum_key: str) -> bool:
    base = column_type.removesuffix("[]")
    name = enum_key.partition(".")[2]
    return base in (*_type_spellings(enum_key), name, _quoted(name))


def _insertions(old: list[str], new: list[str]) -> list[tuple[str, str | None]] | None:
    """Values added to `old` keeping its order, each with the value it follows; None if not pure insertion."""
    if [v for v in new if v in old] != old or len(set(new)) != len(new):
        return None
    added = []
    for i, value in enumerate(new):
        if value not in old:
            added.append((value, new[i - 1] if i else None))
    return added


def _drop(kind: str, address: str, obj: Any, table: str | None = None, **extra: Any) -> Change:
    change = Change(Action.DROP, kind, address, before=obj, table=table, extra=dict(extra))
    # The hazards hold for every backend; the backend's annotate_hazards explains them (once: a note here
    # would say the same thing again in other words).
    if kind in (TABLE, COLUMN):
        change.add_hazard(Hazard.DATA_LOSS)
    elif kind == ENUM:
        change.add_hazard(Hazard.DATA_LOSS, "the type is dropped")
    elif kind == INDEX:
        change.add_hazard(Hazard.INDEX_DROPPED)
    return change


def _resolve_table_renames(current: Database, desired: Database) -> dict[str, str]:
    """Map desired table key -> live key for tables whose `renamed_from` still names a live table."""
    renames: dict[str, str] = {}
    for key, table in desired.tables.items():
        if not table.renamed_from:
            continue
        old_key = qualified(table.schema, table.renamed_from)
        if key in current.tables and old_key in current.tables:
            raise PlanError(f"table {key} is renamed from {table.renamed_from}, but both exist; "
                            "drop one or remove renamed_from")
        if key in current.tables:
            continue  # already renamed earlier
        if old_key not in current.tables:
            if current.tables:  # an empty database is simply created
                raise PlanError(f"table {key} is renamed from {table.renamed_from}, but neither exists; "
                                "refusing to guess (remove renamed_from to create it empty)")
            continue
        renames[key] = old_key
    return renames


def _diff_tables(current: Database, desired: Database) -> list[Change]:
    changes: list[Change] = []
    renames = _resolve_table_renames(current, desired)
    renamed_old = set(renames.values())
    # What the renames do to everything that names a table or column: PostgreSQL and SQLite
    # carry indexes, keys and foreign keys (in any table) along with a rename.
    new_table_name = {renames[k]: desired.tables[k].name for k in renames}
    new_column_name: dict[str, dict[str, str]] = {}
    for key, table in desired.tables.items():
        live = current.tables.get(renames.get(key, key))
        if live is not None:
            new_column_name[renames.get(key, key)] = {
                old: new for new, old in _resolve_column_renames(live, table).items()}
    renaming = bool(new_table_name) or any(new_column_name.values())
    for key, table in desired.tables.items():
        live_key = renames.get(key, key)
        live = current.tables.get(live_key)
        if live is None:
            changes.append(Change(Action.CREATE, TABLE, f"table {key}", after=table))
            changes += [Change(Action.CREATE, INDEX, f"index {key}.{ix.name}", after=ix, table=key,
                               extra={"new_table": True})
                        for ix in table.indexes.values()]
            changes += [Change(Action.CREATE, FOREIGN_KEY, f"foreign_key {key}.{fk.name}", after=fk, table=key,
                               extra={"new_table": True})
                        for fk in table.foreign_keys.values()]
            continue
        if live_key != key:
            renamed = copy.copy(live)
            renamed.name, renamed.schema = table.name, table.schema
            changes.append(Change(Action.RENAME, TABLE, f"table {key}", before=live, after=table,
                                  attributes=[AttributeChange("name", live.name, table.name)]))
            live = renamed
        if renaming:
            live = _as_renamed(live, live_key, new_table_name, new_column_name)
        # Most tables of a large schema are unchanged: one dataclass equality check skips the
        # member-by-member walk. Equal means no renames, no changes in diff_table.
        if live != table:
            changes += diff_table(live, table)
    for key, live in current.tables.items():
        if key in desired.tables or key in renamed_old:
            continue
        changes.append(_drop(TABLE, f"table {key}", live))
        # Foreign keys go first so that tables referencing each other can be dropped in any order.
        changes += [_drop(FOREIGN_KEY, f"foreign_key {key}.{fk.name}", fk, table=key, dropped_table=True)
                    for fk in live.foreign_keys.values()]
    return changes


def _as_renamed(live: Table, live_key: str, table_names: dict[str, str],
                column_names: dict[str, dict[str, str]]) -> Table:
    """The live table's keys, indexes and foreign keys as they read once the planned renames are done."""
    own = column_names.get(live_key, {})

    def cols(names: list[str], mapping: dict[str, str] = own) -> list[str]:
        return [mapping.get(n, n) for n in names]

    view = copy.copy(live)
    if live.primary_key is not None:
        view.primary_key = replace(live.primary_key, columns=cols(live.primary_key.columns))
    view.uniques = {n: replace(u, columns=cols(u.columns)) for n, u in live.uniques.items()}
    view.indexes = {n: replace(ix, include=cols(ix.include), elements=[
        replace(e, column=own.get(e.column, e.column)) if e.column else e for e in ix.elements])
        for n, ix in live.indexes.items()}
    foreign_keys = {}
    for name, fk in live.foreign_keys.items():
        target = qualified(fk.ref_schema, fk.ref_table)
        foreign_keys[name] = replace(fk, columns=cols(fk.columns),
                                     ref_table=table_names.get(target, fk.ref_table),
                                     ref_columns=cols(fk.ref_columns, column_names.get(target, {})))
    view.foreign_keys = foreign_keys
    return view


def _resolve_column_renames(live: Table, table: Table) -> dict[str, str]:
    renames: dict[str, str] = {}
    for name, column in table.columns.items():
        if not column.renamed_from or name in live.columns:
            if column.renamed_from and column.renamed_from in live.columns and name in live.columns:
                raise PlanError(f"column {table.key}.{name} is renamed from {column.renamed_from}, "
                                "but both exist; drop one or remove renamed_from")
            continue
        if column.renamed_from not in live.columns:
            raise PlanError(f"column {table.key}.{name} is renamed from {column.renamed_from}, but neither "
                            "exists; refusing to guess (remove renamed_from to add it empty)")
        renames[name] = column.renamed_from
    return renames


def diff_table(live: Table, table: Table) -> list[Change]:
    """Changes inside one table that exists on both sides (after any table rename)."""
    key = table.key
    changes: list[Change] = []
    if live.comment != table.comment:
        changes.append(Change(Action.ALTER, TABLE, f"table {key}", before=live, after=table,
                              attributes=[AttributeChange("comment", live.comment, table.comment)]))
    renames = _resolve_column_renames(live, table)
    renamed_old = set(renames.values())
    for name, column in table.columns.items():
        old_name = renames.get(name, name)
        live_col = live.columns.get(old_name)
        address = f"column {key}.{name}"
        if live_col is None:
            change = Change(Action.CREATE, COLUMN, address, after=column, table=key, extra={"table": table})
            if not column.nullable and column.default is None and not column.identity and not column.serial:
                change.add_hazard(Hazard.MAY_FAIL_ON_DATA)  # explained by the backend
            changes.append(change)
            continue
        if old_name != name:
            changes.append(Change(Action.RENAME, COLUMN, address, before=live_col, after=column, table=key,
                                  attributes=[AttributeChange("name", old_name, name)]))
        attrs = column_differences(live_col, column)
        if attrs:
            changes.append(Change(Action.ALTER, COLUMN, address, before=live_col, after=column, table=key,
                                  attributes=attrs, extra={"table": table}))
    for name, live_col in live.columns.items():
        if name not in table.columns and name not in renamed_old:
            changes.append(_drop(COLUMN, f"column {key}.{name}", live_col, table=key, table_obj=live))

    live_pk, pk = live.primary_key, table.primary_key
    if live_pk is not None and pk is not None and live_pk.name != pk.name and live_pk.columns == pk.columns:
        changes.append(Change(Action.RENAME, PRIMARY_KEY, f"primary_key {key}", before=live_pk, after=pk, table=key,
                              attributes=[AttributeChange("name", live_pk.name, pk.name)]))
    elif live_pk != pk:
        changes += _replace_or(PRIMARY_KEY, f"primary_key {key}", live_pk, pk, key)
    changes += _diff_members(UNIQUE, key, live.uniques, table.uniques)
    changes += _diff_indexes(key, live, table)
    changes += _diff_members(FOREIGN_KEY, key, live.foreign_keys, table.foreign_keys)
    changes += _diff_members(CHECK, key, live.checks, table.checks)
    return changes


def _renamed_members(kind: str, key: str, live: dict[str, Any], desired: dict[str, Any],
                     same: Any) -> tuple[list[Change], dict[str, Any], dict[str, Any]]:
    """Pair objects that differ only by name (a table rename leaves `old_pkey` behind) as renames."""
    changes = []
    live_only = {n: o for n, o in live.items() if n not in desired}
    wanted_only = {n: o for n, o in desired.items() if n not in live}
    for name, obj in list(wanted_only.items()):
        matches = [n for n, old in live_only.items() if same(old, obj)]
        if len(matches) == 1:
            old = live_only.pop(matches[0])
            del wanted_only[name]
            changes.append(Change(Action.RENAME, kind, f"{kind} {key}.{name}", before=old, after=obj, table=key,
                                  attributes=[AttributeChange("name", old.name, name)]))
    renamed_from = {c.attributes[0].old for c in changes}
    renamed_to = {c.attributes[0].new for c in changes}
    return (changes, {n: o for n, o in live.items() if n not in renamed_from},
            {n: o for n, o in desired.items() if n not in renamed_to})


def _same_but_name(a: Any, b: Any) -> bool:
    from dataclasses import replace

    return replace(a, name=b.name) == b


def column_differences(live: Column, column: Column) -> list[AttributeChange]:
    attrs = []
    for attr in COLUMN_ATTRIBUTES:
        old, new = getattr(live, attr), getattr(column, attr)
        if attr == "default":
            old = old.expression if old else None
            new = new.expression if new else None
        if old != new:
            attrs.append(AttributeChange(attr, old, new))
    return attrs


def _replace_or(kind: str, address: str, before: Any, after: Any, table: str) -> list[Change]:
    if before is None:
        return [Change(Action.CREATE, kind, address, after=after, table=table)]
    if after is None:
        return [_drop(kind, address, before, table=table)]
    return [Change(Action.REPLACE, kind, address, before=before, after=after, table=table,
                   attributes=_object_attributes(before, after))]


def _object_attributes(before: Any, after: Any) -> list[AttributeChange]:
    from dataclasses import fields

    return [AttributeChange(f.name, getattr(before, f.name), getattr(after, f.name))
            for f in fields(before) if f.name != "renamed_from" and getattr(before, f.name) != getattr(after, f.name)]


def _diff_members(kind: str, key: str, live: dict[str, Any], desired: dict[str, Any]) -> list[Change]:
    desired = {name: _accepting_validated(member, live.get(name)) for name, member in desired.items()}
    changes, live, desired = _renamed_members(kind, key, live, desired, _same_but_name)
    for name in _ordered_union(desired, live):
        before, after = live.get(name), desired.get(name)
        if before != after:
            changes += _replace_or(kind, f"{kind} {key}.{name}", before, after, key)
    return changes


def _accepting_validated(wanted: Any, live: Any) -> Any:
    """A check or foreign key the spec wants NOT VALID is satisfied by the live one validated: only a
    validated one asked for is a change (`not_valid` means: never scan the existing rows for it)."""
    if live is not None and getattr(wanted, "valid", True) is False and live.valid:
        return replace(wanted, valid=True)
    return wanted


def _diff_indexes(key: str, live: Table, table: Table) -> list[Change]:
    changes = []
    renamed_old: set[str] = set()
    for name, index in table.indexes.items():
        if index.renamed_from and (name in live.indexes) == (index.renamed_from in live.indexes):
            if name not in live.indexes:
                raise PlanError(f"index {key}.{name} is renamed from {index.renamed_from}, but neither exists; "
                                "refusing to guess (remove renamed_from to create it)")
            raise PlanError(f"index {key}.{name} is renamed from {index.renamed_from}, but both exist; "
                            "drop one or remove renamed_from")
        if index.renamed_from and name not in live.indexes:
            old = live.indexes[index.renamed_from]
            renamed_old.add(old.name)
            changes.append(Change(Action.RENAME, INDEX, f"index {key}.{name}", before=old, after=index, table=key,
                                  attributes=[AttributeChange("name", old.name, name)]))
            moved = copy.copy(old)
            moved.name, moved.renamed_from = name, index.renamed_from
            if moved != index:
                changes += _replace_or(INDEX, f"index {key}.{name}", moved, index, key)
    remaining = {n: ix for n, ix in live.indexes.items() if n not in renamed_old}
    wanted = {n: ix for n, ix in table.indexes.items()
              if not (ix.renamed_from and n not in live.indexes and ix.renamed_from in renamed_old)}
    implicit, remaining, wanted = _renamed_members(INDEX, key, remaining, wanted, _same_index)
    changes += implicit
    for name in _ordered_union(wanted, remaining):
        before, after = remaining.get(name), wanted.get(name)
        if before is not None and after is not None and _same_index(before, after):
            continue
        if before != after:
            changes += _replace_or(INDEX, f"index {key}.{name}", before, after, key)
    return changes


def _same_index(a: Any, b: Any) -> bool:
    return (a.elements, a.unique, a.method, a.where, a.include, a.valid) == \
        (b.elements, b.unique, b.method, b.where, b.include, b.valid)


def _ordered_union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(first)
    seen.update(dict.fromkeys(second))
    return list(seen)


def _mark_prevented(changes: list[Change], desired: Database) -> None:
    """Flag changes that would destroy what the spec protects: a protected object that is replaced or
    loses enum values, or a column of a protected table. (An object gone from the spec has no flag.)"""
    for change in changes:
        if not (change.destroys or (change.kind == ENUM and change.extra.get("recreate"))):
            continue
        table = desired.tables.get(change.table) if change.table else None
        in_protected_table = change.kind == COLUMN and table is not None and table.prevent_destroy
        change.prevented = bool(getattr(change.after, "prevent_destroy", False) or in_protected_table)
