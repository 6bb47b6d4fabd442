"""Check a `$jsonSchema` validator before the server sees it.

MongoDB implements JSON Schema draft 4 with its own changes (MongoDB manual,
"$jsonSchema": "Available Keywords" and "Extensions"/"Omissions"): `bsonType`
is added; `$ref`, `$schema`, `default`, `definitions`, `format` and `id` are
not supported; `type: integer` is refused (use `bsonType: int` or `long`);
unknown keywords are errors. The draft 4 meta-schema of the `jsonschema`
library checks the shape of every keyword it knows; the walk below adds the
MongoDB rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema

Path = tuple[str | int, ...]

BSON_TYPES = frozenset({
    "double", "string", "object", "array", "binData", "undefined", "objectId", "bool", "date", "null",
    "regex", "dbPointer", "javascript", "symbol", "javascriptWithScope", "int", "timestamp", "long",
    "decimal", "minKey", "maxKey", "number",
})
SUPPORTED = frozenset({
    "bsonType", "type", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "items", "additionalItems",
    "properties", "patternProperties", "additionalProperties", "required", "minProperties",
    "maxProperties", "dependencies", "allOf", "anyOf", "oneOf", "not", "title", "description",
    # Client-side field level encryption keywords the server accepts in validators.
    "encrypt", "encryptMetadata",
})
UNSUPPORTED = {
    "$ref": "MongoDB does not resolve $ref; inline the subschema",
    "$schema": "MongoDB does not accept $schema in a validator",
    "default": "MongoDB does not support default",
    "definitions": "MongoDB does not support definitions",
    "format": "MongoDB does not support format",
    "id": "MongoDB does not support id",
}
_SCHEMA_MAPS = ("properties", "patternProperties")
_SCHEMA_ONE = ("additionalProperties", "additionalItems", "not")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def check_json_schema(schema: Any) -> Iterator[tuple[Path, str]]:
    """Yield (path inside the schema, message) for every problem found."""
    if not isinstance(schema, dict):
        yield (), f"$jsonSchema must be a mapping, got {type(schema).__name__}"
        return
    meta = jsonschema.Draft4Validator(jsonschema.Draft4Validator.META_SCHEMA)
    for error in sorted(meta.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path))):
        yield tuple(error.absolute_path), f"invalid $jsonSchema: {error.message}"
    yield from _walk(schema, ())


def _walk(schema: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        here = (*path, key)
        if key in UNSUPPORTED:
            yield here, UNSUPPORTED[key]
        elif key not in SUPPORTED:
            yield here, f"unknown $jsonSchema keyword {key!r} (MongoDB refuses it)"
        elif key == "type":
            types = value if isinstance(value, list) else [value]
            if "integer" in types:
                yield here, "MongoDB does not support type: integer; use bsonType: int or long"
        elif key == "bsonType":
            types = value if isinstance(value, list) else [value]
            for t in types:
                if t not in BSON_TYPES:
                    yield here, f"unknown bsonType {t!r} (expected one of {', '.join(sorted(BSON_TYPES))})"
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                yield from _walk(sub, (*here, name))
        elif key in _SCHEMA_ONE:
            yield from _walk(value, here)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from _walk(sub, (*here, i))
        elif key == "items":
            if isinstance(value, list):
                for i, sub in enumerate(value):
                    yield from _walk(sub, (*here, i))
            else:
                yield from _walk(value, here)
        elif key == "dependencies" and isinstance(value, dict):
            for name, sub in value.items():
                if isinstance(sub, dict):
                    yield from _walk(sub, (*here, name))
