"""The shared spec writer's layout.

The backend tests compare documents as dicts, so they do not pin key order;
`inspect` output is YAML in insertion order, the same for every dialect.
"""

from __future__ import annotations

from reconciler.backends.postgres.to_spec import to_spec as postgres_to_spec
from reconciler.backends.sqlite.to_spec import to_spec as sqlite_to_spec
from reconciler.model import Column, Database, ForeignKey, Index, IndexElement, Table


def _model(dialect: str) -> Database:
    table = Table(name="child")
    for name in ("a", "b", "c"):
        table.columns[name] = Column(name, "INTEGER")
    table.indexes["child_a_idx"] = Index("child_a_idx", [IndexElement(column="a")])
    table.foreign_keys["pair"] = ForeignKey("pair", ["a", "b"], "parent", ["x", "y"])
    return Database(dialect, tables={"child": table})


def test_layout_is_the_same_for_every_dialect() -> None:
    for to_spec, dialect in ((postgres_to_spec, "postgres"), (sqlite_to_spec, "sqlite")):
        table = to_spec(_model(dialect))["tables"]["child"]
        assert list(table) == ["columns", "indexes", "foreign_keys"]
        [pair] = table["foreign_keys"]
        assert list(pair.items()) == [("name", "pair"), ("columns", ["a", "b"]), ("references", "parent(x, y)")]


def test_initially_deferred_foreign_key_is_never_inlined() -> None:
    model = _model("sqlite")
    # NOT DEFERRABLE INITIALLY DEFERRED reads back as initially deferred only; the column shorthand would lose it.
    model.tables["child"].foreign_keys["child_c_fkey"] = ForeignKey("child_c_fkey", ["c"], "parent", ["z"],
                                                                    initially_deferred=True)
    table = sqlite_to_spec(model)["tables"]["child"]
    _, deferred = table["foreign_keys"]
    assert deferred["initially_deferred"] and "references" not in table["columns"]["c"]
