"""Build the desired MongoDB model from a validated spec, with file:line:col errors.

The JSON Schema (`schemas/spec.schema.json`, `mongodbSpec`) has already
checked shapes and option names; this module checks what a schema cannot
say (names MongoDB refuses, two text indexes, TTL on a compound index,
MongoDB's `$jsonSchema` dialect) and converts schemactl's snake_case option
names into MongoDB's own spelling.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from reconciler.backends.mongodb.jsonschema_check import check_json_schema
from reconciler.backends.mongodb.model import (
    DEFAULT_VALIDATION_ACTION,
    DEFAULT_VALIDATION_LEVEL,
    LOCK_COLLECTION,
    RESERVED_DATABASES,
    Collection,
    MongoDatabase,
    MongoDeployment,
    MongoIndex,
    default_index_name,
)
from reconciler.backends.mongodb.normalize import (
    canonical_keys,
    clustered_index,
    collation,
    number,
    timeseries,
)
from reconciler.errors import SpecError, SpecErrors
from reconciler.hooks import build_hooks
from reconciler.spec.loader import LoadedSpec, Path_

DIRECTIONS = (1, -1, "text", "hashed", "2dsphere", "2d")
# MongoDB manual, "Naming Restrictions": characters a database name cannot contain on any platform.
_DB_FORBIDDEN = set('/\\. "$*<>:|?\0')
# Namespace (database.collection) limit for MongoDB 4.4 and later.
_MAX_NAMESPACE = 255
_MAX_DATABASE = 63

# spec option name -> MongoDB index option name
_INDEX_OPTIONS = {
    "unique": "unique",
    "sparse": "sparse",
    "expire_after_seconds": "expireAfterSeconds",
    "partial_filter": "partialFilterExpression",
    "hidden": "hidden",
    "collation": "collation",
    "weights": "weights",
    "default_language": "default_language",
    "language_override": "language_override",
    "wildcard_projection": "wildcardProjection",
}
_TEXT_ONLY = ("weights", "default_language", "language_override")


def build(loaded: LoadedSpec) -> MongoDeployment:
    builder = _Builder(loaded)
    model = builder.build()
    if builder.errors:
        raise SpecErrors(builder.errors) if len(builder.errors) > 1 else builder.errors[0]
    model.hooks = build_hooks(loaded, payload="command")
    return model


def database_name_problem(name: str) -> str | None:
    if not name:
        return "database name is empty"
    bad = sorted(set(name) & _DB_FORBIDDEN)
    if bad:
        shown = ", ".join(repr(c) if c != "\0" else "NUL" for c in bad)
        return f"database name {name!r} contains {shown}, which MongoDB refuses"
    if len(name.encode()) > _MAX_DATABASE:
        return f"database name {name!r} is longer than {_MAX_DATABASE} bytes"
    if name in RESERVED_DATABASES:
        return f"database {name!r} is reserved by MongoDB and cannot be managed"
    return None


def collection_name_problem(database: str, name: str) -> str | None:
    if not name:
        return "collection name is empty"
    if "$" in name:
        return f"collection name {name!r} contains '$', which MongoDB refuses"
    if "\0" in name:
        return f"collection name {name!r} contains a NUL byte"
    if name.startswith("system."):
        return f"collection name {name!r} is in the reserved system. namespace"
    if name in (LOCK_COLLECTION,):
        return f"collection name {name!r} is used by schemactl itself"
    if len(f"{database}.{name}".encode()) > _MAX_NAMESPACE:
        return f"namespace {database}.{name} is longer than {_MAX_NAMESPACE} bytes"
    return None


class _Builder:
    def __init__(self, loaded: LoadedSpec) -> None:
        self.loaded = loaded
        self.errors: list[SpecError] = []

    def error(self, path: Path_, message: str) -> None:
        self.errors.append(self.loaded.positions.error(path, message))

    def build(self) -> MongoDeployment:
        data = self.loaded.data
        model = MongoDeployment(
            history_database=data.get("history_database"),
            history_collection=data.get("history_collection") or "schemactl_history",
        )
        for path, value in _non_json_scalars(data, ()):
            self.error(path, f"{type(value).__name__} values are not supported here; quote the value")
        if model.history_database is not None and (problem := database_name_problem(model.history_database)):
            self.error(("history_database",), problem)
        if problem := collection_name_problem("x", model.history_collection):
            self.error(("history_collection",), problem)
        for db_name, entry in (data.get("databases") or {}).items():
            database = self.database(db_name, entry or {}, ("databases", db_name))
            if database is not None:
                model.databases[db_name] = database
        return model

    def database(self, key: str, entry: dict[str, Any], path: Path_) -> MongoDatabase | None:
        database = MongoDatabase(name=key, match=entry.get("match"), names=entry.get("names"))
        if database.match is not None:
            try:
                re.compile(database.match)
            except re.error as exc:
                self.error((*path, "match"), f"invalid regular expression {database.match!r}: {exc}")
        elif database.names is not None:
            for i, name in enumerate(database.names):
                if problem := database_name_problem(str(name)):
                    self.error((*path, "names", i), problem)
        elif problem := database_name_problem(key):
            self.error(path, problem)
        # Collection names are checked against the longest name a template can produce later;
        # here the key stands in for the database name.
        db_for_names = key if not database.is_template else "t"
        for coll_name, spec in (entry.get("collections") or {}).items():
            coll = self.collection(db_for_names, coll_name, spec or {}, (*path, "collections", coll_name))
            if coll is not None:
                database.collections[coll_name] = coll
        return database

    def collection(self, db_name: str, name: str, spec: dict[str, Any], path: Path_) -> Collection | None:
        if problem := collection_name_problem(db_name, name):
            self.error(path, problem)
            return None
        coll = Collection(
            name=name,
            validation_level=spec.get("validation_level", DEFAULT_VALIDATION_LEVEL),
            validation_action=spec.get("validation_action", DEFAULT_VALIDATION_ACTION),
            renamed_from=spec.get("renamed_from"),
            prevent_destroy=bool(spec.get("prevent_destroy", False)),
        )
        if coll.renamed_from is not None and (problem := collection_name_problem(db_name, coll.renamed_from)):
            self.error((*path, "renamed_from"), problem)
        coll.validator = self.validator(spec, path)
        coll.options = self.collection_options(spec.get("options") or {}, (*path, "options"))
        where: dict[str, int] = {}
        for i, index_spec in enumerate(spec.get("indexes") or []):
            index = self.index(index_spec, coll, (*path, "indexes", i))
            if index is None:
                continue
            if index.name in coll.indexes:
                self.error((*path, "indexes", i), f"index name {index.name!r} is used twice in collection {name!r}")
                continue
            coll.indexes[index.name] = index
            where[index.name] = i
        self.check_index_set(coll, where, path)
        coll.indexes = dict(sorted(coll.indexes.items()))
        return coll

    def validator(self, spec: dict[str, Any], path: Path_) -> dict[str, Any] | None:
        if "validator" in spec and "json_schema" in spec:
            self.error((*path, "json_schema"), "give either validator or json_schema, not both")
            return None
        if "json_schema" in spec:
            schema, schema_path = spec["json_schema"], (*path, "json_schema")
            validator: dict[str, Any] = {"$jsonSchema": schema}
        elif spec.get("validator"):
            validator = dict(spec["validator"])
            schema, schema_path = validator.get("$jsonSchema"), (*path, "validator", "$jsonSchema")
        else:
            return None
        if schema is not None:
            for sub, message in check_json_schema(schema):
                self.error((*schema_path, *sub), message)
        return validator

    def collection_options(self, spec: dict[str, Any], path: Path_) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        kinds = [k for k in ("capped", "timeseries", "clustered") if spec.get(k)]
        if len(kinds) > 1:
            self.error((*path, kinds[1]), f"{kinds[0]} and {kinds[1]} cannot be combined on one collection")
        if spec.get("capped"):
            opts["capped"] = True
            opts["size"] = number(spec["capped"]["size"])
            if spec["capped"].get("max"):
                opts["max"] = number(spec["capped"]["max"])
        if spec.get("timeseries"):
            ts = dict(spec["timeseries"])
            if ts.get("metaField") is not None and ts.get("metaField") == ts.get("timeField"):
                self.error((*path, "timeseries", "metaField"), "metaField must differ from timeField")
            if ("bucketMaxSpanSeconds" in ts) != ("bucketRoundingSeconds" in ts):
                self.error((*path, "timeseries"), "give both bucketMaxSpanSeconds and bucketRoundingSeconds")
            opts["timeseries"] = timeseries(ts)
        if spec.get("collation"):
            coll = collation(spec["collation"])
            if coll:
                opts["collation"] = coll
        if spec.get("clustered"):
            opts["clusteredIndex"] = clustered_index(spec["clustered"] if isinstance(spec["clustered"], dict)
                                                     else True)
        if "expire_after_seconds" in spec:
            if not (spec.get("clustered") or spec.get("timeseries")):
                self.error((*path, "expire_after_seconds"),
                           "a collection-level TTL needs a clustered or timeseries collection; "
                           "use an index with expire_after_seconds instead")
            opts["expireAfterSeconds"] = number(spec["expire_after_seconds"])
        if spec.get("change_stream_pre_and_post_images"):
            opts["changeStreamPreAndPostImages"] = {"enabled": True}
        return opts

    def index(self, spec: dict[str, Any], coll: Collection, path: Path_) -> MongoIndex | None:
        keys = self.index_keys(spec.get("keys"), (*path, "keys"))
        if keys is None:
            return None
        name = spec.get("name") or default_index_name(keys)
        if name == "_id_":
            self.error((*path, "name"), "the _id_ index is built in and never managed")
            return None
        options: dict[str, Any] = {}
        for spec_name, mongo_name in _INDEX_OPTIONS.items():
            if spec_name not in spec:
                continue
            value = spec[spec_name]
            if mongo_name in ("unique", "sparse", "hidden") and not value:
                continue
            if mongo_name == "collation":
                value = collation(value)
                if value is None or value == coll.options.get("collation"):
                    continue
            if mongo_name == "expireAfterSeconds":
                value = number(value)
            if mongo_name == "weights":
                value = {f: number(w) for f, w in value.items() if number(w) != 1}
                if not value:
                    continue
                value = dict(sorted(value.items()))
            if mongo_name == "default_language" and value == "english":
                continue
            if mongo_name == "language_override" and value == "language":
                continue
            options[mongo_name] = value
        directions = [d for _, d in keys]
        fields = [f for f, _ in keys]
        is_text = "text" in directions
        wildcard = [f for f in fields if f == "$**" or f.endswith(".$**")]
        for opt in _TEXT_ONLY:
            if opt in options and not is_text:
                self.error((*path, opt), f"{opt} applies to text indexes only")
        if directions.count("hashed") > 1:
            self.error((*path, "keys"), "an index can have only one hashed key")
        if "hashed" in directions and options.get("unique"):
            self.error((*path, "unique"), "hashed indexes cannot be unique")
        if wildcard:
            for f, d in keys:
                if f in wildcard and d not in (1, -1, "text"):
                    self.error((*path, "keys"), f"wildcard key {f!r} takes 1, -1 or text, not {d!r}")
            if options.get("unique"):
                self.error((*path, "unique"), "wildcard indexes cannot be unique")
        if "2d" in directions:
            self.check_2d_keys(keys, (*path, "keys"))
        if "wildcardProjection" in options and fields != ["$**"]:
            self.error((*path, "wildcard_projection"), "wildcard_projection needs the single key \"$**\"")
        if "expireAfterSeconds" in options:
            if len(keys) != 1 or fields[0] == "_id" or not isinstance(directions[0], int):
                self.error((*path, "expire_after_seconds"),
                           "expire_after_seconds (TTL) needs a single ascending or descending key other than _id")
        weights = options.get("weights")
        return MongoIndex(name=name, keys=canonical_keys(keys, weights), options=dict(sorted(options.items())))

    def index_keys(self, spec: Any, path: Path_) -> tuple[tuple[str, Any], ...] | None:
        pairs: list[tuple[str, Any, Path_]] = []
        if isinstance(spec, dict):
            pairs = [(f, d, (*path, f)) for f, d in spec.items()]
        elif isinstance(spec, list):
            for i, item in enumerate(spec):
                if not isinstance(item, dict) or len(item) != 1:
                    self.error((*path, i), "each entry of a key list is one {field: direction} mapping")
                    return None
                (f, d), = item.items()
                pairs.append((f, d, (*path, i, f)))
        if not pairs:
            self.error(path, "an index needs at least one key")
            return None
        keys: list[tuple[str, Any]] = []
        seen: set[str] = set()
        ok = True
        for field_, direction, where in pairs:
            if isinstance(direction, bool) or direction not in DIRECTIONS:
                self.error(where, f"unknown index direction {direction!r} for {field_!r} "
                                  f"(expected 1, -1, text, hashed, 2dsphere or 2d)")
                ok = False
                continue
            if field_ in seen:
                self.error(where, f"key {field_!r} appears twice in one index")
                ok = False
            if not field_ or field_.startswith("$") and field_ != "$**":
                self.error(where, f"invalid key field {field_!r}")
                ok = False
            seen.add(field_)
            keys.append((field_, number(direction)))
        return tuple(keys) if ok else None

    def check_2d_keys(self, keys: tuple[tuple[str, Any], ...], path: Path_) -> None:
        # MongoDB manual, "2d Indexes": a compound 2d index has the location field first and one more field.
        if keys[0][1] != "2d":
            self.error(path, f"the 2d key {next(f for f, d in keys if d == '2d')!r} must be the first key "
                             "(MongoDB puts the location field of a 2d index first)")
        elif len(keys) > 2:
            self.error(path, "a 2d index has the location field and at most one more field")
        elif len(keys) == 2 and keys[1][1] not in (1, -1):
            self.error(path, f"the field after a 2d key takes 1 or -1, not {keys[1][1]!r}")

    def check_index_set(self, coll: Collection, where: dict[str, int], path: Path_) -> None:
        text = [name for name, index in coll.indexes.items() if index.is_text]
        if len(text) > 1:
            self.error((*path, "indexes", where[text[1]]),
                       f"collection {coll.name!r} has two text indexes ({', '.join(text)}); MongoDB allows one")
        seen: dict[Any, str] = {}
        for name, index in coll.indexes.items():
            shape = (index.keys, repr(index.options.get("collation")),
                     repr(index.options.get("partialFilterExpression")))
            if shape in seen:
                self.error((*path, "indexes", where[name]),
                           f"indexes {seen[shape]!r} and {name!r} have the same keys; MongoDB keeps only one")
            seen[shape] = name


def _non_json_scalars(value: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    # YAML turns 2024-01-01 into a date, which neither JSON nor the mongosh script can carry.
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _non_json_scalars(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _non_json_scalars(v, (*path, i))
    elif isinstance(value, dt.date | dt.datetime | bytes):
        yield path, value
