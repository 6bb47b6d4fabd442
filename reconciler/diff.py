"""Relational diff: model x model -> typed changes. Pure; no database needed.

What PostgreSQL and SQLite share: tables, columns, keys, indexes, checks, renames, prevent_destroy.
A backend composes it with its own kinds' comparisons (`compose_diff`; PostgreSQL's schemas,
extensions, enums and domains are compared in their kind modules). Both models must already be canonical (see each backend's `canonicalize`), so
comparison is equality of values. Ordering is not done here (see `plan`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from reconciler.changes import (
    CHECK,
    COLUMN,
    EXCLUSION,
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
from reconciler.errors import PlanError
from reconciler.model import Column, Database, Table, qualified, to_plain

COLUMN_ATTRIBUTES = ("type", "nullable", "default", "identity", "serial", "comment", "collation", "generated",
                     "identity_options")


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


def drop_change(kind: str, address: str, obj: Any, table: str | None = None, **extra: Any) -> Change:
    change = Change(Action.DROP, kind, address, before=obj, table=table, extra=dict(extra))
    # The hazards hold for every backend; the backend's annotate_hazards explains them (once: a note here
    # would say the same thing again in other words).
    if kind in (TABLE, COLUMN):
        change.add_hazard(Hazard.DATA_LOSS)
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


def diff_tables(current: Database, desired: Database) -> list[Change]:
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
        changes.append(drop_change(TABLE, f"table {key}", live))
        # Foreign keys go first so that tables referencing each other can be dropped in any order.
        changes += [drop_change(FOREIGN_KEY, f"foreign_key {key}.{fk.name}", fk, table=key, dropped_table=True)
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
    view.exclusions = {n: replace(x, elements=[replace(e, column=own.get(e.column, e.column)) if e.column else e
                                               for e in x.elements])
                       for n, x in live.exclusions.items()}
    foreign_keys = {}
    for name, fk in live.foreign_keys.items():
        target = qualified(fk.ref_schema, fk.ref_table)
        foreign_keys[name] = replace(fk, columns=cols(fk.columns), on_delete_columns=cols(fk.on_delete_columns),
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
    table_attrs = [AttributeChange(a, getattr(live, a), getattr(table, a)) for a in ("comment", "unlogged", "options")
                   if getattr(live, a) != getattr(table, a)]
    if table_attrs:
        changes.append(Change(Action.ALTER, TABLE, f"table {key}", before=live, after=table, attributes=table_attrs))
    renames = _resolve_column_renames(live, table)
    renamed_old = set(renames.values())
    for name, column in table.columns.items():
        old_name = renames.get(name, name)
        live_col = live.columns.get(old_name)
        address = f"column {key}.{name}"
        if live_col is None:
            change = Change(Action.CREATE, COLUMN, address, after=column, table=key, extra={"table": table})
            if not column.nullable and column.default is None and not column.identity and not column.serial \
                    and column.generated is None:
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
            changes.append(drop_change(COLUMN, f"column {key}.{name}", live_col, table=key, table_obj=live))

    live_pk, pk = live.primary_key, table.primary_key
    if live_pk is not None and pk is not None and live_pk.name != pk.name and live_pk.columns == pk.columns:
        changes.append(Change(Action.RENAME, PRIMARY_KEY, f"primary_key {key}", before=live_pk, after=pk, table=key,
                              attributes=[AttributeChange("name", live_pk.name, pk.name)]))
    elif live_pk != pk:
        changes += _alter_or_replace(PRIMARY_KEY, f"primary_key {key}", live_pk, pk, key)
    changes += _diff_members(UNIQUE, key, live.uniques, table.uniques)
    changes += _diff_indexes(key, live, table)
    changes += _diff_members(FOREIGN_KEY, key, live.foreign_keys, table.foreign_keys)
    changes += _diff_members(CHECK, key, live.checks, table.checks)
    changes += _diff_members(EXCLUSION, key, live.exclusions, table.exclusions)
    changes += _rebuild_around_replaced_columns(changes, live, table)
    return changes


_MEMBERS = ((UNIQUE, "uniques"), (INDEX, "indexes"), (FOREIGN_KEY, "foreign_keys"), (CHECK, "checks"),
            (EXCLUSION, "exclusions"))


def _rebuild_around_replaced_columns(changes: list[Change], live: Table, table: Table) -> list[Change]:
    """A column whose generation expression changes is dropped and added again (PostgreSQL 15 has no
    SET EXPRESSION), which drops its indexes and constraints with it: drop them first, add them after."""
    replaced = {c.after.name for c in changes if c.kind == COLUMN and c.action == Action.ALTER
                and any(a.name == "generated" for a in c.attributes) and c.after.generated is not None}
    if not replaced:
        return []
    key = table.key
    touched = {(c.kind, c.address) for c in changes}
    extra: list[Change] = []
    primary = [(PRIMARY_KEY, f"primary_key {key}", live.primary_key, table.primary_key)]
    members = [(kind, f"{kind} {key}.{name}", obj, getattr(table, attr).get(name))
               for kind, attr in _MEMBERS for name, obj in getattr(live, attr).items()]
    for kind, address, before, after in [*primary, *members]:
        if before is None or after is None or (kind, address) in touched or not _mentions(before, replaced):
            continue
        drop = drop_change(kind, address, before, table=key)
        drop.extra["rebuilt_around"] = sorted(replaced)
        extra += [drop, Change(Action.CREATE, kind, address, after=after, table=key)]
    return extra


def _mentions(obj: Any, columns: set[str]) -> bool:
    """Whether a key, index or constraint names one of the columns (in expressions: as a whole word)."""
    import re

    names = set(getattr(obj, "columns", []) or []) | set(getattr(obj, "include", []) or [])
    texts = [getattr(obj, "expression", None), getattr(obj, "where", None)]
    for element in getattr(obj, "elements", []) or []:
        names.add(element.column)
        texts.append(element.expression)
    if names & columns:
        return True
    pattern = re.compile("|".join(rf'(?<![\w"]){re.escape(c)}(?![\w"])|"{re.escape(c)}"' for c in columns))
    return any(t and pattern.search(t) for t in texts)


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
        elif attr == "identity_options":
            # Shown as the options set, not as the dataclass.
            old, new = _set_options(old), _set_options(new)
        if old != new:
            attrs.append(AttributeChange(attr, old, new))
    return attrs


def _set_options(options: Any) -> dict[str, Any] | None:
    if options is None:
        return None
    return {k: v for k, v in to_plain(options).items() if v not in (None, False)}


def _replace_or(kind: str, address: str, before: Any, after: Any, table: str) -> list[Change]:
    if before is None:
        return [Change(Action.CREATE, kind, address, after=after, table=table)]
    if after is None:
        return [drop_change(kind, address, before, table=table)]
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
            changes += _alter_or_replace(kind, f"{kind} {key}.{name}", before, after, key)
    return changes


#: What changes on a key, index or constraint without rebuilding it (COMMENT ON, ALTER INDEX SET).
_IN_PLACE = ("comment", "with_")


def _alter_or_replace(kind: str, address: str, before: Any, after: Any, table: str) -> list[Change]:
    if before is not None and after is not None:
        in_place = [a for a in _IN_PLACE if hasattr(before, a) and getattr(before, a) != getattr(after, a)]
        if in_place and replace(before, **{a: getattr(after, a) for a in in_place}) == after:
            return [Change(Action.ALTER, kind, address, before=before, after=after, table=table,
                           attributes=[AttributeChange(a.rstrip("_"), getattr(before, a), getattr(after, a))
                                       for a in in_place])]
    return _replace_or(kind, address, before, after, table)


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
        if before is not None and after is not None and _same_index(before, after) and \
                before.comment == after.comment:
            continue
        if before != after:
            changes += _alter_or_replace(INDEX, f"index {key}.{name}", before, after, key)
    return changes


def _same_index(a: Any, b: Any) -> bool:
    return (a.elements, a.unique, a.method, a.where, a.include, a.valid, a.nulls_not_distinct, a.with_) == \
        (b.elements, b.unique, b.method, b.where, b.include, b.valid, b.nulls_not_distinct, b.with_)


def _ordered_union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(first)
    seen.update(dict.fromkeys(second))
    return list(seen)


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
