"""Benchmark: plan 1,000 MongoDB tenant databases.

Two measurements:
  synthetic  an inspected model built in memory (as if listIndexes had answered) -> diff, order,
             render, group and format the text plan. This is the planner's own cost.
  mongomock  1,000 databases in the mongomock adapter -> inspect (listCollections/listIndexes
             through the thread pool) + the same planning.
Usage: .venv/bin/python bench/mongo_tenants.py [--tenants N] [--budget SECONDS]
Exits 1 if either measurement takes longer than the budget (default 30 s).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mongomock  # noqa: E402

from reconciler.backends.mongodb import BACKEND, connection  # noqa: E402
from reconciler.backends.mongodb.model import MongoDatabase, MongoDeployment  # noqa: E402
from reconciler.formats.text import format_text  # noqa: E402
from reconciler.plan import make_plan  # noqa: E402
from reconciler.spec import load_model  # noqa: E402
from tests.mongodb.fake_server import FakeOps  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=30.0)
    args = parser.parse_args()
    seconds, changes, lines = synthetic(args.tenants)
    print(f"synthetic: planned {args.tenants} tenant databases in {seconds:.2f}s "
          f"({changes} changes, {lines} lines of text plan)")
    inspected, total, changes = with_mongomock(args.tenants)
    print(f"mongomock: inspected {args.tenants} tenant databases in {inspected:.2f}s, "
          f"inspect + plan in {total:.2f}s ({changes} changes)")
    slow = max(seconds, total)
    if slow > args.budget:
        print(f"FAIL: {slow:.1f}s is over the budget of {args.budget:.0f}s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
