"""The end-to-end paths against a real wire-protocol server: the `real_server` fixture, a throwaway
SecantusDB (installed by `make test` into .venv-secantus), or a real mongod when MONGODB_URL is set:

    MONGODB_URL=mongodb://localhost:27017 .venv/bin/pytest -q tests/mongodb/test_server.py

Where SecantusDB differs from MongoDB (conftest.SECANTUS_DIFFERENCES, docs/mongodb.md), a test leaves
out only the part the server cannot do and runs the rest; that part has its own test, marked xfail
(strict) on that server, so it runs in full against MongoDB and tells when the server catches up.

Every test works in databases named schemactl_it_<random>_* and drops them afterwards.
The fake-server versions of these paths (test_end_to_end.py) run everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.backends.mongodb import BACKEND
from reconciler.cli import main
from tests.mongodb.conftest import RealServer, apply_spec, replan, spec
from tests.mongodb.kinds import EVERY_KIND_COLLECTIONS, every_kind_database

TEXT_AND_HASHED = ("{keys: {title: text, body: text}", "{keys: {h: hashed}}")


def expect_difference(request: pytest.FixtureRequest, real_server: RealServer, key: str) -> None:
    """Mark the running test xfail (strict) when this server has the documented difference `key`."""
    reason = real_server.differs(key)
    if reason:
        request.applymarker(pytest.mark.xfail(reason=f"documented server difference: {reason}", strict=True))


def test_every_index_and_collection_kind_replans_empty(server, real_server, write_spec):
    conn, prefix = server
    body = every_kind_database("PFX_main")
    if real_server.differs("text_hashed_indexes"):  # those two: test_text_and_hashed_indexes
        body = "\n".join(line for line in body.splitlines() if not line.strip().startswith(
            tuple("- " + kind for kind in TEXT_AND_HASHED))) + "\n"
        assert "text" not in body and "hashed" not in body
    path = spec(write_spec, prefix, body)
    result = apply_spec(conn, path)
    assert result.error is None, result.details
    assert replan(conn, path) == []


def test_text_and_hashed_indexes(server, real_server, write_spec, request):
    expect_difference(request, real_server, "text_hashed_indexes")
    conn, prefix = server
    indexes = [line.strip() for line in EVERY_KIND_COLLECTIONS.splitlines()
               if line.strip().startswith(tuple("- " + kind for kind in TEXT_AND_HASHED))]
    assert len(indexes) == 2
    path = spec(write_spec, prefix, "  PFX_main:\n    collections:\n      messages:\n        indexes:\n"
                + "".join(f"          {line}\n" for line in indexes))
    result = apply_spec(conn, path)
    assert result.error is None, result.details
    assert replan(conn, path) == []


def test_collmod_ttl_and_hidden_together(server, real_server, write_spec, request):
    # One plan changes a TTL index's expireAfterSeconds and hides it: two collMods, then an empty re-plan.
    expect_difference(request, real_server, "collmod_hidden")
    conn, prefix = server
    v1 = spec(write_spec, prefix, """\
  PFX_main: {collections: {events: {indexes: [{name: ttl, keys: {at: 1}, expire_after_seconds: 60}]}}}
""", "v1.yaml")
    v2 = spec(write_spec, prefix, """\
  PFX_main: {collections: {events: {indexes: [{name: ttl, keys: {at: 1}, expire_after_seconds: 120, hidden: true}]}}}
""", "v2.yaml")
    assert apply_spec(conn, v1).error is None
    assert apply_spec(conn, v2).error is None
    live = {i["name"]: i for i in conn.client[f"{prefix}_main"]["events"].list_indexes()}["ttl"]
    assert live["expireAfterSeconds"] == 120
    assert live.get("hidden") is True
    assert replan(conn, v2) == []
    assert apply_spec(conn, v1).error is None  # un-hide: collMod with hidden: false
    assert "hidden" not in {i["name"]: i for i in conn.client[f"{prefix}_main"]["events"].list_indexes()}["ttl"]
    assert replan(conn, v1) == []


def test_change_paths_and_duplicates(server, real_server, write_spec):
    # Without collMod `hidden` on a server that ignores it (test_collmod_ttl_and_hidden_together).
    conn, prefix = server
    hidden = "" if real_server.differs("collmod_hidden") else ", hidden: true"
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
          - {name: ttl, keys: {at: 1}, expire_after_seconds: 120HIDDEN}
          - {name: uniq, keys: {user: 1}, unique: true}
      new_name: {renamed_from: old_name, indexes: [{keys: {k: 1}}]}
""".replace("HIDDEN", hidden), "v2.yaml")
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


def test_cli_chat_example_plan_apply_replan(server, real_server, tmp_path):
    # The whole CLI on the examples/mongodb-chat spec, its database renamed into this test's prefix
    # (history and lock there too, through the URL's path).
    _, prefix = server
    root = Path(__file__).resolve().parents[2]
    text = (root / "examples/mongodb-chat/schema.yaml").read_text(encoding="utf-8")
    assert "  second_brain:\n" in text
    path = tmp_path / "chat.yaml"
    path.write_text(text.replace("  second_brain:\n", f"  {prefix}_chat:\n"), encoding="utf-8")
    head, _, query = real_server.url.partition("?")
    url = f"{head.rstrip('/')}/{prefix}_chat" + (f"?{query}" if query else "")

    def run(*args: str):
        return CliRunner().invoke(main, [args[0], str(path), "--url", url, *args[1:]], catch_exceptions=False)

    first = run("plan", "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert f"+ collection {prefix}_chat.message_votes" in first.output
    assert "Plan: 32 to add, 0 to change, 0 to destroy." in first.output
    applied = run("apply", "--auto-approve", "--quiet")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete!" in applied.output
    again = run("plan", "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output, again.output
    status = run("status")
    assert "outcome=applied" in status.output and "Drift: none" in status.output, status.output


COLLMOD_V1 = """\
  PFX_main:
    collections:
      events:
        json_schema: {bsonType: object, required: [a]}
        options: {clustered: true, expire_after_seconds: 3600}
      orders: {options: {change_stream_pre_and_post_images: true}}
"""
COLLMOD_V2 = """\
  PFX_main:
    collections:
      events:
        json_schema: {bsonType: object, required: [a, b]}
        validation_level: moderate
        validation_action: warn
        options: {clustered: true, expire_after_seconds: 7200}
      orders: {}
"""


def test_collmod_in_place_for_every_collection_option(server, real_server, write_spec):
    # Validator, level, action, collection TTL and pre/post images change with collMod: documents stay.
    # Without the collection TTL change on a server that ignores it (test_collmod_collection_ttl).
    conn, prefix = server
    v2_body = COLLMOD_V2
    if real_server.differs("collmod_collection_ttl"):
        v2_body = v2_body.replace("expire_after_seconds: 7200", "expire_after_seconds: 3600")
    v1 = spec(write_spec, prefix, COLLMOD_V1, "v1.yaml")
    v2 = spec(write_spec, prefix, v2_body, "v2.yaml")
    assert apply_spec(conn, v1).error is None and replan(conn, v1) == []
    db = conn.client[f"{prefix}_main"]
    db["events"].insert_one({"a": 1})
    db["orders"].insert_one({"o": 1})
    changes = replan(conn, v2)
    assert {(c.action.symbol, c.address) for c in changes} == {
        ("~", f"collection {prefix}_main.events"), ("~", f"collection {prefix}_main.orders")}
    result = apply_spec(conn, v2)
    assert result.error is None, result.details
    assert replan(conn, v2) == []
    assert db["events"].count_documents({}) == 1 and db["orders"].count_documents({}) == 1
    assert apply_spec(conn, v1).error is None and replan(conn, v1) == []  # and back


def test_collmod_collection_ttl(server, real_server, write_spec, request):
    expect_difference(request, real_server, "collmod_collection_ttl")
    conn, prefix = server
    v1 = spec(write_spec, prefix, COLLMOD_V1, "v1.yaml")
    v2 = spec(write_spec, prefix, COLLMOD_V1.replace("3600", "7200"), "v2.yaml")
    assert apply_spec(conn, v1).error is None
    assert [c.extra.get("group") for c in replan(conn, v2)] == ["collection events (expire_after_seconds)"]
    assert apply_spec(conn, v2).error is None
    assert replan(conn, v2) == []


def test_every_index_option_change_rebuilds_and_replans_empty(server, write_spec):
    conn, prefix = server
    v1 = spec(write_spec, prefix, """\
  PFX_main:
    collections:
      c:
        indexes:
          - {name: i_sparse, keys: {a: 1}}
          - {name: i_partial, keys: {b: 1}, partial_filter: {b: {$exists: true}}}
          - {name: i_collation, keys: {n: 1}, collation: {locale: fr, strength: 2}}
          - {name: i_unique, keys: {u: 1}}
          - {name: i_ttl, keys: {at: 1}, expire_after_seconds: 60}
          - {name: i_wild, keys: {"m.$**": 1}}
          - {name: i_keys, keys: {k: 1}}
          - {name: i_geo, keys: {g: 2dsphere}}
""", "v1.yaml")
    v2 = spec(write_spec, prefix, """\
  PFX_main:
    collections:
      c:
        indexes:
          - {name: i_sparse, keys: {a: 1}, sparse: true}
          - {name: i_partial, keys: {b: 1}, partial_filter: {b: {$gt: 5}}}
          - {name: i_collation, keys: {n: 1}, collation: {locale: de}}
          - {name: i_unique, keys: {u: 1}, unique: true}
          - {name: i_ttl, keys: {at: 1}}
          - {name: i_wild, keys: {"$**": 1}, wildcard_projection: {m: 1}}
          - {name: i_keys2, keys: {k: -1}}
          - {name: i_geo, keys: {g: 2dsphere, z: 1}}
""", "v2.yaml")
    assert apply_spec(conn, v1).error is None and replan(conn, v1) == []
    conn.client[f"{prefix}_main"]["c"].insert_many([{"a": 1, "u": 1, "k": 1}, {"a": 2, "u": 2, "k": 2}])
    changes = replan(conn, v2)
    assert len(changes) >= 8
    result = apply_spec(conn, v2)
    assert result.error is None, result.details
    assert replan(conn, v2) == []
    live = {i["name"] for i in conn.client[f"{prefix}_main"]["c"].list_indexes()}
    assert live == {"_id_", "i_sparse", "i_partial", "i_collation", "i_unique", "i_ttl", "i_wild", "i_keys2", "i_geo"}
    assert conn.client[f"{prefix}_main"]["c"].count_documents({}) == 2
    assert apply_spec(conn, v1).error is None and replan(conn, v1) == []  # and back


def test_rename_keeps_documents_and_indexes(server, write_spec):
    conn, prefix = server
    v1 = spec(write_spec, prefix, "  PFX_main: {collections: {old_name: {indexes: [{keys: {k: 1}}]}}}\n", "v1.yaml")
    v2 = spec(write_spec, prefix, "  PFX_main: {collections: {new_name: {renamed_from: old_name, "
                                  "indexes: [{keys: {k: 1}}]}}}\n", "v2.yaml")
    assert apply_spec(conn, v1).error is None
    db = conn.client[f"{prefix}_main"]
    db["old_name"].insert_many([{"k": 1}, {"k": 2}])
    assert [(c.action.symbol, c.address) for c in replan(conn, v2)] == [("~", f"collection {prefix}_main.new_name")]
    assert apply_spec(conn, v2).error is None
    assert replan(conn, v2) == []
    assert "old_name" not in db.list_collection_names()
    assert sorted(d["k"] for d in db["new_name"].find()) == [1, 2]
    assert "k_1" in {i["name"] for i in db["new_name"].list_indexes()}


def test_interrupts_stop_scheduling_on_the_server(server, write_spec):
    # Ctrl-C in a worker while a command is sent, then SIGINT to the main thread: what ran is recorded,
    # the lock is released, and the next plan on the server is exactly what is left.
    from reconciler.backends.mongodb.execute import ApplyInterrupted
    from reconciler.spec import load_model
    from tests.mongodb.conftest import plan_steps
    from tests.mongodb.test_end_to_end import interrupt_on_call, recorder

    conn, prefix = server
    names = [f"{prefix}_t{i}" for i in range(1, 5)]
    path = spec(write_spec, prefix, "  t:\n    names: [" + ", ".join(names) + "]\n    collections:\n"
                "      c: {indexes: [{keys: {u: 1}}, {keys: {v: 1}}]}\n")
    real_run = conn.ops.run
    for number, signal_main, applied in ((5, False, 4), (2, True, 2)):
        _, desired = load_model(path)
        steps = plan_steps(conn, desired)
        sent = interrupt_on_call(conn, number, signal_main=signal_main)
        outcomes, record = recorder(conn)
        with pytest.raises(ApplyInterrupted) as info:
            BACKEND.execute(conn, steps, lock_timeout=1, progress=None, record=record, parallel=1)
        conn.ops.run = real_run
        assert len(sent) == number and info.value.result.applied == applied
        assert outcomes[0][0] == "interrupted" and len(outcomes[0][1]) == applied
        assert f"{names[-1]}: not started (apply interrupted)" in info.value.report
        assert conn.client[f"{prefix}_main"]["schemactl_lock"].count_documents({}) == 0
        left = replan(conn, path)
        assert len(left) == len(steps) - applied
        assert {c.extra["database"] for c in left} >= set(names[2:])
        assert [h["outcome"] for h in BACKEND.read_history(conn, 1)] == ["interrupted"]
        assert apply_spec(conn, path).error is None and replan(conn, path) == []
        for name in names:
            conn.client.drop_database(name)


def test_views_and_system_collections_are_left_alone(server, write_spec):
    conn, prefix = server
    database = f"{prefix}_main"
    conn.client[database].command({"create": "people"})
    conn.client[database].command({"create": "adults", "viewOn": "people",
                                   "pipeline": [{"$match": {"age": {"$gte": 18}}}]})
    path = spec(write_spec, prefix, "  PFX_main: {collections: {people: {}}}\n")
    assert replan(conn, path) == []
    assert set(BACKEND.inspect(conn, None).databases[database].collections) >= {"people"}
    assert "adults" not in BACKEND.inspect(conn, None).databases[database].collections
    empty = spec(write_spec, prefix, "  PFX_main: {collections: {}}\n", "empty.yaml")
    assert [c.address for c in replan(conn, empty)] == [f"collection {database}.people"]
    assert apply_spec(conn, empty).error is None
    names = set(conn.client[database].list_collection_names())
    assert "people" not in names and "adults" in names
