"""`make mongo-demo`: the multi-tenant MongoDB example end to end on a local SecantusDB server.

Starts a throwaway SecantusDB (the MongoDB wire-protocol server `make test` uses; installed into its own
virtualenv by `make secantus`), creates three tenant databases the way the seed's tool finds them
(`chat_tenant_*`), then: validate, plan, apply, plan again (no changes), status, list; and stops the server.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pymongo import MongoClient  # noqa: E402

from reconciler.cli import run  # noqa: E402
from tests.support.secantus import SecantusServer  # noqa: E402

SPEC = ROOT / "examples" / "mongodb-tenants" / "schema.yaml"
TENANTS = ("acme", "globex", "initech")


def main() -> int:
    with SecantusServer() as server:
        url = server.url
        with MongoClient(url) as client:
            for tenant in TENANTS:
                client[f"chat_tenant_{tenant}"].create_collection("config")
        steps = [
            ("Validate the spec", ["validate", str(SPEC)]),
            ("Plan: the public database and three tenants", ["plan", str(SPEC), "--url", url, "--no-color"]),
            ("Apply it (unique indexes over existing documents are allowed here: the databases are new)",
             ["apply", str(SPEC), "--url", url, "--auto-approve", "--quiet", "--no-color",
              "--allow-hazards", "may_fail_on_data"]),
            ("Plan again: nothing left to do", ["plan", str(SPEC), "--url", url, "--detailed-exitcode"]),
            ("Status: the last apply and drift", ["status", str(SPEC), "--url", url]),
            ("List: the databases the spec manages, and whether each is in sync", ["list", str(SPEC), "--url", url]),
        ]
        for title, argv in steps:
            print(f"\n==> {title}: schemactl {' '.join(argv)}\n", flush=True)
            code = run(argv)
            if code != 0:
                print(f"mongo-demo failed at: {title} (exit {code})", file=sys.stderr)
                return 1
    print("\nDemo complete. The server is stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
