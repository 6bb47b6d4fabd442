"""The end-to-end paths against a real MongoDB server; run when MONGODB_URL is set.

    MONGODB_URL=mongodb://localhost:27017 .venv/bin/pytest -q tests/mongodb/test_server.py

Every test works in databases named schemactl_it_<random>_* and drops them afterwards.
The fake-server versions of these paths (test_end_to_end.py) run everywhere.
"""

from __future__ import annotations

import os
import uuid

import pytest

from reconciler.backends.mongodb import BACKEND
from tests.mongodb.conftest import apply_spec, replan
from tests.mongodb.kinds import every_kind_database

MONGODB_URL = os.environ.get("MONGODB_URL")
pytestmark = pytest.mark.skipif(
    not MONGODB_URL,
    reason="MONGODB_URL is not set: no MongoDB server to test against (the mongomock paths ran instead)")


@pytest.fixture
def server():
    conn = BACKEND.connect(MONGODB_URL)
    prefix = f"schemactl_it_{uuid.uuid4().hex[:8]}"
    try:
        yield conn, prefix
    finally:
        for name in conn.client.list_database_names():
            if name.startswith(prefix):
                conn.client.drop_database(name)
        BACKEND.close(conn)


def spec(write_spec, prefix: str, body: str, name: str = "schema.yaml") -> str:
    return write_spec(f"version: 1\ndialect: mongodb\nhistory_database: {prefix}_main\ndatabases:\n"
                      + body.replace("PFX", prefix), name)


def test_every_index_and_collection_kind_replans_empty(server, write_spec):
    conn, prefix = server
    path = spec(write_spec, prefix, every_kind_database("PFX_main"))
    result = apply_spec(conn, path)
    assert result.error is None, result.details
    assert replan(conn, path) == []


def test_change_paths_and_duplicates(server, write_spec):
    conn, prefix = server
    v1 = spec(write_spec, prefix, """\
  PFX_main:
    collections:
      events:
        json_schema: {bsonType: object, required: [a]}
        indexes: [{name: by_user, keys: {user: 1}}, {name: ttl, keys: {at: 1}, expire_after_seconds: 60}]
      old_name: {indexes: [{keys: {k: 1}}]}
""", "v1.yaml")
    v2 = spec(write_spec, prefix, """\
  PFX_main:
    collections:
      events:
        json_schema: {bsonType: object, required: [a, b]}
        indexes:
          - {name: by_user_time, keys: [{user: 1}, {at: -1}]}
          - {name: ttl, keys: {at: 1}, expire_after_seconds: 120, hidden: true}
          - {name: uniq, keys: {user: 1}, unique: true}
      new_name: {renamed_from: old_name, indexes: [{keys: {k: 1}}]}
""", "v2.yaml")
    assert apply_spec(conn, v1).error is None
    conn.client[f"{prefix}_main"]["events"].insert_many([{"a": "x", "user": 1}, {"a": "y", "user": 1}])
    result = apply_spec(conn, v2)
    assert result.error and "unique index uniq on collection events cannot be built" in result.error
    assert "'user': 1" in result.error or "user: 1" in result.error
    conn.client[f"{prefix}_main"]["events"].delete_one({"a": "y"})
    assert apply_spec(conn, v2).error is None
    assert replan(conn, v2) == []


def test_tenants_history_and_lock(server, write_spec):
    conn, prefix = server
    for tenant in ("a", "b", "c"):
        conn.client[f"{prefix}_t_{tenant}"]["config"].insert_one({"x": 1})
    path = spec(write_spec, prefix, """\
  PFX_main: {collections: {client_configs: {indexes: [{keys: {client_id: 1}, unique: true}]}}}
  tenant:
    match: "^PFX_t_"
    collections:
      config: {}
      messages: {indexes: [{name: idx_messages_read_at, keys: {read_at: 1}, sparse: true}]}
""")
    result = apply_spec(conn, path, parallel=3)
    assert result.error is None and len(result.details) == 4
    assert replan(conn, path) == []
    BACKEND.write_history(conn, {"outcome": "applied", "spec_hash": "sha256:x"})
    assert BACKEND.read_history(conn)[0]["spec_hash"] == "sha256:x"


def test_unhide_unique_rebuild_and_collation_removal(server, write_spec):
    # The server's own answers to what the fake imitates: collMod wants a boolean `hidden`, the
    # duplicate check is a real aggregation, and locale defaults come from ICU.
    conn, prefix = server
    v1 = spec(write_spec, prefix, """\
  PFX_main:
    collections:
      votes: {indexes: [{name: one_vote, keys: {message_id: 1, user_id: 1}, hidden: true}]}
      names: {options: {collation: {locale: fr, strength: 2}}}
      names_ca: {options: {collation: {locale: fr_CA}}}
""", "v1.yaml")
    v2 = spec(write_spec, prefix, """\
  PFX_main:
    collections:
      votes: {indexes: [{name: one_vote, keys: {message_id: 1, user_id: 1}, unique: true}]}
      names: {options: {collation: {locale: fr}}}
      names_ca: {options: {collation: {locale: fr_CA}}}
""", "v2.yaml")
    assert apply_spec(conn, v1).error is None and replan(conn, v1) == []
    votes = conn.client[f"{prefix}_main"]["votes"]
    votes.insert_many([{"message_id": 7, "user_id": 3}, {"message_id": 7, "user_id": 3}])
    result = apply_spec(conn, v2)
    assert result.error and "nothing was dropped" in result.error and "'message_id': 7" in result.error
    assert "one_vote" in {i["name"] for i in votes.list_indexes()}
    votes.delete_one({"message_id": 7})
    assert apply_spec(conn, v2).error is None
    assert replan(conn, v2) == []
