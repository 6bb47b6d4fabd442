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
from tests.mongodb.kinds import every_kind_database

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


# -- regressions ----------------------------------------------------------------------------------

ONE_INDEX = """
    version: 1
    dialect: mongodb
    databases:
      app:
        collections:
          votes:
            indexes:
              - {{name: one_vote, keys: [{{message_id: 1}}, {{user_id: 1}}]{options}}}
    """


def index_names(client, database="app", collection="votes"):
    return {i["name"] for i in client[database][collection].list_indexes()}


def test_fake_collmod_refuses_a_non_boolean_hidden(conn, write_spec):
    from pymongo.errors import OperationFailure

    assert apply_spec(conn, write_spec(ONE_INDEX.format(options=", hidden: true"))).error is None
    with pytest.raises(OperationFailure, match="expected type 'bool'") as info:
        conn.ops.run("app", {"collMod": "votes", "index": {"name": "one_vote", "hidden": None}})
    assert info.value.code == 14


def test_unhiding_an_index_applies_and_replans_empty(conn, write_spec):
    hidden = write_spec(ONE_INDEX.format(options=", hidden: true"), "hidden.yaml")
    visible = write_spec(ONE_INDEX.format(options=""), "visible.yaml")
    assert apply_spec(conn, hidden).error is None
    result = apply_spec(conn, visible)
    assert result.error is None, result.details
    assert replan(conn, visible) == []
    assert "hidden" not in BACKEND.inspect(conn, None).databases["app"].collections["votes"].indexes["one_vote"].options


def test_removing_collation_fields_is_applied(conn, write_spec):
    strict = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              names:
                options: {collation: {locale: fr, strength: 2}}
                indexes: [{name: by_name, keys: {n: 1}}, {name: by_tag, keys: {t: 1}, collation: {locale: de, strength: 1}}]
        """, "strict.yaml")
    loose = write_spec("""
        version: 1
        dialect: mongodb
        databases:
          app:
            collections:
              names:
                options: {collation: {locale: fr}}
                indexes: [{name: by_name, keys: {n: 1}}, {name: by_tag, keys: {t: 1}, collation: {locale: de}}]
        """, "loose.yaml")
    assert apply_spec(conn, strict).error is None and replan(conn, strict) == []
    changes = replan(conn, loose)
    assert [(c.action, c.address) for c in changes][0] == (Action.REPLACE, "collection app.names")
    assert apply_spec(conn, loose).error is None
    assert replan(conn, loose) == []


def test_making_an_index_unique_over_duplicates_drops_nothing(conn, fake_server, write_spec):
    plain = write_spec(ONE_INDEX.format(options=""), "plain.yaml")
    unique = write_spec(ONE_INDEX.format(options=", unique: true"), "unique.yaml")
    assert apply_spec(conn, plain).error is None
    fake_server["app"]["votes"].insert_many([{"message_id": 7, "user_id": 3}, {"message_id": 7, "user_id": 3},
                                             {"message_id": 8, "user_id": 3}])
    result = apply_spec(conn, unique)
    assert result.error is not None
    assert result.error == ("app: unique index one_vote on collection votes cannot be built: more than one document "
                            "has the key {'message_id': 7, 'user_id': 3}. Remove or merge the duplicates, then apply "
                            "again; nothing was dropped: one_vote is still there as it was.")
    assert "aggregate" in result.failed_statement
    assert "app: FAILED at step 1 of 3 (index app.votes.one_vote)" in "\n".join(result.details)
    # The old index is still there, and the next plan is the same rebuild.
    assert index_names(fake_server) == {"_id_", "one_vote"}
    assert [(c.action, c.address) for c in replan(conn, unique)] == [(Action.REPLACE, "index app.votes.one_vote")]
    fake_server["app"]["votes"].delete_one({"message_id": 7})
    assert apply_spec(conn, unique).error is None and replan(conn, unique) == []


def test_a_create_that_fails_after_its_drop_says_so(conn, fake_server, write_spec):
    from pymongo.errors import OperationFailure

    old = write_spec(ONE_INDEX.format(options=""), "old.yaml")
    new = write_spec(ONE_INDEX.format(options=", sparse: true"), "new.yaml")
    assert apply_spec(conn, old).error is None
    real_run = conn.ops.run

    def failing_create(database, command):
        if "createIndexes" in command:
            raise OperationFailure("operation exceeded time limit", 50, {"errmsg": "operation exceeded time limit"})
        return real_run(database, command)

    conn.ops.run = failing_create
    result = apply_spec(conn, new)
    assert result.error == ("app: index one_vote on collection votes was dropped but could not be created "
                            "again: operation exceeded time limit (code 50). It does not exist now; the next "
                            "`schemactl plan` creates it.")
    conn.ops.run = real_run
    assert index_names(fake_server) == {"_id_"}
    assert [(c.action, c.address) for c in replan(conn, new)] == [(Action.CREATE, "index app.votes.one_vote")]


FOUR_TENANTS = """
    version: 1
    dialect: mongodb
    databases:
      t:
        names: [t1, t2, t3, t4]
        collections:
          c: {indexes: [{keys: {u: 1}}, {keys: {v: 1}}]}
    """


def interrupt_on_call(conn, number, *, signal_main=False):
    """Make the server call `number` (1-based) an interrupt; returns the list of commands sent."""
    import signal

    real_run = conn.ops.run
    sent: list[tuple[str, dict]] = []

    def run(database, command):
        sent.append((database, command))
        if len(sent) == number:
            if not signal_main:
                raise KeyboardInterrupt  # Ctrl-C while this command was being sent
            # Ctrl-C as the terminal sends it: SIGINT to the main thread, which waits for the workers.
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            answer = real_run(database, command)
            time.sleep(0.5)  # long enough for the main thread to stop the scheduling
            return answer
        return real_run(database, command)

    conn.ops.run = run
    return sent


def recorder(conn):
    outcomes: list[tuple[str, list[str], str | None]] = []

    def record(c, outcome, statements, error=None):
        outcomes.append((outcome, statements, error))
        BACKEND.write_history(c, {"outcome": outcome, "statements": statements, "error": error})

    return outcomes, record


def test_interrupt_stops_scheduling_and_records_what_ran(conn, fake_server, write_spec):
    from reconciler.backends.mongodb.execute import ApplyInterrupted

    spec = write_spec(FOUR_TENANTS)
    _, desired = load_model(spec)
    steps = plan_steps(conn, desired)
    assert len(steps) == 12  # per database: create c, two indexes
    sent = interrupt_on_call(conn, 5)
    outcomes, record = recorder(conn)
    with pytest.raises(ApplyInterrupted) as info:
        BACKEND.execute(conn, steps, lock_timeout=1, progress=None, record=record, parallel=1)
    # t1 ran (3 steps), t2 ran one step, its second was interrupted; t3 and t4 were never started.
    assert len(sent) == 5
    assert {database for database, _ in sent} == {"t1", "t2"}
    (outcome, statements, error), = outcomes
    assert outcome == "interrupted" and len(statements) == 4 and error == "interrupted; applied steps: 1, 2, 3, 4"
    assert BACKEND.read_history(conn)[0]["outcome"] == "interrupted"
    report = info.value.report
    assert report.startswith("Interrupted. MongoDB changes are not transactional: 4 of 12 steps were applied "
                             "and are in place (steps 1, 2, 3, 4).")
    assert "t2: step 5 (index t2.c.u_1) was running when the apply stopped" in report
    assert "t3: not started (apply interrupted); 3 steps not run" in report
    assert "rolled back" not in report
    # The lock is released, and the next plan is exactly what is left.
    assert fake_server["chat_public"]["schemactl_lock"].count_documents({}) == 0
    conn.ops.run = type(conn.ops).run.__get__(conn.ops)
    left = replan(conn, spec)
    assert {c.extra["database"] for c in left} == {"t2", "t3", "t4"} and len(left) == 8
    assert apply_spec(conn, spec).error is None and replan(conn, spec) == []


def test_sigint_in_the_main_thread_stops_other_databases(conn, fake_server, write_spec):
    from reconciler.backends.mongodb.execute import ApplyInterrupted

    spec = write_spec(FOUR_TENANTS)
    _, desired = load_model(spec)
    steps = plan_steps(conn, desired)
    sent = interrupt_on_call(conn, 2, signal_main=True)
    outcomes, record = recorder(conn)
    with pytest.raises(ApplyInterrupted) as info:
        BACKEND.execute(conn, steps, lock_timeout=1, progress=None, record=record, parallel=1)
    # The command being sent when Ctrl-C came finished; nothing after it started.
    assert len(sent) == 2 and info.value.result.applied == 2
    assert outcomes[0][0] == "interrupted" and len(outcomes[0][1]) == 2
    assert "t1: apply interrupted after 2 of 3 steps" in info.value.report


# -- coverage the real-server tests have, on the fake ---------------------------------------------


def test_every_index_and_collection_kind_applies_and_replans_empty(conn, write_spec):
    path = write_spec("version: 1\ndialect: mongodb\ndatabases:\n" + every_kind_database("kinds"))
    result = apply_spec(conn, path)
    assert result.error is None, result.details
    assert result.applied == result.total == 18  # 7 collections, 11 indexes
    assert replan(conn, path) == []


def test_listindexes_runs_concurrently_and_is_bounded(conn, fake_server, write_spec, monkeypatch):
    from tests.mongodb.fake_server import FakeOps

    body = "".join(f"          c{i}: {{indexes: [{{keys: {{a: 1}}}}]}}\n" for i in range(4))
    spec = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  t:\n    names: [t1, t2, t3]\n"
                      "    collections:\n" + body.replace("          ", "      "))
    assert apply_spec(conn, spec).error is None
    gauge = Gauge()
    real = FakeOps.list_indexes
    # The fake serialises its own work under one lock; the wait before it stands in for the server's
    # round trip, so the gauge measures how many listIndexes calls the inspector has in flight.
    monkeypatch.setattr(FakeOps, "list_indexes",
                        lambda self, db, coll: gauge.around(lambda: real(self, db, coll), key=(db, coll)))
    assert replan(conn, spec) == []
    assert len(gauge.keys) == 12 and gauge.most == 12  # 3 databases x 4 collections, all in flight at once
    conn.inspect_workers = 5
    gauge.reset()
    assert replan(conn, spec) == []
    assert gauge.most == 5


class Gauge:
    """Counts calls in flight at once (each held open for `hold` seconds)."""

    def __init__(self, hold: float = 0.1) -> None:
        self.hold = hold
        self.reset()

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.active: list[object] = []
        self.most = 0
        self.keys: set[object] = set()
        self.distinct_most = 0

    def around(self, call, key: object):
        with self.lock:
            self.active.append(key)
            self.keys.add(key)
            self.most = max(self.most, len(self.active))
            self.distinct_most = max(self.distinct_most, len(set(self.active)))
        try:
            time.sleep(self.hold)
            return call()
        finally:
            with self.lock:
                self.active.remove(key)


@pytest.mark.parametrize("parallel", [2, 3])
def test_parallel_bounds_the_databases_applied_at_once(conn, write_spec, monkeypatch, parallel):
    from tests.mongodb.fake_server import FakeOps

    spec = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  t:\n    names: [t1, t2, t3, t4, t5]\n"
                      "    collections:\n      c: {indexes: [{keys: {a: 1}}, {keys: {b: 1}}]}\n")
    gauge = Gauge(hold=0.05)
    real = FakeOps.run
    monkeypatch.setattr(FakeOps, "run", lambda self, db, command: gauge.around(lambda: real(self, db, command), db))
    result = apply_spec(conn, spec, parallel=parallel)
    assert result.error is None and result.applied == 15
    # Steps within a database run one after another: never two of one database at once.
    assert gauge.most == gauge.distinct_most == parallel


def test_views_and_system_collections_are_never_touched(conn, fake_server, write_spec):
    conn.ops.run("app", {"create": "people"})
    conn.ops.run("app", {"create": "adults", "viewOn": "people", "pipeline": [{"$match": {"age": {"$gte": 18}}}]})
    conn.ops.run("app", {"create": "system.profile", "capped": True, "size": 1048576})
    listed = {c["name"]: c["type"] for c in conn.ops.list_collections("app")}
    assert listed == {"people": "collection", "adults": "view", "system.views": "collection",
                      "system.profile": "collection"}
    spec = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  app:\n    collections:\n      people: {}\n")
    assert replan(conn, spec) == []
    live = BACKEND.inspect(conn, None).databases["app"].collections
    assert set(live) == {"people"}
    # Even a spec without the collection drops only what it manages.
    empty = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  app:\n    collections: {}\n", "empty.yaml")
    assert [(c.action, c.address) for c in replan(conn, empty)] == [(Action.DROP, "collection app.people")]
    assert apply_spec(conn, empty).error is None
    assert sorted(c["name"] for c in conn.ops.list_collections("app")) == ["adults", "system.profile", "system.views"]


def test_a_second_interrupt_stops_waiting_for_the_running_step(conn, write_spec):
    import signal

    from reconciler.backends.mongodb.execute import ApplyInterrupted

    spec = write_spec(FOUR_TENANTS)
    _, desired = load_model(spec)
    steps = plan_steps(conn, desired)
    real_run = conn.ops.run
    finished = threading.Event()

    def slow_second_step(database, command):
        if "createIndexes" in command and database == "t1" and not finished.is_set():
            main = threading.main_thread().ident
            signal.pthread_kill(main, signal.SIGINT)  # Ctrl-C: the apply waits for this step ...
            time.sleep(0.3)
            signal.pthread_kill(main, signal.SIGINT)  # ... Ctrl-C again: it stops waiting
            time.sleep(0.5)
            answer = real_run(database, command)
            finished.set()
            return answer
        return real_run(database, command)

    conn.ops.run = slow_second_step
    with pytest.raises(ApplyInterrupted) as info:
        BACKEND.execute(conn, steps, lock_timeout=1, progress=None, parallel=1)
    assert not finished.is_set()
    assert "Step(s) 2 were running and may have completed on the server." in info.value.report
    assert "t1: step 2 (index t1.c.u_1) was running when the apply stopped" in info.value.report
    assert finished.wait(5)


def test_the_held_lock_lease_is_renewed(conn, monkeypatch):
    from datetime import timedelta

    from reconciler.backends.mongodb import lock as lock_module

    monkeypatch.setattr(lock_module, "DEFAULT_LEASE", timedelta(seconds=0.6))
    collection = conn.client["chat_public"]["schemactl_lock"]
    with BACKEND.hold_apply_lock(conn, 1):
        assert collection.count_documents({}) == 0  # taken when the target is first read
        BACKEND.inspect(conn, None)
        first = collection.find_one()["expires_at"]
        time.sleep(0.5)  # a person reading the plan, longer than a third of the lease
        assert collection.find_one()["expires_at"] > first
        # The apply itself runs under the held lock instead of waiting for it.
        assert BACKEND.execute(conn, [], lock_timeout=0, progress=None).error is None
        assert collection.count_documents({}) == 1
    assert collection.count_documents({}) == 0
