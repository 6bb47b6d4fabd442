"""Spec -> model for SQLite: the shared relational builder plus what SQLite cannot express."""

from __future__ import annotations

from typing import Any

from reconciler.backends.relational import build_refusing, index_element_errors, refuse_deferrable
from reconciler.errors import SpecError, raise_spec_errors
from reconciler.model import Database
from reconciler.spec.loader import LoadedSpec, Path_

from .types import RULES

_INDEX_ELEMENT_UNSUPPORTED = ("nulls", "opclass")


def build_model(loaded: LoadedSpec) -> Database:
    db, errors = build_refusing(loaded, RULES, _unsupported_features(loaded))
    if db is not None:
        errors.extend(_fold_auto_numbering(loaded, db))
    raise_spec_errors(errors)
    assert db is not None
    return db


def _unsupported_features(loaded: LoadedSpec) -> list[SpecError]:
    """Spec features SQLite has no storage for; accepting them would make every plan non-empty."""
    errors: list[SpecError] = []

    def error(path: Path_, message: str) -> None:
        errors.append(loaded.positions.error(path, message))

    for key, table in (loaded.data.get("tables") or {}).items():
        if not isinstance(table, dict):
            continue
        path: Path_ = ("tables", key)
        if table.get("comment") is not None:
            error((*path, "comment"), "comments are not supported by dialect sqlite")
        if table.get("unlogged"):
            error((*path, "unlogged"), "unlogged tables are not supported by dialect sqlite")
        if table.get("options"):
            error((*path, "options"), "storage parameters are not supported by dialect sqlite")
        if table.get("exclusions"):
            error((*path, "exclusions"), "exclusion constraints are not supported by dialect sqlite")
        if not table.get("columns"):
            error(path, "a table needs at least one column on dialect sqlite")
        for switch in ("row_level_security", "force_row_level_security"):
            if table.get(switch):
                error((*path, switch), "row-level security is not supported by dialect sqlite")
        if table.get("replica_identity") not in (None, "default"):
            error((*path, "replica_identity"), "replica identity is not supported by dialect sqlite")
        for name, column in (table.get("columns") or {}).items():
            cpath = (*path, "columns", name)
            if isinstance(column, dict) and column.get("comment") is not None:
                error((*cpath, "comment"), "comments are not supported by dialect sqlite")
            if isinstance(column, dict) and column.get("generated") is not None:
                error((*cpath, "generated"), "generated columns are not supported by dialect sqlite")
            for setting in ("statistics", "storage"):
                if isinstance(column, dict) and column.get(setting) is not None:
                    error((*cpath, setting), f"column {setting} is not supported by dialect sqlite")
            if isinstance(column, dict) and isinstance(column.get("identity"), dict):
                error((*cpath, "identity"), "identity options are not supported by dialect sqlite")
            if isinstance(column, dict) and isinstance(column.get("on_delete"), dict):
                error((*cpath, "on_delete"), "on_delete with columns is not supported by dialect sqlite")
        primary_key = table.get("primary_key")
        if isinstance(primary_key, dict) and primary_key.get("comment") is not None:
            error((*path, "primary_key", "comment"), "comments are not supported by dialect sqlite")
        refuse_deferrable(error, (*path, "primary_key"), primary_key, "primary keys", "sqlite")
        for i, unique in enumerate(table.get("unique") or []):
            refuse_deferrable(error, (*path, "unique", i), unique, "unique constraints", "sqlite")
            _refuse(error, (*path, "unique", i), unique, _MEMBER_UNSUPPORTED)
        for i, index in enumerate(table.get("indexes") or []):
            errors.extend(_index_errors(loaded, (*path, "indexes", i), index))
        for i, fk in enumerate(table.get("foreign_keys") or []):
            _refuse(error, (*path, "foreign_keys", i), fk, _MEMBER_UNSUPPORTED)
            if isinstance(fk, dict) and isinstance(fk.get("on_delete"), dict):
                error((*path, "foreign_keys", i, "on_delete"), "on_delete with columns is not supported by dialect sqlite")
        for name, check in (table.get("checks") or {}).items():
            _refuse(error, (*path, "checks", name), check, _MEMBER_UNSUPPORTED)
    return errors


# PostgreSQL-only keys of keys, indexes and constraints -> what SQLite lacks.
_MEMBER_UNSUPPORTED = {"comment": "comments are", "nulls_not_distinct": "nulls_not_distinct is",
                       "match": "match full is", "no_inherit": "no_inherit is", "with": "storage parameters (with) are"}


def _refuse(error: Any, path: Path_, spec: Any, keys: dict[str, str]) -> None:
    if not isinstance(spec, dict):
        return
    for key, what in keys.items():
        value = spec.get(key)
        if value is not None and value is not False and not (key == "match" and value == "simple"):
            error((*path, key), f"{what} not supported by dialect sqlite")


def _index_errors(loaded: LoadedSpec, path: Path_, index: Any) -> list[SpecError]:
    if not isinstance(index, dict):
        return []
    errors: list[SpecError] = []
    if index.get("method", "btree") != "btree":
        errors.append(loaded.positions.error((*path, "method"), "SQLite indexes only support method btree"))
    if index.get("include"):
        errors.append(loaded.positions.error((*path, "include"), "include is not supported by dialect sqlite"))
    _refuse(lambda p, m: errors.append(loaded.positions.error(p, m)), path, index, _MEMBER_UNSUPPORTED)
    return errors + index_element_errors(loaded, path, index, _INDEX_ELEMENT_UNSUPPORTED, "SQLite")


def _fold_auto_numbering(loaded: LoadedSpec, db: Database) -> list[SpecError]:
    """serial/identity become a plain INTEGER PRIMARY KEY, which SQLite numbers by itself (rowid alias).

    Anything else has no SQLite equivalent, so it is an error rather than a silent difference.
    """
    errors: list[SpecError] = []
    for table in db.tables.values():
        for column in table.columns.values():
            if not (column.serial or column.identity):
                continue
            what = column.serial or "identity"
            pk = table.primary_key
            if pk is None or pk.columns != [column.name] or column.type not in ("INTEGER", "BIGINT", "SMALLINT"):
                errors.append(loaded.positions.error(
                    ("tables", table.name, "columns", column.name, "type" if column.serial else "identity"),
                    f"{what} needs the column to be the table's only primary key column on dialect sqlite "
                    "(an INTEGER PRIMARY KEY is numbered automatically)"))
                continue
            column.type, column.serial, column.identity = "INTEGER", None, None
    return errors
