"""Functions and procedures end to end on a real PostgreSQL: create, change in place, replace, drop, inspect."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciler.backends.postgres.render import dollar_tag
from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


USERS = {"users": {"columns": {"id": {"type": "bigint", "identity": "always", "primary_key": True},
                               "email": {"type": "text"}}}}
FUNCTIONS = {
    "add(int, int4)": {"returns": "int", "arguments": ["a", {"name": "b", "default": "1"}],
                       "language": "LANGUAGE sql", "volatility": "immutable", "strict": True, "parallel": "safe",
                       "body": "SELECT a + b"},
    # A SQL body reads a table this plan creates after it.
    "user_count()": {"returns": "bigint", "language": "sql", "volatility": "stable", "comment": "how many",
                     "body": "SELECT count(*) FROM public.users"},
    "audit.log_it(text)": {"kind": "procedure", "arguments": ["message"], "language": "plpgsql",
                           "security_definer": True, "set": {"search_path": "pg_catalog, public"},
                           "body": "BEGIN RAISE NOTICE '%', message; END"},
}


def test_create_change_in_place_and_drop(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"schemas": ["public", "audit"], "functions": FUNCTIONS, "tables": USERS})
    plan = replan(spec, pg_url)
    assert "+ function public.add(integer, integer)" in plan and "+ function audit.log_it(text)" in plan
    # Functions come before the tables whose defaults and checks may call them.
    assert plan.index('CREATE FUNCTION "public"."user_count"()') < plan.index('CREATE TABLE "public"."users"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT public.add(2), public.add(2, 5), public.user_count()").fetchone() == (3, 7, 0)
    pg_conn.execute("CALL audit.log_it('hello')")
    row = pg_conn.execute("SELECT prosecdef, proconfig FROM pg_proc WHERE oid = 'audit.log_it'::regproc").fetchone()
    assert row == (True, ["search_path=pg_catalog, public"])
    assert pg_conn.execute("SELECT obj_description('public.user_count'::regproc, 'pg_proc')").fetchone() == ("how many",)

    # Body, volatility, cost and comment change in place: CREATE OR REPLACE keeps the function (its oid).
    oid = pg_conn.execute("SELECT 'public.add'::regproc::oid").fetchone()[0]
    doc = yaml.safe_load(spec.read_text())
    doc["functions"]["add(int, int4)"].update({"body": "SELECT a + b + 0", "volatility": "stable", "cost": 5,
                                               "arguments": [{"name": "a", "default": "0"},
                                                             {"name": "b", "default": "10"}]})
    doc["functions"]["user_count()"]["comment"] = "users"
    del doc["functions"]["audit.log_it(text)"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ function public.add(integer, integer)" in plan and "- procedure" not in plan
    assert 'CREATE OR REPLACE FUNCTION "public"."add"' in plan and "COST 5" in plan
    assert "- function audit.log_it(text)" in plan and 'DROP PROCEDURE "audit"."log_it"(IN text);' in plan
    assert 'COMMENT ON FUNCTION "public"."user_count"() IS \'users\';' in plan
    assert "CREATE OR REPLACE FUNCTION \"public\".\"user_count\"" not in plan  # only its comment changed
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT oid, provolatile, procost FROM pg_proc WHERE proname = 'add'").fetchone() == \
        (oid, "s", 5)
    assert pg_conn.execute("SELECT public.add(), public.add(2)").fetchone() == (10, 12)
    assert pg_conn.execute("SELECT to_regproc('audit.log_it')").fetchone() == (None,)


def test_replace_when_create_or_replace_cannot(pg_url, pg_conn, tmp_path) -> None:
    functions = {"half(numeric)": {"returns": "numeric", "arguments": ["x"], "body": "SELECT x / 2"},
                 "twice(integer)": {"returns": "integer", "arguments": ["x"], "body": "SELECT x * 2"}}
    tables = {"items": {"columns": {"id": {"type": "integer", "primary_key": True},
                                    "doubled": {"type": "integer", "default": {"sql": "public.twice(21)"}}}}}
    spec = write(tmp_path / "s.yaml", {"functions": functions, "tables": tables})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)

    # Another result type and another argument name: dropped and recreated, in that order.
    functions["half(numeric)"] = {"returns": "double precision", "arguments": ["value"], "body": "SELECT value / 2"}
    write(spec, {"functions": functions, "tables": tables})
    plan = replan(spec, pg_url)
    assert "-/+ function public.half(numeric)" in plan
    assert plan.index('DROP FUNCTION "public"."half"(IN numeric);') < plan.index('CREATE FUNCTION "public"."half"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT public.half(3)").fetchone() == (1.5,)

    # A column default calls twice(): replacing it is a hazard, refused unless allowed (and the DROP would fail).
    functions["twice(integer)"] = {"returns": "bigint", "arguments": ["x"], "body": "SELECT x * 2"}
    write(spec, {"functions": functions, "tables": tables})
    plan = replan(spec, pg_url)
    assert "dependent_objects" in plan and "default value for column doubled of table public.items" in plan, plan
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert code == 1 and "--allow-hazards dependent_objects" in out

    # prevent_destroy refuses a replace (the function is dropped for a moment), whatever the flags.
    functions["twice(integer)"]["returns"] = "integer"
    functions["half(numeric)"] = {"returns": "numeric", "arguments": ["value"], "body": "SELECT 1.0",
                                  "prevent_destroy": True}
    write(spec, {"functions": functions, "tables": tables})
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 1 and "prevent_destroy" in out and "function public.half(numeric)" in out, out


def test_equivalent_spellings_are_no_change(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("CREATE FUNCTION public.pick(a integer, b text DEFAULT 'x'::text) RETURNS SETOF text "
                    "LANGUAGE plpgsql COST 100 ROWS 1000 AS $$BEGIN RETURN NEXT b; END$$")
    pg_conn.execute("CREATE FUNCTION public.fmt(n numeric(10,2), s varchar(5)) RETURNS varchar(5) LANGUAGE sql "
                    "SET search_path = pg_catalog, public AS 'SELECT s'")
    spec = write(tmp_path / "s.yaml", {"functions": {
        "pick(INT, text)": {"returns": "setof TEXT", "arguments": ["a", {"name": "b", "default": "'x'"}],
                            "language": "PLPGSQL", "cost": 100, "rows": 1000, "body": "BEGIN RETURN NEXT b; END"},
        # PostgreSQL keeps no type modifiers on arguments and results.
        "fmt(numeric(10, 2), varchar(5))": {"returns": "varchar(5)", "arguments": ["n", "s"], "language": "sql",
                                            "set": {"search_path": "pg_catalog,public"}, "body": "SELECT s"}}})
    assert NO_CHANGES in replan(spec, pg_url)


def test_inspect_of_hand_made_functions_plans_empty(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("""
        CREATE SCHEMA util;
        CREATE TYPE public.mood AS ENUM ('ok', 'sad');
        CREATE FUNCTION public.split_name(full_name text, OUT first text, OUT last text) LANGUAGE sql
            IMMUTABLE AS $$ SELECT split_part(full_name, ' ', 1), split_part(full_name, ' ', 2) $$;
        CREATE FUNCTION public.moods(n int) RETURNS TABLE(m public.mood, "Label" text) LANGUAGE sql
            ROWS 2 AS 'SELECT ''ok''::public.mood, ''fine''';
        CREATE FUNCTION public.total(VARIADIC xs numeric[]) RETURNS numeric LANGUAGE sql STRICT
            PARALLEL RESTRICTED COST 7 AS $q$SELECT sum(x) FROM unnest(xs) x$q$;
        CREATE FUNCTION util."Shout"(t text DEFAULT 'hey', n int DEFAULT 2 + 1) RETURNS text LANGUAGE plpgsql
            SECURITY DEFINER SET search_path = pg_catalog, "$user" SET work_mem = '8MB'
            AS $$BEGIN RETURN repeat(upper(t), n); END$$;
        COMMENT ON FUNCTION util."Shout"(text, integer) IS 'loud';
        CREATE PROCEDURE public.bump(INOUT counter integer, step integer DEFAULT 1) LANGUAGE plpgsql
            AS $$BEGIN counter := counter + step; END$$;
        CREATE AGGREGATE public.my_sum(integer) (sfunc = int4pl, stype = integer);
    """)
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "--schema", "public", "--schema", "util", "-o", str(inspected))[0] == 0
    doc = yaml.safe_load(inspected.read_text())
    assert sorted(doc["functions"]) == ["bump(integer, integer)", "moods(integer)", "split_name(text)",
                                        "total(numeric[])", "util.Shout(text, integer)"]  # not the aggregate
    assert doc["functions"]["util.Shout(text, integer)"]["set"] == {"search_path": 'pg_catalog, "$user"',
                                                                    "work_mem": "8MB"}
    assert doc["functions"]["split_name(text)"]["arguments"][1] == {"name": "first", "mode": "out", "type": "text"}
    assert NO_CHANGES in replan(inspected, pg_url)
    # The inspected spec builds the same functions in an empty database.
    pg_conn.execute("DROP SCHEMA util CASCADE; DROP FUNCTION split_name, moods, total; DROP PROCEDURE bump;"
                    "DROP AGGREGATE my_sum(integer); DROP TYPE mood")
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)
    assert pg_conn.execute("SELECT util.\"Shout\"('a'), public.total(1, 2)").fetchone() == ("AAA", 3)
    assert pg_conn.execute("CALL public.bump(41)").fetchone() == (42,)


def test_a_body_that_holds_the_dollar_tag(pg_url, pg_conn, tmp_path) -> None:
    """Regression: a body ending in `$schemactl` closed the quote early (`...$schemactl$schemactl$`)."""
    body = "SELECT '$schemactl$ and $schemactl1$'::text --$schemactl"
    assert dollar_tag("x$schemactl") != "$schemactl$" and dollar_tag(body) not in body
    spec = write(tmp_path / "s.yaml", {"functions": {"tags()": {"returns": "text", "body": body}}})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT public.tags()").fetchone() == ("$schemactl$ and $schemactl1$",)


@pytest.mark.parametrize(("functions", "message"), [
    ({"f()": {"returns": "int"}}, "functions.f(): 'body' is required"),
    ({"f": {"returns": "int", "body": "SELECT 1"}}, "functions.f: 'f': expected name(argument types)"),
    ({"f()": {"body": "SELECT 1"}}, "returns is required"),
    ({"p()": {"kind": "procedure", "returns": "int", "body": ""}}, "a procedure has no returns"),
    ({"f(integer)": {"returns": "int", "arguments": ["a", "b"], "body": "SELECT 1"}}, "more input arguments"),
    ({"f(integer)": {"returns": "int", "arguments": [{"name": "a", "type": "text"}], "body": "SELECT 1"}},
     "is not the key's 'integer'"),
    ({"f(nosuchtype)": {"returns": "int", "body": "SELECT 1"}}, 'unknown type "nosuchtype"'),
    ({"nowhere.f()": {"returns": "int", "body": "SELECT 1"}}, "schema 'nowhere' is not listed"),
    ({"f(integer)": {"returns": "int", "arguments": [{"name": "a", "default": "1; DROP TABLE x"}],
                     "body": "SELECT 1"}}, "functions.f(integer)"),
    ({"f()": {"returns": "int", "volatility": "sometimes", "body": "SELECT 1"}}, "functions.f().volatility"),
])
def test_bad_functions_are_refused_by_validate(tmp_path, functions: dict, message: str) -> None:
    spec = write(tmp_path / "s.yaml", {"functions": functions})
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out


def test_functions_are_refused_for_sqlite(tmp_path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"version": 1, "dialect": "sqlite",
                                    "functions": {"f()": {"returns": "int", "body": "SELECT 1"}}}, sort_keys=False))
    code, out = invoke("validate", str(spec))
    assert code == 1 and "s.yaml:3:1" in out and "unknown key 'functions'" in out, out


def test_leakproof(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): LEAKPROOF was neither read nor written: inspect lost it and a plan
    never noticed."""
    pg_conn.execute("CREATE FUNCTION is_even(n integer) RETURNS boolean LANGUAGE sql IMMUTABLE LEAKPROOF"
                    " AS $$SELECT n % 2 = 0$$")
    out = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(out))[0] == 0
    assert yaml.safe_load(out.read_text())["functions"]["is_even(integer)"]["leakproof"] is True
    assert NO_CHANGES in replan(out, pg_url)
    spec = write(tmp_path / "s.yaml", {"functions": {"is_even(integer)": {
        "returns": "boolean", "arguments": ["n"], "volatility": "immutable", "body": "SELECT n % 2 = 0"}}})
    plan = replan(spec, pg_url)
    assert "leakproof: true -> false" in plan and "LEAKPROOF" not in plan.split("Statements:")[1], plan
    apply_ok(spec, pg_url)
    assert pg_conn.execute("SELECT proleakproof FROM pg_proc WHERE proname = 'is_even'").fetchone() == (False,)
    assert NO_CHANGES in replan(spec, pg_url)
    apply_ok(out, pg_url)
    assert pg_conn.execute("SELECT proleakproof FROM pg_proc WHERE proname = 'is_even'").fetchone() == (True,)
    assert NO_CHANGES in replan(out, pg_url)
    procedure = write(tmp_path / "p.yaml", {"functions": {"p()": {"kind": "procedure", "leakproof": True,
                                                                  "body": "SELECT 1"}}})
    code, output = invoke("validate", str(procedure))
    assert code == 1 and "leakproof: a procedure has no leakproof" in output, output
