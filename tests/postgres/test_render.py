from __future__ import annotations

import copy

import psycopg
import pytest

from reconciler.backends import RenderOptions
from reconciler.backends.postgres import BACKEND
from reconciler.changes import Action, AttributeChange, Change
from reconciler.model import (
    CheckConstraint,
    Column,
    Database,
    Default,
    Enum,
    Extension,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    UniqueConstraint,
)
from tests.postgres.helpers import apply_changes, inspect, model_from_spec

SPEC = {
    "schemas": ["app"],
    "extensions": ["citext"],
    "enums": {"MessageRole": ["USER", "ASSISTANT"], "app.level": ["low", "high"]},
    "tables": {
        "User": {
            "comment": "people",
            "columns": {
                "id": {"type": "integer", "identity": "always", "primary_key": True},
                "email": {"type": "citext", "unique": True, "comment": "login"},
                "role": {"type": "MessageRole", "default": "USER"},
                "tags": {"type": "text[]", "default": {"sql": "'{}'"}},
                "score": {"type": "numeric(10,2)", "default": 0, "nullable": True},
                "created_at": {"type": "timestamp(3)", "default": {"sql": "CURRENT_TIMESTAMP"}},
                "order": {"type": "varchar(20)", "nullable": True, "collation": "C"},
            },
            "checks": {"score_positive": "score >= 0", "role_known": "role IN ('USER', 'ASSISTANT')"},
            "indexes": [
                {"columns": ["tags"], "method": "gin"},
                {"columns": [{"expression": "lower(email)"}], "where": "score > 0"},
                {"name": "user_order_idx", "columns": [{"column": "order", "order": "desc", "nulls": "last"}],
                 "include": ["score"]},
            ],
        },
        "app.events": {
            "columns": {
                "id": {"type": "bigserial", "primary_key": True},
                "user_id": {"type": "integer", "nullable": True, "references": "User(id)",
                            "on_delete": "set null", "on_update": "cascade"},
                "level": {"type": "app.level"},
            },
            "unique": [{"columns": ["user_id", "level"], "deferrable": True}],
        },
    },
}


def create_changes(model: Database) -> list[Change]:
    changes = [Change(Action.CREATE, "schema", "schema app", after="app"),
               *(Change(Action.CREATE, "extension", f"extension {e.name}", after=e) for e in model.extensions.values()),
               *(Change(Action.CREATE, "enum", f"enum {k}", after=e) for k, e in model.enums.items()),
               *(Change(Action.CREATE, "table", f"table {k}", after=t) for k, t in model.tables.items())]
    for key, table in model.tables.items():
        changes += [Change(Action.CREATE, "index", f"index {i.name}", after=i, table=key)
                    for i in table.indexes.values()]
        changes += [Change(Action.CREATE, "foreign_key", f"fk {f.name}", after=f, table=key)
                    for f in table.foreign_keys.values()]
    return changes


@pytest.mark.parametrize("online", [False, True])
def test_created_schema_inspects_back_equal(pg_conn, tmp_path, online: bool) -> None:
    desired = model_from_spec(tmp_path, SPEC)
    sql = apply_changes(pg_conn, create_changes(desired), online=online)
    assert any('CONSTRAINT "User_pkey" PRIMARY KEY ("id")' in s for s in sql)
    live = inspect(pg_conn, ["public", "app"])
    canonical = BACKEND.canonicalize(pg_conn, desired, live)
    for key in desired.tables:
        assert canonical.tables[key] == live.tables[key], key
    assert canonical == live


def test_create_table_is_prisma_style() -> None:
    table = Table(name="chat_sessions", schema="public", columns={
        "id": Column("id", "text"),
        "paper_ids": Column("paper_ids", "text[]", nullable=True),
        "created_at": Column("created_at", "timestamp(3) without time zone", default=Default("CURRENT_TIMESTAMP")),
    }, primary_key=PrimaryKey("chat_sessions_pkey", ["id"]))
    [statement] = BACKEND.render(Change(Action.CREATE, "table", "t", after=table), RenderOptions())
    assert statement.sql == (
        'CREATE TABLE "public"."chat_sessions" (\n'
        '    "id" text NOT NULL,\n'
        '    "paper_ids" text[],\n'
        '    "created_at" timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,\n'
        '\n'
        '    CONSTRAINT "chat_sessions_pkey" PRIMARY KEY ("id")\n'
        ');')


@pytest.fixture
def base(pg_conn: psycopg.Connection) -> Database:
    pg_conn.execute("""
        CREATE TYPE "Role" AS ENUM ('a', 'b', 'c');
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE "order" (id serial PRIMARY KEY, code varchar(10) NOT NULL DEFAULT 'x', n int,
                              role "Role" NOT NULL DEFAULT 'a', roles "Role"[], parent_id int,
                              CONSTRAINT order_n_check CHECK (n > 0));
        CREATE INDEX order_code_idx ON "order" (code);
        INSERT INTO parent VALUES (1);
        INSERT INTO "order" (code, n, role, roles, parent_id) VALUES ('abc', 1, 'b', '{a,b}', 1);
    """)
    return inspect(pg_conn)


def order_table(db: Database) -> Table:
    return db.tables["public.order"]


def alter_column(pg_conn, before: Column, after: Column, *names: str, online: bool = False) -> Column:
    change = Change(Action.ALTER, "column", "column", before=before, after=after, table="public.order",
                    attributes=[AttributeChange(n, getattr(before, n), getattr(after, n)) for n in names])
    apply_changes(pg_conn, [change], online=online)
    return order_table(inspect(pg_conn)).columns[after.name]


def test_column_create_drop_rename(pg_conn, base: Database) -> None:
    table = order_table(base)
    new = Column("Note", "text", nullable=True, default=Default("'hi'::text"), comment="a note")
    apply_changes(pg_conn, [Change(Action.CREATE, "column", "c", after=new, table="public.order",
                                   extra={"table": table})])
    assert order_table(inspect(pg_conn)).columns["Note"] == new
    renamed = copy.copy(new)
    renamed.name = "note"
    apply_changes(pg_conn, [Change(Action.RENAME, "column", "c", before=new, after=renamed, table="public.order")])
    assert "note" in order_table(inspect(pg_conn)).columns
    apply_changes(pg_conn, [Change(Action.DROP, "column", "c", before=renamed, table="public.order")])
    assert "note" not in order_table(inspect(pg_conn)).columns


def test_column_alter_each_attribute(pg_conn, base: Database) -> None:
    code = order_table(base).columns["code"]
    wider = copy.copy(code)
    wider.type, wider.nullable, wider.comment = "text", True, "the code"
    wider.default = Default("'y'::text")
    assert alter_column(pg_conn, code, wider, "type", "nullable", "default", "comment") == wider
    n = order_table(base).columns["n"]
    as_text = copy.copy(n)
    as_text.type, as_text.using = "bigint", "n::bigint * 10"
    got = alter_column(pg_conn, n, as_text, "type")
    assert got.type == "bigint"
    assert pg_conn.execute('SELECT n FROM "order"').fetchone()[0] == 10
    not_null = copy.copy(got)
    not_null.nullable = False
    assert alter_column(pg_conn, got, not_null, "nullable", online=True).nullable is False
    no_default = copy.copy(wider)
    no_default.default = None
    assert alter_column(pg_conn, wider, no_default, "default").default is None


def test_column_identity_and_serial(pg_conn, base: Database) -> None:
    id_col = order_table(base).columns["id"]
    assert id_col.serial == "serial"
    plain = copy.copy(id_col)
    plain.serial = None
    assert alter_column(pg_conn, id_col, plain, "serial") == plain
    identity = copy.copy(plain)
    identity.identity = "by default"
    assert alter_column(pg_conn, plain, identity, "identity").identity == "by default"
    always = copy.copy(identity)
    always.identity = "always"
    assert alter_column(pg_conn, identity, always, "identity").identity == "always"
    n = order_table(base).columns["n"]
    serial = copy.copy(n)
    serial.serial, serial.nullable = "serial", False
    got = alter_column(pg_conn, n, serial, "serial", "nullable")
    assert got.serial == "serial" and got.default is None
    bigger = copy.copy(serial)
    bigger.type, bigger.serial = "bigint", "bigserial"
    assert alter_column(pg_conn, serial, bigger, "type", "serial").serial == "bigserial"


def test_table_rename_comment_drop(pg_conn, base: Database) -> None:
    parent = base.tables["public.parent"]
    renamed = copy.deepcopy(parent)
    renamed.name, renamed.comment = "Parent", "the parent"
    apply_changes(pg_conn, [Change(Action.RENAME, "table", "t", before=parent, after=renamed),
                            Change(Action.ALTER, "table", "t", before=parent, after=renamed,
                                   attributes=[AttributeChange("comment", None, "the parent")])])
    live = inspect(pg_conn)
    assert live.tables["public.Parent"].comment == "the parent"
    apply_changes(pg_conn, [Change(Action.DROP, "table", "t", before=renamed)])
    assert "public.Parent" not in inspect(pg_conn).tables


@pytest.mark.parametrize("online", [False, True])
def test_constraints_and_indexes(pg_conn, base: Database, online: bool) -> None:
    table = "public.order"
    fk = ForeignKey("order_parent_id_fkey", ["parent_id"], "parent", ["id"], ref_schema="public",
                    on_delete="cascade", on_update="set null", deferrable=True, initially_deferred=True)
    unique = UniqueConstraint("order_code_n_key", ["code", "n"])
    check = CheckConstraint("order_code_check", "length(code::text) > 1")
    index = Index("order_lower_idx", [IndexElement(expression="lower(code::text)"),
                                      IndexElement(column="id", descending=True)], where="n IS NOT NULL")
    old_index = order_table(base).indexes["order_code_idx"]
    renamed_index = copy.copy(old_index)
    renamed_index.name = "order_code_ix"
    new_check = CheckConstraint("order_n_check", "n >= 1")
    changes = [
        Change(Action.CREATE, "foreign_key", "fk", after=fk, table=table),
        Change(Action.CREATE, "unique", "uq", after=unique, table=table),
        Change(Action.CREATE, "check", "ck", after=check, table=table),
        Change(Action.CREATE, "index", "ix", after=index, table=table),
        Change(Action.RENAME, "index", "ix", before=old_index, after=renamed_index, table=table),
        Change(Action.REPLACE, "check", "ck", before=order_table(base).checks["order_n_check"], after=new_check,
               table=table),
    ]
    sql = apply_changes(pg_conn, changes, online=online)
    if online:
        assert any("CONCURRENTLY" in s for s in sql) and any("VALIDATE CONSTRAINT" in s for s in sql)
    live = order_table(inspect(pg_conn))
    assert live.foreign_keys["order_parent_id_fkey"] == fk
    assert live.uniques["order_code_n_key"] == unique
    assert live.checks["order_code_check"] == check
    assert live.checks["order_n_check"] == new_check
    assert live.indexes["order_lower_idx"] == index
    assert live.indexes["order_code_ix"] == renamed_index
    drops = [Change(Action.DROP, "foreign_key", "fk", before=fk, table=table),
             Change(Action.DROP, "unique", "uq", before=unique, table=table),
             Change(Action.DROP, "index", "ix", before=index, table=table),
             Change(Action.DROP, "primary_key", "pk", before=live.primary_key, table=table)]
    apply_changes(pg_conn, drops, online=online)
    live = order_table(inspect(pg_conn))
    assert not live.foreign_keys and not live.uniques and "order_lower_idx" not in live.indexes
    assert live.primary_key is None
    pk = PrimaryKey("order_pk", ["id", "code"])
    apply_changes(pg_conn, [Change(Action.CREATE, "primary_key", "pk", after=pk, table=table)], online=online)
    assert order_table(inspect(pg_conn)).primary_key == pk


def test_enum_add_values_is_committed_first(pg_conn, base: Database) -> None:
    before = base.enums["public.Role"]
    after = Enum("Role", ["z", "a", "b", "b2", "c", "d"], schema="public")
    statements = BACKEND.render(Change(Action.ALTER, "enum", "e", before=before, after=after,
                                       extra={"added": [("z", None), ("b2", "b"), ("d", "c")]}), RenderOptions())
    assert all(s.commit_first for s in statements)
    assert statements[0].sql == 'ALTER TYPE "public"."Role" ADD VALUE IF NOT EXISTS \'z\' BEFORE \'a\';'
    for s in statements:
        pg_conn.execute(s.sql)
    assert inspect(pg_conn).enums["public.Role"].values == after.values


def test_enum_recreate_keeps_data_and_defaults(pg_conn, base: Database, tmp_path) -> None:
    before = base.enums["public.Role"]
    after = Enum("Role", ["b", "a"], schema="public")
    current = base
    desired = copy.deepcopy(base)
    desired.enums["public.Role"] = after
    change = Change(Action.ALTER, "enum", "e", before=before, after=after,
                    extra={"recreate": True, "columns": [("public.order", "role"), ("public.order", "roles")]})
    from reconciler.backends.postgres import enrich_enum_changes
    enrich_enum_changes([change], current, desired)
    apply_changes(pg_conn, [change])
    live = inspect(pg_conn)
    assert live.enums["public.Role"].values == ["b", "a"]
    assert order_table(live).columns["role"].default == Default("'a'::public.\"Role\"")
    assert pg_conn.execute('SELECT role::text, roles::text FROM "order"').fetchone() == ("b", "{a,b}")
    assert not pg_conn.execute("SELECT 1 FROM pg_type WHERE typname = 'Role__old'").fetchall()


def test_enum_schema_extension_create_and_drop(pg_conn) -> None:
    enum = Enum("mood", ["ok"], schema="s", comment="feelings")
    ext = Extension("hstore", schema="s")
    apply_changes(pg_conn, [Change(Action.CREATE, "schema", "s", after="s"),
                            Change(Action.CREATE, "extension", "x", after=ext),
                            Change(Action.CREATE, "enum", "e", after=enum)])
    live = BACKEND.inspect(pg_conn, Database("postgres", schemas=["s"]))
    assert live.enums == {"s.mood": enum} and live.extensions == {"hstore": ext}
    apply_changes(pg_conn, [Change(Action.DROP, "enum", "e", before=enum),
                            Change(Action.DROP, "extension", "x", before=ext),
                            Change(Action.DROP, "schema", "s", before="s")])
    assert BACKEND.inspect(pg_conn, Database("postgres", schemas=["s"])).schemas == []


def test_statements_end_with_semicolon_and_quote_identifiers(base: Database) -> None:
    options = RenderOptions(online=True)
    table = order_table(base)
    for change in [Change(Action.DROP, "index", "i", before=table.indexes["order_code_idx"], table="public.order"),
                   Change(Action.DROP, "column", "c", before=table.columns["code"], table="public.order")]:
        for statement in BACKEND.render(change, options):
            assert statement.sql.endswith(";")
            assert '"public".' in statement.sql
            assert statement.lock_timeout == options.lock_timeout


def test_unknown_change_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot render"):
        BACKEND.render(Change(Action.CREATE, "collection", "x"), RenderOptions())


def test_constraint_rename(pg_conn, base: Database) -> None:
    table = order_table(base)
    pk = table.primary_key
    renamed_pk = PrimaryKey("order_pk", pk.columns)
    check = table.checks["order_n_check"]
    renamed_check = CheckConstraint("n_positive", check.expression)
    apply_changes(pg_conn, [
        Change(Action.RENAME, "primary_key", "pk", before=pk, after=renamed_pk, table="public.order"),
        Change(Action.RENAME, "check", "ck", before=check, after=renamed_check, table="public.order")])
    live = order_table(inspect(pg_conn))
    assert live.primary_key == renamed_pk and live.checks == {"n_positive": renamed_check}
