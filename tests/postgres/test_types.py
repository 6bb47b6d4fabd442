from __future__ import annotations

import re

import pytest

from reconciler.backends.postgres.types import (
    check_expression,
    literal_sql,
    normalize_type,
    quote_ident,
    user_type_name,
)

USER_TYPES = {
    "MessageRole": 'public."MessageRole"', "public.MessageRole": 'public."MessageRole"',
    'public."MessageRole"': 'public."MessageRole"',
    "message_role": "public.message_role", "public.message_role": "public.message_role",
    "audit.level": "audit.level",
}


@pytest.mark.parametrize(("raw", "expected"), [
    ("int", "integer"), ("int4", "integer"), ("INTEGER", "integer"),
    ("int8", "bigint"), ("bigint", "bigint"), ("int2", "smallint"), ("smallint", "smallint"),
    ("float8", "double precision"), ("double precision", "double precision"), ("float", "double precision"),
    ("float4", "real"), ("real", "real"), ("float(10)", "real"), ("float(30)", "double precision"),
    ("numeric", "numeric"), ("numeric(10,2)", "numeric(10,2)"), ("decimal(10, 2)", "numeric(10,2)"),
    ("numeric(10)", "numeric(10,0)"),
    ("varchar", "character varying"), ("varchar(255)", "character varying(255)"),
    ("character varying(20)", "character varying(20)"), ("char(3)", "character(3)"), ("char", "character(1)"),
    ("bool", "boolean"), ("boolean", "boolean"), ("text", "text"), ("uuid", "uuid"), ("json", "json"),
    ("jsonb", "jsonb"), ("bytea", "bytea"), ("date", "date"),
    ("time", "time without time zone"), ("time(3)", "time(3) without time zone"),
    ("timetz", "time with time zone"), ("timetz(2)", "time(2) with time zone"),
    ("timestamp", "timestamp without time zone"), ("timestamp(3)", "timestamp(3) without time zone"),
    ("TIMESTAMP(3)", "timestamp(3) without time zone"),
    ("timestamptz", "timestamp with time zone"), ("timestamptz(6)", "timestamp(6) with time zone"),
    ("timestamp with time zone", "timestamp with time zone"),
    ("timestamp(3) with time zone", "timestamp(3) with time zone"),
    ("timestamp without time zone", "timestamp without time zone"),
    ("interval", "interval"), ("inet", "inet"), ("cidr", "cidr"), ("macaddr", "macaddr"), ("money", "money"),
    ("xml", "xml"), ("tsvector", "tsvector"), ("oid", "oid"), ("bit", "bit(1)"), ("bit(4)", "bit(4)"),
    ("text[]", "text[]"), ("integer[][]", "integer[]"), ("int[3]", "integer[]"), ("integer array", "integer[]"),
    ("varchar(10)[]", "character varying(10)[]"), ("pg_catalog.int4", "integer"),
    ("citext", "public.citext"), ("hstore", "public.hstore"), ("vector(3)", "public.vector(3)"),
    ("ltree", "public.ltree"), ("geometry", "public.geometry"), ("ext.citext", "ext.citext"),
    ("MessageRole", 'public."MessageRole"'), ('"MessageRole"', 'public."MessageRole"'),
    ("public.MessageRole", 'public."MessageRole"'), ('public."MessageRole"', 'public."MessageRole"'),
    ("MessageRole[]", 'public."MessageRole"[]'), ("message_role", "public.message_role"),
    ("audit.level", "audit.level"), ("audit.level[]", "audit.level[]"),
])
def test_normalize_type(raw: str, expected: str) -> None:
    assert normalize_type(raw, USER_TYPES) == expected


@pytest.mark.parametrize("raw", ["foo", "messagerole", "int(3)", "varchar(a)", "", "[]", "audit.nope"])
def test_unknown_types_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f'unknown type "{raw}"')):
        normalize_type(raw, USER_TYPES)


def test_normalize_type_matches_format_type(pg_conn) -> None:
    pg_conn.execute('CREATE TYPE "MessageRole" AS ENUM (\'a\'); CREATE TYPE message_role AS ENUM (\'a\')')
    samples = ["int", "numeric(10)", "varchar(3)", "char", "timestamptz(3)", "timetz", "float(10)", "integer[][]",
               '"MessageRole"[]', "message_role", "bit", "time(2)", '"char"', "interval day to second",
               "interval year to month", "interval minute to second(3)", "interval hour", "bit varying(5)",
               "time with time zone", "interval(2)"]
    pg_conn.execute("CREATE TABLE t (" + ", ".join(f"c{i} {t}" for i, t in enumerate(samples)) + ")")
    pg_conn.execute("SET search_path = ''")
    printed = [r[0] for r in pg_conn.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.t'::regclass"
        " AND attnum > 0 ORDER BY attnum")]
    assert [normalize_type(t, USER_TYPES) for t in samples] == printed


def test_user_type_name_quotes_like_postgres() -> None:
    assert user_type_name("public", "MessageRole") == 'public."MessageRole"'
    assert user_type_name("public", "message_role") == "public.message_role"
    assert user_type_name("public", "order") == 'public."order"'
    assert user_type_name("My Schema", "x") == '"My Schema".x'
    assert user_type_name(None, "user") == '"user"'


def test_quote_ident_always_quotes() -> None:
    assert quote_ident("users") == '"users"'
    assert quote_ident('we"ird') == '"we""ird"'


@pytest.mark.parametrize(("value", "expected"), [
    ("it's", "'it''s'"), ("", "''"), (True, "true"), (False, "false"), (0, "0"), (-3, "-3"), (1.5, "1.5"),
    ("'; DROP TABLE x; --", "'''; DROP TABLE x; --'"), ("back\\slash", "E'back\\\\slash'"),
    ("a\\'; x", "E'a\\\\''; x'"),
])
def test_literal_sql(value: object, expected: str) -> None:
    assert literal_sql(value, "text") == expected


def test_literal_sql_rejects_nul() -> None:
    with pytest.raises(ValueError):
        literal_sql("a\x00b", "text")


@pytest.mark.parametrize("sql", ["now()", "role = 'USER'", "price > 0::numeric", "data->>'k' = 'x'",
                                 "name ~ '^[a-z]+$'", "now() - interval '1 day'", "x IS DISTINCT FROM y",
                                 "'{}'::text[]", "s = ANY (ARRAY['a', 'b'])"])
def test_check_expression_accepts(sql: str) -> None:
    check_expression(sql)


@pytest.mark.parametrize("sql", ["x >", "DROP TABLE users", "a; b", "", "(("])
def test_check_expression_rejects(sql: str) -> None:
    with pytest.raises(ValueError):
        check_expression(sql)


@pytest.mark.parametrize("sql", ["0", "-1.5", "'it''s'", "'USER'::text", "now()", "CURRENT_TIMESTAMP",
                                 "gen_random_uuid()", "amount >= 0", "\"Order Id\" <> ''", "active",
                                 "lower(email) = 'x'", "a IN (1, 2)"])
def test_check_expression_accepts_expressions(sql):
    check_expression(sql)


@pytest.mark.parametrize("sql", ["1; DROP TABLE users", "now(", "DROP TABLE users", "'unterminated",
                                 "0); DROP TABLE users; --"])
def test_check_expression_rejects_statements_and_garbage(sql):
    with pytest.raises(ValueError):
        check_expression(sql)


@pytest.mark.parametrize("sql", ["amount >= 0::numeric", "'x'::character varying", "1.5::double precision",
                                 "'s0'::public.status_0", "'2020-01-01'::timestamp with time zone",
                                 "x = 'a'::text", "0::numeric"])
def test_expressions_taken_without_the_parser_are_ones_it_accepts(sql: str) -> None:
    from reconciler.backends.postgres.types import _TRIVIAL_EXPRESSION, parse_expression

    assert _TRIVIAL_EXPRESSION.match(sql)
    parse_expression(sql)  # the shortcut must never accept what the parser would refuse


@pytest.mark.parametrize("sql", ["a >= 0::numeric numeric", "0::numeric; DROP TABLE t", "'x'::text text"])
def test_the_parser_still_sees_anything_more(sql: str) -> None:
    from reconciler.backends.postgres.types import _TRIVIAL_EXPRESSION

    assert not _TRIVIAL_EXPRESSION.match(sql)
