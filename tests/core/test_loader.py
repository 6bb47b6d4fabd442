"""Spec loading: positions, env interpolation, directory merge, JSON Schema errors."""

from __future__ import annotations

import pytest

from reconciler.errors import SpecError, SpecErrors
from reconciler.spec.loader import load_spec
from reconciler.spec.validate import validate_document


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_positions_point_at_the_value(tmp_path):
    path = write(tmp_path, "s.yaml", "version: 1\ndialect: postgres\ntables:\n  users:\n    columns:\n"
                                     "      id: {type: integer}\n")
    loaded = load_spec(path)
    assert loaded.positions.locate(("tables", "users", "columns", "id", "type")) == (str(path), 6, 18)


def test_malformed_yaml_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "bad.yaml", "version: 1\ntables:\n  users: [\n")
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert str(exc.value).startswith(f"{path}:4:1: invalid YAML")


def test_duplicate_key_is_an_error(tmp_path):
    path = write(tmp_path, "dup.yaml", "version: 1\ndialect: postgres\ndialect: sqlite\n")
    with pytest.raises(SpecErrors) as exc:
        load_spec(path)
    assert "dup.yaml:3:1: dialect: duplicate key 'dialect'" in str(exc.value)


def test_env_interpolation_with_fallback_and_missing(tmp_path):
    path = write(tmp_path, "env.yaml", "version: 1\ndialect: postgres\nschema: ${APP_SCHEMA}\n"
                                       "tables: {t: {comment: '${MISSING:-none}', columns: {a: {type: text}}}}\n")
    loaded = load_spec(path, env={"APP_SCHEMA": "app"})
    assert loaded.data["schema"] == "app"
    assert loaded.data["tables"]["t"]["comment"] == "none"
    with pytest.raises(SpecErrors) as exc:
        load_spec(path, env={})
    assert "env.yaml:3:9: schema: environment variable ${APP_SCHEMA} is not set" in str(exc.value)


def test_directory_specs_merge_and_reject_duplicates(tmp_path):
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    write(spec_dir, "a.yaml", "version: 1\ndialect: postgres\ntables:\n  a: {columns: {id: {type: integer}}}\n")
    write(spec_dir, "b.yaml", "version: 1\ndialect: postgres\ntables:\n  b: {columns: {id: {type: integer}}}\n")
    loaded = load_spec(spec_dir)
    assert list(loaded.data["tables"]) == ["a", "b"]
    assert loaded.positions.locate(("tables", "b"))[0].endswith("b.yaml")
    write(spec_dir, "c.yaml", "version: 1\ndialect: postgres\ntables:\n  a: {columns: {id: {type: text}}}\n")
    with pytest.raises(SpecErrors) as exc:
        load_spec(spec_dir)
    assert "c.yaml:4:6: tables.a: table 'a' is defined twice" in str(exc.value)


def test_unknown_key_reports_path_and_allowed_keys(tmp_path):
    path = write(tmp_path, "s.yaml", "version: 1\ndialect: postgres\ntables:\n  users:\n    columns:\n"
                                     "      id: {type: integer, nullabel: true}\n")
    with pytest.raises(SpecError) as exc:
        validate_document(load_spec(path))
    message = str(exc.value)
    assert message.startswith(f"{path}:6:11: tables.users.columns.id: unknown key 'nullabel' "
                              "(did you mean 'nullable'? allowed: ")


def test_wrong_type_and_enum_values(tmp_path):
    path = write(tmp_path, "s.yaml", "version: 1\ndialect: postgres\ntables:\n  users:\n    columns:\n"
                                     "      id: {type: integer, nullable: maybe}\n"
                                     "    foreign_keys:\n      - {columns: [id], references: x(id), on_delete: explode}\n")
    with pytest.raises(SpecErrors) as exc:
        validate_document(load_spec(path))
    text = str(exc.value)
    assert "tables.users.columns.id.nullable: expected boolean, got str 'maybe'" in text
    assert "tables.users.foreign_keys[0].on_delete: 'explode' is not one of" in text


def test_missing_dialect(tmp_path):
    path = write(tmp_path, "s.yaml", "version: 1\ntables: {}\n")
    with pytest.raises(SpecError) as exc:
        validate_document(load_spec(path))
    assert "'dialect' is required" in str(exc.value)


def test_errors_keep_positions_from_the_files(tmp_path):
    path = write(tmp_path, "s.yaml", "version: 1\ndialect: postgres\ntables:\n  users:\n    columns:\n"
                                     "      id: {type: integer, nullabel: true, comment: '${C:-x}'}\n")
    with pytest.raises(SpecError) as exc:
        validate_document(load_spec(path))
    assert str(exc.value).startswith(f"{path}:6:11: tables.users.columns.id: unknown key 'nullabel'")
    path.write_text(path.read_text().replace("nullabel", "nullable"))
    assert load_spec(path).data["tables"]["users"]["columns"]["id"] == {"type": "integer", "nullable": True,
                                                                        "comment": "x"}


def test_yaml_1_2_keeps_no_yes_and_on_as_strings(tmp_path):
    # Under YAML 1.1 the enum value NO would silently become the boolean false.
    path = write(tmp_path, "s.yaml", "version: 1\ndialect: postgres\nenums:\n  country: [GB, NO, SE]\n"
                                     "  answer: [yes, no, on, off]\n")
    data = load_spec(path).data
    assert data["enums"] == {"country": ["GB", "NO", "SE"], "answer": ["yes", "no", "on", "off"]}
    keys = write(tmp_path, "k.yaml", "version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n"
                                     "      1: {type: integer}\n")
    assert list(load_spec(keys).data["tables"]["t"]["columns"]) == ["1"]


def test_the_readme_spec_example_is_valid(tmp_path):
    from pathlib import Path

    from reconciler.spec import load_model

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("## The YAML spec", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    _, model = load_model(write(tmp_path, "readme.yaml", example))
    assert set(model.tables) == {"public.chat_sessions", "public.chat_messages"}
    assert "audit.level" in model.enums and "public.email_address" in model.domains


def test_the_readme_mongodb_example_is_valid(tmp_path):
    from pathlib import Path

    from reconciler.spec import load_model

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("## MongoDB", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    loaded, _ = load_model(write(tmp_path, "mongo.yaml", example))
    assert loaded.data["dialect"] == "mongodb"


@pytest.mark.parametrize("second, message", [
    ("a: {type: text, nullable: 1}", "tables.t2.columns.a.nullable: expected boolean, got int 1"),
    ("a: {type: text, nullable: 1.0}", "tables.t2.columns.a.nullable: expected boolean, got float 1.0"),
    ("a: {type: text, nullabel: true}", "tables.t2.columns.a: unknown key 'nullabel'"),
])
def test_a_column_like_an_earlier_valid_one_is_still_checked(tmp_path, monkeypatch, second, message):
    # Each distinct column, index and foreign key shape is validated once: `1` must not pass as `true`.
    path = write(tmp_path, "s.yaml", "version: 1\ndialect: postgres\ntables:\n"
                                     "  t1:\n    columns:\n      a: {type: text, nullable: true}\n"
                                     f"  t2:\n    columns:\n      {second}\n")
    with pytest.raises(SpecError) as exc:
        validate_document(load_spec(path))
    assert ":9:" in str(exc.value) and message in str(exc.value)


def test_indexes_and_foreign_keys_like_earlier_valid_ones_are_still_checked(tmp_path, monkeypatch):
    table = ("    columns:\n      id: {type: integer, primary_key: true}\n      a: {type: integer}\n"
             "    indexes:\n      - {columns: [a]%s}\n"
             "    foreign_keys:\n      - {columns: [a], references: t1(id)%s}\n")
    path = write(tmp_path, "s.yaml", "version: 1\ndialect: postgres\ntables:\n"
                                     "  t1:\n" + table % ("", "") +
                                     "  t2:\n" + table % (", method: bogus", ", on_delete: explode"))
    with pytest.raises(SpecErrors) as exc:
        validate_document(load_spec(path))
    text = str(exc.value)
    assert "tables.t2.indexes[0].method: 'bogus' is not one of" in text
    assert "tables.t2.foreign_keys[0].on_delete: 'explode' is not one of" in text
    assert "tables.t1" not in text
