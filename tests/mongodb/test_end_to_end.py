"""YAML -> inspect -> diff -> render -> execute -> inspect again, on the mongomock adapter.

The same paths run against a real server in test_server.py when MONGODB_URL is set.
"""

from __future__ import annotations

import threading
import time

import pytest

from reconciler.backends.mongodb import BACKEND
from reconciler.backends.mongodb.lock import LOCK_ID, ApplyLock
from reconciler.changes import Action
from reconciler.errors import ApplyError
from reconciler.spec import load_model
from tests.mongodb.conftest import apply_spec, plan_steps, replan

CHAT = "examples/mongodb-chat/schema.yaml"
TENANTS = "examples/mongodb-tenants/schema.yaml"
TENANT_DBS = ["chat_tenant_acme", "chat_tenant_globex", "chat_tenant_initech"]


def make_tenants(client, names=TENANT_DBS):
    # A tenant database exists once the application has written to it.
    for name in names:
        client[name]["bootstrap"].insert_one({"created": True})


def test_chat_example_applies_and_replans_empty(conn):
    result = apply_spec(conn, CHAT)
    assert result.error is None and result.applied == result.total == 32
    assert replan(conn, CHAT) == []


def test_tenants_three_databases_parallel(conn, fake_server):
    make_tenants(fake_server)
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def progress(step, total, text):
        with lock:
            seen.append((step, total))

    # bootstrap collections are not in the spec: allow the plan to drop them, as apply would with --allow-destroy.
    result = apply_spec(conn, TENANTS, parallel=3, progress=progress)
    assert result.error is None, result.details
    assert result.applied == result.total == len(seen)
    assert sorted(s for s, _ in seen) == list(range(1, result.total + 1))
    assert [d.split(":")[0] for d in result.details] == ["chat_public", *TENANT_DBS]
    assert replan(conn, TENANTS) == []
    for name in TENANT_DBS:
        indexes = {i["name"] for i in fake_server[name]["messages"].list_indexes()}
        assert "idx_messages_read_at" in indexes and "idx_messages_conversation_timestamp_desc" in indexes


def test_new_tenant_gets_the_same_changes(conn, fake_server):
    make_tenants(fake_server, TENANT_DBS[:1])
    apply_spec(conn, TENANTS)
    make_tenants(fake_server, ["chat_tenant_new"])
    changes = replan(conn, TENANTS)
    assert {c.extra["database"] for c in changes} == {"chat_tenant_new"}
    assert all(c.action == Action.CREATE or c.address.endswith("bootstrap") for c in changes)


def test_change_paths_collmod_replace_rename(conn, write_spec):
    v1 = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              events:
                json_schema: {bsonType: object, required: [a]}
                indexes:
                  - {name: by_user, keys: {user: 1}}
                  - {name: ttl, keys: {at: 1}, expire_after_seconds: 60}
              logs: {options: {capped: {size: 4096}}}
              old_name: {indexes: [{keys: {k: 1}}]}
        """, "v1.yaml")
    v2 = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              events:
                json_schema: {bsonType: object, required: [a, b]}
                validation_level: moderate
                indexes:
                  - {name: by_user_time, keys: [{user: 1}, {at: -1}]}
                  - {name: ttl, keys: {at: 1}, expire_after_seconds: 120, hidden: true}
              logs: {options: {capped: {size: 8192}}}
              new_name: {renamed_from: old_name, indexes: [{keys: {k: 1}}]}
        """, "v2.yaml")
    assert apply_spec(conn, v1).error is None
    assert replan(conn, v1) == []
    _, desired = load_model(v2)
    steps = plan_steps(conn, desired)
    assert [f"{c.action.symbol} {c.address}" for c, _ in steps] == [
        "~ collection app.new_name",  # rename first
        "-/+ collection app.logs",  # capped size is fixed at creation
        "~ collection app.events",  # collMod validator + level
        "+ index app.events.by_user_time",  # replacement built before the old index goes
        "~ index app.events.ttl",  # TTL and hidden in place
        "- index app.events.by_user",
    ]
    result = BACKEND.execute(conn, steps, lock_timeout=1, progress=None)
    assert result.error is None, result.details
    assert replan(conn, v2) == []
    live = BACKEND.inspect(conn, desired).databases["app"].collections
    assert live["events"].validation_level == "moderate"
    assert live["events"].indexes["ttl"].options == {"expireAfterSeconds": 120, "hidden": True}
    assert live["logs"].options == {"capped": True, "size": 8192}
    assert "old_name" not in live and "k_1" in live["new_name"].indexes


def test_unique_index_over_duplicates_reports_key_and_resumes(conn, fake_server, write_spec):
    spec = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              votes:
                indexes:
                  - {name: a_first, keys: {created_at: -1}}
                  - {name: one_vote, keys: [{message_id: 1}, {user_id: 1}], unique: true}
                  - {name: z_last, keys: {user_id: 1}}
        """)
    fake_server["app"]["votes"].insert_many([{"message_id": 7, "user_id": 3}, {"message_id": 7, "user_id": 3}])
    result = apply_spec(conn, spec)
    assert result.error is not None
    assert "unique index one_vote on collection votes cannot be built" in result.error
    assert "'message_id': 7" in result.error and "'user_id': 3" in result.error
    assert "one_vote" in result.failed_statement
    text = "\n".join(result.details)
    assert "app: FAILED at step 2 of 3 (index app.votes.one_vote)" in text
    assert "applied steps: 1; not run: 3" in text and "`schemactl plan` again" in text
    # The failed index does not exist; the next plan is exactly what is left.
    assert {i["name"] for i in fake_server["app"]["votes"].list_indexes()} == {"_id_", "a_first"}
    fake_server["app"]["votes"].delete_one({"message_id": 7})
    assert [c.address for c in replan(conn, spec)] == ["index app.votes.one_vote", "index app.votes.z_last"]
    assert apply_spec(conn, spec).error is None and replan(conn, spec) == []


def test_fail_fast_stops_other_databases(conn, fake_server, write_spec):
    spec = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          t:
            names: [t1, t2, t3, t4]
            collections:
              c: {indexes: [{keys: {u: 1}, unique: true}, {keys: {v: 1}}]}
        """)
    fake_server["t1"]["c"].insert_many([{"u": 1}, {"u": 1}])
    result = apply_spec(conn, spec, parallel=1, fail_fast=True)
    assert result.error.startswith("t1: unique index u_1")
    assert any(line.startswith("t4: not started (stopped by --fail-fast)") for line in result.details)
    result = apply_spec(conn, spec, parallel=2, fail_fast=False)
    assert result.error.startswith("t1: ")
    assert [line for line in result.details if line.startswith(("t2:", "t3:", "t4:"))] == [
        "t2: 3 of 3 steps applied", "t3: 3 of 3 steps applied", "t4: 3 of 3 steps applied"]


def test_history_and_status(conn):
    assert BACKEND.read_history(conn) == []
    _, desired = load_model(CHAT)
    steps = plan_steps(conn, desired)
    recorded = []

    def record(c, outcome, statements, error=None):
        recorded.append(outcome)
        BACKEND.write_history(c, {"applied_at": "2026-01-01T00:00:00+00:00", "spec_hash": "sha256:x",
                                  "plan_hash": "sha256:y", "tool_version": "0", "outcome": outcome,
                                  "statements": statements, "error": error})

    BACKEND.execute(conn, steps, lock_timeout=1, progress=None, record=record)
    BACKEND.write_history(conn, {"applied_at": "2026-01-02T00:00:00+00:00", "outcome": "failed"})
    history = BACKEND.read_history(conn, 5)
    assert [h["outcome"] for h in history] == ["failed", "applied"]
    assert len(history[1]["statements"]) == 32 and "_id" not in history[0]
    # History lives in the URL's database and is never part of the plan.
    assert conn.history_database == "chat_public"
    assert "schemactl_history" in conn.client["chat_public"].list_collection_names()
    assert replan(conn, CHAT) == []


def test_history_collection_is_configurable_and_ignored(conn, write_spec):
    spec = write_spec("""
        version: 1
        dialect: mongodb
        history_database: ops
        history_collection: applies
        databases:
          ops: {collections: {c: {}}}
        """)
    assert apply_spec(conn, spec).error is None
    BACKEND.write_history(conn, {"outcome": "applied"})
    assert conn.client["ops"]["applies"].count_documents({}) == 1
    assert replan(conn, spec) == []


def test_lock_serialises_applies_and_expires(conn):
    collection = conn.client["chat_public"]["schemactl_lock"]
    holder = ApplyLock(collection)
    holder.acquire(0)
    with pytest.raises(ApplyError, match="another apply is running"):
        BACKEND.execute(conn, [], lock_timeout=0.3, progress=None)
    released = threading.Timer(0.3, holder.release)
    released.start()
    started = time.monotonic()
    BACKEND.execute(conn, [], lock_timeout=5, progress=None)
    assert time.monotonic() - started >= 0.25
    assert collection.count_documents({}) == 0
    # A crashed holder's lease runs out and the next apply takes over.
    from datetime import datetime, timedelta
    collection.insert_one({"_id": LOCK_ID, "owner": "dead", "acquired_at": datetime(2020, 1, 1),
                           "expires_at": datetime(2020, 1, 1) + timedelta(minutes=5)})
    BACKEND.execute(conn, [], lock_timeout=0, progress=None)
    assert collection.count_documents({}) == 0


def test_inspect_round_trips_through_to_spec(conn, fake_server, write_spec, tmp_path):
    import yaml
    make_tenants(fake_server)
    apply_spec(conn, TENANTS)
    live = BACKEND.inspect(conn, None)
    assert "chat_tenant_acme" in live.databases and "admin" not in live.databases
    document = BACKEND.to_spec(live)
    path = tmp_path / "inspected.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    _, desired = load_model(str(path))
    assert [c.address for c, _ in plan_steps(conn, desired)] == []
    data = BACKEND.fingerprint_data(live)
    assert data["databases"]["chat_tenant_acme"]["messages"]["indexes"]["idx_messages_conversation_timestamp_desc"][
        "keys"] == [["conversation_id", 1], ["timestamp", -1]]


def test_long_steps_report_progress_while_running(conn, write_spec):
    from reconciler.backends.mongodb import execute as execute_module

    spec = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  app:\n    collections: {c: {}}\n")
    _, desired = load_model(spec)
    steps = plan_steps(conn, desired)
    real_run = conn.ops.run

    def slow_run(database, command):
        time.sleep(0.35)
        return real_run(database, command)

    conn.ops.run = slow_run
    reports: list[str] = []
    result = execute_module.execute(conn, steps, lock_timeout=1, progress=lambda n, m, text: reports.append(text),
                                    progress_interval=0.1)
    assert result.error is None
    assert reports[0].startswith('db.getSiblingDB("app").runCommand({create: "c"})')
    assert any("still running" in r for r in reports[1:])
