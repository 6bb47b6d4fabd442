"""A MongoDB data-migration hook on the real wire-protocol server: an update command that runs before the
index it makes possible, once."""

from __future__ import annotations

import json

from click.testing import CliRunner

from reconciler.cli import main
from tests.mongodb.conftest import spec


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


V1 = """\
  tenant:
    match: "^PFX_t"
    collections:
      messages: {}
"""

V2 = """\
  tenant:
    match: "^PFX_t"
    collections:
      messages:
        indexes:
          - {name: one_chat_per_message, keys: {chatId: 1}, unique: true}
hooks:
  give_every_message_a_chat:
    before: index PFX_t*.messages.one_chat_per_message
    command:
      update: messages
      updates:
        - {q: {chatId: {$exists: false}}, u: [{$set: {chatId: {$concat: ["chat_", "$text"]}}}], multi: true}
"""


def test_hook_runs_before_its_index_in_every_tenant_and_only_once(server, real_server, write_spec):
    conn, prefix = server
    url = real_server.url
    tenants = [f"{prefix}_t1", f"{prefix}_t2"]
    for name in tenants:
        conn.client[name]["messages"].insert_many([{"text": "a"}, {"text": "b"}])
    assert cli("apply", spec(write_spec, prefix, V1), "--url", url, "--auto-approve").exit_code == 0
    path = spec(write_spec, prefix, V2)
    plan = cli("plan", path, "--url", url, "--format", "json")
    assert plan.exit_code == 0, plan.output
    statements = [s["sql"] for c in json.loads(plan.output)["changes"] for s in c["statements"]]
    for name in tenants:
        update = statements.index(f'db.getSiblingDB("{name}").runCommand({{update: "messages", updates: [{{q: '
                                  '{chatId: {$exists: false}}, u: [{$set: {chatId: {$concat: ["chat_", "$text"]}}}], '
                                  'multi: true}]});')
        assert update < next(i for i, s in enumerate(statements) if s.startswith(
            f'db.getSiblingDB("{name}").runCommand({{createIndexes')), statements
    assert "hook give_every_message_a_chat runs before this change" in cli("plan", path, "--url", url).output
    applied = cli("apply", path, "--url", url, "--auto-approve", "--allow-hazards", "may_fail_on_data")
    assert applied.exit_code == 0, applied.output
    for name in tenants:
        docs = conn.client[name]["messages"].find({}, {"_id": 0}).sort("text", 1)
        assert list(docs) == [{"text": "a", "chatId": "chat_a"}, {"text": "b", "chatId": "chat_b"}]
    again = cli("plan", path, "--url", url)
    assert again.exit_code == 0 and "No changes" in again.output
