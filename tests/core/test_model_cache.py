"""The model cache: an unchanged spec's model is read back exactly as it was built, and nothing stale is used."""

from __future__ import annotations

import dataclasses
import marshal
import shutil
from pathlib import Path

import pytest

from reconciler import model_codec
from reconciler.backends import get_backend
from reconciler.errors import SpecError
from reconciler.model import Default
from reconciler.spec import desired_model, load_spec
from reconciler.spec import model_cache as model_cache_module
from tests.postgres.test_inspect import expected_model

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def strict(model: object) -> str:
    """Every field, the ones equality ignores (renamed_from, prevent_destroy, using, literal) included."""
    return repr(model)


def test_every_object_kind_round_trips_with_every_field() -> None:
    db = expected_model()
    table = next(t for t in db.tables.values() if t.indexes)
    column = next(iter(table.columns.values()))
    column.renamed_from, column.prevent_destroy, column.using = "old", True, "x::integer"
    column.default = Default("0", literal=True)
    table.renamed_from, table.prevent_destroy = "was", True
    next(iter(table.indexes.values())).renamed_from = "old_idx"
    assert db.domains and db.enums and db.extensions and any(t.foreign_keys for t in db.tables.values())
    decoded = model_codec.decode(marshal.loads(marshal.dumps(model_codec.encode(db))))
    assert strict(decoded) == strict(db)
    # Lists stay lists and records become the model's own classes, not tuples.
    assert type(decoded.tables[table.key].primary_key.columns) is list
    assert all(dataclasses.is_dataclass(c) for c in decoded.tables[table.key].columns.values())


def test_repeated_records_are_stored_once_and_decode_to_separate_objects() -> None:
    from reconciler.model import Column, Database, Index, IndexElement, PrimaryKey, Table

    def table(name: str) -> Table:
        return Table(name, "public", {"id": Column("id", "integer"), "at": Column("at", "timestamp with time zone",
                                                                                  default=Default("now()"))},
                     PrimaryKey(f"{name}_pkey", ["id"]), indexes={"i": Index("i", [IndexElement("at")])})

    db = Database("postgres", ["public"], tables={f"public.t{n}": table(f"t{n}") for n in range(50)})
    data = marshal.loads(marshal.dumps(model_codec.encode(db)))
    records = [dict(t[2]) for _, t in data[5]]
    assert all(r["id"] is records[0]["id"] and r["at"] is records[0]["at"] for r in records)
    # marshal before version 3 writes every occurrence out: the shared form is well under that.
    encoded = model_codec.encode(db)
    assert len(marshal.dumps(encoded)) < 0.6 * len(marshal.dumps(encoded, 2))
    decoded = model_codec.decode(data)
    assert decoded == db
    first, second = decoded.tables["public.t0"], decoded.tables["public.t1"]
    assert first.columns["id"] is not second.columns["id"]  # mutable objects are never shared
    assert first.primary_key.columns is not second.primary_key.columns
    assert first.indexes["i"].elements[0] is not second.indexes["i"].elements[0]


class FakeLive:
    """A live model that is already complete, or never gets past `until`."""

    def __init__(self, live, until: str | None = None, reuse_columns_of: set[str] = frozenset()) -> None:
        self.live, self.until, self.reuse_columns_of, self.asked = live, until, reuse_columns_of, []

    def wait(self, kind):
        self.asked.append(kind)
        return None if kind == self.until else self.live

    def reuse_columns(self, live):
        return lambda key, records: live.tables[key].columns if key in self.reuse_columns_of else None


def test_parts_equal_to_the_live_model_are_the_live_objects_and_the_rest_is_decoded() -> None:
    db = expected_model()
    data = marshal.loads(marshal.dumps(model_codec.encode(db)))
    live = model_codec.decode(data)  # equal, but objects of its own
    first, *others = db.tables
    changed = next(key for key in others if db.tables[key].indexes)
    index = next(iter(live.tables[changed].indexes.values()))
    index.unique = not index.unique
    fake = FakeLive(live, reuse_columns_of={first})
    decoded = model_codec.decode(data, fake)
    assert fake.asked == ["columns", "constraints", "indexes"]
    assert strict(decoded) == strict(db)
    for key, table in decoded.tables.items():
        mine = live.tables[key]
        assert (table.columns is mine.columns) == (key == first)  # as reuse_columns said
        assert table.checks is mine.checks and table.foreign_keys is mine.foreign_keys
        assert table.uniques is mine.uniques and table.primary_key is mine.primary_key
        assert (table.indexes is mine.indexes) == (key != changed)


def test_parts_are_decoded_when_the_live_ones_never_arrive() -> None:
    db = expected_model()
    data = marshal.loads(marshal.dumps(model_codec.encode(db)))
    live = model_codec.decode(data)
    fake = FakeLive(live, until="constraints", reuse_columns_of=set(db.tables))
    decoded = model_codec.decode(data, fake)
    assert fake.asked == ["columns", "constraints"]  # no waiting for indexes of a failed read
    assert strict(decoded) == strict(db)
    assert all(decoded.tables[k].columns is live.tables[k].columns for k in db.tables)
    assert not any(decoded.tables[k].checks is live.tables[k].checks or
                   decoded.tables[k].indexes is live.tables[k].indexes for k in db.tables)
    fake = FakeLive(live, until="columns")
    assert strict(model_codec.decode(data, fake)) == strict(db) and fake.asked == ["columns"]


def test_sharing_keeps_values_that_are_equal_but_of_another_type_apart() -> None:
    # 0 == False in Python: a column must not come back with another column's values.
    from reconciler.model import Column, Database, Table

    db = Database("postgres", ["public"], tables={
        "public.a": Table("a", "public", {"c": Column("c", "text", False)}),
        "public.b": Table("b", "public", {"c": Column("c", "text", 0)}),  # type: ignore[arg-type]
        "public.d": Table("d", "public", {"c": Column("c", "text", False)})})
    data = marshal.loads(marshal.dumps(model_codec.encode(db)))
    columns = [dict(t[2])["c"] for _, t in data[5]]
    assert columns[0] is columns[2] and columns[0] is not columns[1]
    assert type(model_codec.decode(data).tables["public.b"].columns["c"].nullable) is int


def test_the_spec_text_is_hashed_once_for_the_caches_and_the_plan(tmp_path, monkeypatch) -> None:
    import hashlib

    from reconciler.spec import loader

    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "schema.yaml"
    shutil.copy(EXAMPLES / "researchos-chat" / "schema.yaml", spec)
    hashed: list[int] = []
    original = loader.hash_source
    monkeypatch.setattr(loader, "hash_source", lambda source: hashed.append(len(source)) or original(source))
    loaded = load_spec(spec)
    assert loaded.source_hash == "sha256:" + hashlib.sha256(loaded.source.encode()).hexdigest()
    assert loaded.model_file == model_cache_module.cache_file(loaded.source_hash, tmp_path / "cache")
    assert loaded.validated_marker is not None and loaded.source_hash[7:] not in str(loaded.validated_marker)
    assert hashed == [len(loaded.source)]


def test_the_layout_names_every_field_so_a_changed_model_misses_the_cache() -> None:
    assert "Column(name,type,nullable,default," in model_codec.LAYOUT
    assert "ForeignKey(" in model_codec.LAYOUT and "valid)" in model_codec.LAYOUT


@pytest.mark.parametrize("example", ["researchos-chat", "agents-chat", "sqlite-demo"])
def test_an_unchanged_spec_is_read_from_the_cache_without_parsing(example, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "schema.yaml"
    shutil.copy(EXAMPLES / example / "schema.yaml", spec)
    first = load_spec(spec)
    assert first.cached is None
    backend = get_backend(first.data["dialect"])
    built = desired_model(backend, first)
    assert len(list((tmp_path / "cache" / "models").glob("*.marshal"))) == 1

    second = load_spec(spec)
    assert second.cached is not None
    assert second.dialect == first.data["dialect"]
    from_cache = desired_model(backend, second)
    assert strict(from_cache) == strict(built)
    assert second.validated
    assert second._data is None  # the YAML was not parsed
    assert second.data["tables"].keys() == first.data["tables"].keys()  # ... until something asks for it
    # Each load decodes its own copy: planning rewrites the desired model in place.
    assert desired_model(backend, load_spec(spec)) is not from_cache


def test_an_edited_spec_misses_the_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      id: {type: integer}\n")
    desired_model(get_backend("postgres"), load_spec(spec))
    spec.write_text(spec.read_text().replace("integer", "bigint"))
    loaded = load_spec(spec)
    assert loaded.cached is None
    assert desired_model(get_backend("postgres"), loaded).tables["public.t"].columns["id"].type == "bigint"


def test_another_version_of_the_code_misses_the_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      id: {type: integer}\n")
    desired_model(get_backend("postgres"), load_spec(spec))
    monkeypatch.setattr(model_cache_module, "_code_digest", lambda: "edited")
    assert load_spec(spec).cached is None


def test_an_edited_json_schema_misses_the_cache(tmp_path, monkeypatch) -> None:
    # A cached model stands for "passed validation": against another schema it must be validated again.
    from reconciler.spec import validate

    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      id: {type: integer}\n")
    desired_model(get_backend("postgres"), load_spec(spec))
    assert load_spec(spec).cached is not None
    monkeypatch.setattr(validate, "schema_digest", lambda: "another schema")
    assert load_spec(spec).cached is None


def test_a_corrupt_entry_is_rebuilt(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      id: {type: integer}\n")
    built = desired_model(get_backend("postgres"), load_spec(spec))
    [entry] = (tmp_path / "cache" / "models").glob("*.marshal")
    header = marshal.dumps(("postgres", ["public"], [], 1))
    for garbage in (b"\x00garbage", marshal.dumps(("postgres", [], [], [], [], [("t", ("too", "short"))])),
                    header, header + b"\x00garbage", header + marshal.dumps(("postgres", [], [], [], [], [("t", ())]))):
        entry.write_bytes(garbage)
        loaded = load_spec(spec)
        assert strict(desired_model(get_backend("postgres"), loaded)) == strict(built)
    assert strict(model_cache_module.read(entry).model()) == strict(built)  # and rewritten


def test_specs_with_errors_or_environment_references_are_never_cached(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      id: {type: integr}\n")
    for _ in range(2):  # the second load must report the error again, not find a model
        with pytest.raises(SpecError, match='unknown type "integr"'):
            desired_model(get_backend("postgres"), load_spec(bad))
    env = tmp_path / "env.yaml"
    env.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      id: {type: '${T:-integer}'}\n")
    desired_model(get_backend("postgres"), load_spec(env, env={}))
    assert not list((tmp_path / "cache" / "models").glob("*.marshal"))
    assert load_spec(env, env={"T": "bigint"}).cached is None


def test_no_cache_turns_it_off(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCHEMACTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SCHEMACTL_NO_CACHE", "1")
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      id: {type: integer}\n")
    for _ in range(2):
        loaded = load_spec(spec)
        desired_model(get_backend("postgres"), loaded)
        assert loaded.cached is None
    assert not (tmp_path / "cache").exists()
