"""Benchmark: plan and apply 1,000 MongoDB tenant databases.

Measurements:
  synthetic  an inspected model built in memory (as if listIndexes had answered) -> diff, order,
             render, group and format the text plan. This is the planner's own cost.
  mongomock  1,000 databases in the mongomock adapter -> inspect (listCollections/listIndexes
             through the thread pool) + the same planning.
  secantus   a real wire-protocol server (a throwaway SecantusDB, `make secantus`): 1,000 tenant
             databases of examples/mongodb-tenants, `schemactl apply --parallel 8` creating their 27,000
             collections and indexes (one whole process), then `schemactl plan` with no changes (whole
             processes, best of 3; target: under 10 s), then one new index on every tenant's messages
             applied with `--parallel 8`, and a plan that must find nothing left (every database
             converged). Its figures replace the MongoDB section of bench/results.md.
Usage: .venv/bin/python bench/mongo_tenants.py [--tenants N] [--budget SECONDS] [--no-server]
Exits 1 if the in-process measurements take longer than the budget (default 30 s).
"""

from __future__ import annotations

import argparse
import copy
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mongomock  # noqa: E402

from reconciler.backends.mongodb import BACKEND, connection  # noqa: E402
from reconciler.backends.mongodb.model import MongoDatabase, MongoDeployment  # noqa: E402
from reconciler.formats.text import format_text  # noqa: E402
from reconciler.plan import make_plan  # noqa: E402
from reconciler.spec import load_model  # noqa: E402
from tests.mongodb.fake_server import FakeOps  # noqa: E402
from tests.support.secantus import SecantusServer  # noqa: E402

SCHEMACTL = str(ROOT / ".venv" / "bin" / "schemactl")
RESULTS = ROOT / "bench" / "results.md"
SECTION = "## MongoDB tenants (SecantusDB)"

SPEC = ROOT / "examples" / "mongodb-tenants" / "schema.yaml"


def synthetic(tenants: int) -> tuple[float, int, int]:
    loaded, desired = load_model(str(SPEC))
    template = desired.databases["tenant"]
    names = [f"chat_tenant_{i:04d}" for i in range(tenants)]
    current = MongoDeployment(discovered=["chat_public", *names])
    current.databases["chat_public"] = copy.deepcopy(desired.databases["chat_public"])
    for i, name in enumerate(names):
        collections = copy.deepcopy(template.collections)
        if i % 2 == 0:
            # Half the tenants miss the newest index: the plan groups them into one line.
            del collections["messages"].indexes["idx_messages_read_at"]
        current.databases[name] = MongoDatabase(name=name, collections=collections)
    started = time.perf_counter()
    canonical = BACKEND.canonicalize(None, desired, current)
    plan = make_plan(BACKEND, current, canonical, target="bench", spec_hash=loaded.source_hash)
    text = format_text(plan)
    return time.perf_counter() - started, len(plan.changes), len(text.splitlines())


def with_mongomock(tenants: int) -> tuple[float, float, int]:
    client = mongomock.MongoClient()
    connection.make_client = lambda url: client
    connection.make_ops = FakeOps
    for i in range(tenants):
        client[f"chat_tenant_{i:04d}"].create_collection("config")
    loaded, desired = load_model(str(SPEC))
    conn = BACKEND.connect("mongodb://localhost/chat_public")
    started = time.perf_counter()
    current = BACKEND.inspect(conn, desired)
    inspected = time.perf_counter() - started
    canonical = BACKEND.canonicalize(conn, desired, current)
    plan = make_plan(BACKEND, current, canonical, target="bench", spec_hash=loaded.source_hash)
    format_text(plan)
    return inspected, time.perf_counter() - started, len(plan.changes)


def _run(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([SCHEMACTL, *args], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"schemactl {args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout


def with_secantus(tenants: int, parallel: int = 8) -> dict[str, float | int]:
    """Whole `schemactl` processes against SecantusDB: apply to `tenants` new tenant databases, then plan."""
    import pymongo

    with SecantusServer() as server:
        client = pymongo.MongoClient(server.url)
        for i in range(tenants):
            # A tenant database exists once it holds something; the spec creates the rest.
            client[f"chat_tenant_{i:04d}"]["messages"].insert_one({"message_id": "m0"})
        client.close()
        apply_seconds, out = _run("apply", str(SPEC), "--url", server.url, "--auto-approve", "--quiet",
                                  "--parallel", str(parallel), "--allow-hazards", "full_scan_validation,may_fail_on_data")
        counts = re.search(r"Resources: (\d+) added, (\d+) changed", out)
        steps = int(counts.group(1)) + int(counts.group(2)) if counts else 0
        plans = []
        for _ in range(3):
            seconds, out = _run("plan", str(SPEC), "--url", server.url)
            if "No changes." not in out:
                raise SystemExit(f"the plan after apply is not empty: {out[:500]}")
            plans.append(seconds)
        # One new index in the template: applied to every tenant at once, then nothing is left to do.
        with_index = Path(tempfile.mkdtemp()) / "schema.yaml"
        document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
        document["databases"]["tenant"]["collections"]["messages"]["indexes"].append(
            {"name": "idx_messages_sender_timestamp", "keys": [{"sender_type": 1}, {"timestamp": -1}]})
        with_index.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        index_seconds, out = _run("apply", str(with_index), "--url", server.url, "--auto-approve", "--quiet",
                                  "--parallel", str(parallel))
        added = re.search(r"Resources: (\d+) added", out)
        _, out = _run("plan", str(with_index), "--url", server.url)
        if "No changes." not in out:
            raise SystemExit(f"not every tenant converged after the new index: {out[:500]}")
    return {"tenants": tenants, "parallel": parallel, "apply": apply_seconds, "steps": steps, "plan": min(plans),
            "index": index_seconds, "index_steps": int(added.group(1)) if added else 0}


def write_results(figures: dict[str, float | int]) -> None:
    """The MongoDB section of bench/results.md (after bench/run.py's PostgreSQL table), replaced in place."""
    section = "\n".join([
        SECTION, "",
        "| measurement | databases | time | per database |",
        "|---|---|---|---|",
        f"| `schemactl plan`, no changes (best of 3 processes; target under 10 s) | {figures['tenants']} tenants "
        f"+ 1 public | {figures['plan']:.2f} s | {1000 * figures['plan'] / figures['tenants']:.2f} ms |",
        f"| `schemactl apply --parallel {figures['parallel']}`, {figures['steps']:,} changes (collections, "
        f"validators, indexes) | {figures['tenants']} tenants + 1 public | {figures['apply']:.2f} s | "
        f"{1000 * figures['apply'] / figures['tenants']:.2f} ms |",
        f"| `schemactl apply --parallel {figures['parallel']}` of one new index to every tenant "
        f"({figures['index_steps']:,} indexes; the plan after it is empty: every database converged) | "
        f"{figures['tenants']} tenants | {figures['index']:.2f} s | "
        f"{1000 * figures['index'] / figures['tenants']:.2f} ms |", ""])
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    before = text.split(SECTION)[0].rstrip()
    RESULTS.write_text((before + "\n\n" if before else "") + section, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--no-server", action="store_true", help="Skip the SecantusDB measurements.")
    args = parser.parse_args()
    seconds, changes, lines = synthetic(args.tenants)
    print(f"synthetic: planned {args.tenants} tenant databases in {seconds:.2f}s "
          f"({changes} changes, {lines} lines of text plan)")
    inspected, total, changes = with_mongomock(args.tenants)
    print(f"mongomock: inspected {args.tenants} tenant databases in {inspected:.2f}s, "
          f"inspect + plan in {total:.2f}s ({changes} changes)")
    if not args.no_server:
        figures = with_secantus(args.tenants)
        print(f"secantus: apply --parallel {figures['parallel']} to {args.tenants} tenant databases "
              f"({figures['steps']} changes) in {figures['apply']:.2f}s; no-change plan in {figures['plan']:.2f}s "
              f"(best of 3 processes); a new index to every tenant in {figures['index']:.2f}s, all converged")
        write_results(figures)
    slow = max(seconds, total)
    if slow > args.budget:
        print(f"FAIL: {slow:.1f}s is over the budget of {args.budget:.0f}s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
