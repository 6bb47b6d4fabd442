"""Canonical forms shared by the spec builder and the inspector.

The server answers `listIndexes` / `listCollections` with defaults filled in
(`v`, `textIndexVersion`, `language_override`, every collation field ...) and
with numbers in whatever BSON type they were stored as. Both sides of a
comparison go through these functions so that a spec applied and then
inspected compares equal to itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.backends.mongodb.model import (
    DEFAULT_VALIDATION_ACTION,
    DEFAULT_VALIDATION_LEVEL,
    Collection,
    KeyList,
    MongoIndex,
)

#: Fields a server fills into every collation (MongoDB manual, "Collation"); `version` is the ICU version.
COLLATION_DEFAULTS: dict[str, Any] = {
    "caseLevel": False,
    "caseFirst": "off",
    "strength": 3,
    "numericOrdering": False,
    "alternate": "non-ignorable",
    "maxVariable": "punct",
    "normalization": False,
    "backwards": False,
}

#: Collation fields whose default depends on the locale (MongoDB manual, "Collation Locales and Default
#: Parameters"); caseLevel, strength, numericOrdering and maxVariable have the same default everywhere.
COLLATION_LOCALE_FIELDS = ("caseFirst", "alternate", "normalization", "backwards")
_NORMALIZED = {"normalization": True}
#: Locale defaults that differ from COLLATION_DEFAULTS, transcribed from the MongoDB manual, "Collation Locales
#: and Default Parameters" (its table of caseFirst / alternate / normalization / backwards per locale). Only the
#: locales listed here are known; `{}` means "every default is the common one". For a locale not listed, a
#: locale-dependent field the server shows and the spec omits is taken as the locale's default (see
#: canonical.settle_collation).
LOCALE_COLLATION_DEFAULTS: dict[str, dict[str, Any]] = {
    "af": {}, "sq": {}, "am": {}, "ar": {}, "ar@collation=compat": {}, "hy": {}, "as": _NORMALIZED, "az": {},
    "az@collation=search": _NORMALIZED, "be": {}, "bn": _NORMALIZED, "bn@collation=traditional": _NORMALIZED,
    "bs": {}, "bs@collation=search": _NORMALIZED, "bs_Cyrl": {}, "bg": {}, "my": _NORMALIZED, "ca": {},
    "ca@collation=search": _NORMALIZED, "chr": {},
    "en": {}, "en_US": {}, "fr": {}, "fr_CA": {"backwards": True},
}

#: Bucketing a time series collection gets from its granularity (MongoDB manual, "Time Series Granularity").
TIMESERIES_BUCKETS = {
    "seconds": {"bucketMaxSpanSeconds": 3600, "bucketRoundingSeconds": 60},
    "minutes": {"bucketMaxSpanSeconds": 86400, "bucketRoundingSeconds": 3600},
    "hours": {"bucketMaxSpanSeconds": 2592000, "bucketRoundingSeconds": 86400},
}

# Index fields that say how the server stored the index, not what the index is.
_INDEX_BOOKKEEPING = {"v", "key", "name", "ns", "background", "textIndexVersion", "2dsphereIndexVersion",
                      "dropDups", "safe"}
# Index booleans whose `false` is the same as leaving them out.
_FALSE_DEFAULTS = ("unique", "sparse", "hidden")
_2D_DEFAULTS = {"bits": 26, "min": -180, "max": 180}


def plain(value: Any) -> Any:
    """BSON documents (SON, RawBSONDocument) and Int64 as plain dicts and ints, recursively."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        # bson.Int64 is an int subclass; json and equality want the plain type.
        return int(value)
    return value


def number(value: Any) -> Any:
    """1, 1.0 and Int64(1) are the same key direction or option value."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return int(value)
    return value


def collation_defaults(locale: str) -> dict[str, Any]:
    """Every field's default for `locale`, as far as LOCALE_COLLATION_DEFAULTS knows it."""
    return {**COLLATION_DEFAULTS, **LOCALE_COLLATION_DEFAULTS.get(locale, {})}


def collation(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A collation without the fields equal to its locale's defaults; `simple` is no collation."""
    if not value:
        return None
    doc = {k: number(v) for k, v in plain(value).items() if k != "version"}
    if doc.get("locale") == "simple":
        return None
    defaults = collation_defaults(str(doc.get("locale")))
    return {k: v for k, v in doc.items() if k == "locale" or defaults.get(k, object()) != v}


def canonical_keys(keys: KeyList, weights: Mapping[str, Any] | None = None) -> KeyList:
    """Key list with text keys in one sorted run where the first one stood.

    A text index is one `_fts` key on the server whatever the order of its
    fields; fields named only in `weights` are text keys too.
    """
    text_fields = sorted({f for f, d in keys if d == "text"} | set(weights or {}))
    out: list[tuple[str, Any]] = []
    placed = False
    for field_, direction in keys:
        if direction == "text":
            if not placed:
                out.extend((f, "text") for f in text_fields)
                placed = True
            continue
        out.append((field_, number(direction)))
    if text_fields and not placed:
        out.extend((f, "text") for f in text_fields)
    return tuple(out)


def index_options(raw: Mapping[str, Any], collection_collation: dict[str, Any] | None) -> dict[str, Any]:
    """Options of an index in canonical form (defaults and bookkeeping removed)."""
    opts: dict[str, Any] = {}
    for name, value in plain(raw).items():
        if name in _INDEX_BOOKKEEPING:
            continue
        if name in _FALSE_DEFAULTS and not value:
            continue
        if name == "default_language" and value == "english":
            continue
        if name == "language_override" and value == "language":
            continue
        if name == "weights":
            custom = {f: number(w) for f, w in value.items() if number(w) != 1}
            if custom:
                opts["weights"] = dict(sorted(custom.items()))
            continue
        if name in _2D_DEFAULTS and number(value) == _2D_DEFAULTS[name]:
            continue
        if name == "collation":
            coll = collation(value)
            # Indexes inherit the collection's default collation and listIndexes repeats it.
            if coll is not None and coll != collection_collation:
                opts["collation"] = coll
            continue
        if name == "expireAfterSeconds":
            value = number(value)
        opts[name] = value
    return dict(sorted(opts.items()))


def index_from_server(doc: Mapping[str, Any], collection_collation: dict[str, Any] | None) -> MongoIndex | None:
    """A `listIndexes` entry as a model index; None for `_id_`, which is never managed."""
    if doc.get("name") == "_id_":
        return None
    raw_keys = list(plain(doc["key"]).items())
    keys: list[tuple[str, Any]] = []
    for field_, direction in raw_keys:
        if field_ == "_fts":
            # The server's spelling of "the text fields", listed in `weights`.
            keys.append(("\0text", "text"))
        elif field_ == "_ftsx":
            continue
        else:
            keys.append((field_, number(direction)))
    weights = plain(doc.get("weights") or {})
    keys = [k for k in keys if k[0] != "\0text"] if not weights else keys
    # Expand the placeholder into the weighted fields, in canonical order.
    expanded: list[tuple[str, Any]] = []
    for field_, direction in keys:
        if field_ == "\0text":
            expanded.extend((f, "text") for f in sorted(weights))
        else:
            expanded.append((field_, direction))
    return MongoIndex(name=str(doc["name"]), keys=canonical_keys(tuple(expanded), weights),
                      options=index_options(doc, collection_collation))


def timeseries(value: Mapping[str, Any]) -> dict[str, Any]:
    doc = {k: number(v) for k, v in plain(value).items()}
    if "granularity" not in doc and not ({"bucketMaxSpanSeconds", "bucketRoundingSeconds"} & set(doc)):
        doc["granularity"] = "seconds"
    defaults = TIMESERIES_BUCKETS.get(doc.get("granularity", ""), {})
    for name, default in defaults.items():
        if doc.get(name) == default:
            del doc[name]
    return dict(sorted(doc.items()))


def clustered_index(value: Mapping[str, Any] | bool) -> dict[str, Any]:
    doc = plain(value) if isinstance(value, Mapping) else {}
    out: dict[str, Any] = {"key": {"_id": 1}, "unique": True}
    if doc.get("name") and doc["name"] != "_id_":
        out["name"] = doc["name"]
    return out


def collection_options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical collection options from listCollections' `options` (validator fields excluded)."""
    raw = plain(raw)
    opts: dict[str, Any] = {}
    if raw.get("capped"):
        opts["capped"] = True
        if "size" in raw:
            opts["size"] = number(raw["size"])
        if raw.get("max"):
            opts["max"] = number(raw["max"])
    if raw.get("timeseries"):
        opts["timeseries"] = timeseries(raw["timeseries"])
    coll = collation(raw.get("collation"))
    if coll:
        opts["collation"] = coll
    if raw.get("clusteredIndex"):
        opts["clusteredIndex"] = clustered_index(raw["clusteredIndex"])
    if raw.get("expireAfterSeconds") not in (None, "off"):
        opts["expireAfterSeconds"] = number(raw["expireAfterSeconds"])
    images = raw.get("changeStreamPreAndPostImages")
    if isinstance(images, Mapping) and images.get("enabled"):
        opts["changeStreamPreAndPostImages"] = {"enabled": True}
    return opts


def collection_from_server(doc: Mapping[str, Any], indexes: list[Mapping[str, Any]]) -> Collection:
    """A `listCollections` entry plus its `listIndexes` answer as a model collection."""
    raw = plain(doc.get("options") or {})
    options = collection_options(raw)
    validator = raw.get("validator") or None
    coll = Collection(
        name=str(doc["name"]),
        options=options,
        validator=validator,
        validation_level=raw.get("validationLevel", DEFAULT_VALIDATION_LEVEL),
        validation_action=raw.get("validationAction", DEFAULT_VALIDATION_ACTION),
    )
    for entry in indexes:
        index = index_from_server(entry, options.get("collation"))
        if index is not None:
            coll.indexes[index.name] = index
    coll.indexes = dict(sorted(coll.indexes.items()))
    return coll
