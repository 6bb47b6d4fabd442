from __future__ import annotations

from pathlib import Path

from reconciler.backends.postgres.kinds import KINDS
from reconciler.backends.postgres.kinds.column_settings import ColumnSetting, ColumnSettings
from reconciler.backends.postgres.kinds.composite_type import CompositeType
from reconciler.backends.postgres.kinds.function import Function
from reconciler.backends.postgres.kinds.materialized_view import MaterializedView
from reconciler.backends.postgres.kinds.sequence import Sequence
from reconciler.backends.postgres.kinds.trigger import Trigger
from reconciler.backends.postgres.kinds.view import View, ViewDependency
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
        objects={
            "function": {"public.touch()": Function(
                name="touch", schema="public", identity=(), returns="trigger", language="plpgsql",
                body=" BEGIN RETURN NEW; END ")},
            "trigger": {"public.order.order_touch": Trigger(
                name="order_touch", schema="public", table="order", function="public.touch", timing="before",
                events=("update",), for_each="row")},
            # A sequence with every default option and no owner (it was missed once).
            "sequence": {"public.loose_seq": Sequence("loose_seq", "public", "bigint", 1, 1, 1, 9223372036854775807,
                                                      1, False, None, None)},
            "composite_type": {"public.composite_thing": CompositeType(
                name="composite_thing", schema="public", attributes=[("a", "integer"), ("b", "text")])},
            "view": {"public.user_names": View("user_names", "public", 'SELECT "User".name\n   FROM public."User"')},
            "materialized_view": {"public.order_codes": MaterializedView(
                "order_codes", "public", 'SELECT "order".code\n   FROM public."order"')},
            # Every column whose type is not stored plain, with its type's storage (what a spec that names none
            # wants) and the default statistics target.
            "column_settings": {
                "audit.events": ColumnSettings("audit", "events", {"tags": ColumnSetting(None, "extended", "extended")}),
                "public.User": ColumnSettings("public", "User", {
                    name: ColumnSetting(None, storage, storage) for name, storage in (
                        ("email", "extended"), ("name", "extended"), ("nick", "extended"), ("roles", "extended"),
                        ("tags", "extended"), ("matrix", "extended"), ("score", "main"), ("data", "extended"),
                        ("raw", "extended"), ("ip", "main"), ("doc", "extended"), ("Mixed Case", "extended"))}),
                "public.order": ColumnSettings("public", "order", {
                    name: ColumnSetting(None, "extended", "extended") for name in ("code", "status", "note")})},
            "view_dependency": {
                "public.order_codes->public.order.code": ViewDependency(
                    "public.order_codes", "materialized_view", "public.order", "code"),
                "public.user_names->public.User.name": ViewDependency(
                    "public.user_names", "view", "public.User", "name")},
        },
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
    # One catalog query per kind module plus the two that open one repeatable-read snapshot, whatever the size.
    assert counts[0] == counts[1] == len(KINDS) + 2


def test_inspect_reads_many_tables(pg_conn) -> None:
    # Speed is measured by `make bench`; this checks the bulk queries' results at a size that matters.
    create_tables(pg_conn, 500)
    model = inspect(pg_conn)
    assert len(model.tables) == 500
    assert model.tables["public.t499"].checks["t499_name_check"].expression == "name <> ''::text"
    assert model.tables["public.t499"].indexes["t499_name_idx"].elements == [IndexElement(column="name")]


def test_without_pipeline_support_the_queries_run_one_at_a_time(pg_conn, monkeypatch) -> None:
    # libpq before 14 has no pipeline mode.
    import psycopg

    pg_conn.execute(FIXTURE)
    expected = inspect(pg_conn, ["public", "audit"])
    monkeypatch.setattr(psycopg.Pipeline, "is_supported", classmethod(lambda cls: False))
    monkeypatch.setattr(psycopg.Connection, "pipeline", None)  # would raise if used
    assert inspect(pg_conn, ["public", "audit"]) == expected


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
