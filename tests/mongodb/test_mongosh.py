"""mongosh statements round-trip: apply runs exactly the text a reviewer saw."""

from __future__ import annotations

import pytest

from reconciler.backends.mongodb.mongosh import admin_line, command_line, js, parse


@pytest.mark.parametrize("command", [
    {"create": "m", "validator": {"$jsonSchema": {"bsonType": "object", "required": ["a"]}}},
    {"createIndexes": "m", "indexes": [{"key": {"a.b": 1, "$**": -1, "t": "text"}, "name": "x"}]},
    {"collMod": "m", "index": {"name": "i", "hidden": False}, "expireAfterSeconds": "off"},
    {"weird": [1, True, None, 2.5, "x,{y: \"z\"}", {"true": 1, "null": [], "é": "ü"}]},
])
def test_round_trip(command):
    line = command_line("db-1", command)
    assert parse(line) == ("db-1", command)


def test_admin_commands():
    line = admin_line({"renameCollection": "a.b", "to": "a.c"})
    assert line == 'db.adminCommand({renameCollection: "a.b", to: "a.c"});'
    assert parse(line) == ("admin", {"renameCollection": "a.b", "to": "a.c"})


def test_keys_quoted_only_when_needed():
    assert js({"a": 1, "a.b": 2, "$in": [1], "$**": 1, "1x": 0}) == '{a: 1, "a.b": 2, $in: [1], "$**": 1, "1x": 0}'


def test_rejects_other_text():
    with pytest.raises(ValueError):
        parse("db.dropDatabase();")
    with pytest.raises(TypeError):
        js({"a": object()})
