"""Spec -> model for MySQL/MariaDB: the shared relational builder, what MySQL cannot hold refused with positions,
and the model put in the shape MySQL stores it in (so that an inspected database compares equal):

- a unique index over plain ascending columns is a unique key: the same thing as a unique constraint;
- `restrict` and `no action` are one foreign key action in InnoDB (the server reports RESTRICT for both
  unless NO ACTION was written): the model says `no action`;
- serial and identity columns are AUTO_INCREMENT (`identity: by default` in the model);
- a foreign key whose columns lead no index gets the index InnoDB creates for it, named like the key.
"""

from __future__ import annotations

from typing import Any

from reconciler.backends.relational import build_refusing, index_element_errors, refuse_deferrable
from reconciler.errors import SpecError, SpecErrors
from reconciler.model import Database, Index, IndexElement, Table, UniqueConstraint
from reconciler.spec.loader import LoadedSpec, Path_

from .types import INTEGERS, RULES, UNINDEXABLE, base_type

# schemas, extensions, enums and domains: the relational builder refuses them (RULES.supports is empty).
_TOP_LEVEL_UNSUPPORTED = ("schema",)
_COLUMN_UNSUPPORTED = ("collation", "using", "statistics", "storage")
_INDEX_ELEMENT_UNSUPPORTED = ("expression", "nulls", "opclass", "collation")


def build_model(loaded: LoadedSpec) -> Database:
    db, errors = build_refusing(loaded, RULES, _unsupported_features(loaded))
    if db is not None and not errors:
        errors.extend(_fold(loaded, db))
    if errors:
        raise SpecErrors(_unique(errors)) if len(errors) > 1 else errors[0]
    assert db is not None
    return db


def _unique(errors: list[SpecError]) -> list[SpecError]:
    """Each error once (this module and the shared builder may both refuse the same thing)."""
    seen: set[str] = set()
    unique = []
    for error in errors:
        if str(error) not in seen:
            seen.add(str(error))
            unique.append(error)
    return unique


def _unsupported_features(loaded: LoadedSpec) -> list[SpecError]:
    """Spec features MySQL has no storage for (or this backend does not handle yet): accepting them would make
    every plan non-empty, or an apply fail."""
    errors: list[SpecError] = []

    def error(path: Path_, message: str) -> None:
        errors.append(loaded.positions.error(path, message))

    for key in _TOP_LEVEL_UNSUPPORTED:
        if loaded.data.get(key):
            error((key,), "schemas are not supported by dialect mysql (the URL's database is the only one)")
    for key, table in (loaded.data.get("tables") or {}).items():
        if not isinstance(table, dict):
            continue
        path: Path_ = ("tables", key)
        if "." in key:
            error(path, "schema-qualified table names are not supported by dialect mysql")
        if table.get("checks"):
            error((*path, "checks"), "check constraints are not supported by dialect mysql (yet)")
        if table.get("options"):
            error((*path, "options"), "storage parameters are not supported by dialect mysql")
        if table.get("replica_identity") not in (None, "default"):
            error((*path, "replica_identity"), "replica identity is not supported by dialect mysql")
        pk = table.get("primary_key")
        if isinstance(pk, dict) and pk.get("name"):
            error((*path, "primary_key", "name"), "MySQL names every primary key PRIMARY: remove the name")
        for name, column in (table.get("columns") or {}).items():
            if not isinstance(column, dict):
                continue
            cpath = (*path, "columns", name)
            for option in _COLUMN_UNSUPPORTED:
                if column.get(option) is not None:
                    error((*cpath, option), f"{option} is not supported by dialect mysql")
            if column.get("identity") == "always":
                error((*cpath, "identity"), "identity always is not supported by dialect mysql "
                                            "(AUTO_INCREMENT is by_default)")
            errors.extend(_fk_errors(loaded, cpath, column))
        refuse_deferrable(error, (*path, "primary_key"), table.get("primary_key"), "primary keys", "mysql")
        for i, unique in enumerate(table.get("unique") or []):
            refuse_deferrable(error, (*path, "unique", i), unique, "unique constraints", "mysql")
        for i, index in enumerate(table.get("indexes") or []):
            errors.extend(_index_errors(loaded, (*path, "indexes", i), index))
        for i, fk in enumerate(table.get("foreign_keys") or []):
            if isinstance(fk, dict):
                errors.extend(_fk_errors(loaded, (*path, "foreign_keys", i), fk))
    return errors


def _fk_errors(loaded: LoadedSpec, path: Path_, spec: dict[str, Any]) -> list[SpecError]:
    errors: list[SpecError] = []
    for option in ("deferrable", "initially_deferred", "not_valid"):
        if spec.get(option):
            errors.append(loaded.positions.error((*path, option), f"{option} is not supported by dialect mysql"))
    for option in ("on_delete", "on_update"):
        if spec.get(option) == "set default":
            errors.append(loaded.positions.error((*path, option), "set default is not supported by InnoDB"))
    ref = spec.get("references")
    if (isinstance(ref, dict) and ref.get("schema")) or (isinstance(ref, str) and "." in ref.split("(", 1)[0]):
        errors.append(loaded.positions.error((*path, "references"),
                                             "references to another schema are not supported by dialect mysql"))
    return errors


def _index_errors(loaded: LoadedSpec, path: Path_, index: Any) -> list[SpecError]:
    if not isinstance(index, dict):
        return []
    errors: list[SpecError] = []
    if index.get("method", "btree") != "btree":
        errors.append(loaded.positions.error((*path, "method"), "only btree indexes are supported by dialect mysql"))
    for key in ("where", "include"):
        if index.get(key):
            errors.append(loaded.positions.error((*path, key), f"{key} is not supported by dialect mysql"))
    return errors + index_element_errors(loaded, path, index, _INDEX_ELEMENT_UNSUPPORTED, "MySQL")


def _fold(loaded: LoadedSpec, db: Database) -> list[SpecError]:
    errors: list[SpecError] = []
    fk_names: dict[str, str] = {}
    for table in db.tables.values():
        path: Path_ = ("tables", table.name)
        errors += _fold_auto_increment(loaded, table, path)
        errors += _refuse_unindexable_keys(loaded, table, path)
        for name, index in list(table.indexes.items()):
            if index.unique and all(e.column and not e.descending for e in index.elements):
                del table.indexes[name]
                table.uniques[name] = UniqueConstraint(name=name, columns=[e.column for e in index.elements])
        for fk in table.foreign_keys.values():
            if fk.name in fk_names:
                errors.append(loaded.positions.error(path, f"foreign key name {fk.name!r} is also used in table "
                                                           f"{fk_names[fk.name]!r} (InnoDB: one per database)"))
            fk_names[fk.name] = table.name
            fk.on_delete = "no action" if fk.on_delete == "restrict" else fk.on_delete
            fk.on_update = "no action" if fk.on_update == "restrict" else fk.on_update
        add_foreign_key_indexes(table)
    return errors


def leading_columns(table: Table) -> list[list[str]]:
    """The column lists of every index of the table (keys included), which a foreign key may lead."""
    keys = [table.primary_key.columns] if table.primary_key else []
    keys += [u.columns for u in table.uniques.values()]
    keys += [[e.column or "" for e in ix.elements] for ix in table.indexes.values()]
    return keys


def add_foreign_key_indexes(table: Table) -> None:
    """The index InnoDB creates (named like the key) for a foreign key whose columns lead no index."""
    for fk in table.foreign_keys.values():
        if any(key[:len(fk.columns)] == fk.columns for key in leading_columns(table)):
            continue
        table.indexes.setdefault(fk.name, Index(name=fk.name, elements=[IndexElement(column=c) for c in fk.columns]))


def _fold_auto_increment(loaded: LoadedSpec, table: Table, path: Path_) -> list[SpecError]:
    errors: list[SpecError] = []
    for column in table.columns.values():
        if not (column.serial or column.identity):
            continue
        where = (*path, "columns", column.name, "identity" if column.identity else "type")
        pk = table.primary_key
        if pk is None or pk.columns[0] != column.name or base_type(column.type) not in INTEGERS:
            errors.append(loaded.positions.error(where, "an AUTO_INCREMENT (serial or identity) column must be an "
                                                        "integer and the first column of the primary key on "
                                                        "dialect mysql"))
            continue
        column.serial, column.identity = None, "by default"
    return errors


def _refuse_unindexable_keys(loaded: LoadedSpec, table: Table, path: Path_) -> list[SpecError]:
    """Keys over text, blob and json columns need a prefix length, which the spec cannot say."""
    keyed = [("primary_key", table.primary_key.columns)] if table.primary_key else []
    keyed += [("unique", u.columns) for u in table.uniques.values()]
    keyed += [("foreign_keys", fk.columns) for fk in table.foreign_keys.values()]
    errors = []
    for where, columns in keyed:
        for c in columns:
            type_ = table.columns[c].type if c in table.columns else ""
            if base_type(type_) in UNINDEXABLE:
                errors.append(loaded.positions.error(
                    (*path, "columns", c, "type"), f"column {c!r} ({type_}) is in a key ({where}): MySQL cannot "
                                                   "index it without a prefix length; use varchar(n)"))
    return errors
