from __future__ import annotations

import copy

import pytest

from reconciler.backends.postgres import BACKEND
from reconciler.backends.postgres.equivalence import equivalent
from reconciler.model import Database, Default
from tests.postgres.helpers import inspect, model_from_spec

SPEC = {
    "enums": {"MessageRole": ["USER", "ASSISTANT"]},
    "tables": {
        "msgs": {
            "columns": {
                "id": {"type": "serial", "primary_key": True},
                "created_at": {"type": "timestamptz", "default": {"sql": "CURRENT_TIMESTAMP"}},
                "title": {"type": "text", "default": "x"},
                "code": {"type": "varchar(10)", "default": "abc"},
                "n": {"type": "integer", "default": 0},
                "neg": {"type": "integer", "default": -1},
                "role": {"type": "MessageRole", "default": "USER"},
                "status": {"type": "text", "default": "new"},
            },
            "checks": {
                "role_is_user": "role = 'USER'",
                "status_known": "status IN ('new', 'paid')",
                "code_short": "length(code) < 5",
            },
            "indexes": [
                {"name": "msgs_live_idx", "columns": ["status"], "where": "status <> 'paid' AND n > 0"},
                {"name": "msgs_code_idx", "columns": [{"expression": "lower(code)"}]},
                {"name": "msgs_desc_idx", "columns": [{"column": "n", "order": "desc", "nulls": "first"}]},
            ],
        },
    },
}

LIVE_SQL = """
CREATE TYPE "MessageRole" AS ENUM ('USER', 'ASSISTANT');
CREATE TABLE msgs (
    id serial CONSTRAINT msgs_pkey PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    title text NOT NULL DEFAULT 'x',
    code varchar(10) NOT NULL DEFAULT 'abc',
    n integer NOT NULL DEFAULT 0,
    neg integer NOT NULL DEFAULT -1,
    role "MessageRole" NOT NULL DEFAULT 'USER',
    status text NOT NULL DEFAULT 'new',
    CONSTRAINT role_is_user CHECK (role = 'USER'),
    CONSTRAINT status_known CHECK (status IN ('new', 'paid')),
    CONSTRAINT code_short CHECK (length(code) < 5)
);
CREATE INDEX msgs_live_idx ON msgs (status) WHERE status <> 'paid' AND n > 0;
CREATE INDEX msgs_code_idx ON msgs (lower(code));
CREATE INDEX msgs_desc_idx ON msgs (n DESC);
"""


@pytest.fixture
def desired(tmp_path) -> Database:
    return model_from_spec(tmp_path, SPEC)


def test_equivalent_spellings_become_the_live_ones(pg_conn, desired: Database) -> None:
    pg_conn.execute(LIVE_SQL)
    live = inspect(pg_conn)
    canonical = BACKEND.canonicalize(pg_conn, desired, live)
    assert canonical.tables["public.msgs"] == live.tables["public.msgs"]
    assert canonical == live
    # The input model is left alone.
    # Rewritten in place: copying a large model would cost more than the whole plan.
    assert canonical is desired


def test_offline_normaliser_covers_the_common_cases(pg_conn, desired: Database) -> None:
    pg_conn.execute(LIVE_SQL)
    live = inspect(pg_conn)
    canonical = BACKEND.canonicalize(None, desired, live)
    table, live_table = canonical.tables["public.msgs"], live.tables["public.msgs"]
    for name in ("created_at", "title", "code", "n", "neg", "role", "status"):
        assert table.columns[name].default == live_table.columns[name].default, name
    assert table.checks["role_is_user"] == live_table.checks["role_is_user"]
    assert table.checks["status_known"] == live_table.checks["status_known"]
    assert table.indexes["msgs_desc_idx"] == live_table.indexes["msgs_desc_idx"]
    # Only PostgreSQL knows lower(code) on a varchar column is printed lower(code::text).
    assert table.indexes["msgs_code_idx"].elements[0].expression == "lower(code)"
    assert live_table.indexes["msgs_code_idx"].elements[0].expression == "lower(code::text)"


def test_real_differences_survive(pg_conn, desired: Database) -> None:
    pg_conn.execute(LIVE_SQL)
    live = inspect(pg_conn)
    changed = copy.deepcopy(desired)
    table = changed.tables["public.msgs"]
    table.columns["title"].default = Default("'y'", literal=True)
    table.checks["role_is_user"].expression = "role = 'ASSISTANT'"
    table.indexes["msgs_live_idx"].where = "status <> 'new' AND n > 0"
    table.indexes["msgs_code_idx"].elements[0].expression = "upper(code)"
    canonical = BACKEND.canonicalize(pg_conn, changed, live).tables["public.msgs"]
    assert canonical.columns["title"].default.expression == "'y'"
    assert canonical.checks["role_is_user"].expression == "role = 'ASSISTANT'"
    assert canonical.indexes["msgs_live_idx"].where == "status <> 'new' AND n > 0"
    assert canonical.indexes["msgs_code_idx"].elements[0].expression == "upper(code)"
    # Unchanged objects are still canonicalised.
    assert canonical.checks["status_known"] == live.tables["public.msgs"].checks["status_known"]


def test_round_trip_leaves_no_trace(pg_conn, desired: Database) -> None:
    pg_conn.execute(LIVE_SQL)
    live = inspect(pg_conn)
    BACKEND.canonicalize(pg_conn, desired, live)
    assert pg_conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'schemactl_canon_%'").fetchone()[0] == 0
    assert pg_conn.info.transaction_status.name == "IDLE"
    assert inspect(pg_conn) == live


def test_retyped_and_new_columns_resolve_in_the_scratch_table(pg_conn, desired: Database) -> None:
    pg_conn.execute(LIVE_SQL)
    live = inspect(pg_conn)
    changed = copy.deepcopy(desired)
    table = changed.tables["public.msgs"]
    extra = copy.deepcopy(table.columns["code"])
    extra.name = "code2"
    table.columns["code2"] = extra
    table.checks["code_short"].expression = "length(code) < 5 AND length(code2) < 5"
    canonical = BACKEND.canonicalize(pg_conn, changed, live).tables["public.msgs"]
    assert canonical.checks["code_short"].expression == "length(code) < 5 AND length(code2) < 5"


def test_extension_schema_is_adopted(pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext; CREATE TABLE t (e ext.citext NOT NULL)")
    desired = model_from_spec(tmp_path, {"extensions": ["citext"],
                                         "tables": {"t": {"columns": {"e": {"type": "citext"}}}}})
    # Extensions the spec names are reported wherever they live.
    live = BACKEND.inspect(pg_conn, desired)
    canonical = BACKEND.canonicalize(pg_conn, desired, live)
    assert canonical.extensions["citext"].schema == "ext"
    assert canonical.tables["public.t"].columns["e"].type == "ext.citext"


@pytest.mark.parametrize(("a", "b"), [
    ("now()", "CURRENT_TIMESTAMP"), ("'x'", "'x'::text"), ("0", "0"), ("-1", "'-1'::integer"),
    ("'USER'", "'USER'::public.\"MessageRole\""), ("role = 'USER'", "role = 'USER'::public.\"MessageRole\""),
    ("s IN ('a', 'b')", "s = ANY (ARRAY['a'::text, 'b'::text])"), ("(a > 1) AND (b < 2)", "a > 1 AND b < 2"),
    ("PRICE > 0", "price > 0::numeric"), ("1.50", "1.5"),
])
def test_normaliser_equivalences(a: str, b: str) -> None:
    assert equivalent(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("(a OR b) AND c", "a OR b AND c"), ("'USER'", "'user'"), ('"Price" > 0', "price > 0"),
    ("lower(x)", "upper(x)"), ("a - b", "b - a"), ("not valid sql (", "x"),
])
def test_normaliser_differences(a: str, b: str) -> None:
    assert not equivalent(a, b)


def test_column_renames_carry_into_checks_and_indexes(pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL,"
                    " CONSTRAINT body_not_empty CHECK (length(body) > 0));"
                    " CREATE INDEX notes_body_idx ON notes (lower(body)) WHERE body <> ''")
    desired = model_from_spec(tmp_path, {"tables": {"notes": {
        "columns": {"id": {"type": "integer", "primary_key": True},
                    "content": {"type": "text", "renamed_from": "body"}},
        "checks": {"body_not_empty": "length(content) > 0"},
        "indexes": [{"name": "notes_body_idx", "columns": [{"expression": "lower(content)"}],
                     "where": "content <> ''"}]}}})
    live = inspect(pg_conn)
    table = BACKEND.canonicalize(pg_conn, desired, live).tables["public.notes"]
    live_table = live.tables["public.notes"]
    # Equal to the live text: RENAME COLUMN rewrites these references by itself.
    assert table.checks["body_not_empty"] == live_table.checks["body_not_empty"]
    assert table.indexes["notes_body_idx"] == live_table.indexes["notes_body_idx"]


@pytest.mark.parametrize(("desired", "live", "column_type", "same"), [
    ("'USER'", "'USER'::public.\"MessageRole\"", 'public."MessageRole"', True),
    ("'abc'", "'abc'::character varying", "character varying(10)", True),
    ("'it''s'", "'it''s'::text", "text", True),
    ("'{}'", "'{}'::character varying[]", "character varying(10)[]", True),
    ("'abc'", "'abc'::text", "character varying(10)", False),  # a cast to another type
    ("'a'", "'a'::text || 'b'::text", "text", False),  # more than the cast follows
    ("'a' || 'b'", "'a' || 'b'::text", "text", False),  # not a single literal
    ("'ab'", "'abc'::text", "text", False),
])
def test_literal_cast_shortcut(desired: str, live: str, column_type: str, same: bool) -> None:
    from reconciler.backends.postgres.canonicalize import literal_cast_to

    assert literal_cast_to(desired, live, column_type) is same


def test_literal_defaults_that_differ_stay_changes(pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE TABLE t (code varchar(10)[] NOT NULL DEFAULT '{a}', s text NOT NULL DEFAULT 'x')")
    wanted = model_from_spec(tmp_path, {"tables": {"t": {"columns": {
        "code": {"type": "varchar(10)[]", "default": "{a}"}, "s": {"type": "text", "default": "y"}}}}})
    current = inspect(pg_conn)
    canonical = BACKEND.canonicalize(pg_conn, wanted, current)
    columns = canonical.tables["public.t"].columns
    assert columns["code"].default == current.tables["public.t"].columns["code"].default
    assert columns["s"].default.expression == "'y'"
    assert [c.address for c in BACKEND.diff(current, canonical)] == ["column public.t.s"]


@pytest.mark.parametrize(("desired", "live", "column_type", "same"), [
    ("'x'", "'x'::text", "text", True),
    ("E'a\\\\b'", "'a\\b'::text", "text", True),
    ("E'a\\\\''b'", "'a\\''b'::character varying", "character varying(10)", True),
    ("E'a\\\\b'", "'a\\\\b'::text", "text", False),
    ("'a\\b'", "'a\\b'::integer", "text", False),
])
def test_literal_cast_to_reads_escape_strings(desired: str, live: str, column_type: str, same: bool) -> None:
    from reconciler.backends.postgres.canonicalize import literal_cast_to

    assert literal_cast_to(desired, live, column_type) is same
