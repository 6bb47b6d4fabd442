from __future__ import annotations

import pytest

from reconciler.backends import RenderOptions
from reconciler.backends.postgres import BACKEND
from reconciler.backends.postgres.hazards import type_change_effect
from reconciler.changes import Action, AttributeChange, Change, Hazard
from reconciler.model import Column, Default, Enum, Index, IndexElement, Table, UniqueConstraint


def hazards(change: Change, online: bool = False) -> set[Hazard]:
    return set(BACKEND.annotate_hazards(change, RenderOptions(online=online)).hazards)


@pytest.mark.parametrize(("old", "new", "effect"), [
    ("character varying(10)", "character varying(20)", "free"),
    ("character varying(10)", "text", "free"),
    ("character varying(10)", "character varying", "free"),
    ("character varying(20)", "character varying(10)", "narrowing"),
    ("numeric(10,2)", "numeric(12,2)", "free"),
    ("numeric(10,2)", "numeric(10,1)", "narrowing"),
    ("numeric(10,2)", "numeric", "free"),
    ("timestamp(3) without time zone", "timestamp(6) without time zone", "free"),
    ("timestamp(6) without time zone", "timestamp(3) without time zone", "narrowing"),
    ("bigint", "integer", "narrowing"),
    ("integer", "bigint", "rewrite"),
    ("text", "integer", "rewrite"),
])
def test_type_change_effect(old: str, new: str, effect: str) -> None:
    assert type_change_effect(old, new) == effect


def column_alter(before: Column, after: Column, *names: str) -> Change:
    return Change(Action.ALTER, "column", "c", before=before, after=after, table="public.t",
                  attributes=[AttributeChange(n, getattr(before, n), getattr(after, n)) for n in names])


def test_drops_lose_data() -> None:
    assert Hazard.DATA_LOSS in hazards(Change(Action.DROP, "table", "t", before=Table("t", "public")))
    assert Hazard.DATA_LOSS in hazards(Change(Action.DROP, "column", "c", before=Column("c", "text")))
    removed = Change(Action.ALTER, "enum", "e", before=Enum("e", ["a", "b"]), after=Enum("e", ["a"]),
                     extra={"recreate": True, "columns": [("public.t", "c")]})
    assert {Hazard.DATA_LOSS, Hazard.TABLE_REWRITE} <= hazards(removed)
    added = Change(Action.ALTER, "enum", "e", before=Enum("e", ["a"]), after=Enum("e", ["a", "b"]))
    assert hazards(added) == set()


def test_type_changes() -> None:
    widen = column_alter(Column("c", "character varying(10)"), Column("c", "character varying(20)"), "type")
    assert Hazard.TABLE_REWRITE not in hazards(widen)
    rewrite = column_alter(Column("c", "text"), Column("c", "integer"), "type")
    assert {Hazard.TABLE_REWRITE, Hazard.ACCESS_EXCLUSIVE_LOCK, Hazard.MAY_FAIL_ON_DATA} <= hazards(rewrite)
    narrow = column_alter(Column("c", "bigint"), Column("c", "integer"), "type")
    assert Hazard.DATA_LOSS in hazards(narrow)


def test_not_null_and_new_columns() -> None:
    set_not_null = column_alter(Column("c", "text", nullable=True), Column("c", "text"), "nullable")
    assert {Hazard.FULL_SCAN_VALIDATION, Hazard.MAY_FAIL_ON_DATA} <= hazards(set_not_null)
    assert hazards(Change(Action.CREATE, "column", "c", after=Column("c", "text"))) == {Hazard.MAY_FAIL_ON_DATA}
    assert hazards(Change(Action.CREATE, "column", "c", after=Column("c", "text", default=Default("'x'")))) == set()
    uuid = Column("c", "uuid", default=Default("gen_random_uuid()"))
    assert Hazard.TABLE_REWRITE in hazards(Change(Action.CREATE, "column", "c", after=uuid))


def test_indexes_and_constraints() -> None:
    index = Index("i", [IndexElement(column="c")])
    assert Hazard.BLOCKS_WRITES in hazards(Change(Action.CREATE, "index", "i", after=index))
    assert Hazard.BLOCKS_WRITES not in hazards(Change(Action.CREATE, "index", "i", after=index), online=True)
    assert Hazard.INDEX_DROPPED in hazards(Change(Action.DROP, "index", "i", before=index))
    unique = UniqueConstraint("u", ["c"])
    assert {Hazard.MAY_FAIL_ON_DATA, Hazard.FULL_SCAN_VALIDATION} <= hazards(
        Change(Action.CREATE, "unique", "u", after=unique))
    replaced = hazards(Change(Action.REPLACE, "index", "i", before=index, after=index))
    assert {Hazard.INDEX_DROPPED, Hazard.BLOCKS_WRITES} <= replaced
