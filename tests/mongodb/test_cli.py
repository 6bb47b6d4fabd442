"""`schemactl` end to end on MongoDB: the CLI against the mongomock adapter (connect monkeypatched)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.backends.mongodb import BACKEND
from reconciler.changes import Hazard
from reconciler.cli import main
from tests.mongodb.conftest import URL

CHAT = "examples/mongodb-chat/schema.yaml"
TENANTS = "examples/mongodb-tenants/schema.yaml"
ROOT = Path(__file__).resolve().parents[2]


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


# -- guards, saved plans, formats, status through the CLI ------------------------------------------

HEAD = "version: 1\ndialect: mongodb\ndatabases:\n  app:\n    collections:\n"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def apply_ok(path: str, *flags: str) -> None:
    result = invoke("apply", path, "--url", URL, "--auto-approve", "--quiet", *flags)
    assert result.exit_code == 0, result.output


def test_collection_drop_and_replace_need_allow_destroy(fake_server, write_spec):
    apply_ok(write_spec(HEAD + "      logs: {options: {capped: {size: 4096}}}\n      old: {}\n", "v1.yaml"))
    fake_server["app"]["logs"].insert_one({"line": 1})
    v2 = write_spec(HEAD + "      logs: {options: {capped: {size: 8192}}}\n", "v2.yaml")
    refused = invoke("apply", v2, "--url", URL, "--auto-approve")
    assert refused.exit_code == 1
    assert "the plan destroys objects; re-run with --allow-destroy" in refused.output
    assert "-/+ collection app.logs" in refused.output and "- collection app.old" in refused.output
    assert sorted(fake_server["app"].list_collection_names()) == ["logs", "old"]
    assert fake_server["app"]["logs"].count_documents({}) == 1
    apply_ok(v2, "--allow-destroy")
    assert fake_server["app"].list_collection_names() == ["logs"]


def test_prevent_destroy_cannot_be_overridden(fake_server, write_spec):
    apply_ok(write_spec(HEAD + "      logs: {options: {capped: {size: 4096}}, prevent_destroy: true}\n", "v1.yaml"))
    v2 = write_spec(HEAD + "      logs: {options: {capped: {size: 8192}}, prevent_destroy: true}\n", "v2.yaml")
    for command in (["plan", v2, "--url", URL],
                    ["apply", v2, "--url", URL, "--auto-approve", "--allow-destroy",
                     "--allow-hazards", ",".join(h.value for h in Hazard)]):
        result = invoke(*command)
        assert result.exit_code == 1
        assert "objects marked prevent_destroy, which no flag allows" in result.output
        assert "collection app.logs" in result.output
    assert fake_server["app"].list_collection_names() == ["logs"]


def test_an_edited_saved_plan_is_refused(fake_server, write_spec, tmp_path):
    spec = write_spec(HEAD + "      c: {indexes: [{keys: {a: 1}}]}\n")
    out = tmp_path / "plan.json"
    assert invoke("plan", spec, "--url", URL, "-out", str(out)).exit_code == 0
    document = json.loads(out.read_text())
    document["changes"][-1]["statements"][0]["sql"] = \
        'db.getSiblingDB("app").runCommand({dropDatabase: 1});'
    out.write_text(json.dumps(document, indent=2))
    result = invoke("apply", str(out), "--url", URL, "--auto-approve")
    assert result.exit_code == 1 and "the saved plan was edited after it was made" in result.output
    assert fake_server["app"].list_collection_names() == []


def test_json_plan_validates_against_the_plan_schema(fake_server, write_spec):
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    apply_ok(write_spec(HEAD + "      m: {indexes: [{keys: {a: 1}}]}\n      gone: {}\n", "v1.yaml"))
    v2 = write_spec(HEAD + "      m: {json_schema: {required: [a]}, indexes: [{keys: {a: 1}, unique: true}]}\n"
                    "      new: {options: {collation: {locale: fr}}}\n", "v2.yaml")
    for spec in (CHAT, TENANTS, v2):
        result = invoke("plan", spec, "--url", URL, "--format", "json")
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        jsonschema.Draft202012Validator(schema).validate(document)
    kinds = {(c["action"], c["kind"]) for c in document["changes"]}
    assert {("create", "collection"), ("drop", "collection"), ("alter", "collection"),
            ("replace", "mongo_index")} <= kinds


def test_collection_rename_keeps_its_documents(fake_server, write_spec):
    apply_ok(write_spec(HEAD + "      old_name: {indexes: [{keys: {k: 1}}]}\n", "v1.yaml"))
    fake_server["app"]["old_name"].insert_many([{"k": 1}, {"k": 2}])
    v2 = write_spec(HEAD + "      new_name: {renamed_from: old_name, indexes: [{keys: {k: 1}}]}\n", "v2.yaml")
    plan = invoke("plan", v2, "--url", URL)
    assert "~ collection app.new_name" in plan.output and "renameCollection" not in plan.output.split("Plan:")[1]
    apply_ok(v2)  # no --allow-destroy: nothing is dropped
    assert fake_server["app"].list_collection_names() == ["new_name"]
    assert sorted(d["k"] for d in fake_server["app"]["new_name"].find()) == [1, 2]
    assert "No changes." in invoke("plan", v2, "--url", URL).output


def test_fail_fast_stops_at_the_first_failing_tenant(fake_server, write_spec):
    spec = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  t:\n    names: [t1, t2, t3]\n"
                      "    collections:\n      c: {indexes: [{keys: {u: 1}, unique: true}]}\n")
    fake_server["t1"]["c"].insert_many([{"u": 1}, {"u": 1}])
    result = invoke("apply", spec, "--url", URL, "--auto-approve", "--quiet", "--parallel", "1", "--fail-fast",
                    "--allow-hazards", "may_fail_on_data")
    assert result.exit_code == 1
    assert "t1: FAILED at step 1 of 5 (index t1.c.u_1)" in result.output
    assert "t2: not started (stopped by --fail-fast); 2 steps not run" in result.output
    assert "t3: not started (stopped by --fail-fast)" in result.output
    assert "t2" not in fake_server.list_database_names() and "t3" not in fake_server.list_database_names()


def test_status_reports_drift(fake_server, write_spec):
    spec = write_spec(HEAD + "      c: {indexes: [{keys: {a: 1}}]}\n")
    apply_ok(spec)
    assert "Drift: none" in invoke("status", spec, "--url", URL).output
    # Somebody drops the index by hand (through the fake server's command path, which keeps its catalog).
    BACKEND.connect(URL).ops.run("app", {"dropIndexes": "c", "index": "a_1"})
    status = invoke("status", spec, "--url", URL)
    assert status.exit_code == 0
    assert "outcome=applied" in status.output
    assert "Drift: Plan: 1 to add, 0 to change, 0 to destroy." in status.output
    assert "  + index app.c.a_1" in status.output


def test_text_plan_shows_the_structured_validator_diff(fake_server, write_spec):
    apply_ok(write_spec(HEAD + "      m:\n        json_schema: {bsonType: object, required: [a], "
                        "properties: {role: {enum: [user, bot]}}}\n", "v1.yaml"))
    v2 = write_spec(HEAD + "      m:\n        json_schema: {bsonType: object, required: [a, b], "
                    "properties: {role: {enum: [user, bot, agent]}}}\n", "v2.yaml")
    text = invoke("plan", v2, "--url", URL, "--no-color").output
    head = text.split("Statements:")[0]
    assert '~ $jsonSchema.properties.role.enum: ["user", "bot"] -> ["user", "bot", "agent"]' in head
    assert '~ $jsonSchema.required: ["a"] -> ["a", "b"]' in head
    assert "hazard: full_scan_validation" in head
    # The whole validator appears once, in the statement, not as a before/after wall in the change.
    assert head.count('"bsonType"') == 0 and head.count("bsonType") == 0


# -- one apply at a time; interrupts ----------------------------------------------------------------


def test_second_apply_waits_for_the_lock_then_fails_clearly(fake_server, write_spec, monkeypatch):
    import time

    from reconciler.spec import load_model
    from tests.mongodb.fake_server import FakeOps

    spec = write_spec(HEAD + "      c: {indexes: [{keys: {a: 1}}]}\n")
    first = BACKEND.connect(URL)
    with BACKEND.hold_apply_lock(first, 5):
        BACKEND.inspect(first, load_model(spec)[1])  # the first apply has started reading: it holds the lock
        reads: list[str] = []
        real_list = FakeOps.database_names
        monkeypatch.setattr(FakeOps, "database_names", lambda self: reads.append("listDatabases") or real_list(self))
        started = time.monotonic()
        second = invoke("apply", spec, "--url", URL, "--auto-approve", "--lock-timeout", "0.5")
        waited = time.monotonic() - started
        assert second.exit_code == 1
        assert "Error: another apply is running on mongodb://app:***@localhost:27017/chat_public" in second.output
        assert "waited 0.5s. Retry later or raise --lock-timeout." in second.output
        assert "s3cret" not in second.output
        assert waited >= 0.5
        # It failed before reading the target or printing a plan.
        assert reads == [] and "will perform" not in second.output
    assert fake_server["chat_public"]["schemactl_lock"].count_documents({}) == 0
    apply_ok(spec)


def test_a_waiting_apply_plans_after_it_got_the_lock(fake_server, write_spec):
    import threading
    import time

    from tests.mongodb.conftest import apply_spec

    spec = write_spec(HEAD + "      c: {indexes: [{keys: {a: 1}}]}\n")
    holding = threading.Event()
    errors: list[str | None] = []

    def first_apply() -> None:
        conn = BACKEND.connect(URL)
        with BACKEND.hold_apply_lock(conn, 5):
            # apply_spec inspects (taking the held lock) and executes (re-entering it, not waiting on it).
            BACKEND.inspect(conn, None)
            holding.set()
            time.sleep(0.5)
            errors.append(apply_spec(conn, spec).error)

    thread = threading.Thread(target=first_apply)
    thread.start()
    assert holding.wait(5)
    second = invoke("apply", spec, "--url", URL, "--auto-approve", "--lock-timeout", "10")
    thread.join()
    assert errors == [None]
    # Planned once the first apply had finished: nothing left to do, rather than a create that fails.
    assert second.exit_code == 0, second.output
    assert "No changes." in second.output


def test_interrupted_apply_says_what_was_applied_and_is_recorded(fake_server, write_spec, monkeypatch):
    from tests.mongodb.fake_server import FakeOps

    spec = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  t:\n    names: [t1, t2, t3]\n"
                      "    collections:\n      c: {indexes: [{keys: {u: 1}}]}\n")
    real_run = FakeOps.run
    calls: list[str] = []

    def run(self, database, command):
        calls.append(database)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C (or SIGTERM, which the CLI turns into it) while step 3 is sent
        return real_run(self, database, command)

    monkeypatch.setattr(FakeOps, "run", run)
    result = invoke("apply", spec, "--url", URL, "--auto-approve", "--quiet", "--parallel", "1")
    assert result.exit_code == 130
    assert ("Interrupted. MongoDB changes are not transactional: 2 of 6 steps were applied and are in place "
            "(steps 1, 2).") in result.stderr
    assert "t3: not started (apply interrupted); 2 steps not run" in result.stderr
    assert "Run `schemactl plan` to see what is left; applying it completes the rest." in result.stderr
    assert "rolled back" not in result.output and "Traceback" not in result.output
    assert calls == ["t1", "t1", "t2"]
    monkeypatch.setattr(FakeOps, "run", real_run)
    status = invoke("status", spec, "--url", URL)
    assert "outcome=interrupted" in status.output
    assert "Drift: Plan: 4 to add, 0 to change, 0 to destroy." in status.output
    apply_ok(spec)
    assert "No changes." in invoke("plan", spec, "--url", URL).output
