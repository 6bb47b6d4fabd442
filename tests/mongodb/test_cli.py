"""`schemactl` end to end on MongoDB: the CLI against the mongomock adapter (connect monkeypatched)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from reconciler.cli import main
from tests.mongodb.conftest import URL

CHAT = "examples/mongodb-chat/schema.yaml"
TENANTS = "examples/mongodb-tenants/schema.yaml"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_plan_apply_replan(fake_server):
    first = run("plan", CHAT, "--url", URL)
    assert first.exit_code == 0, first.output
    assert "+ collection second_brain.message_votes" in first.output
    assert "Plan: 32 to add, 0 to change, 0 to destroy." in first.output
    assert "s3cret" not in first.output and "app:***@" in first.output
    applied = run("apply", CHAT, "--url", URL, "--auto-approve", "--quiet")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete!" in applied.output
    again = run("plan", CHAT, "--url", URL, "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output
    status = run("status", CHAT, "--url", URL)
    assert "outcome=applied" in status.output and "Drift: none" in status.output


def test_tenants_grouped_plan_and_parallel_apply(fake_server):
    for name in ("chat_tenant_acme", "chat_tenant_globex", "chat_tenant_initech"):
        fake_server[name].create_collection("config")
    plan = run("plan", TENANTS, "--url", URL, "--detailed-exitcode")
    assert plan.exit_code == 2
    assert ("+ 3 databases (chat_tenant_acme, chat_tenant_globex, chat_tenant_initech): "
            "index idx_messages_read_at on messages") in plan.output
    refused = CliRunner().invoke(main, ["apply", TENANTS, "--url", URL, "--auto-approve"])
    assert refused.exit_code == 1 and "may_fail_on_data" in refused.output
    applied = run("apply", TENANTS, "--url", URL, "--auto-approve", "--quiet", "--parallel", "3",
                  "--allow-hazards", "may_fail_on_data")
    assert applied.exit_code == 0, applied.output
    assert "chat_tenant_globex: 27 of 27 steps applied" in applied.output
    assert "No changes." in run("plan", TENANTS, "--url", URL).output


def test_sql_and_json_formats(fake_server):
    sql = run("plan", CHAT, "--url", URL, "--format", "sql")
    assert sql.output.startswith("// schemactl")
    assert 'db.getSiblingDB("second_brain").runCommand({create: "chat_messages"' in sql.output
    doc = json.loads(run("plan", CHAT, "--url", URL, "--format", "json").output)
    assert doc["dialect"] == "mongodb" and doc["changes"][0]["database"] == "second_brain"


def test_saved_plan_applies_and_goes_stale(fake_server, tmp_path):
    out = str(tmp_path / "plan.json")
    assert run("plan", CHAT, "--url", URL, "-out", out).exit_code == 0
    fake_server["second_brain"].create_collection("chat_sessions")
    stale = CliRunner().invoke(main, ["apply", out, "--url", URL, "--auto-approve"])
    assert stale.exit_code == 1 and "Saved plan is stale" in stale.output
    assert run("plan", CHAT, "--url", URL, "-out", out).exit_code == 0
    # chat_sessions exists now, so its unique index may meet duplicates: a hazard to allow.
    applied = run("apply", out, "--url", URL, "--auto-approve", "--quiet", "--allow-hazards", "may_fail_on_data")
    assert applied.exit_code == 0, applied.output
    assert "No changes." in run("plan", CHAT, "--url", URL).output


def test_validate_and_bad_spec(write_spec):
    ok = run("validate", TENANTS)
    assert ok.exit_code == 0 and "1 databases, 1 templates" in ok.output
    bad = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  app:\n    collections:\n"
                     "      c: {indexes: [{keys: {a: sideways}}]}\n")
    result = CliRunner().invoke(main, ["validate", bad])
    assert result.exit_code == 1
    assert f"{bad}:6:" in result.output and "databases.app.collections.c.indexes[0].keys.a" in result.output
