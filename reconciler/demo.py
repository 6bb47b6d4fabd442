"""`make demo`: the main job on SQLite, end to end: plan, apply, plan again (no changes)."""

from __future__ import annotations

import sys
from pathlib import Path

from reconciler.cli import run

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "sqlite-demo" / "schema.yaml"
DATABASE = ROOT / "demo" / "demo.db"


def main() -> int:
    DATABASE.parent.mkdir(exist_ok=True)
    if DATABASE.exists():
        DATABASE.unlink()
    url = f"sqlite:///{DATABASE}"
    steps = [
        ("Validate the spec", ["validate", str(SPEC)]),
        ("Plan against an empty database", ["plan", str(SPEC), "--url", url, "--no-color"]),
        ("Apply it", ["apply", str(SPEC), "--url", url, "--auto-approve", "--quiet", "--no-color"]),
        ("Plan again: nothing left to do", ["plan", str(SPEC), "--url", url, "--detailed-exitcode"]),
    ]
    for title, argv in steps:
        print(f"\n==> {title}: schemactl {' '.join(argv)}\n", flush=True)
        code = run(argv)
        if code != 0:
            print(f"demo failed at: {title} (exit {code})", file=sys.stderr)
            return 1
    print(f"\nDemo complete. The database is {DATABASE}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
