"""Normalising what a real server answers, with responses transcribed from the MongoDB manual.

Each fixture names the manual page its shape comes from. A spec written the
natural way must compare equal to the server's answer for the index or
collection that spec creates.
"""

from __future__ import annotations

import uuid

from bson.int64 import Int64

from reconciler.backends.mongodb.model import Collection, MongoIndex
from reconciler.backends.mongodb.normalize import collection_from_server, index_from_server
from reconciler.spec import load_model

FULL_FR_COLLATION = {  # MongoDB manual, "Collation" (listIndexes shows every field and the ICU version)
    "locale": "fr", "caseLevel": False, "caseFirst": "off", "strength": 3, "numericOrdering": False,
    "alternate": "non-ignorable", "maxVariable": "punct", "normalization": False, "backwards": False,
    "version": "57.1",
}

# -- listIndexes ------------------------------------------------------------------------------

ID_INDEX = {"v": 2, "key": {"_id": 1}, "name": "_id_"}  # manual: "db.collection.getIndexes()"
COMPOUND = {"v": 2, "key": {"status": 1, "type": -1}, "name": "status_1_type_-1"}  # manual: "listIndexes"
# manual: "Text Indexes" -> "Create a Text Index" (getIndexes output of a two-field text index)
TEXT = {"v": 2, "key": {"_fts": "text", "_ftsx": 1}, "name": "subject_text_comments_text",
        "weights": {"comments": 1, "subject": 1}, "default_language": "english",
        "language_override": "language", "textIndexVersion": 3}
# manual: "Text Indexes" -> "Assign Weights" and "Compound Text Index" (prefix key before _fts)
TEXT_WEIGHTED = {"v": 2, "key": {"dept": 1, "_fts": "text", "_ftsx": 1}, "name": "dept_1_about_text_keywords_text",
                 "weights": {"about": 1, "keywords": 10}, "default_language": "spanish",
                 "language_override": "idioma", "textIndexVersion": 3}
TWODSPHERE = {"v": 2, "key": {"loc": "2dsphere"}, "name": "loc_2dsphere", "2dsphereIndexVersion": 3}  # "2dsphere Indexes"
TTL = {"v": 2, "key": {"lastModifiedDate": 1}, "name": "lastModifiedDate_1", "expireAfterSeconds": 3600}  # "TTL Indexes"
PARTIAL = {"v": 2, "key": {"cuisine": 1, "name": 1}, "name": "cuisine_1_name_1",  # "Partial Indexes"
           "partialFilterExpression": {"rating": {"$gt": 5}}}
COLLATED = {"v": 2, "key": {"category": 1}, "name": "category_fr", "collation": FULL_FR_COLLATION}  # "Collation"
HIDDEN = {"v": 2, "key": {"borough": 1}, "name": "borough_1", "hidden": True}  # "Hidden Indexes"
WILDCARD = {"v": 2, "key": {"$**": 1}, "name": "$**_1",  # "Wildcard Indexes" -> wildcardProjection
            "wildcardProjection": {"product_attributes.elements": 1, "product_attributes.resistance": 1}}
HASHED = {"v": 2, "key": {"_id": "hashed"}, "name": "_id_hashed"}  # "Hashed Indexes"
# manual: "Sparse Indexes" -> "Create a Sparse Index" (db.addresses.createIndex({"xmpp_id": 1}, {sparse: true}))
SPARSE = {"v": 2, "key": {"xmpp_id": 1}, "name": "xmpp_id_1", "sparse": True}
# manual: "2d Indexes" -> "Create a 2d Index": no options listed when created without min/max/bits ...
TWO_D = {"v": 2, "key": {"loc": "2d"}, "name": "loc_2d"}
# ... and "Define Location Range / Precision": the defaults given explicitly (bits 26, [-180, 180)),
# as a driver or a dump-and-restore may write them, doubles included.
TWO_D_DEFAULTS = {"v": 2, "key": {"loc": "2d", "category": 1}, "name": "loc_2d_category_1", "bits": 26,
                  "min": -180.0, "max": 180.0}
# ... and a 2d index over another range (min/max) and precision (bits, at most 32).
TWO_D_CUSTOM = {"v": 2, "key": {"pos": "2d"}, "name": "pos_2d", "min": -500, "max": 500, "bits": 32}
# MongoDB 4.2 and earlier list the namespace on every index ("listIndexes" compatibility notes).
LEGACY_NS = {"v": 2, "key": {"a": 1.0}, "name": "a_1", "ns": "test.orders", "background": True}
# Drivers that send 64-bit integers (Java `long`, pymongo Int64) store Int64 directions.
INT64_KEYS = {"v": 2, "key": {"a": Int64(1), "b": Int64(-1)}, "name": "a_1_b_-1", "unique": True,
              "sparse": False}


def idx(doc, collation=None) -> MongoIndex | None:
    return index_from_server(doc, collation)


def test_id_index_is_never_managed():
    assert idx(ID_INDEX) is None


def test_compound_keys_keep_order():
    assert idx(COMPOUND) == MongoIndex("status_1_type_-1", (("status", 1), ("type", -1)), {})


def test_text_index_expands_fts_into_its_fields_and_drops_defaults():
    index = idx(TEXT)
    assert index == MongoIndex("subject_text_comments_text", (("comments", "text"), ("subject", "text")), {})


def test_text_index_with_weights_language_and_prefix():
    index = idx(TEXT_WEIGHTED)
    assert index.keys == (("dept", 1), ("about", "text"), ("keywords", "text"))
    assert index.options == {"default_language": "spanish", "language_override": "idioma",
                             "weights": {"keywords": 10}}


def test_2dsphere_ttl_partial_hidden_wildcard_hashed():
    assert idx(TWODSPHERE) == MongoIndex("loc_2dsphere", (("loc", "2dsphere"),), {})
    assert idx(TTL).options == {"expireAfterSeconds": 3600}
    assert idx(PARTIAL).options == {"partialFilterExpression": {"rating": {"$gt": 5}}}
    assert idx(HIDDEN).options == {"hidden": True}
    assert idx(WILDCARD).options == {"wildcardProjection": WILDCARD["wildcardProjection"]}
    assert idx(HASHED).keys == (("_id", "hashed"),)


def test_numbers_and_bookkeeping():
    assert idx(LEGACY_NS) == MongoIndex("a_1", (("a", 1),), {})
    index = idx(INT64_KEYS)
    assert index.keys == (("a", 1), ("b", -1)) and type(index.keys[0][1]) is int
    assert index.options == {"unique": True}


def test_collation_defaults_dropped_and_inherited_collation_removed():
    assert idx(COLLATED).options == {"collation": {"locale": "fr"}}
    # On a collection whose default collation is fr, every index lists it: that is inheritance, not an option.
    assert idx(COLLATED, {"locale": "fr"}).options == {}


def spec_model(write_spec, body: str):
    path = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  d:\n    collections:\n" + body)
    return load_model(path)[1].databases["d"].collections


def test_spec_matches_server_answer_for_each_index_kind(write_spec):
    colls = spec_model(write_spec, """\
      c:
        indexes:
          - {keys: {status: 1, type: -1}}
          - {name: subject_text_comments_text, keys: {subject: text, comments: text}}
          - {keys: {loc: 2dsphere}}
          - {keys: {lastModifiedDate: 1}, expire_after_seconds: 3600}
          - {keys: {cuisine: 1, name: 1}, partial_filter: {rating: {$gt: 5}}}
          - {name: category_fr, keys: {category: 1}, collation: {locale: fr, strength: 3}}
          - {keys: {borough: 1}, hidden: true}
          - {keys: {_id: hashed}}
      c2:
        indexes:
          # One text index per collection: the weighted one lives in a second collection.
          - {keys: {dept: 1, about: text, keywords: text}, weights: {keywords: 10}, default_language: spanish,
             language_override: idioma}
""")
    desired = colls["c"].indexes
    server = [COMPOUND, TEXT, TWODSPHERE, TTL, PARTIAL, COLLATED, HIDDEN, HASHED]
    live = {i.name: i for i in (idx(d) for d in server)}
    assert desired == dict(sorted(live.items()))
    assert colls["c2"].indexes == {TEXT_WEIGHTED["name"]: idx(TEXT_WEIGHTED)}


# -- listCollections ----------------------------------------------------------------------------

# manual: "listCollections" -> output (a collection with a $jsonSchema validator)
WITH_VALIDATOR = {
    "name": "contacts", "type": "collection",
    "options": {"validator": {"$jsonSchema": {"bsonType": "object", "required": ["phone"],
                                              "properties": {"phone": {"bsonType": "string"}}}},
                "validationLevel": "strict", "validationAction": "error"},
    "info": {"readOnly": False, "uuid": uuid.UUID("2b1a9a8b-7c1d-4b7f-8a57-9f3e2b0c9d11")},
    "idIndex": ID_INDEX,
}
# manual: "Capped Collections" -> "Check if a Collection is Capped" / listCollections options
CAPPED = {"name": "log", "type": "collection", "options": {"capped": True, "size": 1048576, "max": 1000},
          "info": {"readOnly": False}, "idIndex": ID_INDEX}
# manual: "Time Series Collections" -> "List Time Series Collections" (7.0: bucketRoundingSeconds shown)
TIMESERIES = {"name": "weather", "type": "timeseries",
              "options": {"timeseries": {"timeField": "timestamp", "metaField": "metadata",
                                         "granularity": "hours", "bucketMaxSpanSeconds": 2592000,
                                         "bucketRoundingSeconds": 86400},
                          "expireAfterSeconds": Int64(86400)},
              "info": {"readOnly": False}}
# manual: "Clustered Collections" -> listCollections of a clustered collection with a TTL
CLUSTERED = {"name": "stocks", "type": "collection",
             "options": {"clusteredIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_", "unique": True},
                         "expireAfterSeconds": 3600},
             "info": {"readOnly": False, "uuid": uuid.UUID("5e0b8f3c-4a0a-4c41-9d2e-7c4b1f2a9e00")}}
# manual: "Collation" -> "Create a Collection with a Default Collation" (listCollections shows the full collation)
COLLATED_COLL = {"name": "names", "type": "collection", "options": {"collation": FULL_FR_COLLATION},
                 "info": {"readOnly": False}, "idIndex": {**ID_INDEX, "collation": FULL_FR_COLLATION}}
# manual: "changeStreamPreAndPostImages" (collMod / create option echoed in listCollections)
IMAGES = {"name": "orders", "type": "collection", "options": {"changeStreamPreAndPostImages": {"enabled": True}},
          "info": {"readOnly": False}}


def test_collection_with_validator():
    coll = collection_from_server(WITH_VALIDATOR, [ID_INDEX])
    assert coll == Collection("contacts", {}, WITH_VALIDATOR["options"]["validator"], "strict", "error", {})


def test_collection_kinds():
    assert collection_from_server(CAPPED, []).options == {"capped": True, "size": 1048576, "max": 1000}
    ts = collection_from_server(TIMESERIES, []).options
    # The bucket spans are the defaults of granularity hours: not part of the spec.
    assert ts == {"timeseries": {"granularity": "hours", "metaField": "metadata", "timeField": "timestamp"},
                  "expireAfterSeconds": 86400}
    assert collection_from_server(CLUSTERED, []).options == {
        "clusteredIndex": {"key": {"_id": 1}, "unique": True}, "expireAfterSeconds": 3600}
    assert collection_from_server(COLLATED_COLL, [COLLATED]).options == {"collation": {"locale": "fr"}}
    assert collection_from_server(IMAGES, []).options == {"changeStreamPreAndPostImages": {"enabled": True}}


def test_index_on_collated_collection_inherits(write_spec):
    live = collection_from_server(COLLATED_COLL, [ID_INDEX, {**COMPOUND, "collation": FULL_FR_COLLATION}])
    assert live.indexes["status_1_type_-1"].options == {}


def test_spec_matches_server_answer_for_each_collection_kind(write_spec):
    colls = spec_model(write_spec, """\
      contacts:
        json_schema: {bsonType: object, required: [phone], properties: {phone: {bsonType: string}}}
      log: {options: {capped: {size: 1048576, max: 1000}}}
      weather:
        options:
          timeseries: {timeField: timestamp, metaField: metadata, granularity: hours}
          expire_after_seconds: 86400
      stocks: {options: {clustered: true, expire_after_seconds: 3600}}
      names: {options: {collation: {locale: fr}}}
      orders: {options: {change_stream_pre_and_post_images: true}}
""")
    for doc in (WITH_VALIDATOR, CAPPED, TIMESERIES, CLUSTERED, COLLATED_COLL, IMAGES):
        assert collection_from_server(doc, [ID_INDEX]) == colls[doc["name"]], doc["name"]


def test_sparse_and_2d_indexes():
    assert idx(SPARSE) == MongoIndex("xmpp_id_1", (("xmpp_id", 1),), {"sparse": True})
    assert idx(TWO_D) == MongoIndex("loc_2d", (("loc", "2d"),), {})
    # bits/min/max equal to the defaults are not options ...
    assert idx(TWO_D_DEFAULTS) == MongoIndex("loc_2d_category_1", (("loc", "2d"), ("category", 1)), {})
    # ... other values are.
    assert idx(TWO_D_CUSTOM).options == {"bits": 32, "max": 500, "min": -500}


def test_spec_matches_server_answer_for_sparse_and_2d(write_spec):
    colls = spec_model(write_spec, """\
      addresses: {indexes: [{keys: {xmpp_id: 1}, sparse: true}]}
      places: {indexes: [{keys: {loc: 2d}}, {keys: [{loc: 2d}, {category: 1}]}]}
""")
    assert colls["addresses"].indexes == {"xmpp_id_1": idx(SPARSE)}
    assert colls["places"].indexes == {"loc_2d": idx(TWO_D), "loc_2d_category_1": idx(TWO_D_DEFAULTS)}
