from __future__ import annotations

import pytest

from reconciler.backends.sqlite.types import check_expression, literal_sql, normalize_type, quote_ident


@pytest.mark.parametrize(("raw", "canonical"), [
    ("integer", "INTEGER"), ("INT", "INTEGER"), ("bigint", "BIGINT"), ("smallint", "SMALLINT"),
    ("text", "TEXT"), ("varchar(255)", "VARCHAR(255)"), ("character varying ( 20 )", "VARCHAR(20)"),
    ("char(2)", "CHAR(2)"), ("bool", "BOOLEAN"), ("boolean", "BOOLEAN"), ("real", "REAL"),
    ("double  precision", "DOUBLE PRECISION"), ("float", "DOUBLE PRECISION"),
    ("numeric(10, 2)", "NUMERIC(10,2)"), ("decimal", "NUMERIC"), ("blob", "BLOB"), ("bytea", "BLOB"),
    ("date", "DATE"), ("datetime", "DATETIME"), ("timestamp(3)", "TIMESTAMP(3)"),
    ("timestamp with time zone", "TIMESTAMPTZ"), ("timestamptz", "TIMESTAMPTZ"), ("time", "TIME"),
    ("json", "JSON"), ("jsonb", "JSONB"), ("uuid", "UUID"),
])
def test_known_types_have_one_spelling(raw: str, canonical: str) -> None:
    assert normalize_type(raw, {}) == canonical
    # The canonical spelling is itself accepted, so an inspected spec loads again.
    assert normalize_type(canonical, {}) == canonical


@pytest.mark.parametrize("raw", ["text[]", "interval", "mood", "varchar(x)", "integer(3)", "numeric(1,2,3)"])
def test_unknown_types_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError) as info:
        normalize_type(raw, {})
    assert str(info.value) == f'unknown type "{raw}"'


def test_literals_are_spelled_as_pragma_reports_them() -> None:
    assert literal_sql("it's", "TEXT") == "'it''s'"
    assert literal_sql(True, "BOOLEAN") == "TRUE"
    assert literal_sql(False, "BOOLEAN") == "FALSE"
    assert literal_sql(42, "INTEGER") == "42"
    assert literal_sql(-1.5, "REAL") == "-1.5"


def test_check_expression_reports_parse_errors() -> None:
    check_expression("price > 0 AND name <> ''")
    with pytest.raises(ValueError):
        check_expression("price > > 0 (")


def test_identifiers_are_always_quoted() -> None:
    assert quote_ident("order") == '"order"'
    assert quote_ident('we"ird') == '"we""ird"'
