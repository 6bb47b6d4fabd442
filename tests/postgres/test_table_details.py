"""Table, column, constraint and index details end to end on a real PostgreSQL: generated columns, identity
options, exclusion constraints, NULLS NOT DISTINCT, index storage parameters, MATCH FULL and ON DELETE SET NULL
(columns), NO INHERIT, UNLOGGED and column-less tables, comments on indexes and constraints, typed defaults."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


def inspect_doc(url: str, path: Path) -> dict:
    code, out = invoke("inspect", "--url", url, "-o", str(path))
    assert code == 0, out
    return yaml.safe_load(path.read_text())


ITEMS = {
    "unlogged": True,
    "columns": {
        "id": {"type": "bigint", "identity": {"generated": "always", "start": 100, "increment": 10, "cache": 5},
               "primary_key": True},
        "price": {"type": "numeric(10,2)"},
        "qty": {"type": "integer"},
        "total": {"type": "numeric", "generated": "price*qty"},
        "room": {"type": "integer", "nullable": True},
        "during": {"type": "tsrange", "nullable": True},
        "code": {"type": "text", "nullable": True}},
    "unique": [{"columns": ["code"], "nulls_not_distinct": True, "comment": "one code"}],
    "indexes": [{"name": "items_qty_idx", "columns": ["qty"], "with": {"fillfactor": 70}, "comment": "by qty"},
                {"columns": ["room", "code"], "unique": True, "nulls_not_distinct": True},
                {"columns": ["total"]}],
    "checks": {"qty_pos": {"expression": "qty > 0", "no_inherit": True, "comment": "positive"}},
    "exclusions": {"no_overlap": {
        "using": "gist", "where": "room IS NOT NULL", "comment": "no double booking",
        "elements": [{"expression": "int4range(room, room, '[]')", "operator": "&&"},
                     {"column": "during", "operator": "&&"}]}},
}
PARENTS = {"columns": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "primary_key": ["a", "b"]}
CHILDREN = {"columns": {"id": {"type": "integer", "primary_key": True},
                        "a": {"type": "integer", "nullable": True}, "b": {"type": "integer", "nullable": True}},
            "foreign_keys": [{"columns": ["a", "b"], "references": "parents(a, b)", "match": "full",
                              "on_delete": {"action": "set null", "columns": ["b"]}, "comment": "fk"}]}


def one(conn, sql: str, *args: object) -> tuple:
    return conn.execute(sql, args).fetchone()


def test_create_change_and_drop(pg_url, pg_conn, tmp_path) -> None:
    import copy

    items = copy.deepcopy(ITEMS)
    spec = write(tmp_path / "s.yaml", {"tables": {"items": items, "empty": {}, "parents": PARENTS,
                                                  "children": CHILDREN}})
    plan = replan(spec, pg_url)
    assert 'CREATE UNLOGGED TABLE "public"."items"' in plan
    assert "GENERATED ALWAYS AS IDENTITY (INCREMENT BY 10 NO MINVALUE NO MAXVALUE START WITH 100 CACHE 5 NO CYCLE)" in plan
    assert '"total" numeric NOT NULL GENERATED ALWAYS AS (price*qty) STORED' in plan
    assert 'CREATE TABLE "public"."empty" ()' in plan
    assert "MATCH FULL ON DELETE SET NULL (\"b\")" in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    # What the server holds.
    pg_conn.execute("INSERT INTO items (price, qty, room, during) VALUES (2.5, 4, 1, '[2020-01-01,2020-01-02)')")
    assert one(pg_conn, "SELECT id, total FROM items") == (100, 10)
    assert one(pg_conn, "SELECT relpersistence FROM pg_class WHERE oid = 'items'::regclass") == ("u",)
    assert one(pg_conn, "SELECT reloptions FROM pg_class WHERE oid = 'items_qty_idx'::regclass") == (["fillfactor=70"],)
    assert one(pg_conn, "SELECT obj_description('items_qty_idx'::regclass, 'pg_class')") == ("by qty",)
    assert one(pg_conn, "SELECT connoinherit FROM pg_constraint WHERE conname = 'qty_pos'") == (True,)
    assert one(pg_conn, "SELECT confmatchtype, confdelsetcols FROM pg_constraint WHERE conname = 'children_a_b_fkey'") \
        == ("f", [3])
    for bad in ("INSERT INTO items (price, qty, code) VALUES (1, 1, NULL)",  # NULLS NOT DISTINCT: a second NULL
                "INSERT INTO items (price, qty, room, during) VALUES (1, 1, 1, '[2020-01-01,2020-01-03)')"):
        try:
            pg_conn.execute(bad)
        except Exception as exc:  # noqa: BLE001 - any violation will do
            assert "violates" in str(exc)
        else:
            raise AssertionError(f"accepted: {bad}")

    # Change: a new generation expression (the column is replaced, its index rebuilt), identity options, logged,
    # storage parameter, comments; an equivalent spelling of the expression is no change.
    items["columns"]["total"]["generated"] = "price * qty * 2"
    items["columns"]["qty2"] = {"type": "integer", "generated": "qty * 2"}
    items["columns"]["id"]["identity"] = {"generated": "by_default", "increment": 1, "max_value": 10**9}
    del items["unlogged"]
    items["indexes"][0]["with"] = {"fillfactor": 50}
    items["indexes"][0]["comment"] = "by quantity"
    items["checks"]["qty_pos"]["comment"] = "strictly positive"
    items["exclusions"]["no_overlap"]["comment"] = None
    write(spec, {"tables": {"items": items, "empty": {}, "parents": PARENTS, "children": CHILDREN}})
    plan = replan(spec, pg_url)
    assert 'DROP COLUMN "total", ADD COLUMN "total" numeric NOT NULL GENERATED ALWAYS AS (price * qty * 2) STORED' in plan
    assert plan.index('DROP INDEX "public"."items_total_idx"') < plan.index('DROP COLUMN "total"') \
        < plan.index('CREATE INDEX "items_total_idx"')
    assert "SET LOGGED rewrites table items" in plan and "adding qty2 fills every existing row" in plan
    assert 'ADD COLUMN "qty2" integer NOT NULL GENERATED ALWAYS AS (qty * 2) STORED' in plan
    assert 'ALTER TABLE "public"."items" SET LOGGED' in plan
    assert ('SET GENERATED BY DEFAULT' in plan and "SET INCREMENT BY 1 SET NO MINVALUE SET MAXVALUE 1000000000 "
            "SET START WITH 1 SET CACHE 1 SET NO CYCLE") in plan
    assert """ALTER INDEX "public"."items_qty_idx" SET ("fillfactor" = '50')""" in plan
    assert "COMMENT ON INDEX \"public\".\"items_qty_idx\" IS 'by quantity'" in plan
    assert """COMMENT ON CONSTRAINT "qty_pos" ON "public"."items" IS 'strictly positive'""" in plan
    assert 'COMMENT ON CONSTRAINT "no_overlap" ON "public"."items" IS NULL' in plan
    assert 'DROP CONSTRAINT "qty_pos"' not in plan and "DROP INDEX \"public\".\"items_qty_idx\"" not in plan
    assert 'identity_options: {"start": 100, "increment": 10, "cache": 5} -> {"max_value": 1000000000}' in plan
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards", "access_exclusive_lock,blocks_writes,table_rewrite")
    assert NO_CHANGES in replan(spec, pg_url)
    assert one(pg_conn, "SELECT total, qty2 FROM items WHERE room = 1") == (20, 8)
    assert one(pg_conn, "SELECT relpersistence FROM pg_class WHERE oid = 'items'::regclass") == ("p",)
    items["columns"]["total"]["generated"] = "(price*qty)*2"
    write(spec, {"tables": {"items": items, "empty": {}, "parents": PARENTS, "children": CHILDREN}})
    assert NO_CHANGES in replan(spec, pg_url)

    # Drop: the exclusion, the storage parameter, NO INHERIT, MATCH FULL, the generation (values are kept).
    del items["exclusions"]
    items["indexes"][0].pop("with")
    items["checks"]["qty_pos"] = "qty > 0"
    items["columns"]["total"].pop("generated")
    children = copy.deepcopy(CHILDREN)
    children["foreign_keys"][0].pop("match")
    children["foreign_keys"][0]["on_delete"] = "cascade"
    write(spec, {"tables": {"items": items, "parents": PARENTS, "children": children}})
    plan = replan(spec, pg_url)
    assert 'DROP CONSTRAINT "no_overlap"' in plan and 'ALTER INDEX "public"."items_qty_idx" RESET ("fillfactor")' in plan
    assert 'ALTER COLUMN "total" DROP EXPRESSION' in plan and 'DROP TABLE "public"."empty"' in plan
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards",
             "access_exclusive_lock,full_scan_validation,may_fail_on_data")
    assert NO_CHANGES in replan(spec, pg_url)
    assert one(pg_conn, "SELECT total FROM items WHERE room = 1") == (20,)
    assert one(pg_conn, "SELECT connoinherit FROM pg_constraint WHERE conname = 'qty_pos'") == (False,)


HAND_MADE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE UNLOGGED TABLE bookings (
    id integer GENERATED BY DEFAULT AS IDENTITY (START WITH 7 INCREMENT BY -1 MAXVALUE 7 CYCLE) PRIMARY KEY,
    room integer NOT NULL,
    during tsrange NOT NULL,
    price numeric NOT NULL,
    nights integer NOT NULL,
    total numeric GENERATED ALWAYS AS (price * nights::numeric) STORED,
    tag text,
    CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (nights > 0),
    CONSTRAINT tag_once UNIQUE NULLS NOT DISTINCT (tag),
    CONSTRAINT nights_positive CHECK (nights > 0) NO INHERIT
);
CREATE TABLE nothing ();
CREATE TABLE parents (a integer, b integer, PRIMARY KEY (a, b));
CREATE TABLE children (id integer PRIMARY KEY, a integer, b integer,
    CONSTRAINT children_parent FOREIGN KEY (a, b) REFERENCES parents (a, b) MATCH FULL ON DELETE SET NULL (b));
ALTER TABLE children ADD CONSTRAINT id_small CHECK (id < 100) NOT VALID;
CREATE INDEX bookings_room_idx ON bookings (room DESC NULLS LAST) INCLUDE (price) WITH (fillfactor = 60);
CREATE UNIQUE INDEX bookings_tag_room ON bookings (tag, room) NULLS NOT DISTINCT;
COMMENT ON INDEX bookings_room_idx IS 'by room';
COMMENT ON CONSTRAINT no_overlap ON bookings IS 'one booking a night';
COMMENT ON CONSTRAINT bookings_pkey ON bookings IS 'the key';
COMMENT ON CONSTRAINT children_parent ON children IS 'the parent';
"""


def test_inspect_round_trips_hand_made_details(pg_url, pg_conn, tmp_path) -> None:
    """A database made by hand with each detail inspects to a spec that plans empty on it, and builds the same
    database again from nothing."""
    pg_conn.execute(HAND_MADE)
    doc = inspect_doc(pg_url, tmp_path / "inspected.yaml")
    bookings = doc["tables"]["bookings"]
    assert bookings["unlogged"] is True
    assert bookings["columns"]["id"]["identity"] == {"generated": "by_default", "increment": -1,
                                                     "max_value": 7, "cycle": True}
    assert bookings["columns"]["total"]["generated"] == "price * nights::numeric"
    assert bookings["exclusions"]["no_overlap"] == {
        "using": "gist", "elements": [{"column": "room", "operator": "="}, {"column": "during", "operator": "&&"}],
        "where": "nights > 0", "comment": "one booking a night"}
    assert bookings["unique"] == [{"name": "tag_once", "columns": ["tag"], "nulls_not_distinct": True}]
    assert bookings["checks"] == {"nights_positive": {"expression": "nights > 0", "no_inherit": True}}
    assert bookings["primary_key"] == {"columns": ["id"], "comment": "the key"}
    assert {"columns": [{"column": "room", "order": "desc", "nulls": "last"}], "include": ["price"],
            "with": {"fillfactor": 60}, "comment": "by room"} in bookings["indexes"]
    assert {"name": "bookings_tag_room", "columns": ["tag", "room"], "unique": True,
            "nulls_not_distinct": True} in bookings["indexes"]
    assert doc["tables"]["nothing"] == {"columns": {}}
    fk = doc["tables"]["children"]["foreign_keys"][0]
    assert (fk["match"], fk["on_delete"], fk["comment"]) == ("full", {"action": "set null", "columns": ["b"]},
                                                             "the parent")
    assert doc["tables"]["children"]["checks"] == {"id_small": {"expression": "id < 100", "not_valid": True}}
    assert NO_CHANGES in replan(tmp_path / "inspected.yaml", pg_url)

    pg_conn.execute("DROP TABLE bookings, nothing, children, parents")
    apply_ok(tmp_path / "inspected.yaml", pg_url)
    assert NO_CHANGES in replan(tmp_path / "inspected.yaml", pg_url)
    assert one(pg_conn, "SELECT convalidated FROM pg_constraint WHERE conname = 'id_small'") == (False,)


TYPED = """
CREATE TABLE typed (
    bits bit varying(8) DEFAULT B'101',
    bits_any bit varying,
    fixed_bits bit(3) DEFAULT B'101',
    t_tz time with time zone DEFAULT TIME WITH TIME ZONE '12:00+02',
    t_plain time DEFAULT TIME '12:00',
    ts3 timestamp(3) with time zone DEFAULT TIMESTAMPTZ '2020-01-01 00:00:00+00',
    ts0 timestamp(0) without time zone,
    d date DEFAULT DATE '0001-01-01',
    big bigint DEFAULT '2'::bigint,
    small smallint DEFAULT 3,
    num numeric(10,2) DEFAULT 1.50,
    r real DEFAULT '1.5'::real,
    dp double precision DEFAULT 'Infinity',
    grid integer[][] DEFAULT '{{1,2},{3,4}}',
    tags text[] DEFAULT '{}'::text[],
    ivl interval DEFAULT INTERVAL '1 day 02:00',
    ivl_fields interval day to second(3) DEFAULT '1 hour',
    ivl_month interval year to month,
    ch character(3) DEFAULT 'ab',
    vc varchar(20) DEFAULT 'x'::character varying,
    flag boolean DEFAULT 'on',
    doc jsonb DEFAULT '{"a": 1}'::jsonb,
    u uuid DEFAULT '00000000-0000-0000-0000-000000000000',
    ip inet DEFAULT '10.0.0.1',
    m money DEFAULT 12.5,
    blob bytea DEFAULT '\\x00ff'::bytea,
    span int4range DEFAULT '[1,5)',
    pt point,
    x xml,
    one_char "char" DEFAULT 'a',
    ts_now timestamptz DEFAULT now(),
    created date DEFAULT CURRENT_DATE,
    t0tz time(0) with time zone,
    ivl_ms interval minute to second(0),
    bit_grid bit varying(3)[][],
    ts_list timestamp(3) with time zone[] DEFAULT '{}',
    spans tstzmultirange,
    path_q jsonpath DEFAULT '$.a',
    rels regclass[],
    padded bpchar DEFAULT 'ab'::bpchar,
    lsn pg_lsn,
    doc_tsv tsvector,
    tx xid8,
    fl float(10) DEFAULT '1.5'::real
);
"""


def test_types_and_typed_defaults_round_trip(pg_url, pg_conn, tmp_path) -> None:
    """Every type format_type prints and typed literal defaults: inspect plans empty, and the inspected spec
    applied to an empty database plans empty too."""
    pg_conn.execute(TYPED)
    doc = inspect_doc(pg_url, tmp_path / "inspected.yaml")
    columns = doc["tables"]["typed"]["columns"]
    assert columns["bits"]["type"] == "bit varying(8)" and columns["grid"]["type"] == "integer[]"
    assert columns["t_tz"]["type"] == "timetz" and columns["ts3"]["type"] == "timestamptz(3)"
    assert NO_CHANGES in replan(tmp_path / "inspected.yaml", pg_url)
    pg_conn.execute("DROP TABLE typed")
    apply_ok(tmp_path / "inspected.yaml", pg_url)
    assert NO_CHANGES in replan(tmp_path / "inspected.yaml", pg_url)
    before = pg_conn.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                             "WHERE attrelid = 'typed'::regclass AND attnum > 0 ORDER BY attnum").fetchall()
    assert ("ivl_fields", "interval day to second(3)") in before and ("one_char", '"char"') in before


def test_spec_typed_defaults_apply_and_replan_empty(pg_url, tmp_path) -> None:
    """Defaults written as typed literals in a spec (SQL spellings PostgreSQL prints otherwise) are no change
    once applied."""
    spec = write(tmp_path / "s.yaml", {"tables": {"typed": {"columns": {
        "d": {"type": "date", "default": {"sql": "DATE '0001-01-01'"}},
        "t": {"type": "time", "default": {"sql": "TIME '12:00'"}},
        "ttz": {"type": "time with time zone", "default": {"sql": "'12:00+02'::timetz"}},
        "big": {"type": "bigint", "default": {"sql": "'2'::bigint"}},
        "tags": {"type": "text[]", "default": {"sql": "'{}'::text[]"}},
        "grid": {"type": "integer[][]", "default": {"sql": "'{{1,2},{3,4}}'::integer[]"}},
        "ivl": {"type": "interval", "default": {"sql": "INTERVAL '1 day'"}},
        "ivl2": {"type": "interval", "default": "2 hours"},
        "bits": {"type": "bit varying(8)", "default": {"sql": "B'101'"}},
        "ts3": {"type": "timestamp(3) with time zone", "default": {"sql": "TIMESTAMPTZ '2020-01-01 00:00+00'"}},
        "day": {"type": "date", "default": "2020-02-29"},
    }}}})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)


def validate_text(tmp_path: Path, text: str) -> tuple[int, str, Path]:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, out = invoke("validate", str(path))
    return code, out, path


def test_bad_specs_are_refused_with_their_position(tmp_path) -> None:
    cases = [
        ("      total: {type: numeric, generated: 'price * nope'}\n", "7:41",
         "generation expression names column 'nope'"),
        ("      total: {type: numeric, default: 1, generated: 'price * 2'}\n", "7:53",
         "a generated column cannot also have a default"),
        ("      total: {type: integer, identity: {generated: always, start: 0}}\n", "7:40",
         "start (0) must be between min_value (1) and max_value (2147483647)"),
        ("      total: {type: smallint, identity: {generated: always, max_value: 40000}}\n", "7:41",
         "40000 is out of range for an identity column of type smallint"),
        ("      total: {type: numeric, generated: price * 2}\n      twice: {type: numeric, generated: total * 2}\n",
         "8:41", "a generation expression cannot name generated column 'total'"),
    ]
    head = "version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      price: {type: numeric}\n"
    for column, position, message in cases:
        code, out, path = validate_text(tmp_path, head.replace("      price: {type: numeric}\n",
                                                                "      price: {type: numeric}\n" + column))
        assert code == 1 and f"{path}:{position}: " in out and message in out, out
    code, out, path = validate_text(tmp_path, head + "    exclusions:\n      x:\n        elements:\n"
                                              "          - {column: price, operator: 'DROP TABLE'}\n")
    assert code == 1 and f"{path}:10:39: tables.t.exclusions.x.elements[0].operator" in out, out
    code, out, path = validate_text(tmp_path, head + "    indexes:\n      - {columns: [price], with: {fillfactor: 5}}\n"
                                              "      - {columns: [price], with: {fastupdate: 'off'}}\n")
    assert code == 1 and "fillfactor must be a whole number from 10 to 100" in out, out
    assert "btree indexes have no storage parameter 'fastupdate'" in out, out
    code, out, path = validate_text(tmp_path, head + "  u:\n    unlogged: true\n    columns:\n"
                                              "      id: {type: integer, primary_key: true}\n"
                                              "  v:\n    columns:\n      u_id: {type: integer, references: u(id)}\n")
    assert code == 1 and "of a logged table references unlogged table 'public.u'" in out, out
    code, out, path = validate_text(tmp_path, head + "    indexes:\n      - {columns: [price], nulls_not_distinct: true}\n")
    assert code == 1 and f"{path}:8:48" in out and "nulls_not_distinct needs unique: true" in out, out


def test_sqlite_refuses_postgres_only_details(tmp_path) -> None:
    spec = """version: 1
dialect: sqlite
tables:
  t:
    unlogged: true
    columns:
      id: {type: integer, primary_key: true}
      total: {type: integer, generated: id * 2}
    unique:
      - {columns: [total], nulls_not_distinct: true}
    indexes:
      - {columns: [id], with: {fillfactor: 70}, comment: c}
    checks:
      pos: {expression: id > 0, no_inherit: true}
    exclusions:
      x: {elements: [{column: id, operator: '='}]}
  empty: {}
"""
    code, out, path = validate_text(tmp_path, spec)
    assert code == 1
    for position, message in [("5:15", "unlogged tables are not supported by dialect sqlite"),
                              ("8:41", "generated columns are not supported by dialect sqlite"),
                              ("10:48", "nulls_not_distinct is not supported by dialect sqlite"),
                              ("12:31", "storage parameters (with) are not supported by dialect sqlite"),
                              ("12:58", "comments are not supported by dialect sqlite"),
                              ("14:45", "no_inherit is not supported by dialect sqlite"),
                              ("16:7", "exclusion constraints are not supported by dialect sqlite"),
                              ("17:10", "a table needs at least one column on dialect sqlite")]:
        assert f"{path}:{position}: " in out and message in out, (position, out)


def test_identity_added_with_options_then_removed(pg_url, pg_conn, tmp_path) -> None:
    table = {"columns": {"id": {"type": "integer"}, "n": {"type": "smallint", "nullable": True}}}
    spec = write(tmp_path / "s.yaml", {"tables": {"t": table}})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO t (id, n) VALUES (1, 1)")
    table["columns"]["id"]["identity"] = {"generated": "always", "start": 50, "cache": 20}
    table["columns"]["n"] = {"type": "smallint", "identity": "by_default"}
    write(spec, {"tables": {"t": table}})
    plan = replan(spec, pg_url)
    assert ('ALTER COLUMN "id" ADD GENERATED ALWAYS AS IDENTITY (INCREMENT BY 1 NO MINVALUE NO MAXVALUE '
            'START WITH 50 CACHE 20 NO CYCLE)') in plan
    apply_ok(spec, pg_url, "--allow-hazards", "access_exclusive_lock,full_scan_validation,may_fail_on_data")
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("INSERT INTO t (n) VALUES (2)")
    assert one(pg_conn, "SELECT max(id) FROM t") == (50,)
    table["columns"]["id"] = {"type": "integer"}
    write(spec, {"tables": {"t": table}})
    assert 'ALTER COLUMN "id" DROP IDENTITY IF EXISTS' in replan(spec, pg_url)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)


def test_identity_options_leave_out_the_defaults_of_the_type_and_direction() -> None:
    from reconciler.model import IdentityOptions
    from reconciler.spec.relational import identity_options

    assert identity_options("integer", start=1, increment=1, min_value=1, max_value=2**31 - 1, cache=1) is None
    assert identity_options("smallint", increment=-1, min_value=-(2**15), max_value=-1, start=-1) == \
        IdentityOptions(increment=-1)
    # The start defaults to the given minimum (ascending) or maximum (descending).
    assert identity_options("bigint", start=10, min_value=10) == IdentityOptions(min_value=10)
    assert identity_options("bigint", start=10, increment=-2, max_value=10) == IdentityOptions(increment=-2,
                                                                                              max_value=10)
    assert identity_options("integer", cycle=True, cache=20) == IdentityOptions(cache=20, cycle=True)


def test_removing_an_enum_value_rebuilds_an_exclusion_that_mentions_it(pg_url, pg_conn, tmp_path) -> None:
    posts = {"columns": {"id": {"type": "integer"}, "status": {"type": "status"}},
             "exclusions": {"one_live": {"using": "btree", "elements": [{"column": "id", "operator": "="}],
                                         "where": "status <> 'draft'"}}}
    spec = write(tmp_path / "s.yaml", {"enums": {"status": ["draft", "published", "archived"]},
                                       "tables": {"posts": posts}})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO posts VALUES (1, 'published'), (1, 'draft')")
    write(spec, {"enums": {"status": ["draft", "published"]}, "tables": {"posts": posts}})
    code, out = invoke("plan", str(spec), "--url", pg_url, "--format", "sql")
    sql = out.split("\n")
    drop = sql.index('ALTER TABLE "public"."posts" DROP CONSTRAINT "one_live";')
    rename = sql.index('ALTER TYPE "public"."status" RENAME TO "status__old";')
    create = next(i for i, line in enumerate(sql) if 'ADD CONSTRAINT "one_live" EXCLUDE' in line)
    assert drop < rename < create
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards",
             "data_loss,table_rewrite,may_fail_on_data,access_exclusive_lock,blocks_writes,index_dropped,"
             "full_scan_validation")
    assert NO_CHANGES in replan(spec, pg_url)


def test_deferrable_primary_key(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): PRIMARY KEY ... DEFERRABLE was read as a plain primary key, so
    inspect lost it and a plan never noticed the difference."""
    pg_conn.execute("CREATE TABLE t (id int, CONSTRAINT t_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED)")
    doc = inspect_doc(pg_url, tmp_path / "inspected.yaml")
    assert doc["tables"]["t"]["primary_key"] == {"columns": ["id"], "deferrable": True, "initially_deferred": True}
    assert NO_CHANGES in replan(tmp_path / "inspected.yaml", pg_url)
    # Not deferrable any more: the key is replaced (PostgreSQL alters only foreign keys' deferrability).
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {"columns": {"id": {"type": "int", "primary_key": True}}}}})
    plan = replan(spec, pg_url)
    assert 'ADD CONSTRAINT "t_pkey" PRIMARY KEY ("id");' in plan, plan
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards",
             "index_dropped,blocks_writes,may_fail_on_data,full_scan_validation")
    assert pg_conn.execute("SELECT condeferrable FROM pg_constraint WHERE conname = 't_pkey'").fetchone() == (False,)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("DROP TABLE t")
    apply_ok(tmp_path / "inspected.yaml", pg_url)
    assert pg_conn.execute("SELECT condeferrable, condeferred FROM pg_constraint WHERE conname = 't_pkey'"
                           ).fetchone() == (True, True)
    assert NO_CHANGES in replan(tmp_path / "inspected.yaml", pg_url)
    # SQLite refuses it.
    bad = tmp_path / "lite.yaml"
    bad.write_text("version: 1\ndialect: sqlite\ntables:\n  t:\n    columns: {id: {type: integer}}\n"
                   "    primary_key: {columns: [id], deferrable: true}\n")
    code, out = invoke("validate", str(bad))
    assert code == 1 and "deferrable primary keys are not supported by dialect sqlite" in out, out


def test_table_storage_parameters(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): a table's WITH (fillfactor = 80, autovacuum_...) was neither read nor
    written."""
    pg_conn.execute("CREATE TABLE t (id int PRIMARY KEY) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05)")
    doc = inspect_doc(pg_url, tmp_path / "inspected.yaml")
    assert doc["tables"]["t"]["options"] == {"fillfactor": 80, "autovacuum_vacuum_scale_factor": "0.05"}
    assert NO_CHANGES in replan(tmp_path / "inspected.yaml", pg_url)
    # Changed in place: SET the new values, RESET the ones gone.
    spec = write(tmp_path / "s.yaml", {"tables": {"t": {"columns": {"id": {"type": "int", "primary_key": True}},
                                                        "options": {"fillfactor": 70, "autovacuum_enabled": False}}}})
    plan = replan(spec, pg_url)
    assert """ALTER TABLE "public"."t" SET ("fillfactor" = '70', "autovacuum_enabled" = 'false');""" in plan, plan
    assert """ALTER TABLE "public"."t" RESET ("autovacuum_vacuum_scale_factor");""" in plan, plan
    apply_ok(spec, pg_url)
    assert pg_conn.execute("SELECT reloptions FROM pg_class WHERE relname = 't'").fetchone() == (
        ["fillfactor=70", "autovacuum_enabled=false"],)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("DROP TABLE t")
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    # Refused: an unknown parameter, a bad fillfactor, storage parameters on a partitioned table, SQLite.
    bad = write(tmp_path / "bad.yaml", {"tables": {
        "a": {"columns": {"id": {"type": "int"}}, "options": {"fill_factor": 70}},
        "b": {"columns": {"id": {"type": "int"}}, "options": {"fillfactor": 5}},
        "c": {"columns": {"id": {"type": "int"}}, "options": {"fillfactor": 70},
              "partition_by": {"strategy": "range", "key": "id"}}}})
    code, out = invoke("validate", str(bad))
    assert code == 1 and "tables have no storage parameter 'fill_factor'" in out, out
    assert "fillfactor must be a whole number from 10 to 100" in out and "a partitioned table has no storage" in out
    lite = tmp_path / "lite.yaml"
    lite.write_text("version: 1\ndialect: sqlite\ntables:\n  t:\n    columns: {id: {type: integer}}\n"
                    "    options: {fillfactor: 70}\n")
    code, out = invoke("validate", str(lite))
    assert code == 1 and "storage parameters are not supported by dialect sqlite" in out, out
