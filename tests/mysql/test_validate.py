"""What MySQL cannot hold (or this backend does not handle) is refused by validate, at its position."""

from __future__ import annotations

import pytest

from tests.cli.helpers import invoke

from .helpers import write_spec


@pytest.mark.parametrize(("body", "where", "message"), [
    ("enums:\n  mood: [a, b]\n", "4:3", "enums: enums are not supported by dialect mysql"),
    ("schema: shop\n", "3:9", "schema: schemas are not supported by dialect mysql"),
    ("schemas: [a]\n", "3:10", "schemas: schemas are not supported by dialect mysql"),
    ("domains:\n  d: {type: int}\n", "4:3", "domains: domains are not supported by dialect mysql"),
    ("tables:\n  t:\n    columns:\n      id: {type: int}\n    checks:\n      pos: id > 0\n",
     "8:7", "tables.t.checks: check constraints are not supported by dialect mysql (yet)"),
    ("tables:\n  t:\n    columns:\n      id: {type: int, collation: utf8mb4_bin}\n",
     "6:34", "tables.t.columns.id.collation: collation is not supported by dialect mysql"),
    ("tables:\n  t:\n    columns:\n      id: {type: int}\n    indexes:\n      - {columns: [id], where: id > 0}\n",
     "8:32", "tables.t.indexes[0].where: where is not supported by dialect mysql"),
    ("tables:\n  t:\n    columns:\n      id: {type: int}\n    indexes:\n      - {columns: [{expression: abs(id)}]}\n",
     "8:33", "tables.t.indexes[0].columns[0].expression: expression is not supported in MySQL indexes"),
    ("tables:\n  t:\n    columns:\n      id: {type: int}\n    indexes:\n      - {columns: [id], method: gin}\n",
     "8:33", "tables.t.indexes[0].method: only btree indexes are supported by dialect mysql"),
    ("tables:\n  t:\n    columns:\n      body: {type: text}\n    indexes:\n      - {columns: [body]}\n",
     "8:20", "tables.t.indexes[0].columns[0]: a text column cannot be indexed on dialect mysql"),
    ("tables:\n  t:\n    columns:\n      body: {type: text, primary_key: true}\n",
     "6:20", "tables.t.columns.body.type: column 'body' (text) is in a key (primary_key)"),
    # Columns, indexes and foreign keys of a relational backend's spec are checked by the schema (relational_spec).
    ("tables:\n  t:\n    columns:\n      id: {type: int, nullabel: true}\n",
     "6:11", "tables.t.columns.id: unknown key 'nullabel'"),
    ("tables:\n  t:\n    columns:\n      id: {type: int}\n    indexes:\n      - {columns: [id], uniqe: true}\n",
     "8:9", "tables.t.indexes[0]: unknown key 'uniqe'"),
    ("tables:\n  t:\n    columns:\n      id: {type: uuid}\n", "6:18", 'unknown type "uuid" for dialect mysql'),
    ("tables:\n  t:\n    columns:\n      name: {type: varchar}\n", "6:20", "needs a length on dialect mysql"),
    ("tables:\n  t:\n    columns:\n      id: {type: int, identity: always, primary_key: true}\n",
     "6:33", "identity always is not supported by dialect mysql"),
    ("tables:\n  t:\n    columns:\n      id: {type: int, primary_key: true}\n"
     "  u:\n    columns:\n      t_id: {type: int, references: t(id), on_delete: set default}\n",
     "9:55", "set default is not supported by InnoDB"),
    ("tables:\n  t:\n    columns:\n      id: {type: int, primary_key: true}\n"
     "  u:\n    columns:\n      t_id: {type: int}\n    foreign_keys:\n"
     "      - {columns: [t_id], references: t(id), deferrable: true}\n",
     "11:58", "tables.u.foreign_keys[0].deferrable: deferrable is not supported by dialect mysql"),
    ("tables:\n  t:\n    columns:\n      id: {type: int}\n    primary_key: {name: pk, columns: [id]}\n",
     "7:25", "MySQL names every primary key PRIMARY"),
    ("tables:\n  t:\n    columns:\n      id: {type: serial}\n", "6:18", "AUTO_INCREMENT (serial or identity)"),
    ("tables:\n  t:\n    columns:\n      id: {type: int, default: \"a\\0b\"}\n", "6:32", "NUL characters"),
])
def test_validate_refuses_with_a_position(tmp_path, body: str, where: str, message: str) -> None:
    spec = write_spec(tmp_path, body)
    code, out = invoke("validate", str(spec))
    assert code == 1, out
    assert f"{spec}:{where}: " in out and message in out, out


def test_a_supported_spec_validates(tmp_path) -> None:
    spec = write_spec(tmp_path, "tables:\n  t:\n    columns:\n      id: {type: serial, primary_key: true}\n"
                                "      price: {type: 'decimal(10,2) unsigned', default: 0}\n")
    code, out = invoke("validate", str(spec))
    assert code == 0, out
