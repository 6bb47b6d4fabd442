"""Inspection of hand-written schemas, and inspect -> spec -> model round trips."""

from __future__ import annotations

import yaml

from reconciler.backends.sqlite import BACKEND
from reconciler.backends.sqlite.ddl import parse_create_index, parse_create_table
from reconciler.model import CheckConstraint, ForeignKey, IndexElement, PrimaryKey, UniqueConstraint, to_plain

from .helpers import apply, model_from_yaml, plan
from .test_apply import NAMED
from .test_build import SAMPLE

HAND_WRITTEN = """
CREATE TABLE parent (id integer primary key, code text unique);
CREATE TABLE [child] (
  id INTEGER NOT NULL CONSTRAINT child_pk PRIMARY KEY,
  `parent_id` int REFERENCES parent ON DELETE CASCADE,
  qty numeric(10, 2) DEFAULT (1 + 1) CHECK (qty >= 0),
  label TEXT COLLATE NOCASE DEFAULT 'x',
  CONSTRAINT child_label_qty UNIQUE (label, qty),
  CHECK (length(label) < 100)
);
CREATE INDEX child_expr ON child (lower(label) COLLATE nocase DESC, qty) WHERE qty > 0;
"""


def test_hand_written_schema_reads_with_default_names(conn) -> None:
    conn.executescript(HAND_WRITTEN)
    db = BACKEND.inspect(conn, None)
    parent, child = db.tables["parent"], db.tables["child"]
    assert parent.primary_key == PrimaryKey("parent_pkey", ["id"])
    assert parent.uniques == {"parent_code_key": UniqueConstraint("parent_code_key", ["code"])}
    assert not parent.columns["id"].nullable and not child.columns["id"].nullable
    assert child.primary_key == PrimaryKey("child_pk", ["id"])
    assert child.columns["qty"].type == "NUMERIC(10,2)"
    assert child.columns["qty"].default.expression == "1 + 1"
    assert child.columns["label"].collation == "NOCASE"
    assert child.foreign_keys == {"child_parent_id_fkey": ForeignKey(
        "child_parent_id_fkey", ["parent_id"], "parent", ["id"], on_delete="cascade")}
    assert child.checks == {
        "child_qty_check": CheckConstraint("child_qty_check", "qty >= 0"),
        "child_check": CheckConstraint("child_check", "length(label) < 100")}
    assert child.uniques["child_label_qty"].columns == ["label", "qty"]
    index = child.indexes["child_expr"]
    assert index.elements == [IndexElement(expression="lower(label)", collation="nocase", descending=True),
                              IndexElement(column="qty")]
    assert index.where == "qty > 0"


def test_inspected_spec_plans_empty(tmp_path, conn) -> None:
    conn.executescript(HAND_WRITTEN)
    document = BACKEND.to_spec(BACKEND.inspect(conn, None))
    text = yaml.safe_dump(document, sort_keys=False)
    desired = model_from_yaml(tmp_path, text.split("dialect: sqlite\n", 1)[1], "inspected.yaml")
    assert plan(conn, desired)[1] == []


def test_to_spec_round_trips_what_schemactl_wrote(tmp_path, conn) -> None:
    for spec in (SAMPLE, NAMED):
        for table in list(BACKEND.inspect(conn, None).tables):
            conn.execute(f'DROP TABLE "{table}"')
        desired = model_from_yaml(tmp_path, spec, "source.yaml")
        apply(conn, desired)
        live = BACKEND.inspect(conn, None)
        text = yaml.safe_dump(BACKEND.to_spec(live), sort_keys=False)
        again = model_from_yaml(tmp_path, text.split("dialect: sqlite\n", 1)[1], "inspected.yaml")
        assert to_plain(again) == to_plain(BACKEND.canonicalize(conn, again, live)) == to_plain(live)


def test_ddl_parser_keeps_source_text() -> None:
    table = parse_create_table(
        'CREATE TABLE "t" ("a b" TEXT CONSTRAINT "c1" CHECK ("a b" <> \'x,y\'), n INT,'
        ' CONSTRAINT "fk" FOREIGN KEY (n) REFERENCES p (id) NOT DEFERRABLE)')
    check, fk = table.constraints
    assert (check.name, check.expression, check.column) == ("c1", "\"a b\" <> 'x,y'", "a b")
    assert (fk.name, fk.columns, fk.ref_table, fk.deferrable) == ("fk", ("n",), "p", False)
    index = parse_create_index('CREATE UNIQUE INDEX "i" ON "t" ("a b" ASC, (n + 1) DESC) WHERE n IN (1, 2)')
    assert [e.text for e in index.elements] == ['"a b"', "(n + 1)"]
    assert index.where == "n IN (1, 2)"
