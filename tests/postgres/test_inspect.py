from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.model import (
    CheckConstraint,
    Column,
    Database,
    Default,
    Domain,
    Enum,
    Extension,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    UniqueConstraint,
)
from reconciler.spec.loader import load_spec
from reconciler.spec.validate import validate_document
from tests.postgres.helpers import inspect

FIXTURE = (Path(__file__).parent / "fixture_schema.sql").read_text()


def col(name: str, type_: str, default: str | None = None, **kw: object) -> Column:
    return Column(name=name, type=type_, default=Default(default) if default else None, **kw)  # type: ignore[arg-type]


def cols(*columns: Column) -> dict[str, Column]:
    return {c.name: c for c in columns}


def expected_model() -> Database:
    user = Table(name="User", schema="public", comment="people", columns=cols(
        col("id", "integer", identity="always"),
        col("email", "public.citext", comment="login"),
        col("name", "character varying(100)", nullable=True),
        col("nick", "character(3)", nullable=True),
        col("role", 'public."MessageRole"', "'USER'::public.\"MessageRole\""),
        col("roles", 'public."MessageRole"[]', nullable=True),
        col("tags", "text[]", "'{}'::text[]"),
        col("matrix", "integer[]", nullable=True),
        col("score", "numeric(10,2)", "0", nullable=True),
        col("ratio", "double precision", nullable=True),
        col("small", "smallint", "'-1'::integer", nullable=True),
        col("big", "bigint", nullable=True),
        col("flag", "boolean", "false"),
        col("data", "jsonb", "'{}'::jsonb", nullable=True),
        col("raw", "bytea", nullable=True),
        col("uid", "uuid", "gen_random_uuid()", nullable=True),
        col("born", "date", nullable=True),
        col("created_at", "timestamp(3) without time zone", "CURRENT_TIMESTAMP"),
        col("updated_at", "timestamp with time zone", "now()", nullable=True),
        col("wake", "time without time zone", nullable=True),
        col("span", "interval", nullable=True),
        col("ip", "inet", nullable=True),
        col("doc", "tsvector", nullable=True),
        col("Mixed Case", "text", nullable=True, collation="C"),
    ))
    user.primary_key = PrimaryKey(name="User_pkey", columns=["id"])
    user.uniques = {"User_email_key": UniqueConstraint(name="User_email_key", columns=["email"])}
    user.checks = {"score_positive": CheckConstraint(name="score_positive", expression="score >= 0::numeric")}
    user.indexes = {"User_tags_idx": Index(name="User_tags_idx", elements=[IndexElement(column="tags")],
                                           method="gin")}
    order = Table(name="order", schema="public", columns=cols(
        col("id", "bigint", serial="bigserial"),
        col("user_id", "integer", nullable=True),
        col("parent_id", "bigint", nullable=True),
        col("code", "text"),
        col("status", "text", "'new'::text"),
        col("note", "text", nullable=True),
    ))
    order.primary_key = PrimaryKey(name="order_pkey", columns=["id"])
    order.uniques = {"order_code_status_key": UniqueConstraint(
        name="order_code_status_key", columns=["code", "status"], deferrable=True)}
    order.checks = {"order_status_check": CheckConstraint(
        name="order_status_check", expression="status = ANY (ARRAY['new'::text, 'paid'::text])")}
    order.foreign_keys = {
        "order_parent_fkey": ForeignKey(name="order_parent_fkey", columns=["parent_id"], ref_table="order",
                                        ref_columns=["id"], ref_schema="public", on_delete="set null",
                                        deferrable=True, initially_deferred=True),
        "order_user_id_fkey": ForeignKey(name="order_user_id_fkey", columns=["user_id"], ref_table="User",
                                         ref_columns=["id"], ref_schema="public", on_delete="cascade",
                                         on_update="cascade"),
    }
    order.indexes = {
        "order_code_live_idx": Index(name="order_code_live_idx", elements=[IndexElement(column="code")],
                                     where="note IS NULL"),
        "order_desc_idx": Index(name="order_desc_idx", include=["note"], elements=[
            IndexElement(column="user_id", descending=True, nulls="last"), IndexElement(column="id")]),
        "order_lower_idx": Index(name="order_lower_idx", elements=[IndexElement(expression="lower(code)")]),
        "order_note_key": Index(name="order_note_key", unique=True,
                                elements=[IndexElement(column="note", opclass="text_pattern_ops")]),
    }
    events = Table(name="events", schema="audit", columns=cols(
        col("id", "integer", serial="serial"),
        col("level", "audit.level"),
        col("weight", "public.positive_int", nullable=True),
        col("tags", "audit.tag[]", nullable=True),
        col("at", "timestamp with time zone", "now()"),
    ), primary_key=PrimaryKey(name="events_pkey", columns=["id"]))
    loose = Table(name="unmanaged_schema_table", schema="audit", columns=cols(col("id", "integer", nullable=True)))
    return Database(
        dialect="postgres", schemas=["public", "audit"],
        extensions={"citext": Extension(name="citext", schema="public")},
        enums={
            "audit.level": Enum(name="level", values=["low", "high"], schema="audit"),
            "public.MessageRole": Enum(name="MessageRole", values=["USER", "ASSISTANT", "SYSTEM"], schema="public",
                                       comment="who wrote it"),
        },
        domains={
            "audit.tag": Domain(name="tag", type="character varying(20)", schema="audit", nullable=False,
                                default=Default("'none'::character varying"), comment="a label",
                                checks={"tag_lower": CheckConstraint(
                                    name="tag_lower", expression="VALUE::text = lower(VALUE::text)")}),
            "public.positive_int": Domain(name="positive_int", type="integer", schema="public", checks={
                "positive_int_check": CheckConstraint(name="positive_int_check", expression="VALUE > 0")}),
        },
        tables={t.key: t for t in (events, loose, user, order)},
    )


def test_inspect_reports_every_object_kind_exactly(pg_conn) -> None:
    pg_conn.execute(FIXTURE)
    actual = inspect(pg_conn, ["public", "audit"])
    expected = expected_model()
    assert actual.schemas == expected.schemas
    assert actual.extensions == expected.extensions
    assert actual.enums == expected.enums
    assert actual.domains == expected.domains
    assert sorted(actual.tables) == sorted(expected.tables)
    for key, table in expected.tables.items():
        assert actual.tables[key] == table, key
    assert actual == expected


def test_views_functions_triggers_and_sequences_are_not_reported(pg_conn) -> None:
    pg_conn.execute(FIXTURE)
    actual = inspect(pg_conn, ["public", "audit"])
    assert "public.user_names" not in actual.tables
    assert "public.order_codes" not in actual.tables
    assert "public.loose_seq" not in actual.tables
    assert "public.composite_thing" not in actual.enums and "public.positive_int" not in actual.enums
    assert "other.ignored" not in actual.tables  # schema not managed
    assert all(t.schema in ("public", "audit") for t in actual.tables.values())


def test_only_managed_schemas_are_read(pg_conn) -> None:
    pg_conn.execute(FIXTURE)
    actual = inspect(pg_conn, ["public"])
    assert actual.schemas == ["public"]
    assert sorted(actual.tables) == ["public.User", "public.order"]
    assert list(actual.enums) == ["public.MessageRole"]
    assert list(actual.domains) == ["public.positive_int"]


def test_missing_schema_is_not_listed(pg_conn) -> None:
    actual = inspect(pg_conn, ["public", "nope"])
    assert actual.schemas == ["public"]
    assert actual.tables == {}


def test_extension_members_are_ignored(pg_conn) -> None:
    # hstore/citext create types and functions; pg_trgm creates operator classes: none are reported.
    pg_conn.execute("CREATE EXTENSION hstore; CREATE EXTENSION pg_trgm")
    actual = inspect(pg_conn, ["public"])
    assert set(actual.extensions) == {"hstore", "pg_trgm"}
    assert actual.enums == {} and actual.tables == {}


def test_dropped_columns_are_skipped(pg_conn) -> None:
    pg_conn.execute("CREATE TABLE t (a int, b int, c int); ALTER TABLE t DROP COLUMN b; CREATE INDEX ON t (c)")
    table = inspect(pg_conn).tables["public.t"]
    assert list(table.columns) == ["a", "c"]
    assert table.indexes["t_c_idx"].elements == [IndexElement(column="c")]


def test_defaults_read_beside_a_generated_column(pg_conn) -> None:
    # Defaults are printed without the table as context; a generated column's expression names
    # columns and would fail that way, so it must not be printed (it is not modelled).
    pg_conn.execute("CREATE SEQUENCE s; CREATE TABLE g (a int NOT NULL DEFAULT nextval('s'),"
                    " b int GENERATED ALWAYS AS (a * 2) STORED, c text DEFAULT lower('X' || 'y'),"
                    " d timestamptz DEFAULT now())")
    columns = inspect(pg_conn).tables["public.g"].columns
    assert columns["a"].default == Default("nextval('public.s'::regclass)")
    assert columns["b"].default is None
    assert columns["c"].default == Default("lower('X'::text || 'y'::text)")
    assert columns["d"].default == Default("now()")


def create_tables(conn, count: int) -> None:
    for start in range(0, count, 250):
        conn.execute(";".join(
            f"CREATE TABLE t{i} (id int PRIMARY KEY, name text NOT NULL DEFAULT 'x'"
            f" CONSTRAINT t{i}_name_check CHECK (name <> ''), ref int)" for i in range(start, min(start + 250, count))))
        conn.execute(";".join(f"CREATE INDEX ON t{i} (name)" for i in range(start, min(start + 250, count))))


class CountingConnection:
    """Counts the statements inspect sends, to prove the query count does not grow with the table count."""

    def __init__(self, conn) -> None:
        self.conn, self.statements = conn, 0

    def __getattr__(self, name: str):
        return getattr(self.conn, name)

    def execute(self, *args, **kwargs):
        self.statements += 1
        return self.conn.execute(*args, **kwargs)

    def cursor(self, *args, **kwargs):
        outer, cursor = self, self.conn.cursor(*args, **kwargs)

        class Counting:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                cursor.close()

            def execute(self, *a, **k):
                outer.statements += 1
                return cursor.execute(*a, **k)

        return Counting()


def test_inspect_sends_a_fixed_number_of_queries(pg_conn) -> None:
    counts = []
    for total in (3, 60):
        create_tables(pg_conn, total)
        counting = CountingConnection(pg_conn)
        model = inspect(counting)  # type: ignore[arg-type]
        assert len(model.tables) == total
        counts.append(counting.statements)
        pg_conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    # Nine catalog queries plus three to open one repeatable-read snapshot, whatever the size.
    assert counts[0] == counts[1] <= 12


def test_inspect_reads_many_tables(pg_conn) -> None:
    # Speed is measured by `make bench`; this checks the bulk queries' results at a size that matters.
    create_tables(pg_conn, 500)
    model = inspect(pg_conn)
    assert len(model.tables) == 500
    assert model.tables["public.t499"].checks["t499_name_check"].expression == "name <> ''::text"
    assert model.tables["public.t499"].indexes["t499_name_idx"].elements == [IndexElement(column="name")]


def test_parallel_inspection_reads_the_same_model_from_one_snapshot(pg_conn, monkeypatch):
    from reconciler.backends.postgres import inspect as pg_inspect

    pg_conn.execute(FIXTURE)
    sequential = pg_inspect.inspect(pg_conn, None)
    monkeypatch.setattr(pg_inspect, "PARALLEL_FROM_TABLES", 1)
    opened: list[object] = []
    original = pg_inspect._second_reader
    monkeypatch.setattr(pg_inspect, "_second_reader", lambda *a: opened.append(1) or original(*a))
    assert pg_inspect.inspect(pg_conn, None) == sequential
    assert opened == [1]


def test_catalog_rows_assemble_to_the_same_model_in_any_arrival_order(pg_conn) -> None:
    # The readers hand each query's rows over as they arrive, from two threads.
    from reconciler.backends.postgres import inspect as pg_inspect

    pg_conn.execute(FIXTURE)
    arrived: list[tuple[str, list]] = []
    pg_inspect.read_catalog(pg_conn, ["public", "audit"], ["citext"], lambda name, rows: arrived.append((name, rows)))
    assert len(arrived) == 9
    expected = inspect(pg_conn, ["public", "audit"])
    for order in (arrived, arrived[::-1], sorted(arrived)):
        assembler = pg_inspect.Assembler(["public", "audit"])
        for name, rows in order:
            assembler.add(name, rows)
        assert assembler.result() == expected


def test_an_incomplete_read_is_an_error_not_a_partial_model() -> None:
    from reconciler.backends.postgres import inspect as pg_inspect

    assembler = pg_inspect.Assembler(["public"])
    assembler.add("columns", [])
    with pytest.raises(RuntimeError, match="catalog rows missing"):
        assembler.result()


SCOPED_SPEC = """\
version: 1
dialect: postgres
schema: app
schemas: [audit]
extensions: [citext, {name: pgcrypto, schema: audit}]
tables:
  t: {columns: {id: {type: integer, primary_key: true}, email: {type: citext}}}
  audit.log: {columns: {id: {type: integer}}}
"""


def test_spec_scope_agrees_with_the_built_model(tmp_path) -> None:
    from reconciler.backends.postgres import BACKEND
    from reconciler.backends.postgres import inspect as pg_inspect

    for text in (SCOPED_SPEC, "version: 1\ndialect: postgres\ntables: {}\n",
                 SCOPED_SPEC.replace("schemas: [audit]", "schemas: [audit, app]")):
        path = tmp_path / "spec.yaml"
        path.write_text(text)
        loaded = load_spec(path, env={})
        validate_document(loaded)
        model = BACKEND.build_model(loaded)
        assert pg_inspect.spec_scope(loaded.data) == (pg_inspect.managed_schemas(model), list(model.extensions))


def test_build_and_inspect_matches_build_then_inspect(pg_conn, tmp_path, monkeypatch) -> None:
    from reconciler.backends.postgres import BACKEND
    from reconciler.backends.postgres import inspect as pg_inspect

    pg_conn.execute(FIXTURE)
    path = tmp_path / "spec.yaml"
    path.write_text(SCOPED_SPEC.replace("schema: app\nschemas: [audit]", "schemas: [public, audit]"))
    loaded = load_spec(path, env={})
    validate_document(loaded)
    built = BACKEND.build_model(loaded)
    desired, current = BACKEND.build_and_inspect(pg_conn, loaded, lambda _=None: BACKEND.build_model(loaded))
    assert desired == built
    assert current == BACKEND.inspect(pg_conn, built)
    assert sorted(current.tables) == sorted(inspect(pg_conn, ["public", "audit"]).tables)
    # Should the scope read up front ever disagree with the model, the live state is read again.
    monkeypatch.setattr(pg_inspect, "spec_scope", lambda data: (["audit"], []))
    _, again = BACKEND.build_and_inspect(pg_conn, loaded, lambda _=None: BACKEND.build_model(loaded))
    assert again == current


def test_spellings_are_adopted_and_equal_parts_shared_while_the_catalog_is_read(pg_conn, tmp_path, monkeypatch):
    from reconciler.backends.postgres import BACKEND
    from reconciler.backends.postgres import canonicalize as pg_canonicalize
    from reconciler.backends.postgres import inspect as pg_inspect

    pg_conn.execute("CREATE TABLE t (id integer PRIMARY KEY, name text NOT NULL DEFAULT 'x',"
                    " n numeric(5,2) DEFAULT 0 CHECK (n >= 0), at timestamptz DEFAULT CURRENT_TIMESTAMP);"
                    " CREATE INDEX ON t (name); CREATE TABLE u (a integer, b integer REFERENCES t, c text UNIQUE,"
                    " CHECK (a > 0)); CREATE INDEX ON u (a DESC NULLS LAST)")
    path = tmp_path / "spec.yaml"
    path.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n"
                    "      id: {type: int, primary_key: true}\n      name: {type: text, default: x}\n"
                    "      n: {type: 'numeric(5,2)', nullable: true, default: 0}\n"
                    "      at: {type: timestamptz, nullable: true, default: {sql: now()}}\n"
                    "    indexes: [{columns: [name]}]\n    checks: {t_n_check: 'n >= 0::numeric'}\n"
                    "  u:\n    columns:\n      a: {type: bigint, nullable: true}\n"
                    "      b: {type: int, nullable: true}\n      c: {type: text, nullable: true, unique: true}\n"
                    "    foreign_keys: [{columns: [b], references: t(id)}]\n"
                    "    indexes: [{columns: [a], order: desc}]\n"  # NULLS FIRST, the default: not as live
                    "    checks: {u_a_check: a > 1}\n")
    loaded = load_spec(path, env={})
    validate_document(loaded)
    seen: list[tuple[str, dict[str, list[str]]]] = []

    def step(kind):
        def run(desired, live) -> None:
            part = "checks" if kind == "constraints" else kind
            seen.append((kind, {key: list(getattr(table, part)) for key, table in live.tables.items()}))
            pg_canonicalize.WHILE_READING[kind](desired, live)
        return run

    steps = {kind: step(kind) for kind in pg_canonicalize.WHILE_READING}
    desired, current = pg_inspect.build_and_inspect(pg_conn, loaded, lambda _=None: BACKEND.build_model(loaded),
                                                    while_reading=steps)
    # Each step ran once, in order, with its kind of rows in place for every table.
    assert seen == [("columns", {"public.t": ["id", "name", "n", "at"], "public.u": ["a", "b", "c"]}),
                    ("constraints", {"public.t": ["t_n_check"], "public.u": ["u_a_check"]}),
                    ("indexes", {"public.t": ["t_name_idx"], "public.u": ["u_a_idx"]})]
    # What equals the live model in every compared field is the live object; the rest is not.
    t, live_t, u, live_u = desired.tables["public.t"], current.tables["public.t"], desired.tables["public.u"], \
        current.tables["public.u"]
    assert t.columns is live_t.columns and t.checks is live_t.checks and t.indexes is live_t.indexes
    assert t.primary_key is live_t.primary_key
    assert [c.default.expression for c in t.columns.values() if c.default] == ["'x'::text", "0", "CURRENT_TIMESTAMP"]
    assert u.foreign_keys is live_u.foreign_keys and u.uniques is live_u.uniques
    assert u.columns is not live_u.columns and u.checks is not live_u.checks and u.indexes is not live_u.indexes
    # The early steps change nothing canonicalize would not: the same canonical model either way,
    # and the real differences.
    built = BACKEND.build_model(loaded)
    canonical = BACKEND.canonicalize(pg_conn, desired, current)
    assert canonical == BACKEND.canonicalize(pg_conn, built, BACKEND.inspect(pg_conn, built))
    assert sorted(c.address for c in BACKEND.diff(current, canonical)) == [
        "check public.u.u_a_check", "column public.u.a", "index public.u.u_a_idx"]
    # Read for the wrong scope, the live model is discarded and read again: no early steps on it.
    monkeypatch.setattr(pg_inspect, "spec_scope", lambda data: (["audit"], []))
    pg_inspect.build_and_inspect(pg_conn, loaded, lambda _=None: BACKEND.build_model(loaded), while_reading=steps)
    assert len(seen) == 3


def test_a_cached_model_takes_the_live_columns_it_equals_and_decodes_the_rest(pg_conn, tmp_path, monkeypatch):
    from reconciler.backends.postgres import BACKEND
    from reconciler.backends.postgres import canonicalize as pg_canonicalize
    from reconciler.spec import desired_model

    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    pg_conn.execute("CREATE TYPE mood AS ENUM ('ok', 'sad');"
                    " CREATE TABLE t (id integer PRIMARY KEY, name text NOT NULL DEFAULT 'x',"
                    "  m mood NOT NULL DEFAULT 'ok', at timestamptz DEFAULT CURRENT_TIMESTAMP);"
                    " CREATE TABLE u (a integer); CREATE TABLE v (b text DEFAULT 'y');"
                    " CREATE TABLE w (c timestamptz DEFAULT date_trunc('day', now())); CREATE TABLE x (e integer, f integer)")
    path = tmp_path / "spec.yaml"
    path.write_text("version: 1\ndialect: postgres\nenums: {mood: [ok, sad]}\ntables:\n"
                    "  t:\n    columns:\n      id: {type: int, primary_key: true}\n"
                    "      name: {type: text, default: x}\n      m: {type: mood, default: ok}\n"
                    "      at: {type: timestamptz, nullable: true, default: {sql: now()}}\n"
                    "  u:\n    columns:\n      a: {type: bigint, nullable: true}\n"  # type differs
                    "  v:\n    columns:\n      b: {type: text, nullable: true, default: z}\n"  # default differs
                    # a default only the database can compare (equal), a column in the database only
                    "  w:\n    columns:\n      c: {type: timestamptz, nullable: true,"
                    " default: {sql: \"date_trunc('day', now())\"}}\n"
                    "  x:\n    columns:\n      e: {type: int, nullable: true}\n")
    desired_model(BACKEND, load_spec(path, env={}))  # fills the cache
    loaded = load_spec(path, env={})
    assert loaded.cached is not None
    offered: list[object] = []
    steps_run: list[str] = []
    monkeypatch.setattr(pg_canonicalize, "WHILE_READING", {
        kind: (lambda desired, live, kind=kind, step=step: steps_run.append(kind) or step(desired, live))
        for kind, step in pg_canonicalize.WHILE_READING.items()})

    def build(live=None):
        offered.append(live)
        return desired_model(BACKEND, loaded, live)

    desired, current = BACKEND.build_and_inspect(pg_conn, loaded, build)
    assert len(offered) == 1 and offered[0] is not None  # decoded as the live model was read
    assert steps_run == []  # done with every kind by then: canonicalize does the rest
    assert desired.tables["public.t"].columns is current.tables["public.t"].columns
    assert desired.tables["public.t"].primary_key is current.tables["public.t"].primary_key
    for key in ("public.u", "public.v", "public.w", "public.x"):
        assert desired.tables[key].columns is not current.tables[key].columns
    # Exactly what building the model from the spec gives: the same canonical model, the same changes.
    built = BACKEND.build_model(load_spec(path, env={}))
    canonical = BACKEND.canonicalize(pg_conn, desired, current)
    assert canonical == BACKEND.canonicalize(pg_conn, built, BACKEND.inspect(pg_conn, built))
    assert sorted(c.address for c in BACKEND.diff(current, canonical)) == [
        "column public.u.a", "column public.v.b", "column public.x.f"]
    # An entry whose model cannot be read is built from the spec: the steps run while reading.
    loaded.model_file.write_bytes(loaded.model_file.read_bytes()[:-20])
    loaded = load_spec(path, env={})
    assert loaded.cached is not None
    BACKEND.build_and_inspect(pg_conn, loaded, build)
    assert steps_run == ["columns", "constraints", "indexes"]


def test_a_cached_model_is_decoded_whole_when_the_live_columns_never_arrive(pg_conn, tmp_path, monkeypatch):
    from reconciler.backends.postgres import BACKEND
    from reconciler.backends.postgres import inspect as pg_inspect
    from reconciler.spec import desired_model

    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "spec.yaml"
    path.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      id: {type: int}\n")
    desired_model(BACKEND, load_spec(path, env={}))
    loaded = load_spec(path, env={})

    def failing_read(*args, **kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(pg_inspect, "read_catalog", failing_read)
    waited: list[object] = []
    built: list[object] = []

    class Recording:
        def __init__(self, live):
            self.live, self.reuse_columns = live, live.reuse_columns

        def wait(self, kind):
            waited.append((kind, self.live.wait(kind)))
            return waited[-1][1]

    def build(live=None):
        built.append(desired_model(BACKEND, loaded, Recording(live)))
        return built[-1]

    with pytest.raises(RuntimeError, match="connection lost"):
        BACKEND.build_and_inspect(pg_conn, loaded, build)
    assert waited == [("columns", None)]  # nothing to take: every part decoded
    assert list(built[0].tables["public.t"].columns) == ["id"]


def test_without_pipeline_support_the_queries_run_one_at_a_time(pg_conn, monkeypatch) -> None:
    # libpq before 14 has no pipeline mode.
    import psycopg

    from reconciler.backends.postgres import inspect as pg_inspect

    pg_conn.execute(FIXTURE)
    expected = inspect(pg_conn, ["public", "audit"])
    monkeypatch.setattr(psycopg.Pipeline, "is_supported", classmethod(lambda cls: False))
    monkeypatch.setattr(psycopg.Connection, "pipeline", None)  # would raise if used
    assert inspect(pg_conn, ["public", "audit"]) == expected
    monkeypatch.setattr(pg_inspect, "PARALLEL_FROM_TABLES", 2)
    assembler = pg_inspect.Assembler(["public", "audit"])
    pg_inspect.read_catalog(pg_conn, ["public", "audit"], ["citext"], assembler.add, expected_tables=5000)
    assert assembler.result() == expected


def test_a_spec_error_during_build_and_inspect_leaves_the_connection_usable(pg_conn, tmp_path) -> None:
    from reconciler.backends.postgres import BACKEND
    from reconciler.errors import SpecError

    pg_conn.execute(FIXTURE)
    path = tmp_path / "spec.yaml"
    path.write_text(SCOPED_SPEC.replace("type: citext", "type: citextt"))
    loaded = load_spec(path, env={})
    validate_document(loaded)
    with pytest.raises(SpecError, match="citextt"):
        BACKEND.build_and_inspect(pg_conn, loaded, lambda _=None: BACKEND.build_model(loaded))
    assert pg_conn.execute("SELECT 1").fetchone() == (1,)


def test_a_second_connection_opened_early_is_used_or_closed(pg_conn, monkeypatch) -> None:
    from reconciler.backends.postgres import inspect as pg_inspect

    def helpers_open() -> int:
        return pg_conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'schemactl'"
                               " AND datname = current_database()").fetchone()[0]

    monkeypatch.setattr(pg_inspect, "PARALLEL_FROM_TABLES", 2)
    # The spec promised a large schema, but the database is empty: the early connection is closed.
    assembler = pg_inspect.Assembler(["public"])
    pg_inspect.read_catalog(pg_conn, ["public"], [], assembler.add, expected_tables=5000)
    assert assembler.result().tables == {} and helpers_open() == 0
    pg_conn.execute(FIXTURE)
    expected = inspect(pg_conn, ["public", "audit"])
    used: list[object] = []
    original = pg_inspect._second_reader
    monkeypatch.setattr(pg_inspect, "_second_reader", lambda *a: used.append(a[0]) or original(*a))
    assembler = pg_inspect.Assembler(["public", "audit"])
    pg_inspect.read_catalog(pg_conn, ["public", "audit"], ["citext"], assembler.add, expected_tables=5000)
    assert assembler.result() == expected
    assert len(used) == 1 and used[0] is not None and helpers_open() == 0


def test_without_a_second_connection_one_connection_reads_everything(pg_conn, monkeypatch) -> None:
    # E.g. no connection slot left: the half meant for the early connection is read on the first.
    from reconciler.backends.postgres import inspect as pg_inspect

    pg_conn.execute(FIXTURE)
    expected = inspect(pg_conn, ["public", "audit"])
    monkeypatch.setattr(pg_inspect, "PARALLEL_FROM_TABLES", 2)
    monkeypatch.setattr(pg_inspect, "_connect_helper", lambda conn: None)
    assembler = pg_inspect.Assembler(["public", "audit"])
    pg_inspect.read_catalog(pg_conn, ["public", "audit"], ["citext"], assembler.add, expected_tables=5000)
    assert assembler.result() == expected


def test_foreign_key_columns_are_named_inside_and_outside_the_managed_schemas(pg_conn) -> None:
    # Inside: named from the columns already read; outside (a table not read): named by the query.
    pg_conn.execute("""
        CREATE SCHEMA elsewhere;
        CREATE TABLE elsewhere.parent (a integer, "B x" integer, dropped integer, PRIMARY KEY (a, "B x"));
        ALTER TABLE elsewhere.parent DROP COLUMN dropped;
        CREATE TABLE public.local (k integer, j integer, UNIQUE (j, k));
        CREATE TABLE public.child (gone integer, x integer, y integer, p integer, q integer,
            FOREIGN KEY (y, x) REFERENCES elsewhere.parent (a, "B x"),
            FOREIGN KEY (q, p) REFERENCES public.local (j, k));
        ALTER TABLE public.child DROP COLUMN gone;
    """)
    child = inspect(pg_conn).tables["public.child"]
    outside, inside = child.foreign_keys["child_y_x_fkey"], child.foreign_keys["child_q_p_fkey"]
    assert (outside.columns, outside.ref_schema, outside.ref_table, outside.ref_columns) == (
        ["y", "x"], "elsewhere", "parent", ["a", "B x"])
    assert (inside.columns, inside.ref_table, inside.ref_columns) == (["q", "p"], "local", ["j", "k"])
    assert inspect(pg_conn).tables["public.local"].uniques["local_j_k_key"].columns == ["j", "k"]
