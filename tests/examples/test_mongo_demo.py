"""`make mongo-demo` works for a newcomer: SecantusDB started, seed 002's example applied, re-planned empty."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mongo_demo_runs_end_to_end() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "mongodb-tenants" / "demo.py")],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "chat_tenant_acme: 27 of 27 steps applied" in out and "chat_tenant_initech" in out
    assert "No changes. The database matches the spec." in out
    assert "Drift: none." in out and "The server is stopped." in out
    assert "4 databases: 4 in sync, 0 drifted, 0 missing." in out
