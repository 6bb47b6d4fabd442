"""Pure diff and planning: no database involved."""

from __future__ import annotations

import pytest

from reconciler.apply import Guards, check_guards
from reconciler.backends import get_backend
from reconciler.changes import Action, Hazard
from reconciler.errors import PlanError
from reconciler.model import Column, Database, Enum, ForeignKey, Index, IndexElement, PrimaryKey, Table
from reconciler.plan import Plan, PlannedChange
from reconciler.relational import diff_databases
from reconciler.relational.order import relational_order


def table(name, *columns, fks=(), indexes=(), **kw):
    t = Table(name=name, schema="public", columns={c.name: c for c in columns}, **kw)
    t.primary_key = PrimaryKey(f"{name}_pkey", ["id"]) if "id" in t.columns else None
    t.foreign_keys = {fk.name: fk for fk in fks}
    t.indexes = {ix.name: ix for ix in indexes}
    return t


def db(*tables, enums=()):
    return Database(dialect="postgres", schemas=["public"], tables={t.key: t for t in tables},
                    enums={e.key: e for e in enums})


def fk(name, col, ref):
    return ForeignKey(name=name, columns=[col], ref_table=ref, ref_columns=["id"], ref_schema="public")


ID = Column("id", "integer")


def addresses(changes):
    return [f"{c.action.symbol} {c.address}" for c in changes]


def test_identical_models_have_no_changes():
    a = db(table("users", ID, Column("email", "text")), enums=[Enum("role", ["a", "b"], "public")])
    b = db(table("users", ID, Column("email", "text")), enums=[Enum("role", ["a", "b"], "public")])
    assert diff_databases(a, b) == []


def test_create_order_puts_enums_first_and_foreign_keys_last_breaking_cycles():
    a = table("a", ID, Column("b_id", "integer"), fks=[fk("a_b_id_fkey", "b_id", "b")])
    b = table("b", ID, Column("a_id", "integer", nullable=True), fks=[fk("b_a_id_fkey", "a_id", "a")],
              indexes=[Index("b_a_id_idx", [IndexElement(column="a_id")])])
    desired = db(a, b, enums=[Enum("role", ["x"], "public")])
    # Enums are PostgreSQL's kind: its backend's order places them (kinds/enum.py ORDER).
    ordered = get_backend("postgres").order(diff_databases(db(), desired))
    assert addresses(ordered) == [
        "+ enum public.role", "+ table public.a", "+ table public.b", "+ index public.b.b_a_id_idx",
        "+ foreign_key public.a.a_b_id_fkey", "+ foreign_key public.b.b_a_id_fkey",
    ]


def test_dropping_a_column_drops_its_index_first_and_carries_data_loss():
    live = db(table("t", ID, Column("old", "text"), indexes=[Index("t_old_idx", [IndexElement(column="old")])]))
    ordered = relational_order(diff_databases(live, db(table("t", ID))))
    assert addresses(ordered) == ["- index public.t.t_old_idx", "- column public.t.old"]
    assert Hazard.DATA_LOSS in ordered[1].hazards
    assert Hazard.INDEX_DROPPED in ordered[0].hazards


def test_column_attribute_changes_are_listed():
    live = db(table("t", ID, Column("c", "text", nullable=True)))
    want = db(table("t", ID, Column("c", "public.role", comment="the role")))
    [change] = diff_databases(live, want)
    assert change.action == Action.ALTER
    assert [(a.name, a.old, a.new) for a in change.attributes] == [
        ("type", "text", "public.role"), ("nullable", True, False), ("comment", None, "the role")]


def test_enum_values_added_in_position_or_recreated():
    live = db(enums=[Enum("role", ["a", "c"], "public")])
    [added] = diff_databases(live, db(enums=[Enum("role", ["a", "b", "c", "d"], "public")]))
    assert added.extra["added"] == [("b", "a"), ("d", "c")]
    assert not added.hazards
    users = table("u", ID, Column("r", "public.role"))
    live = db(users, enums=[Enum("role", ["a", "b"], "public")])
    [recreate] = diff_databases(live, db(users, enums=[Enum("role", ["b"], "public")]))
    assert recreate.extra["recreate"] and recreate.extra["columns"] == [("public.u", "r")]
    assert Hazard.DATA_LOSS in recreate.hazards


def test_table_rename_keeps_the_table_and_fails_when_nothing_to_rename():
    live = db(table("people", ID))
    want = db(table("users", ID, renamed_from="people"))
    rename, pk_rename = diff_databases(live, want)
    assert rename.action == Action.RENAME and rename.attributes[0].old == "people"
    # The primary key keeps its old name on a table rename; it is renamed, not rebuilt.
    assert pk_rename.action == Action.RENAME and pk_rename.address == "primary_key public.users"
    assert (pk_rename.attributes[0].old, pk_rename.attributes[0].new) == ("people_pkey", "users_pkey")
    assert diff_databases(db(table("users", ID)), want) == []
    assert addresses(relational_order([pk_rename, rename])) == ["~ table public.users", "~ primary_key public.users"]
    with pytest.raises(PlanError, match="neither exists"):
        diff_databases(db(table("other", ID)), want)


def test_column_rename_then_change():
    live = db(table("t", ID, Column("fullname", "text")))
    want = db(table("t", ID, Column("name", "text", nullable=True, renamed_from="fullname")))
    changes = relational_order(diff_databases(live, want))
    assert addresses(changes) == ["~ column public.t.name", "~ column public.t.name"]
    assert changes[0].action == Action.RENAME and changes[1].attributes[0].name == "nullable"


def test_prevent_destroy_marks_column_drops_in_protected_tables():
    live = db(table("t", ID, Column("c", "text")))
    [change] = diff_databases(live, db(table("t", ID, prevent_destroy=True)))
    assert change.prevented
    plan = Plan("postgres", "x", [PlannedChange(change, [])], "s", "f")
    with pytest.raises(PlanError, match="prevent_destroy"):
        check_guards(plan, Guards(allow_destroy=True))


def test_guards_require_allow_destroy_and_named_hazards():
    live = db(table("t", ID, Column("c", "text")))
    changes = diff_databases(live, db(table("t", ID)))
    plan = Plan("postgres", "x", [PlannedChange(c, []) for c in changes], "s", "f")
    with pytest.raises(PlanError, match="--allow-destroy") as exc:
        check_guards(plan, Guards())
    assert "- column public.t.c" in str(exc.value)
    check_guards(plan, Guards(allow_destroy=True))
    changes[0].hazards.append(Hazard.TABLE_REWRITE)
    with pytest.raises(PlanError, match="--allow-hazards table_rewrite"):
        check_guards(plan, Guards(allow_destroy=True))
    check_guards(plan, Guards(allow_destroy=True, allow_hazards={"table_rewrite"}))


def test_plan_counts_replace_as_add_and_destroy():
    live = db(table("t", ID, Column("c", "text"), indexes=[Index("i", [IndexElement(column="c")])]))
    want = db(table("t", ID, Column("c", "text"), indexes=[Index("i", [IndexElement(column="c")], unique=True)]))
    changes = diff_databases(live, want)
    assert [c.action for c in changes] == [Action.REPLACE]
    assert Plan("postgres", "x", [PlannedChange(c, []) for c in changes], "s", "f").counts() == (1, 0, 1)


def test_renames_carry_keys_indexes_and_foreign_keys_in_other_tables_along():
    people = table("people", ID, Column("full_name", "text"),
                   indexes=[Index("people_full_name_idx", [IndexElement(column="full_name")])])
    notes = table("notes", ID, Column("person_id", "integer"), fks=[fk("notes_person_id_fkey", "person_id", "people")])
    users = table("users", ID, Column("name", "text", renamed_from="full_name"), renamed_from="people",
                  indexes=[Index("users_name_idx", [IndexElement(column="name")])])
    notes_after = table("notes", ID, Column("person_id", "integer"),
                        fks=[fk("notes_person_id_fkey", "person_id", "users")])
    changes = relational_order(diff_databases(db(people, notes), db(users, notes_after)))
    assert addresses(changes) == ["~ table public.users", "~ column public.users.name",
                                  "~ index public.users.users_name_idx", "~ primary_key public.users"]
    assert all(c.action == Action.RENAME for c in changes)


def test_index_rename_renames_and_refuses_to_guess():
    name_idx = Index("users_name_idx", [IndexElement(column="name")])
    live = db(table("users", ID, Column("name", "text"), indexes=[name_idx]))
    wanted = Index("users_by_name", [IndexElement(column="name")], renamed_from="users_name_idx")
    changes = diff_databases(live, db(table("users", ID, Column("name", "text"), indexes=[wanted])))
    assert addresses(changes) == ["~ index public.users.users_by_name"]
    assert changes[0].action is Action.RENAME
    # Already renamed by an earlier apply: nothing to do.
    done = db(table("users", ID, Column("name", "text"), indexes=[Index("users_by_name", name_idx.elements)]))
    assert diff_databases(done, db(table("users", ID, Column("name", "text"), indexes=[wanted]))) == []
    missing = Index("users_by_name", name_idx.elements, renamed_from="no_such_idx")
    with pytest.raises(PlanError, match="neither exists"):
        diff_databases(live, db(table("users", ID, Column("name", "text"), indexes=[missing])))
    both = db(table("users", ID, Column("name", "text"),
                    indexes=[name_idx, Index("users_by_name", name_idx.elements)]))
    with pytest.raises(PlanError, match="both exist"):
        diff_databases(both, db(table("users", ID, Column("name", "text"), indexes=[wanted])))


def test_column_rename_from_a_missing_column_refuses_to_guess():
    live = db(table("users", ID, Column("name", "text")))
    wanted = db(table("users", ID, Column("full_name", "text", renamed_from="nickname")))
    with pytest.raises(PlanError, match="neither exists"):
        diff_databases(live, wanted)


def test_model_values_in_attribute_changes_are_shown_by_field():
    # The model dataclasses have __slots__ (no __dict__): lists of them still render as their fields.
    from reconciler.formats.common import describe_value
    from reconciler.model import IndexElement

    assert describe_value([IndexElement(column="a", descending=True)]) == (
        '[{"column": "a", "expression": null, "descending": true, "nulls": null, "opclass": null, "collation": null}]')


def test_placements_run_next_to_their_anchors_in_any_declaration_order():
    from reconciler.changes import Change
    from reconciler.relational.order import Placement

    # "b" is anchored on "a", declared first: it is placed once "a" is.
    placements = [Placement("b", (Action.CREATE,), before=("a", Action.CREATE)),
                  Placement("a", (Action.CREATE,), before=("table", Action.CREATE)),
                  Placement("a", (Action.DROP,), after=("table", Action.DROP))]
    changes = [Change(Action.DROP, "a", "a x"), Change(Action.DROP, "table", "table t"),
               Change(Action.CREATE, "table", "table u"), Change(Action.CREATE, "a", "a y"),
               Change(Action.CREATE, "b", "b z")]
    ordered = [c.address for c in relational_order(changes, placements=placements)]
    assert ordered == ["b z", "a y", "table u", "table t", "a x"]


def test_a_placement_without_its_anchor_is_refused():
    from reconciler.relational.order import Placement

    with pytest.raises(ValueError, match="anchors"):
        relational_order([], placements=[Placement("a", (Action.CREATE,), before=("nothing", Action.CREATE))])
    with pytest.raises(ValueError, match="one anchor"):
        Placement("a", (Action.CREATE,), before=("table", Action.CREATE), after=("table", Action.DROP))
