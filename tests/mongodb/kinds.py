"""One spec with a collection and an index of every kind, shared by the fake and the real-server tests."""

from __future__ import annotations

import textwrap

EVERY_KIND_COLLECTIONS = """\
messages:
  json_schema: {bsonType: object, required: [a], properties: {a: {bsonType: string}}}
  validation_action: warn
  indexes:
    - {keys: [{user_id: 1}, {created_at: -1}]}
    - {name: one_vote, keys: {message_id: 1, user_id: 1}, unique: true}
    - {keys: {read_at: 1}, sparse: true, expire_after_seconds: 86400}
    - {keys: {status: 1}, partial_filter: {status: {$exists: true}}, hidden: true}
    - {keys: {title: text, body: text}, weights: {title: 5}, default_language: spanish}
    - {keys: {loc: 2dsphere}}
    - {keys: {h: hashed}}
    - {keys: {"$**": 1}, wildcard_projection: {meta: 1}}
    - {name: by_name_fr, keys: {name: 1}, collation: {locale: fr, strength: 2}}
log: {options: {capped: {size: 1048576, max: 1000}}}
names: {options: {collation: {locale: fr_CA}}, indexes: [{keys: {n: 1}}]}
events: {options: {clustered: true, expire_after_seconds: 3600}}
weather: {options: {timeseries: {timeField: ts, metaField: meta, granularity: hours}}}
orders: {options: {change_stream_pre_and_post_images: true}}
places: {indexes: [{keys: {pos: 2d}}]}
"""


def every_kind_database(name: str) -> str:
    """A `databases:` entry named `name` holding EVERY_KIND_COLLECTIONS."""
    return f"  {name}:\n    collections:\n" + textwrap.indent(EVERY_KIND_COLLECTIONS, "      ")
