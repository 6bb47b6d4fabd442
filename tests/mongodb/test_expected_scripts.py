"""The examples' mongosh scripts, compared byte for byte with checked-in files.

Regenerate after an intended change with `SCHEMACTL_UPDATE_EXPECTED=1 pytest tests/mongodb`, and
review the diff of tests/mongodb/expected/ like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.backends.mongodb.render import script as mongosh_script
from reconciler.spec import load_model
from tests.mongodb.conftest import plan_steps

EXPECTED = Path(__file__).parent / "expected"
CASES = [
    ("mongodb-chat.js", "examples/mongodb-chat/schema.yaml", []),
    ("mongodb-tenants.js", "examples/mongodb-tenants/schema.yaml", []),
    # Three tenant databases the application already created (each with an empty `config`).
    ("mongodb-tenants-3-tenants.js", "examples/mongodb-tenants/schema.yaml",
     ["chat_tenant_acme", "chat_tenant_globex", "chat_tenant_initech"]),
]


@pytest.mark.parametrize(("expected", "spec", "tenants"), CASES, ids=[c[0] for c in CASES])
def test_script_matches_checked_in_file(conn, fake_server, expected, spec, tenants):
    for name in tenants:
        fake_server[name].create_collection("config")
    _, desired = load_model(spec)
    script = mongosh_script(plan_steps(conn, desired))
    # Planning twice gives the same bytes.
    assert mongosh_script(plan_steps(conn, desired)) == script
    path = EXPECTED / expected
    if os.environ.get("SCHEMACTL_UPDATE_EXPECTED") == "1":
        path.write_text(script, encoding="utf-8")
    assert script == path.read_text(encoding="utf-8")
