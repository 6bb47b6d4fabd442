"""The CLI end to end against a real wire-protocol server (`real_server`: a throwaway SecantusDB, or a
real mongod when MONGODB_URL is set): tenants with --parallel and --fail-fast, the lock document,
replace and rebuild paths, history and status, and SIGINT to a running `schemactl apply`.

Each test works in its own databases (schemactl_it_<random>_*, the `server` fixture of
test_server.py), with the history and lock in <prefix>_main, and drops them afterwards.
The mongomock versions of these paths are in test_cli.py and test_end_to_end.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from reconciler.backends.mongodb.lock import LOCK_ID, ApplyLock
from reconciler.cli import main
from tests.mongodb.conftest import spec

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def history(conn, prefix: str) -> list[dict]:
    """History rows, newest first (ObjectIds grow with insertion, as read_history orders them)."""
    return list(conn.client[f"{prefix}_main"]["schemactl_history"].find().sort("_id", -1))


def index_names(conn, database: str, collection: str) -> set[str]:
    return {i["name"] for i in conn.client[database][collection].list_indexes()}


TENANTS = """\
  PFX_main: {collections: {settings: {}}}
  tenant:
    match: "^PFX_t"
    collections:
      votes: {indexes: [{name: by_message, keys: {message_id: 1}}, {name: one_vote, keys: {message_id: 1, user_id: 1}, unique: true}]}
"""


def test_cli_tenants_parallel_then_fail_fast(server, real_server, write_spec):
    conn, prefix = server
    tenants = [f"{prefix}_t{i}" for i in range(1, 5)]
    for name in tenants:
        conn.client[name]["votes"].insert_one({"message_id": 1, "user_id": 1})
    path = spec(write_spec, prefix, TENANTS)
    url = real_server.url

    plan = cli("plan", path, "--url", url, "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f"+ 4 databases ({', '.join(tenants[:3])}, ... 1 more): index one_vote on votes" in plan.output

    applied = cli("apply", path, "--url", url, "--auto-approve", "--quiet", "--parallel", "3",
                  "--allow-hazards", "may_fail_on_data")
    assert applied.exit_code == 0, applied.output
    for name in tenants:
        assert f"{name}: 2 of 2 steps applied" in applied.output
        assert index_names(conn, name, "votes") == {"_id_", "by_message", "one_vote"}
    again = cli("plan", path, "--url", url, "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output, again.output

    # A new index everywhere; one tenant (the first scheduled) has duplicates for it.
    v2 = spec(write_spec, prefix, TENANTS.replace(
        "unique: true}]}", "unique: true}, {name: one_user, keys: {user_id: 1}, unique: true}]}"), "v2.yaml")
    conn.client[tenants[0]]["votes"].insert_one({"message_id": 2, "user_id": 1})
    failed = cli("apply", v2, "--url", url, "--auto-approve", "--quiet", "--parallel", "1", "--fail-fast",
                 "--allow-hazards", "may_fail_on_data")
    assert failed.exit_code == 1, failed.output
    assert f"{tenants[0]}: FAILED at step 1 of 4 (index {tenants[0]}.votes.one_user)" in failed.output
    assert "unique index one_user on collection votes cannot be built" in failed.output
    for name in tenants[1:]:
        assert f"{name}: not started (stopped by --fail-fast)" in failed.output
        assert "one_user" not in index_names(conn, name, "votes")
    assert "one_user" not in index_names(conn, tenants[0], "votes")
    rows = history(conn, prefix)
    assert [r["outcome"] for r in rows] == ["failed", "applied"]
    assert len(rows[1]["statements"]) == 9 and rows[0]["statements"] == []
    assert "one_user" in rows[0]["error"]
    status = cli("status", v2, "--url", url)
    assert "outcome=failed" in status.output and "Drift: Plan: 4 to add" in status.output, status.output

    # Without --fail-fast every other tenant converges; only the failing one is left in the plan.
    rest = cli("apply", v2, "--url", url, "--auto-approve", "--quiet", "--parallel", "2",
               "--allow-hazards", "may_fail_on_data")
    assert rest.exit_code == 1, rest.output
    for name in tenants[1:]:
        assert f"{name}: 1 of 1 steps applied" in rest.output
        assert "one_user" in index_names(conn, name, "votes")
    left = cli("plan", v2, "--url", url)
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in left.output, left.output
    assert f"+ index {tenants[0]}.votes.one_user" in left.output
    conn.client[tenants[0]]["votes"].delete_one({"message_id": 2})
    assert cli("apply", v2, "--url", url, "--auto-approve", "--quiet",
               "--allow-hazards", "may_fail_on_data").exit_code == 0
    assert "No changes." in cli("plan", v2, "--url", url).output
    assert [r["outcome"] for r in history(conn, prefix)] == ["applied", "failed", "failed", "applied"]
    status = cli("status", v2, "--url", url)
    assert "outcome=applied" in status.output and "Drift: none" in status.output, status.output


def test_lock_waits_then_fails_clearly_and_expired_lock_is_taken_over(server, real_server, write_spec):
    conn, prefix = server
    path = spec(write_spec, prefix, "  PFX_main: {collections: {c: {indexes: [{keys: {a: 1}}]}}}\n")
    locks = conn.client[f"{prefix}_main"]["schemactl_lock"]
    holder = ApplyLock(locks, target="first apply")
    holder.acquire(0)
    try:
        started = time.monotonic()
        second = cli("apply", path, "--url", real_server.url, "--auto-approve", "--lock-timeout", "1")
        waited = time.monotonic() - started
        assert second.exit_code == 1, second.output
        assert "Error: another apply is running on" in second.output
        assert f"lock held by {holder.owner}" in second.output
        assert "waited 1s. Retry later or raise --lock-timeout." in second.output
        assert waited >= 1 and "will perform" not in second.output
        assert f"{prefix}_main" not in conn.client.list_database_names() or "c" not in \
            conn.client[f"{prefix}_main"].list_collection_names()
        # Released while the second apply waits: it goes on.
        threading.Timer(0.5, holder.release).start()
        waiting = cli("apply", path, "--url", real_server.url, "--auto-approve", "--quiet", "--lock-timeout", "10")
        assert waiting.exit_code == 0, waiting.output
    finally:
        holder.release()
    assert locks.count_documents({}) == 0
    # A crashed apply's lock: its lease ran out, the next apply takes it over and releases it.
    locks.insert_one({"_id": LOCK_ID, "owner": "crashed:1:dead", "acquired_at": datetime(2020, 1, 1),
                      "expires_at": datetime(2020, 1, 1) + timedelta(minutes=5)})
    conn.client[f"{prefix}_main"]["c"].drop_index("a_1")
    taken = cli("apply", path, "--url", real_server.url, "--auto-approve", "--quiet", "--lock-timeout", "0")
    assert taken.exit_code == 0, taken.output
    assert locks.count_documents({}) == 0
    assert "a_1" in index_names(conn, f"{prefix}_main", "c")


def test_cli_replace_and_rebuild_replan_empty(server, real_server, write_spec):
    conn, prefix = server
    url = real_server.url
    v1 = spec(write_spec, prefix, """\
  PFX_main:
    collections:
      logs: {options: {capped: {size: 4096}}, indexes: [{name: by_at, keys: {at: 1}}]}
      events: {indexes: [{name: by_user, keys: {user: 1}}, {name: by_kind, keys: {kind: 1}}]}
""", "v1.yaml")
    v2 = spec(write_spec, prefix, """\
  PFX_main:
    collections:
      logs: {options: {capped: {size: 8192}}, indexes: [{name: by_at, keys: {at: 1}}]}
      events:
        indexes:
          - {name: by_user, keys: {user: 1}, sparse: true}
          - {name: by_kind, keys: {kind: 1}, partial_filter: {kind: {$exists: true}}}
""", "v2.yaml")
    assert cli("apply", v1, "--url", url, "--auto-approve", "--quiet").exit_code == 0
    db = conn.client[f"{prefix}_main"]
    db["events"].insert_many([{"user": 1, "kind": "a"}, {"user": 2}])
    db["logs"].insert_one({"at": 1})

    plan = cli("plan", v2, "--url", url, "--no-color")
    assert "-/+ collection " + f"{prefix}_main.logs" in plan.output, plan.output
    assert f"-/+ index {prefix}_main.events.by_user" in plan.output
    assert f"-/+ index {prefix}_main.events.by_kind" in plan.output
    assert "data_loss" in plan.output
    refused = CliRunner().invoke(main, ["apply", v2, "--url", url, "--auto-approve"])
    assert refused.exit_code == 1 and "--allow-destroy" in refused.output, refused.output
    assert db["logs"].count_documents({}) == 1  # nothing happened

    applied = cli("apply", v2, "--url", url, "--auto-approve", "--quiet", "--allow-destroy",
                  "--allow-hazards", "index_dropped")
    assert applied.exit_code == 0, applied.output
    again = cli("plan", v2, "--url", url, "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output, again.output
    options = db.command("listCollections", filter={"name": "logs"})["cursor"]["firstBatch"][0]["options"]
    assert options.get("capped") is True and options.get("size") == 8192
    indexes = {i["name"]: i for i in db["events"].list_indexes()}
    assert indexes["by_user"].get("sparse") is True
    assert indexes["by_kind"]["partialFilterExpression"] == {"kind": {"$exists": True}}
    assert db["events"].count_documents({}) == 2  # a rebuild keeps the documents; the replace did not
    assert db["logs"].count_documents({}) == 0


def test_sigint_to_a_running_apply_subprocess(server, real_server, write_spec):
    # Ctrl-C as a terminal sends it, to a real `schemactl apply` process working on the server: the
    # running step finishes, no other database is started, the apply is recorded as interrupted,
    # the lock is released, and the next plan is exactly what is left.
    conn, prefix = server
    # Enough databases that the apply is still working when the signal arrives on a busy machine.
    names = [f"{prefix}_t{i}" for i in range(1, 25)]
    path = spec(write_spec, prefix, "  t:\n    names: [" + ", ".join(names) + "]\n    collections:\n"
                "      c: {indexes: [{keys: {u: 1}}, {keys: {v: 1}}]}\n")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", path, "--url", real_server.url, "--auto-approve",
         "--parallel", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    output: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if line.startswith("[2/"):  # the second step has been started: interrupt now
            process.send_signal(signal.SIGINT)
            break
    rest, _ = process.communicate(timeout=30)
    text = "".join(output) + rest
    assert process.returncode == 130, text
    assert "Interrupted. MongoDB changes are not transactional:" in text
    assert "Run `schemactl plan` to see what is left; applying it completes the rest." in text
    assert "Traceback" not in text
    assert f"{names[-1]}: not started (apply interrupted)" in text
    assert conn.client[f"{prefix}_main"]["schemactl_lock"].count_documents({}) == 0
    rows = history(conn, prefix)
    assert [r["outcome"] for r in rows] == ["interrupted"]
    assert 1 <= len(rows[0]["statements"]) < 3 * len(names)
    status = cli("status", path, "--url", real_server.url)
    assert "outcome=interrupted" in status.output, status.output
    assert "Drift: Plan:" in status.output
    assert cli("apply", path, "--url", real_server.url, "--auto-approve", "--quiet").exit_code == 0
    assert "No changes." in cli("plan", path, "--url", real_server.url).output
