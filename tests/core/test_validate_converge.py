"""Issue 11: a spec that passes `validate` must be applicable, or `validate` says why not.

Each case is a spec the database would take and then never converge on (or refuse at apply), although the
spec alone shows the mistake. `validate` must refuse it with one `file:line:col: path: message` line per
mistake, all at once, exit 1, and no library internals in the message. No server is needed.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.cli.helpers import invoke


def validate(tmp_path: Path, text: str, dialect: str = "postgres") -> tuple[Path, int, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"version: 1\ndialect: {dialect}\n" + textwrap.dedent(text), encoding="utf-8")
    code, out = invoke("validate", str(spec))
    return spec, code, out


def refused(tmp_path: Path, text: str, *expected: tuple[str, str], dialect: str = "postgres") -> list[str]:
    """Assert `validate` exits 1 with one positioned line for each (path, message part) in `expected`."""
    spec, code, out = validate(tmp_path, text, dialect)
    assert code == 1, out
    lines = [line.removeprefix("Error: ") for line in out.splitlines() if line.strip()]
    for line in lines:
        assert re.match(rf"{re.escape(str(spec))}:\d+:\d+: \S+: ", line), line
    for path, message in expected:
        assert any(line.split(": ", 2)[1:2] == [path] and message in line for line in lines), (path, message, out)
    assert "sqlglot" not in out and "<class" not in out and "Traceback" not in out, out
    return lines


def accepted(tmp_path: Path, text: str, dialect: str = "postgres") -> None:
    _, code, out = validate(tmp_path, text, dialect)
    assert code == 0, out


# 1. Fractional-second precision over 6: PostgreSQL warns, keeps 6, and the next plan differs again.

@pytest.mark.parametrize("type_", ["timestamp(9)", "timestamptz(7)", "time(7)", "time(8) with time zone",
                                   "timestamp(9) with time zone", "interval(7)", "interval day to second(9)",
                                   "timestamp(9)[]"])
def test_time_precision_over_6_is_refused(tmp_path, type_: str) -> None:
    refused(tmp_path, f"""
        tables:
          t:
            columns:
              at: {{type: "{type_}"}}
        """, ("tables.t.columns.at.type", "at most 6"))


@pytest.mark.parametrize("type_", ["timestamp(6)", "time(0)", "interval(6)", "interval day to second(3)",
                                   "timestamptz(6)"])
def test_time_precision_up_to_6_is_accepted(tmp_path, type_: str) -> None:
    accepted(tmp_path, f"""
        tables:
          t:
            columns:
              at: {{type: "{type_}"}}
        """)


def test_domain_precision_over_6_is_refused(tmp_path) -> None:
    refused(tmp_path, """
        domains:
          moment: {type: "timestamp(9)"}
        tables: {}
        """, ("domains.moment.type", "at most 6"))


def test_sqlite_keeps_any_declared_precision(tmp_path) -> None:
    accepted(tmp_path, """
        tables:
          t:
            columns:
              at: {type: "timestamp(9)"}
        """, dialect="sqlite")


# 2. Names over 63 bytes in multibyte characters: PostgreSQL truncates them, so the next plan differs.

LONG = "é" * 40  # 40 characters, 80 bytes


def test_multibyte_names_over_63_bytes_are_refused(tmp_path) -> None:
    refused(tmp_path, f"""
        schemas: [public, s{LONG}]
        enums:
          mood: [ok, x{LONG}]
        tables:
          t:
            primary_key: {{name: p{LONG}, columns: [id]}}
            columns:
              id: {{type: integer}}
              a: {{type: integer}}
            indexes:
              - {{name: i{LONG}, columns: [a]}}
            unique:
              - {{name: u{LONG}, columns: [a]}}
            foreign_keys:
              - {{name: f{LONG}, columns: [a], references: t(id)}}
        """,
            ("schemas[1]", "longer than 63 bytes"),
            ("enums.mood[1]", "longer than 63 bytes"),
            ("tables.t.primary_key.name", "longer than 63 bytes"),
            ("tables.t.indexes[0].name", "longer than 63 bytes"),
            ("tables.t.unique[0].name", "longer than 63 bytes"),
            ("tables.t.foreign_keys[0].name", "longer than 63 bytes"))


def test_default_schema_over_63_bytes_is_refused(tmp_path) -> None:
    refused(tmp_path, f"""
        schema: s{LONG}
        tables: {{}}
        """, ("schema", "longer than 63 bytes"))


def test_names_of_63_bytes_are_accepted(tmp_path) -> None:
    name = "é" * 31 + "x"  # 63 bytes
    accepted(tmp_path, f"""
        enums:
          mood: [ok, {name}]
        tables:
          t:
            columns:
              a: {{type: integer}}
            indexes:
              - {{name: {name}, columns: [a]}}
        """)


# 3. Constraint names are one namespace per table; index (and table) names one per schema.

def test_unique_and_check_with_one_name_are_refused(tmp_path) -> None:
    refused(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer}
            unique:
              - {name: same, columns: [a]}
            checks:
              same: "a > 0"
        """, ("tables.t.checks.same", "constraint name 'same' is also used"))


def test_foreign_key_and_primary_key_with_one_name_are_refused(tmp_path) -> None:
    refused(tmp_path, """
        tables:
          t:
            primary_key: {name: same, columns: [id]}
            columns:
              id: {type: integer}
              parent: {type: integer}
            foreign_keys:
              - {name: same, columns: [parent], references: t(id)}
        """, ("tables.t.foreign_keys[0]", "constraint name 'same' is also used"))


def test_index_and_unique_with_one_name_are_refused(tmp_path) -> None:
    refused(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer}
            unique:
              - {name: same, columns: [a]}
            indexes:
              - {name: same, columns: [a]}
        """, ("tables.t.indexes[0]", "'same'"))


def test_index_with_the_name_of_a_table_is_refused(tmp_path) -> None:
    refused(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer}
          u:
            columns:
              a: {type: integer}
            indexes:
              - {name: t, columns: [a]}
        """, ("tables.u.indexes[0]", "table"))


def test_index_and_check_may_share_a_name(tmp_path) -> None:
    accepted(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer}
            indexes:
              - {name: same, columns: [a]}
            checks:
              same: "a > 0"
        """)


def test_sqlite_constraints_may_share_a_name(tmp_path) -> None:
    accepted(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer}
            unique:
              - {name: same, columns: [a]}
            checks:
              same: "a > 0"
        """, dialect="sqlite")


# 4. renamed_from naming the object itself: every plan refuses (both or neither exist).

@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_renamed_from_itself_is_refused(tmp_path, dialect: str) -> None:
    refused(tmp_path, """
        tables:
          t:
            renamed_from: t
            columns:
              a: {type: integer, renamed_from: a}
            indexes:
              - {name: ix, columns: [a], renamed_from: ix}
        """,
            ("tables.t.renamed_from", "its own name"),
            ("tables.t.columns.a.renamed_from", "its own name"),
            ("tables.t.indexes[0].renamed_from", "its own name"), dialect=dialect)


# 5. Expressions naming a column the table does not have: SQLite applies them and every later rebuild fails
#    with `no such column`; a default may name no column at all.

MISSING_COLUMNS = """
    tables:
      t:
        columns:
          a: {type: integer}
          b: {type: integer, default: {sql: "a + 1"}}
          c: {type: text, default: {sql: "lower(nope)"}}
        indexes:
          - {name: ix_where, columns: [a], where: "gone > 0"}
          - {name: ix_expr, columns: [{expression: "lower(missing)"}]}
        checks:
          positive: "absent > 0"
          simple: "other = 1"
    """


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_expressions_naming_missing_columns_are_refused(tmp_path, dialect: str) -> None:
    refused(tmp_path, MISSING_COLUMNS,
            ("tables.t.columns.b.default.sql", "'a'"),
            ("tables.t.columns.c.default.sql", "'nope'"),
            ("tables.t.indexes[0].where", "'gone'"),
            ("tables.t.indexes[1].columns[0].expression", "'missing'"),
            ("tables.t.checks.positive", "'absent'"),
            ("tables.t.checks.simple", "'other'"), dialect=dialect)


def test_unquoted_names_fold_to_lower_case_on_postgres(tmp_path) -> None:
    lines = refused(tmp_path, """
        tables:
          t:
            columns:
              Amount: {type: integer}
            checks:
              positive: "Amount > 0"
        """, ("tables.t.checks.positive", "'amount'"))
    assert any('"Amount"' in line for line in lines), lines
    accepted(tmp_path, """
        tables:
          t:
            columns:
              Amount: {type: integer}
            checks:
              positive: '"Amount" > 0'
        """)


def test_sqlite_names_are_case_insensitive(tmp_path) -> None:
    accepted(tmp_path, """
        tables:
          t:
            columns:
              Amount: {type: integer}
            checks:
              positive: "amount > 0 AND \\"AMOUNT\\" < 10"
        """, dialect="sqlite")


def test_domain_checks_name_only_value(tmp_path) -> None:
    refused(tmp_path, """
        domains:
          positive: {type: integer, checks: {above: "VALUE > 0 AND other > 1"}}
        tables: {}
        """, ("domains.positive.checks.above", "'other'"))


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_expressions_naming_existing_columns_are_accepted(tmp_path, dialect: str) -> None:
    accepted(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer}
              name: {type: text, default: "x"}
              at: {type: timestamp, default: {sql: CURRENT_TIMESTAMP}}
              d: {type: date, default: {sql: current_date}}
              n: {type: integer, default: {sql: "(1 + 2)"}}
            indexes:
              - {columns: [a], where: "a > 0 AND name IS NOT NULL"}
              - {columns: [{expression: "lower(name)"}]}
            checks:
              positive: "a > 0"
              named: "length(name) < 10 OR a = 1"
        """, dialect=dialect)


def test_postgres_value_keywords_are_not_columns(tmp_path) -> None:
    accepted(tmp_path, """
        domains:
          email: {type: text, checks: {at: "VALUE ~ '@'"}}
        tables:
          t:
            columns:
              who: {type: text, default: {sql: current_user}}
              role: {type: text, default: {sql: current_role}}
              u: {type: text, default: {sql: user}}
              s: {type: text, default: {sql: "session_user"}}
              at: {type: timestamp, default: {sql: localtimestamp}}
              id: {type: uuid, default: {sql: gen_random_uuid()}}
        """)


# 6. Mistakes the spec alone shows, which PostgreSQL (or SQLite) refuses only at apply.

@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_subqueries_are_refused(tmp_path, dialect: str) -> None:
    refused(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer, default: {sql: "(SELECT 1)"}}
            indexes:
              - {name: ix, columns: [a], where: "a IN (SELECT 1)"}
            checks:
              c: "EXISTS (SELECT 1)"
        """,
            ("tables.t.columns.a.default.sql", "subquery"),
            ("tables.t.indexes[0].where", "subquery"),
            ("tables.t.checks.c", "subquery"), dialect=dialect)


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_semicolons_and_second_statements_are_refused(tmp_path, dialect: str) -> None:
    refused(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer, default: {sql: "1;"}}
              b: {type: timestamp, default: {sql: "CURRENT_TIMESTAMP; DROP TABLE t"}}
            checks:
              c: "a > 0;"
              d: "a > 0; a < 1"
        """,
            ("tables.t.columns.a.default.sql", "';'"),
            ("tables.t.columns.b.default.sql", "';'"),
            ("tables.t.checks.c", "';'"),
            ("tables.t.checks.d", "';'"), dialect=dialect)


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_parser_errors_are_plain_words(tmp_path, dialect: str) -> None:
    lines = refused(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer}
            checks:
              c: "a >"
              d: "a > (1"
              e: "lower(a"
        """, ("tables.t.checks.c", "invalid check expression"), ("tables.t.checks.d", "invalid check expression"),
            ("tables.t.checks.e", "invalid check expression"), dialect=dialect)
    assert not any("Required keyword" in line or "Line 1, Col" in line for line in lines), lines


@pytest.mark.parametrize("type_", ["varchar(0)", "char(0)", "character varying(0)", "bit(0)", "numeric(0)",
                                   "varchar(10485761)", "float(0)", "float(54)"])
def test_impossible_type_lengths_are_refused(tmp_path, type_: str) -> None:
    refused(tmp_path, f"""
        tables:
          t:
            columns:
              a: {{type: "{type_}"}}
        """, ("tables.t.columns.a.type", type_.split("(")[0]))


def test_gin_and_gist_on_plain_scalars_need_an_operator_class(tmp_path) -> None:
    refused(tmp_path, """
        tables:
          t:
            columns:
              n: {type: integer}
              s: {type: text}
            indexes:
              - {name: by_n, method: gin, columns: [n]}
              - {name: by_s, method: gist, columns: [s]}
        """,
            ("tables.t.indexes[0].columns[0]", "operator class"),
            ("tables.t.indexes[1].columns[0]", "operator class"))


def test_gin_with_a_default_operator_class_is_accepted(tmp_path) -> None:
    accepted(tmp_path, """
        extensions: [pg_trgm]
        tables:
          t:
            columns:
              tags: {type: "text[]"}
              doc: {type: jsonb}
              body: {type: tsvector}
              s: {type: text}
            indexes:
              - {name: by_tags, method: gin, columns: [tags]}
              - {name: by_doc, method: gin, columns: [doc]}
              - {name: by_body, method: gin, columns: [body]}
              - {name: by_s, method: gin, columns: [{column: s, opclass: gin_trgm_ops}]}
        """)
    accepted(tmp_path, """
        extensions: [btree_gin, btree_gist]
        tables:
          t:
            columns:
              n: {type: integer}
            indexes:
              - {name: by_n, method: gin, columns: [n]}
              - {name: by_n2, method: gist, columns: [n]}
        """)


def test_literal_defaults_that_cannot_be_cast_are_refused(tmp_path) -> None:
    refused(tmp_path, """
        enums:
          mood: [happy, sad]
        domains:
          small: {type: smallint, default: 40000}
        tables:
          t:
            columns:
              a: {type: integer, default: abc}
              b: {type: integer, default: 1.5}
              c: {type: mood, default: angry}
              d: {type: boolean, default: 1}
              e: {type: uuid, default: not-a-uuid}
              f: {type: jsonb, default: "{oops"}
              g: {type: date, default: 5}
              h: {type: "varchar(3)", default: toolong}
              i: {type: "mood[]", nullable: true}
        """,
            ("domains.small.default", "out of range"),
            ("tables.t.columns.a.default", "integer"),
            ("tables.t.columns.b.default", "integer"),
            ("tables.t.columns.c.default", "mood"),
            ("tables.t.columns.d.default", "boolean"),
            ("tables.t.columns.e.default", "uuid"),
            ("tables.t.columns.f.default", "json"),
            ("tables.t.columns.g.default", "date"),
            ("tables.t.columns.h.default", "3"))


def test_literal_defaults_that_cast_are_accepted(tmp_path) -> None:
    accepted(tmp_path, """
        enums:
          mood: [happy, sad, "1"]
        tables:
          t:
            columns:
              a: {type: integer, default: " 42 "}
              b: {type: bigint, default: -9223372036854775808}
              c: {type: mood, default: sad}
              d: {type: boolean, default: "yes"}
              e: {type: uuid, default: "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"}
              f: {type: jsonb, default: '{"a": 1}'}
              g: {type: date, default: "2024-01-01"}
              h: {type: "varchar(3)", default: abc}
              i: {type: text, default: 5}
              j: {type: numeric, default: "NaN"}
              k: {type: real, default: 1.5}
              m: {type: mood, default: "1"}
              n: {type: date, default: today}
        """)


def test_sqlite_takes_any_literal_default(tmp_path) -> None:
    accepted(tmp_path, """
        tables:
          t:
            columns:
              a: {type: integer, default: abc}
              b: {type: "varchar(0)", default: 1.5}
        """, dialect="sqlite")
