"""Pure diff, order and render: two models in, changes and mongosh statements out."""

from __future__ import annotations

import pytest

from reconciler.backends.mongodb import BACKEND
from reconciler.backends.mongodb.diff import document_diff
from reconciler.changes import Action, Hazard
from reconciler.errors import PlanError
from reconciler.spec import load_model

HEAD = "version: 1\ndialect: mongodb\ndatabases:\n"


@pytest.fixture
def model(write_spec):
    counter = iter(range(1000))

    def build(body: str, discovered: list[str] | None = None):
        path = write_spec(HEAD + body, name=f"s{next(counter)}.yaml")
        m = load_model(path)[1]
        if discovered is not None:
            m.discovered = discovered  # stands in for an inspected model
        return m

    return build


def plan(current, desired):
    canonical = BACKEND.canonicalize(None, desired, current)
    changes = BACKEND.order(BACKEND.diff(current, canonical))
    return [(c, [s.sql for s in BACKEND.render(c, None)]) for c in changes]


def summary(steps):
    return [f"{c.action.symbol} {c.address}" for c, _ in steps]


def test_identical_models_have_no_changes(model):
    body = "  d:\n    collections:\n      c: {indexes: [{keys: {a: 1}, unique: true}]}\n"
    assert plan(model(body, ["d"]), model(body)) == []


def test_validator_change_is_collmod_with_structured_diff(model):
    old = model("""\
  d:
    collections:
      m:
        json_schema: {bsonType: object, required: [a], properties: {role: {enum: [user, bot]}, x: {bsonType: int}}}
""", ["d"])
    new = model("""\
  d:
    collections:
      m:
        json_schema: {bsonType: object, required: [a, b], properties: {role: {enum: [user, bot, agent]},
                      y: {bsonType: string}}}
        validation_action: warn
""")
    (change, sql), = plan(old, new)
    assert change.action == Action.ALTER and change.kind == "collection"
    assert [a.name for a in change.attributes] == ["validator", "validation_action"]
    assert change.extra["attribute_diffs"]["validator"] == [
        '~ $jsonSchema.properties.role.enum: ["user", "bot"] -> ["user", "bot", "agent"]',
        '- $jsonSchema.properties.x: {"bsonType": "int"}',
        '+ $jsonSchema.properties.y: {"bsonType": "string"}',
        '~ $jsonSchema.required: ["a"] -> ["a", "b"]',
    ]
    assert sql == ['db.getSiblingDB("d").runCommand({collMod: "m", validator: {$jsonSchema: {bsonType: "object", '
                   'required: ["a", "b"], properties: {role: {enum: ["user", "bot", "agent"]}, y: {bsonType: '
                   '"string"}}}}, validationLevel: "strict", validationAction: "warn"});']
    assert change.extra["group"] == "collection m (validator, validation_action)"


def test_removing_a_validator(model):
    old = model("  d:\n    collections:\n      m: {json_schema: {bsonType: object}}\n", ["d"])
    new = model("  d:\n    collections:\n      m: {}\n")
    (_, sql), = plan(old, new)
    assert sql == ['db.getSiblingDB("d").runCommand({collMod: "m", validator: {}});']


def test_document_diff_whole_document():
    assert document_diff({}, {"a": 1}) == ["+ a: 1"]


def test_ttl_and_hidden_change_in_place(model):
    old = model("  d:\n    collections:\n      c: {indexes: [{keys: {t: 1}, expire_after_seconds: 60}]}\n", ["d"])
    new = model("  d:\n    collections:\n      c: {indexes: [{keys: {t: 1}, expire_after_seconds: 120, hidden: true}]}\n")
    (change, sql), = plan(old, new)
    assert change.action == Action.ALTER and change.kind == "mongo_index"
    assert sql == ['db.getSiblingDB("d").runCommand({collMod: "c", index: {name: "t_1", expireAfterSeconds: 120}});',
                   'db.getSiblingDB("d").runCommand({collMod: "c", index: {name: "t_1", hidden: true}});']
    assert change.extra["group"] == "index t_1 on c (expire_after_seconds 60 -> 120, hidden false -> true)"


def test_removing_ttl_or_changing_unique_rebuilds_same_name(model):
    old = model("  d:\n    collections:\n      c: {indexes: [{name: i, keys: {t: 1}, expire_after_seconds: 60}]}\n",
                ["d"])
    new = model("  d:\n    collections:\n      c: {indexes: [{name: i, keys: {t: 1}, unique: true}]}\n")
    (change, sql), = plan(old, new)
    assert change.action == Action.REPLACE
    assert set(change.hazards) == {Hazard.INDEX_DROPPED, Hazard.MAY_FAIL_ON_DATA}
    # A unique rebuild first looks for duplicate keys, so that a build bound to fail drops nothing.
    assert sql == ['db.getSiblingDB("d").runCommand({aggregate: "c", pipeline: [{$group: {_id: {k0: "$t"}, count: '
                   '{$sum: 1}}}, {$match: {count: {$gt: 1}}}, {$limit: 1}], cursor: {}, comment: "schemactl: '
                   'duplicate keys for unique index i"});',
                   'db.getSiblingDB("d").runCommand({dropIndexes: "c", index: "i"});',
                   'db.getSiblingDB("d").runCommand({createIndexes: "c", indexes: [{key: {t: 1}, name: "i", '
                   'unique: true}]});']


def test_new_index_is_created_before_the_old_one_is_dropped(model):
    old = model("  d:\n    collections:\n      c: {indexes: [{name: old, keys: {a: 1}}]}\n", ["d"])
    new = model("  d:\n    collections:\n      c: {indexes: [{name: new, keys: [{a: 1}, {b: -1}]}]}\n")
    assert summary(plan(old, new)) == ["+ index d.c.new", "- index d.c.old"]


def test_same_keys_under_a_new_name_drop_first(model):
    # MongoDB refuses a second index with the same key pattern: the old one must go first.
    old = model("  d:\n    collections:\n      c: {indexes: [{name: old, keys: {a: 1}}]}\n", ["d"])
    new = model("  d:\n    collections:\n      c: {indexes: [{name: new, keys: {a: 1}}]}\n")
    assert summary(plan(old, new)) == ["- index d.c.old", "+ index d.c.new"]


def test_creation_time_option_change_replaces_collection(model):
    old = model("  d:\n    collections:\n      c: {options: {capped: {size: 4096}}, indexes: [{keys: {a: 1}}]}\n",
                ["d"])
    new = model("  d:\n    collections:\n      c: {options: {capped: {size: 8192}}, indexes: [{keys: {a: 1}}],"
                " prevent_destroy: true}\n")
    steps = plan(old, new)
    assert summary(steps) == ["-/+ collection d.c", "+ index d.c.a_1"]
    replace = steps[0][0]
    assert replace.hazards == [Hazard.DATA_LOSS] and replace.prevented
    assert [(a.name, a.old, a.new) for a in replace.attributes] == [("size", 4096, 8192)]
    assert steps[0][1] == ['db.getSiblingDB("d").runCommand({drop: "c"});',
                           'db.getSiblingDB("d").runCommand({create: "c", capped: true, size: 8192});']


def test_collection_ttl_and_images_change_in_place(model):
    old = model("  d:\n    collections:\n      c: {options: {clustered: true, expire_after_seconds: 60}}\n", ["d"])
    new = model("  d:\n    collections:\n      c: {options: {clustered: true, change_stream_pre_and_post_images: true}}\n")
    (change, sql), = plan(old, new)
    assert change.action == Action.ALTER
    assert sql == ['db.getSiblingDB("d").runCommand({collMod: "c", expireAfterSeconds: "off", '
                   'changeStreamPreAndPostImages: {enabled: true}});']


def test_rename_collection_and_missing_source(model):
    old = model("  d:\n    collections:\n      old: {indexes: [{keys: {a: 1}}]}\n", ["d"])
    new = model("  d:\n    collections:\n      new: {renamed_from: old, indexes: [{keys: {a: 1}}]}\n")
    (change, sql), = plan(old, new)
    assert change.action == Action.RENAME
    assert sql == ['db.adminCommand({renameCollection: "d.old", to: "d.new", dropTarget: false});']
    empty = model("  d:\n    collections: {}\n", ["d"])
    with pytest.raises(PlanError, match="neither d.new nor d.old exists"):
        plan(empty, new)


def test_drop_collection_and_index_hazards(model):
    old = model("  d:\n    collections:\n      a: {}\n      b: {indexes: [{keys: {x: 1}}]}\n", ["d"])
    new = model("  d:\n    collections:\n      b: {}\n")
    steps = plan(old, new)
    assert summary(steps) == ["- index d.b.x_1", "- collection d.a"]
    assert steps[1][0].hazards == [Hazard.DATA_LOSS] and steps[0][0].hazards == [Hazard.INDEX_DROPPED]


def test_templates_expand_against_discovered_databases_and_group(model):
    current = model("  shared:\n    collections: {c: {}}\n", ["shared", "t_a", "t_b", "other"])
    for name in ("t_a", "t_b"):
        current.databases[name] = type(current.databases["shared"])(name=name)
    desired = model("  shared:\n    collections: {c: {}}\n  tenant:\n    match: '^t_'\n"
                    "    collections: {m: {indexes: [{name: idx_read, keys: {read_at: 1}, sparse: true}]}}\n")
    steps = plan(current, desired)
    assert summary(steps) == ["+ collection t_a.m", "+ index t_a.m.idx_read", "+ collection t_b.m",
                              "+ index t_b.m.idx_read"]
    groups = {(c.extra["database"], c.extra["group"]) for c, _ in steps}
    assert ("t_a", "index idx_read on m") in groups and ("t_b", "index idx_read on m") in groups
    assert all(c.extra["template"] == "tenant" for c, _ in steps)


def test_offline_diff_compares_templates_by_key(model):
    old = model("  tenant:\n    match: '^t_'\n    collections: {m: {}}\n")
    new = model("  tenant:\n    match: '^t_'\n    collections: {m: {indexes: [{keys: {a: 1}}]}}\n")
    steps = plan(old, new)
    assert summary(steps) == ["+ index tenant.m.a_1"]


def test_collation_written_partially_settles_on_the_live_spelling(model):
    old = model("  d:\n    collections:\n      c: {options: {collation: {locale: fr_CA, backwards: true}}}\n", ["d"])
    new = model("  d:\n    collections:\n      c: {options: {collation: {locale: fr_CA}}}\n")
    assert plan(old, new) == []


def test_render_is_byte_stable(model):
    body = ("  d:\n    collections:\n      c:\n        json_schema: {bsonType: object, properties: {b: {}, a: {}}}\n"
            "        indexes: [{keys: {z: 1, a: -1}, partial_filter: {z: {$gt: 1}, a: {$exists: true}}}]\n")
    first = plan(model("  d:\n    collections: {}\n", ["d"]), model(body))
    second = plan(model("  d:\n    collections: {}\n", ["d"]), model(body))
    assert [s for _, s in first] == [s for _, s in second]
    assert first[1][1] == ['db.getSiblingDB("d").runCommand({createIndexes: "c", indexes: [{key: {z: 1, a: -1}, '
                           'name: "z_1_a_-1", partialFilterExpression: {z: {$gt: 1}, a: {$exists: true}}}]});']


# -- regressions ----------------------------------------------------------------------------------


def test_unhiding_an_index_sends_hidden_false(model):
    # A real server refuses `hidden: null` (collMod wants a boolean).
    old = model("  d:\n    collections:\n      c: {indexes: [{keys: {t: 1}, hidden: true}]}\n", ["d"])
    for body in ("  d:\n    collections:\n      c: {indexes: [{keys: {t: 1}}]}\n",
                 "  d:\n    collections:\n      c: {indexes: [{keys: {t: 1}, hidden: false}]}\n"):
        (change, sql), = plan(old, model(body))
        assert change.action == Action.ALTER
        assert sql == ['db.getSiblingDB("d").runCommand({collMod: "c", index: {name: "t_1", hidden: false}});']
        assert change.extra["group"] == "index t_1 on c (hidden true -> false)"


def _with_live_collation(collection_model, collation):
    # Stands in for an inspected model: the server's answer goes through the same normalisation.
    from reconciler.backends.mongodb.normalize import collation as normalise

    collection_model.options["collation"] = normalise(collation)
    return collection_model


def test_removing_collation_fields_replaces_the_collection(model):
    old = model("  d:\n    collections:\n      c: {options: {collation: {locale: fr, strength: 2}}}\n", ["d"])
    new = model("  d:\n    collections:\n      c: {options: {collation: {locale: fr}}}\n")
    (replace, sql), = plan(old, new)
    assert replace.action == Action.REPLACE and replace.hazards == [Hazard.DATA_LOSS]
    assert [(a.name, a.old, a.new) for a in replace.attributes] == [
        ("collation", {"locale": "fr", "strength": 2}, {"locale": "fr"})]
    assert sql[0] == 'db.getSiblingDB("d").runCommand({drop: "c"});'


def test_removing_index_collation_fields_rebuilds_the_index(model):
    old = model("  d:\n    collections:\n      c: {indexes: [{name: i, keys: {n: 1}, "
                "collation: {locale: fr, strength: 2}}]}\n", ["d"])
    new = model("  d:\n    collections:\n      c: {indexes: [{name: i, keys: {n: 1}, collation: {locale: fr}}]}\n")
    (change, sql), = plan(old, new)
    assert change.action == Action.REPLACE and Hazard.INDEX_DROPPED in change.hazards
    assert sql == ['db.getSiblingDB("d").runCommand({dropIndexes: "c", index: "i"});',
                   'db.getSiblingDB("d").runCommand({createIndexes: "c", indexes: [{key: {n: 1}, name: "i", '
                   'collation: {locale: "fr"}}]});']


def test_server_filled_collation_defaults_compare_equal(model):
    full = {"locale": "fr", "caseLevel": False, "caseFirst": "off", "strength": 3, "numericOrdering": False,
            "alternate": "non-ignorable", "maxVariable": "punct", "normalization": False, "backwards": False,
            "version": "57.1"}
    live = model("  d:\n    collections:\n      c: {}\n", ["d"])
    _with_live_collation(live.databases["d"].collections["c"], full)
    assert plan(live, model("  d:\n    collections:\n      c: {options: {collation: {locale: fr}}}\n")) == []
    # fr_CA sorts accents backwards by default (MongoDB manual, "Collation Locales and Default Parameters").
    live_ca = model("  d:\n    collections:\n      c: {}\n", ["d"])
    _with_live_collation(live_ca.databases["d"].collections["c"], {**full, "locale": "fr_CA", "backwards": True})
    assert plan(live_ca, model("  d:\n    collections:\n      c: {options: {collation: {locale: fr_CA}}}\n")) == []
    # ... so asking fr_CA for forward accents is a real difference, not a default.
    (change, _), = plan(live_ca, model("  d:\n    collections:\n      c: {options: {collation: "
                                       "{locale: fr_CA, backwards: false}}}\n"))
    assert change.action == Action.REPLACE


def test_same_name_change_to_unique_checks_duplicates_before_dropping(model):
    old = model("  d:\n    collections:\n      c: {indexes: [{name: i, keys: [{a: 1}, {b.c: -1}], sparse: true}]}\n",
                ["d"])
    new = model("  d:\n    collections:\n      c: {indexes: [{name: i, keys: [{a: 1}, {b.c: -1}], sparse: true, "
                "unique: true}]}\n")
    (change, sql), = plan(old, new)
    assert change.action == Action.REPLACE
    assert sql[0] == ('db.getSiblingDB("d").runCommand({aggregate: "c", pipeline: [{$match: {$or: [{a: {$exists: '
                      'true}}, {"b.c": {$exists: true}}]}}, {$group: {_id: {k0: "$a", k1: "$b.c"}, count: {$sum: 1}}}, '
                      '{$match: {count: {$gt: 1}}}, {$limit: 1}], cursor: {}, comment: "schemactl: duplicate keys '
                      'for unique index i"});')
    assert sql[1:] == ['db.getSiblingDB("d").runCommand({dropIndexes: "c", index: "i"});',
                       'db.getSiblingDB("d").runCommand({createIndexes: "c", indexes: [{key: {a: 1, "b.c": -1}, '
                       'name: "i", sparse: true, unique: true}]});']


@pytest.mark.parametrize(("action", "level", "expected"), [
    ("error", "strict", {Hazard.FULL_SCAN_VALIDATION, Hazard.MAY_FAIL_ON_DATA}),
    # Updates of documents that do not match are not checked with level moderate, and only logged with warn.
    ("error", "moderate", {Hazard.FULL_SCAN_VALIDATION}),
    ("warn", "strict", {Hazard.FULL_SCAN_VALIDATION}),
])
def test_validator_on_an_existing_collection_is_full_scan_validation(model, action, level, expected):
    old = model("  d:\n    collections:\n      m: {}\n", ["d"])
    new = model(f"  d:\n    collections:\n      m: {{json_schema: {{required: [a]}}, validation_action: {action}, "
                f"validation_level: {level}}}\n")
    (change, _), = plan(old, new)
    assert set(change.hazards) == expected
    # A new collection has no documents: its validator carries no hazard.
    (created, _), = plan(model("  d:\n    collections: {}\n", ["d"]), new)
    assert created.action == Action.CREATE and created.hazards == []
    # Removing a validator checks nothing.
    (removed, _), = plan(_inspected(model, new), model("  d:\n    collections:\n      m: {}\n"))
    assert removed.hazards == []


def _inspected(model, desired):
    live = model("  d:\n    collections: {}\n", ["d"])
    live.databases["d"] = desired.databases["d"]
    return live


# -- what changes in place and what is rebuilt -------------------------------------------------------


@pytest.mark.parametrize(("before", "after", "attribute"), [
    ("timeseries: {timeField: ts, granularity: seconds}", "timeseries: {timeField: ts, granularity: hours}",
     "timeseries"),
    ("{}", "clustered: true", "clustered"),
    ("clustered: true", "{}", "clustered"),
    ("collation: {locale: fr}", "collation: {locale: de}", "collation"),
    ("{}", "collation: {locale: fr}", "collation"),
])
def test_creation_time_options_replace_the_collection(model, before, after, attribute):
    def body(options):
        options = options if options.startswith("{") else "{" + options + "}"
        return f"  d:\n    collections:\n      c: {{options: {options}}}\n"

    (change, sql), = plan(model(body(before), ["d"]), model(body(after)))
    assert change.action == Action.REPLACE and change.kind == "collection"
    assert change.hazards == [Hazard.DATA_LOSS]
    assert [a.name for a in change.attributes] == [attribute]
    assert sql[0] == 'db.getSiblingDB("d").runCommand({drop: "c"});' and "create: \"c\"" in sql[1]


@pytest.mark.parametrize(("before", "after", "attribute"), [
    ("{keys: {a: 1}}", "{keys: {a: 1}, sparse: true}", "sparse"),
    ("{keys: {a: 1}}", "{keys: {a: 1}, partial_filter: {a: {$gt: 1}}}", "partial_filter"),
    ("{keys: {a: 1}}", "{keys: {a: 1}, collation: {locale: fr}}", "collation"),
    ("{name: t, keys: {a: text}}", "{name: t, keys: {a: text}, weights: {a: 3}}", "weights"),
    ("{name: t, keys: {a: text}}", "{name: t, keys: {a: text}, default_language: french}", "default_language"),
    ("{keys: {$**: 1}}", "{keys: {$**: 1}, wildcard_projection: {a: 1}}", "wildcard_projection"),
    ("{keys: {a: 1}}", "{keys: {a: 1}, unique: true}", "unique"),
    ("{keys: {a: 1}, unique: true}", "{keys: {a: 1}}", "unique"),
])
def test_index_options_that_collmod_cannot_change_rebuild_the_index(model, before, after, attribute):
    (change, sql), = plan(model(f"  d:\n    collections:\n      c: {{indexes: [{before}]}}\n", ["d"]),
                          model(f"  d:\n    collections:\n      c: {{indexes: [{after}]}}\n"))
    assert change.action == Action.REPLACE and change.kind == "mongo_index"
    assert [a.name for a in change.attributes] == [attribute]
    assert Hazard.INDEX_DROPPED in change.hazards
    commands = [s.split("runCommand({")[1].split(":")[0] for s in sql]
    assert commands[-2:] == ["dropIndexes", "createIndexes"]


@pytest.mark.parametrize(("before", "after", "sent"), [
    ("", ", expire_after_seconds: 60", "expireAfterSeconds: 60"),
    (", expire_after_seconds: 60", ", expire_after_seconds: 30", "expireAfterSeconds: 30"),
    ("", ", hidden: true", "hidden: true"),
    (", hidden: true", "", "hidden: false"),
])
def test_ttl_and_hidden_change_in_place_only(model, before, after, sent):
    (change, sql), = plan(model(f"  d:\n    collections:\n      c: {{indexes: [{{keys: {{t: 1}}{before}}}]}}\n", ["d"]),
                          model(f"  d:\n    collections:\n      c: {{indexes: [{{keys: {{t: 1}}{after}}}]}}\n"))
    assert change.action == Action.ALTER and change.hazards == []
    assert sql == [f'db.getSiblingDB("d").runCommand({{collMod: "c", index: {{name: "t_1", {sent}}}}});']
