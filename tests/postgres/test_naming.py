"""Names of indexes and constraints the spec leaves out must be the ones PostgreSQL picks itself."""

from __future__ import annotations

import pytest

from tests.postgres.helpers import inspect, model_from_spec

NAMES = [
    "short",
    "a_table_name_that_is_exactly_long_enough_to_need_truncating_x",  # 61 ASCII characters
    "таблица_с_длинным_именем_тест",  # 2 bytes per Cyrillic letter: 54 bytes
]
COLUMNS = ["id", "a_column_whose_name_is_long_as_well_to_fill_the_identifier", "ключ_поиска_и_ещё_немного"]


@pytest.mark.parametrize("table", NAMES)
@pytest.mark.parametrize("column", COLUMNS)
def test_default_names_match_postgresql(pg_conn, tmp_path, table, column) -> None:
    pg_conn.execute(
        f'CREATE TABLE "{table}" ("{column}" integer PRIMARY KEY, ref integer UNIQUE,'
        f' FOREIGN KEY ("{column}") REFERENCES "{table}" (ref))')
    pg_conn.execute(f'CREATE INDEX ON "{table}" ("{column}", ref)')
    live = next(iter(inspect(pg_conn).tables.values()))
    desired = model_from_spec(tmp_path, {"tables": {table: {
        "columns": {column: {"type": "integer", "primary_key": True}, "ref": {"type": "integer", "unique": True}},
        "foreign_keys": [{"columns": [column], "references": f'"{table}"(ref)'}],
        "indexes": [{"columns": [column, "ref"]}],
    }}}).tables[f"public.{table}"]
    assert desired.primary_key is not None and live.primary_key is not None
    assert desired.primary_key.name == live.primary_key.name
    assert list(desired.uniques) == list(live.uniques)
    assert list(desired.foreign_keys) == list(live.foreign_keys)
    assert list(desired.indexes) == list(live.indexes)
    assert all(len(n.encode()) <= 63 for n in [*live.uniques, *live.foreign_keys, *live.indexes])
