"""Scoped plans (`--public-only`, `--tenants-only`, `--database`, `--collection`, `--indexes-only`),
`schemactl list`, and the grouped mongosh script of a tenant plan, on a real wire-protocol server
(`real_server`: SecantusDB, or a mongod with MONGODB_URL). Each scope test applies with one flag and
checks on the server that only what it selects changed: every unselected drifted database or
collection is untouched, and a full plan still shows its drift."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from reconciler.backends.mongodb.mongosh import parse
from reconciler.cli import main
from tests.mongodb.conftest import spec

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


V1 = """\
  PFX_main:
    collections:
      settings: {indexes: [{name: by_key, keys: {key: 1}}]}
  tenant:
    match: "^PFX_t"
    collections:
      messages:
        validator: {$jsonSchema: {bsonType: object, required: [body]}}
        indexes: [{name: by_conv, keys: {conversation_id: 1}}]
      config:
        indexes: [{name: by_client, keys: {client_id: 1}}]
"""
# Drift everywhere: a new index in the public database, a new index in each tenant collection, and a
# changed validator on messages.
V2 = (V1.replace("{name: by_key, keys: {key: 1}}", "{name: by_key, keys: {key: 1}}, {name: by_owner, keys: {owner: 1}}")
      .replace("required: [body]", "required: [body, sender]")
      .replace("{name: by_conv, keys: {conversation_id: 1}}",
               "{name: by_conv, keys: {conversation_id: 1}}, {name: by_time, keys: {ts: -1}}")
      .replace("{name: by_client, keys: {client_id: 1}}",
               "{name: by_client, keys: {client_id: 1}}, {name: by_plan, keys: {plan: 1}}"))


def index_names(conn, database: str, collection: str) -> set[str]:
    return {i["name"] for i in conn.client[database][collection].list_indexes()}


def validator(conn, database: str, collection: str) -> dict:
    info = next(conn.client[database].list_collections(filter={"name": collection}))
    return info["options"].get("validator", {})


def _tenants(conn, prefix: str, count: int = 2) -> list[str]:
    names = [f"{prefix}_t{i}" for i in range(1, count + 1)]
    for name in names:
        conn.client[name]["messages"].insert_one({"body": "hi"})
    return names


def _in_sync_then_drifted(conn, prefix, write_spec, url) -> tuple[str, list[str]]:
    tenants = _tenants(conn, prefix)
    v1 = spec(write_spec, prefix, V1)
    applied = cli("apply", v1, "--url", url, "--auto-approve", "--quiet", "--allow-hazards",
                  "full_scan_validation,may_fail_on_data")
    assert applied.exit_code == 0, applied.output
    return spec(write_spec, prefix, V2, "v2.yaml"), tenants


def test_public_only_and_tenants_only(server, real_server, write_spec):
    conn, prefix = server
    url = real_server.url
    v2, tenants = _in_sync_then_drifted(conn, prefix, write_spec, url)

    plan = cli("plan", v2, "--url", url, "--public-only")
    assert plan.exit_code == 0, plan.output
    assert "Scope: --public-only: only what it selects was compared" in plan.output
    assert f"+ index {prefix}_main.settings.by_owner" in plan.output
    assert "by_time" not in plan.output and "by_plan" not in plan.output and "validator" not in plan.output

    applied = cli("apply", v2, "--url", url, "--auto-approve", "--quiet", "--public-only")
    assert applied.exit_code == 0, applied.output
    assert "by_owner" in index_names(conn, f"{prefix}_main", "settings")
    for name in tenants:  # unselected: untouched
        assert index_names(conn, name, "messages") == {"_id_", "by_conv"}
        assert validator(conn, name, "messages")["$jsonSchema"]["required"] == ["body"]
    assert "No changes." in cli("plan", v2, "--url", url, "--public-only").output
    full = cli("plan", v2, "--url", url)
    assert "by_owner" not in full.output
    assert f"+ 2 databases ({', '.join(tenants)}): index by_time on messages" in full.output

    applied = cli("apply", v2, "--url", url, "--auto-approve", "--quiet", "--tenants-only", "--allow-hazards",
                  "full_scan_validation,may_fail_on_data")
    assert applied.exit_code == 0, applied.output
    for name in tenants:
        assert index_names(conn, name, "messages") == {"_id_", "by_conv", "by_time"}
        assert index_names(conn, name, "config") == {"_id_", "by_client", "by_plan"}
    assert cli("plan", v2, "--url", url).output.strip() == "No changes. The database matches the spec."


def test_database_and_collection_scopes_leave_the_rest_alone(server, real_server, write_spec):
    conn, prefix = server
    url = real_server.url
    v2, (t1, t2) = _in_sync_then_drifted(conn, prefix, write_spec, url)
    # A collection the spec does not list: a full plan drops it; a scoped one that leaves it out must not.
    conn.client[t2]["legacy"].insert_one({"x": 1})
    assert f"- collection {t2}.legacy" in cli("plan", v2, "--url", url).output

    applied = cli("apply", v2, "--url", url, "--auto-approve", "--quiet", "--database", f"{prefix}_t1",
                  "--allow-hazards", "full_scan_validation,may_fail_on_data")
    assert applied.exit_code == 0, applied.output
    assert index_names(conn, t1, "messages") == {"_id_", "by_conv", "by_time"}
    assert validator(conn, t1, "messages")["$jsonSchema"]["required"] == ["body", "sender"]
    assert index_names(conn, t2, "messages") == {"_id_", "by_conv"}
    assert "by_owner" not in index_names(conn, f"{prefix}_main", "settings")

    # A glob, and a collection: only t2's config changes; its messages and legacy stay as they are.
    scoped = cli("plan", v2, "--url", url, "--database", f"{prefix}_t*", "--collection", "conf*", "--format", "json")
    document = json.loads(scoped.output)
    assert document["scope"] == {"public_only": False, "tenants_only": False, "databases": [f"{prefix}_t*"],
                                 "collections": ["conf*"], "indexes_only": False}
    assert [c["address"] for c in document["changes"]] == [f"index {t2}.config.by_plan"]
    jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / "plan.schema.json").read_text())).validate(document)
    applied = cli("apply", v2, "--url", url, "--auto-approve", "--quiet", "--database", f"{prefix}_t*",
                  "--collection", "conf*")
    assert applied.exit_code == 0, applied.output  # no --allow-destroy needed: legacy is out of scope
    assert index_names(conn, t2, "config") == {"_id_", "by_client", "by_plan"}
    assert index_names(conn, t2, "messages") == {"_id_", "by_conv"}
    assert conn.client[t2]["legacy"].count_documents({}) == 1

    # A pattern that selects nothing is refused rather than planned as "No changes".
    typo = cli("plan", v2, "--url", url, "--database", f"{prefix}_tenant_1")
    assert typo.exit_code == 1
    assert f"--database {prefix}_tenant_1 matches none of the 3 databases the spec manages" in typo.output
    typo = cli("plan", v2, "--url", url, "--tenants-only", "--collection", "mesages")
    assert typo.exit_code == 1 and "--collection mesages matches none of the 3 collections" in typo.output

    full = cli("plan", v2, "--url", url)
    assert f"- collection {t2}.legacy" in full.output
    assert f"+ index {t2}.messages.by_time" in full.output and f"~ collection {t2}.messages" in full.output
    assert f"+ index {prefix}_main.settings.by_owner" in full.output
    assert f"{t1}." not in full.output and "config" not in full.output


def test_indexes_only_leaves_validators_and_collections_alone(server, real_server, write_spec):
    conn, prefix = server
    url = real_server.url
    v2, tenants = _in_sync_then_drifted(conn, prefix, write_spec, url)
    v3 = spec(write_spec, prefix, V2.replace("      config:", "      notes: {indexes: [{name: by_n, keys: {n: 1}}]}\n"
                                             "      config:"), "v3.yaml")
    conn.client[tenants[0]]["legacy"].insert_one({"x": 1})

    plan = cli("plan", v3, "--url", url, "--indexes-only", "--format", "sql")
    assert plan.exit_code == 0, plan.output
    assert "// Scope: --indexes-only" in plan.output
    assert "collMod" not in plan.output and "notes" not in plan.output and "legacy" not in plan.output
    applied = cli("apply", v3, "--url", url, "--auto-approve", "--quiet", "--indexes-only")
    assert applied.exit_code == 0, applied.output
    for name in tenants:
        assert index_names(conn, name, "messages") == {"_id_", "by_conv", "by_time"}
        assert validator(conn, name, "messages")["$jsonSchema"]["required"] == ["body"]  # unapplied
        assert "notes" not in conn.client[name].list_collection_names()
    assert "by_owner" in index_names(conn, f"{prefix}_main", "settings")
    assert conn.client[tenants[0]]["legacy"].count_documents({}) == 1
    full = cli("plan", v3, "--url", url)
    assert f"~ 2 databases ({', '.join(tenants)}): collection messages" in full.output
    assert "validator" in full.output and "+ 2 databases" in full.output and "collection notes" in full.output
    assert "No changes." in cli("plan", v3, "--url", url, "--indexes-only").output


def test_status_and_saved_plans_keep_the_scope(server, real_server, write_spec, tmp_path):
    conn, prefix = server
    url = real_server.url
    v2, tenants = _in_sync_then_drifted(conn, prefix, write_spec, url)
    status = cli("status", v2, "--url", url, "--public-only")
    assert "Scope: --public-only" in status.output
    assert "Drift: Plan: 1 to add, 0 to change, 0 to destroy." in status.output

    saved = str(tmp_path / "plan.json")
    assert cli("plan", v2, "--url", url, "--public-only", "-out", saved).exit_code == 0
    refused = cli("apply", saved, "--url", url, "--auto-approve", "--tenants-only")
    assert refused.exit_code == 1 and "a saved plan keeps the scope it was made with" in refused.output
    applied = cli("apply", saved, "--url", url, "--auto-approve", "--quiet")
    # Converged within its scope: the tenants' drift does not fail the check after the apply.
    assert applied.exit_code == 0, applied.output
    assert "Scope: --public-only" in applied.output
    assert "by_owner" in index_names(conn, f"{prefix}_main", "settings")
    assert index_names(conn, tenants[0], "messages") == {"_id_", "by_conv"}


def test_list_shows_databases_collections_and_drift(server, real_server, write_spec):
    conn, prefix = server
    url = real_server.url
    tenants = _tenants(conn, prefix, 3)
    body = V1 + "  named:\n    names: [PFX_x1]\n    collections: {audit: {}}\n"
    path = spec(write_spec, prefix, body)
    applied = cli("apply", path, "--url", url, "--auto-approve", "--quiet", "--public-only", "--allow-hazards",
                  "full_scan_validation,may_fail_on_data")
    assert applied.exit_code == 0, applied.output
    applied = cli("apply", path, "--url", url, "--auto-approve", "--quiet", "--database", tenants[0],
                  "--allow-hazards", "full_scan_validation,may_fail_on_data")
    assert applied.exit_code == 0, applied.output

    text = cli("list", path, "--url", url)
    assert text.exit_code == 0, text.output
    lines = {line.split()[0]: line for line in text.output.splitlines() if line.startswith(prefix)}
    assert re.search(r"public\s+1 collections\s+in sync$", lines[f"{prefix}_main"])
    assert re.search(r"tenant \(tenant\)\s+2 collections\s+in sync$", lines[tenants[0]])
    # Only messages exists; config missing, both indexes and the validator to apply: 4 changes.
    assert re.search(r"tenant \(tenant\)\s+1 collections\s+drifted \(4 changes\)$", lines[tenants[1]])
    assert re.search(r"tenant \(named\)\s+-\s+missing$", lines[f"{prefix}_x1"])
    assert "5 databases: 2 in sync, 2 drifted, 1 missing." in text.output

    document = json.loads(cli("list", path, "--url", url, "--format", "json").output)
    rows = {row["database"]: row for row in document["databases"]}
    assert rows[tenants[2]] == {"database": tenants[2], "kind": "tenant", "template": "tenant", "exists": True,
                                "collections": 1, "changes": 4, "status": "drifted"}
    assert rows[f"{prefix}_x1"]["status"] == "missing" and rows[f"{prefix}_main"]["status"] == "in sync"
    # Read-only: nothing was created, not even the missing database.
    assert f"{prefix}_x1" not in conn.client.list_database_names()
    assert index_names(conn, tenants[1], "messages") == {"_id_"}


def _expand_loops(script: str) -> list[tuple[str, dict]]:
    """The (database, command) pairs the script runs, its loops unrolled the way mongosh runs them."""
    lists = {m.group(1): json.loads("[" + m.group(2).rstrip().rstrip(",") + "]")
             for m in re.finditer(r"const (\w+) = \[  // \d+ databases\n(.*?)\n\];", script, re.DOTALL)}
    out: list[tuple[str, dict]] = []
    lines = iter(script.splitlines())
    for line in lines:
        loop = re.match(r"for \(const name of (\w+)\) \{$", line)
        if loop:
            body = []
            for inner in lines:
                if inner == "}":
                    break
                body.append(inner.strip())
            for name in lists[loop.group(1)]:
                for statement in body:
                    text = (statement.replace("db.getSiblingDB(name)", f"db.getSiblingDB({json.dumps(name)})")
                            .replace('name + "', f'"{name}'))
                    out.append(parse(text))
        elif line.startswith("db."):
            out.append(parse(line))
    return out


def test_tenant_script_groups_identical_changes_in_loops(server, real_server, write_spec):
    conn, prefix = server
    url = real_server.url
    tenants = _tenants(conn, prefix, 4)
    for name in tenants:
        conn.client[name]["chats"].insert_one({"a": 1})
    conn.client[tenants[3]]["messages"].create_index("conversation_id", name="by_conv")
    body = V1.replace("      config:", "      conversations: {renamed_from: chats}\n      config:")
    path = spec(write_spec, prefix, body)
    plan = cli("plan", path, "--url", url, "--format", "sql")
    assert plan.exit_code == 0, plan.output
    script = plan.output
    assert "const databases_1 = [  // 4 databases\n" in script
    assert "const databases_2 = [  // 3 databases\n" in script  # by_conv exists in t4 already
    assert ('for (const name of databases_1) {\n  db.adminCommand({renameCollection: name + ".chats", '
            'to: name + ".conversations", dropTarget: false});\n}') in script
    assert ("for (const name of databases_2) {\n  db.getSiblingDB(name).runCommand({createIndexes: \"messages\", "
            "indexes: [{key: {conversation_id: 1}, name: \"by_conv\"}]});\n}") in script
    assert script.count("createIndexes: \"messages\"") == 1 and "// + 3 databases (" in script
    # Unrolled, the loops run exactly the plan's statements, each database's in the plan's order.
    document = json.loads(cli("plan", path, "--url", url, "--format", "json").output)
    planned = [parse(s["sql"]) for c in document["changes"] for s in c["statements"]]
    unrolled = _expand_loops(script)
    assert sorted(map(repr, unrolled)) == sorted(map(repr, planned))

    def per_database(pairs):
        out: dict[str, list] = {}
        for database, command in pairs:
            key = command.get("renameCollection", database + ".").split(".")[0] if database == "admin" else database
            out.setdefault(key, []).append(command)
        return out

    assert per_database(unrolled) == per_database(planned)
    # The text plan's statements are the same loops, not one copy per database.
    text = cli("plan", path, "--url", url).output.split("Statements:")[1]
    assert "  for (const name of databases_2) {\n    db.getSiblingDB(name).runCommand({createIndexes: \"messages\"" in text
    assert text.count("createIndexes: \"messages\"") == 1
    applied = cli("apply", path, "--url", url, "--auto-approve", "--quiet", "--allow-hazards",
                  "full_scan_validation,may_fail_on_data")
    assert applied.exit_code == 0, applied.output
    assert conn.client[tenants[0]]["conversations"].count_documents({}) == 1
    assert cli("plan", path, "--url", url).output.strip() == "No changes. The database matches the spec."


def test_scope_flags_are_refused_for_relational_specs(tmp_path, sqlite_url):
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\ndialect: sqlite\ntables:\n  t: {columns: {id: {type: integer, primary_key: true}}}\n")
    for flag in (["--tenants-only"], ["--collection", "x"], ["--indexes-only"]):
        result = cli("plan", str(path), "--url", sqlite_url, *flag)
        assert result.exit_code == 1
        assert f"{flag[0]} is for MongoDB specs (databases, tenant templates, collections); this spec is sqlite" \
            in result.output
    listed = cli("list", str(path), "--url", sqlite_url)
    assert listed.exit_code == 1 and "list is for MongoDB specs" in listed.output


GITHUB_COMMENT_LIMIT = 65_536


def test_markdown_plan_for_1000_tenants_fits_a_comment(server, real_server, write_spec):
    conn, prefix = server
    url = real_server.url
    tenants = [f"{prefix}_t{i:04d}" for i in range(1000)]
    for name in tenants:
        conn.client[name]["messages"].insert_one({"body": "hi"})
    path = spec(write_spec, prefix, V1)
    plan = cli("plan", path, "--url", url, "--format", "markdown")
    assert plan.exit_code == 0, plan.output
    md = plan.output
    assert len(md) < GITHUB_COMMENT_LIMIT - 1000, len(md)
    assert "**Plan: 3002 to add, 1000 to change, 0 to destroy.**" in md
    assert f"| `+` | 1000 databases ({', '.join(tenants[:3])}, ... 997 more): index by_conv on messages |" in md
    # Whole: the statements are there, once per group, as loops over one list of the 1000 names.
    assert "Truncated" not in md and md.count("const databases_") == 1 and md.count(f'"{tenants[999]}"') == 1
    assert "for (const name of databases_1) {" in md

    # 1000 changes that cannot be grouped (a different unlisted collection in each tenant): rows are cut,
    # the statements left out, and the comment says where the whole mongosh script is.
    for i, name in enumerate(tenants):
        conn.client[name][f"extra_{i}"].insert_one({"x": 1})
    md = cli("plan", path, "--url", url, "--format", "markdown").output
    assert len(md) < GITHUB_COMMENT_LIMIT - 1000, len(md)
    assert "Truncated to fit a pull-request comment" in md and "more changes" in md
    assert "See the whole plan with `--format sql`" in md and "runCommand" not in md
