"""The model as a spec document (`schemactl inspect`) and as fingerprint data (saved plans)."""

from __future__ import annotations

from typing import Any

from reconciler.backends.mongodb.model import (
    DEFAULT_VALIDATION_ACTION,
    DEFAULT_VALIDATION_LEVEL,
    Collection,
    MongoDeployment,
    MongoIndex,
    default_index_name,
)

_INDEX_SPEC_NAMES = {
    "unique": "unique",
    "sparse": "sparse",
    "expireAfterSeconds": "expire_after_seconds",
    "partialFilterExpression": "partial_filter",
    "hidden": "hidden",
    "collation": "collation",
    "weights": "weights",
    "default_language": "default_language",
    "language_override": "language_override",
    "wildcardProjection": "wildcard_projection",
}


def to_spec(model: MongoDeployment) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": 1, "dialect": "mongodb"}
    if model.history_collection and model.history_collection != "schemactl_history":
        doc["history_collection"] = model.history_collection
    databases: dict[str, Any] = {}
    for name, database in sorted(model.databases.items()):
        entry: dict[str, Any] = {}
        if database.match is not None:
            entry["match"] = database.match
        if database.names is not None:
            entry["names"] = list(database.names)
        entry["collections"] = {c.name: collection_spec(c) for c in database.collections.values()}
        databases[name] = entry
    doc["databases"] = databases
    return doc


def collection_spec(coll: Collection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if coll.validator:
        out["validator"] = coll.validator
    if coll.validation_level != DEFAULT_VALIDATION_LEVEL:
        out["validation_level"] = coll.validation_level
    if coll.validation_action != DEFAULT_VALIDATION_ACTION:
        out["validation_action"] = coll.validation_action
    options: dict[str, Any] = {}
    opts = coll.options
    if opts.get("capped"):
        options["capped"] = {"size": opts["size"], **({"max": opts["max"]} if "max" in opts else {})}
    if "timeseries" in opts:
        options["timeseries"] = opts["timeseries"]
    if "collation" in opts:
        options["collation"] = opts["collation"]
    if "clusteredIndex" in opts:
        name = opts["clusteredIndex"].get("name")
        options["clustered"] = {"name": name} if name else True
    if "expireAfterSeconds" in opts:
        options["expire_after_seconds"] = opts["expireAfterSeconds"]
    if opts.get("changeStreamPreAndPostImages"):
        options["change_stream_pre_and_post_images"] = True
    if options:
        out["options"] = options
    if coll.indexes:
        out["indexes"] = [index_spec(i) for i in coll.indexes.values()]
    if coll.prevent_destroy:
        out["prevent_destroy"] = True
    return out


def index_spec(index: MongoIndex) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if index.name != default_index_name(index.keys):
        out["name"] = index.name
    out["keys"] = dict(index.keys)
    for name, value in index.options.items():
        out[_INDEX_SPEC_NAMES.get(name, name)] = value
    return out


def fingerprint_data(model: MongoDeployment) -> dict[str, Any]:
    """Plain, JSON-ready data; ordered key lists stay lists because the hash sorts mapping keys."""
    return {
        "databases": {
            name: {
                coll.name: {
                    "options": coll.options,
                    "validator": coll.validator,
                    "validation_level": coll.validation_level,
                    "validation_action": coll.validation_action,
                    "indexes": {i.name: {"keys": [list(k) for k in i.keys], "options": i.options}
                                for i in coll.indexes.values()},
                }
                for coll in database.collections.values()
            }
            for name, database in sorted(model.databases.items())
        }
    }
