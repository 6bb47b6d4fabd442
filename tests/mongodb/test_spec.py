"""Spec -> model: shapes, canonical forms, and errors that name file:line:col and the path."""

from __future__ import annotations

import pytest

from reconciler.backends.mongodb.model import default_index_name
from reconciler.errors import SpecError, SpecErrors
from reconciler.spec import load_model


def errors_of(path: str) -> str:
    with pytest.raises((SpecError, SpecErrors)) as info:
        load_model(path)
    return str(info.value)


def test_builds_model_with_mongodb_names(write_spec):
    path = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              events:
                json_schema: {bsonType: object, required: [at]}
                validation_action: warn
                options: {clustered: true, expire_after_seconds: 3600, change_stream_pre_and_post_images: true}
                indexes:
                  - {keys: [{user_id: 1}, {created_at: -1}]}
                  - {keys: {read_at: 1}, sparse: true, expire_after_seconds: 86400, hidden: false,
                     partial_filter: {read_at: {$exists: true}}}
                  - {name: search, keys: {title: text, body: text}, weights: {title: 10, body: 1}}
        """)
    _, model = load_model(path)
    coll = model.databases["app"].collections["events"]
    assert coll.validator == {"$jsonSchema": {"bsonType": "object", "required": ["at"]}}
    assert coll.validation_action == "warn" and coll.validation_level == "strict"
    assert coll.options == {"clusteredIndex": {"key": {"_id": 1}, "unique": True}, "expireAfterSeconds": 3600,
                            "changeStreamPreAndPostImages": {"enabled": True}}
    assert list(coll.indexes) == ["read_at_1", "search", "user_id_1_created_at_-1"]
    compound = coll.indexes["user_id_1_created_at_-1"]
    assert compound.keys == (("user_id", 1), ("created_at", -1)) and compound.options == {}
    ttl = coll.indexes["read_at_1"]
    # hidden: false is the default and disappears; options use MongoDB's own names.
    assert ttl.options == {"expireAfterSeconds": 86400, "partialFilterExpression": {"read_at": {"$exists": True}},
                           "sparse": True}
    text = coll.indexes["search"]
    assert text.keys == (("body", "text"), ("title", "text"))
    assert text.options == {"weights": {"title": 10}}


def test_default_index_names_follow_mongodb():
    assert default_index_name((("user_id", 1), ("created_at", -1))) == "user_id_1_created_at_-1"
    assert default_index_name((("$**", 1),)) == "$**_1"
    assert default_index_name((("loc", "2dsphere"),)) == "loc_2dsphere"


def test_template_databases(write_spec):
    path = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          tenant: {match: "^t_", collections: {a: {}}}
          listed: {names: [x1, x2], collections: {b: {indexes: [{keys: {k: hashed}}]}}}
        """)
    _, model = load_model(path)
    assert model.databases["tenant"].match == "^t_" and model.databases["listed"].names == ["x1", "x2"]
    assert model.describe() == "0 databases, 2 templates, 2 collections, 1 indexes"


@pytest.mark.parametrize(("snippet", "where", "message"), [
    ("indexes: [{keys: {a: up}}]", "databases.app.collections.c.indexes[0].keys.a", "'up' is not one of"),
    ("indexes: [{keys: {a: 1}, uniq: true}]", "databases.app.collections.c.indexes[0]", "unknown key 'uniq'"),
    ("options: {capped: {size: 10}, colation: {}}", "databases.app.collections.c.options", "unknown key 'colation'"),
    ("indexes: [{keys: {a: text}}, {keys: {b: text}}]", "databases.app.collections.c.indexes[1]",
     "has two text indexes (a_text, b_text); MongoDB allows one"),
    ("indexes: [{keys: {a: 1, b: 1}, expire_after_seconds: 5}]",
     "databases.app.collections.c.indexes[0].expire_after_seconds", "needs a single"),
    ("indexes: [{keys: {a: hashed}, unique: true}]", "databases.app.collections.c.indexes[0].unique",
     "hashed indexes cannot be unique"),
    ("indexes: [{keys: {a: 1}, weights: {a: 2}}]", "databases.app.collections.c.indexes[0].weights",
     "text indexes only"),
    ("indexes: [{name: _id_, keys: {_id: 1}}]", "databases.app.collections.c.indexes[0].name", "never managed"),
    ("indexes: [{keys: {a: 1}}, {name: other, keys: {a: 1}}]", "databases.app.collections.c.indexes[1]",
     "have the same keys"),
    ("options: {expire_after_seconds: 60}", "databases.app.collections.c.options.expire_after_seconds",
     "clustered or timeseries"),
    ("options: {capped: {size: 100}, clustered: true}", "databases.app.collections.c.options.clustered",
     "cannot be combined"),
    ("json_schema: {bsonType: object, properties: {n: {type: integer}}}",
     "databases.app.collections.c.json_schema.properties.n.type", "use bsonType: int or long"),
    ("json_schema: {bsonType: objectt}", "databases.app.collections.c.json_schema.bsonType",
     "unknown bsonType 'objectt'"),
    ("validator: {$jsonSchema: {requried: [a]}}", "databases.app.collections.c.validator.$jsonSchema.requried",
     "unknown $jsonSchema keyword 'requried'"),
    ("validator: {$jsonSchema: {required: a}}", "databases.app.collections.c.validator.$jsonSchema.required",
     "invalid $jsonSchema: 'a' is not of type 'array'"),
    ("validator: {$jsonSchema: {properties: {a: {$ref: '#/x'}}}}",
     "databases.app.collections.c.validator.$jsonSchema.properties.a.$ref", "does not resolve $ref"),
    ("indexes: [{keys: {when: 1}, partial_filter: {when: {$gt: 2024-01-01}}}]",
     "databases.app.collections.c.indexes[0].partial_filter.when.$gt", "date values are not supported"),
])
def test_bad_collection_input_names_file_line_and_path(write_spec, snippet, where, message):
    path = write_spec(f"""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              c: {{{snippet}}}
        """)
    text = errors_of(path)
    assert f"{path}:" in text
    assert f"{where}: " in text, text
    assert message in text, text
    # file:line:col precedes the path (line 6 holds the collection).
    assert f"{path}:6:" in text, text


@pytest.mark.parametrize(("name", "message"), [
    ("'a$b'", "contains '$'"),
    ("system.profile", "reserved system. namespace"),
    ("schemactl_lock", "used by schemactl itself"),
    ("'nul\\0byte'", "NUL byte"),
])
def test_collection_names_mongodb_rejects(write_spec, name, message):
    path = write_spec(f"""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              {name.replace("'", '"')}: {{}}
        """)
    text = errors_of(path)
    assert message in text and f"{path}:6:" in text, text


def test_empty_collection_name(write_spec):
    path = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              "": {}
        """)
    assert "collection name is empty" in errors_of(path)


@pytest.mark.parametrize(("entry", "message"), [
    ('"my.db": {}', "contains '.'"),
    ("admin: {}", "reserved by MongoDB"),
    ('t: {match: "([", collections: {}}', "invalid regular expression"),
    ("t: {names: [ok, 'bad db'], collections: {}}", "contains ' '"),
    ("t: {match: x, names: [a]}", "should not be valid"),
])
def test_database_names(write_spec, entry, message):
    path = write_spec(f"""
        version: 1
        dialect: mongodb
        databases:
          {entry}
        """)
    text = errors_of(path)
    assert message in text and f"{path}:4:" in text, text


def test_several_errors_are_reported_together(write_spec):
    path = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              "a$": {}
              b: {indexes: [{keys: {x: text}}, {keys: {y: text}}]}
        """)
    text = errors_of(path)
    assert "contains '$'" in text and "two text indexes" in text
    assert len(text.splitlines()) == 2


# -- bad input through `schemactl validate`: one file:line:col error per problem, exit 1 ------------


def validate(path: str):
    from click.testing import CliRunner

    from reconciler.cli import main

    return CliRunner().invoke(main, ["validate", path])


@pytest.mark.parametrize(("snippet", "where", "message"), [
    ("indexes: [{keys: {$**: 1}, unique: true}]", "indexes[0].unique", "wildcard indexes cannot be unique"),
    ("indexes: [{keys: {a.$**: 1}, unique: true}]", "indexes[0].unique", "wildcard indexes cannot be unique"),
    ("indexes: [{keys: [{category: 1}, {loc: 2d}]}]", "indexes[0].keys",
     "the 2d key 'loc' must be the first key"),
    ("indexes: [{keys: [{loc: 2d}, {a: 1}, {b: 1}]}]", "indexes[0].keys",
     "a 2d index has the location field and at most one more field"),
    ("indexes: [{keys: [{loc: 2d}, {t: text}]}]", "indexes[0].keys", "the field after a 2d key takes 1 or -1"),
    ("indexes: [{keys: [{loc: 2d}, {other: 2d}]}]", "indexes[0].keys", "the field after a 2d key takes 1 or -1"),
    ("indexes: [{keys: {$**: 2d}}]", "indexes[0].keys", "wildcard key '$**' takes 1, -1 or text, not '2d'"),
])
def test_bad_index_input_is_a_clear_error(write_spec, snippet, where, message):
    path = write_spec(f"""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              c: {{{snippet}}}
        """)
    result = validate(path)
    assert result.exit_code == 1
    assert f"{path}:6:" in result.output and f"databases.app.collections.c.{where}: " in result.output, result.output
    assert message in result.output


def test_a_2d_index_that_mongodb_accepts_is_valid(write_spec):
    path = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              places: {indexes: [{keys: {loc: 2d}}, {keys: [{loc: 2d}, {category: -1}]}]}
        """)
    assert validate(path).exit_code == 0


def test_names_over_mongodb_byte_limits(write_spec):
    long_db = "d" * 64
    path = write_spec(f"""
        version: 1
        dialect: mongodb
        databases:
          {long_db}: {{}}
          t: {{names: [ok, "{'é' * 32}"], collections: {{}}}}
          app:
            collections:
              {"c" * 252}: {{}}
              {"c" * 251}: {{}}
        """)
    result = validate(path)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 3, result.output
    assert lines[0].startswith(f"Error: {path}:4:") and f"database name {long_db!r} is longer than 63 bytes" in lines[0]
    # 32 two-byte characters: 64 bytes.
    assert lines[1].startswith(f"{path}:5:") and "databases.t.names[1]: " in lines[1] and "63 bytes" in lines[1]
    assert lines[2].startswith(f"{path}:8:") and "longer than 255 bytes" in lines[2]
    assert f"namespace app.{'c' * 252}" in lines[2]
