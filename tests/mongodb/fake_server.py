"""`Ops` on a mongomock client, answering the way a MongoDB server does.

mongomock (4.x) raises NotImplementedError for `runCommand` DDL and for
`listCollections`, and accepts but forgets collection options and most index
options. This adapter keeps a catalog of what was created (per client), and
answers `listCollections` / `listIndexes` in the server's shape, defaults
filled in (`v: 2`, `textIndexVersion`, full collations ...), so the
normalisation runs end to end in tests. Plain single-key and compound indexes
are also created in mongomock itself so that unique indexes are enforced on
later writes. Validators are stored, not enforced. Commands are serialised
with one lock: mongomock is not written for concurrent writers.
"""

from __future__ import annotations

import copy
import threading
import uuid
import weakref
from typing import Any

from pymongo.errors import OperationFailure

from reconciler.backends.mongodb.normalize import TIMESERIES_BUCKETS, collation_defaults

_LOCK = threading.RLock()
_CATALOGS: dict[int, dict[tuple[str, str], dict[str, Any]]] = {}
_ID_INDEX = {"v": 2, "key": {"_id": 1}, "name": "_id_"}


def _fail(message: str, code: int, **details: Any) -> OperationFailure:
    return OperationFailure(message, code, {"ok": 0.0, "errmsg": message, "code": code, **details})


def _full_collation(value: dict[str, Any]) -> dict[str, Any]:
    # Like the server: every field, the locale's own defaults where it has some (fr_CA: backwards).
    return {"locale": value["locale"], **collation_defaults(value["locale"]),
            **{k: v for k, v in value.items() if k != "locale"}, "version": "57.1"}


class FakeOps:
    def __init__(self, client: Any) -> None:
        self.client = client
        # Keyed by the client object: every connect() in a test returns the same fake server.
        key = id(client)
        if key not in _CATALOGS:
            _CATALOGS[key] = {}
            # id() values are reused after garbage collection; forget the catalog with its client.
            weakref.finalize(client, _CATALOGS.pop, key, None)
        self.catalog = _CATALOGS[key]

    # -- reads ---------------------------------------------------------------------------------

    def database_names(self) -> list[str]:
        with _LOCK:
            return list(self.client.list_database_names())

    def list_collections(self, database: str) -> list[dict[str, Any]]:
        with _LOCK:
            names = self._names(database)
            out = []
            for name in sorted(names):
                entry = self.catalog.setdefault((database, name), {"options": {}, "indexes": {},
                                                                    "uuid": str(uuid.uuid4())})
                options = self._server_options(entry["options"])
                if "viewOn" in options:
                    # listCollections shape of a view: no uuid, no _id index, read-only.
                    out.append({"name": name, "type": "view", "options": options, "info": {"readOnly": True}})
                    continue
                kind = "timeseries" if "timeseries" in options else "collection"
                out.append({"name": name, "type": kind, "options": options,
                            "info": {"readOnly": False, "uuid": entry["uuid"]}, "idIndex": dict(_ID_INDEX)})
            return out

    def list_indexes(self, database: str, collection: str) -> list[dict[str, Any]]:
        with _LOCK:
            entry = self.catalog.get((database, collection), {"indexes": {}, "options": {}})
            coll_collation = entry["options"].get("collation")
            docs = [dict(_ID_INDEX)]
            for doc in entry["indexes"].values():
                shaped = copy.deepcopy(doc)
                if coll_collation and "collation" not in shaped:
                    # Indexes inherit the collection's collation, and the server lists it on each.
                    shaped["collation"] = _full_collation(coll_collation)
                docs.append(shaped)
            return docs

    def collection(self, database: str, name: str) -> Any:
        return self.client[database][name]

    def server_version(self) -> str | None:
        return "mongomock"

    # -- commands ------------------------------------------------------------------------------

    def run(self, database: str, command: dict[str, Any]) -> dict[str, Any]:
        name = next(iter(command))
        handler = getattr(self, f"_cmd_{name}", None)
        if handler is None:
            raise _fail(f"no such command: '{name}' (not emulated by the mongomock adapter)", 59)
        with _LOCK:
            answer = handler(database, command)
        return {**(answer or {}), "ok": 1.0}

    def _names(self, database: str) -> set[str]:
        # mongomock hides system.* collections; a server lists them (system.views, system.profile ...).
        system = {n for d, n in self.catalog if d == database and n.startswith("system.")}
        return set(self.client[database].list_collection_names()) | system

    def _exists(self, database: str, name: str) -> bool:
        return name in self._names(database)

    def _cmd_create(self, database: str, command: dict[str, Any]) -> None:
        name = command["create"]
        if self._exists(database, name):
            raise _fail(f"Collection {database}.{name} already exists.", 48, codeName="NamespaceExists")
        self.client[database].create_collection(name)
        options = {k: copy.deepcopy(v) for k, v in command.items() if k != "create"}
        self.catalog[(database, name)] = {"options": options, "indexes": {}, "uuid": str(uuid.uuid4())}
        if "viewOn" in options:
            # The server keeps view definitions in system.views, created with the first view.
            self.catalog.setdefault((database, "system.views"), {"options": {}, "indexes": {}, "uuid": ""})

    def _cmd_drop(self, database: str, command: dict[str, Any]) -> None:
        name = command["drop"]
        if not self._exists(database, name):
            raise _fail("ns not found", 26, codeName="NamespaceNotFound")
        self.client[database].drop_collection(name)
        self.catalog.pop((database, name), None)

    def _cmd_renameCollection(self, database: str, command: dict[str, Any]) -> None:  # noqa: N802
        source_db, source = command["renameCollection"].split(".", 1)
        target_db, target = command["to"].split(".", 1)
        if source_db != target_db:
            raise _fail("renaming across databases is not emulated", 20)
        if not self._exists(source_db, source):
            raise _fail(f"Source collection {command['renameCollection']} does not exist", 26)
        if self._exists(target_db, target):
            raise _fail(f"target namespace {command['to']} exists", 48, codeName="NamespaceExists")
        self.client[source_db][source].rename(target)
        self.catalog[(target_db, target)] = self.catalog.pop((source_db, source),
                                                             {"options": {}, "indexes": {}, "uuid": ""})

    def _entry(self, database: str, name: str) -> dict[str, Any]:
        if not self._exists(database, name):
            raise _fail(f"ns does not exist: {database}.{name}", 26, codeName="NamespaceNotFound")
        return self.catalog.setdefault((database, name), {"options": {}, "indexes": {}, "uuid": ""})

    def _cmd_collMod(self, database: str, command: dict[str, Any]) -> None:  # noqa: N802
        entry = self._entry(database, command["collMod"])
        if "index" in command:
            spec = command["index"]
            doc = entry["indexes"].get(spec.get("name"))
            if doc is None:
                raise _fail(f"cannot find index {spec.get('name')} for ns {database}.{command['collMod']}", 27,
                            codeName="IndexNotFound")
            for key, value in spec.items():
                if key == "name":
                    continue
                if key == "hidden" and not isinstance(value, bool):
                    # The server's IDL parser: collMod.index.hidden is a bool, nothing else.
                    raise _fail(f"BSON field 'collMod.index.hidden' is the wrong type "
                                f"'{_bson_type(value)}', expected type 'bool'", 14, codeName="TypeMismatch")
                if key == "hidden" and not value:
                    doc.pop("hidden", None)
                else:
                    doc[key] = value
            return
        options = entry["options"]
        for key, value in command.items():
            if key == "collMod":
                continue
            if (key == "validator" and value == {}) or (key == "expireAfterSeconds" and value == "off") \
                    or (key == "changeStreamPreAndPostImages" and not value.get("enabled")):
                options.pop(key, None)
            else:
                options[key] = copy.deepcopy(value)

    def _cmd_createIndexes(self, database: str, command: dict[str, Any]) -> None:  # noqa: N802
        name = command["createIndexes"]
        if not self._exists(database, name):
            # The server creates the collection implicitly.
            self._cmd_create(database, {"create": name})
        entry = self._entry(database, name)
        for spec in command["indexes"]:
            self._create_index(database, name, entry, copy.deepcopy(spec))

    def _create_index(self, database: str, coll: str, entry: dict[str, Any], spec: dict[str, Any]) -> None:
        stored = self._server_index(spec)
        existing = entry["indexes"].get(spec["name"])
        if existing is not None:
            if existing == stored:
                return
            raise _fail(f"An existing index has the same name as the requested index. "
                        f"Requested index: {spec}, existing index: {existing}", 86, codeName="IndexKeySpecsConflict")
        for other in entry["indexes"].values():
            if other["key"] == stored["key"] and other.get("collation") == stored.get("collation"):
                raise _fail(f"Index already exists with a different name: {other['name']}", 85,
                            codeName="IndexOptionsConflict")
        if spec.get("unique"):
            self._check_duplicates(database, coll, spec)
        keys = list(spec["key"].items())
        if all(isinstance(d, int) for _, d in keys):
            kwargs = {k: spec[k] for k in ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds")
                      if k in spec}
            self.client[database][coll].create_index(keys, name=spec["name"], **kwargs)
        entry["indexes"][spec["name"]] = stored

    def _check_duplicates(self, database: str, coll: str, spec: dict[str, Any]) -> None:
        fields = list(spec["key"])
        query = spec.get("partialFilterExpression") or {}
        seen: set[str] = set()
        for doc in self.client[database][coll].find(query):
            values = {f: _get_path(doc, f) for f in fields}
            if spec.get("sparse") and all(v is None for v in values.values()):
                continue
            marker = repr(sorted(values.items()))
            if marker in seen:
                shown = ", ".join(f"{f}: {values[f]!r}" for f in fields)
                message = (f"Index build failed: {uuid.uuid4()}: Collection {database}.{coll} ( {uuid.uuid4()} ) "
                           f":: caused by :: E11000 duplicate key error collection: {database}.{coll} "
                           f"index: {spec['name']} dup key: {{ {shown} }}")
                raise _fail(message, 11000, codeName="DuplicateKey", keyPattern=dict(spec["key"]),
                            keyValue=values)
            seen.add(marker)

    def _cmd_aggregate(self, database: str, command: dict[str, Any]) -> dict[str, Any]:
        # Read-only; mongomock runs the pipeline ($match, $group, $limit ...), without collations.
        name = command["aggregate"]
        rows = list(self.client[database][name].aggregate(command["pipeline"])) if self._exists(database, name) \
            else []
        return {"cursor": {"firstBatch": rows, "id": 0, "ns": f"{database}.{name}"}}

    def _cmd_dropIndexes(self, database: str, command: dict[str, Any]) -> None:  # noqa: N802
        entry = self._entry(database, command["dropIndexes"])
        name = command["index"]
        if name == "_id_":
            raise _fail("cannot drop _id index", 72, codeName="InvalidOptions")
        if name not in entry["indexes"]:
            raise _fail(f"index not found with name [{name}]", 27, codeName="IndexNotFound")
        del entry["indexes"][name]
        try:
            self.client[database][command["dropIndexes"]].drop_index(name)
        except Exception:  # noqa: BLE001 - only plain indexes were mirrored into mongomock
            pass

    # -- server shapes -------------------------------------------------------------------------

    @staticmethod
    def _server_options(options: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(options)
        if "collation" in out:
            out["collation"] = _full_collation(out["collation"])
        if "timeseries" in out:
            ts = out["timeseries"]
            if "bucketMaxSpanSeconds" not in ts:
                ts.setdefault("granularity", "seconds")
                ts.update(TIMESERIES_BUCKETS[ts["granularity"]])
        if "clusteredIndex" in out:
            out["clusteredIndex"] = {"v": 2, "key": {"_id": 1}, "name": "_id_", "unique": True,
                                     **{k: v for k, v in out["clusteredIndex"].items() if k == "name"}}
        return out

    @staticmethod
    def _server_index(spec: dict[str, Any]) -> dict[str, Any]:
        """What listIndexes returns for an index created from `spec` (MongoDB 7.0)."""
        key: dict[str, Any] = {}
        text_fields = [f for f, d in spec["key"].items() if d == "text"]
        for field_, direction in spec["key"].items():
            if direction == "text":
                if "_fts" not in key:
                    key["_fts"], key["_ftsx"] = "text", 1
                continue
            key[field_] = direction
        doc: dict[str, Any] = {"v": 2, "key": key, "name": spec["name"]}
        doc.update({k: v for k, v in spec.items() if k not in ("key", "name")})
        if text_fields:
            weights = {f: 1 for f in text_fields}
            weights.update(spec.get("weights") or {})
            doc["weights"] = dict(sorted(weights.items()))
            doc.setdefault("default_language", "english")
            doc.setdefault("language_override", "language")
            doc["textIndexVersion"] = 3
        if "2dsphere" in spec["key"].values():
            doc["2dsphereIndexVersion"] = 3
        if "collation" in doc:
            doc["collation"] = _full_collation(doc["collation"])
        return doc


def _bson_type(value: Any) -> str:
    names = {type(None): "null", bool: "bool", int: "int", float: "double", str: "string", dict: "object",
             list: "array"}
    return names.get(type(value), type(value).__name__)


def _get_path(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc
