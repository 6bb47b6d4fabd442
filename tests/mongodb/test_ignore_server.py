"""Partial ownership on a real wire-protocol server (`real_server`, SecantusDB or MONGODB_URL): ignored
collections, indexes and tenant databases survive `apply --allow-destroy`, `inspect --ignore`, and `-target`."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from reconciler.cli import main
from tests.mongodb.conftest import spec

NO_CHANGES = "No changes. The database matches the spec."


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def names(conn, database: str) -> set[str]:
    return set(conn.client[database].list_collection_names()) - {"schemactl_history", "schemactl_lock"}


def index_names(conn, database: str, collection: str) -> set[str]:
    return {i["name"] for i in conn.client[database][collection].list_indexes()}


def test_ignored_collections_and_index_survive_apply_allow_destroy(server, real_server, write_spec):
    conn, prefix = server
    app = conn.client[f"{prefix}_app"]
    for name in ("users", "sessions", "tmp_import", "cache_1", "cache_x", "scratch"):
        app[name].insert_one({"a": 1})
    app["users"].create_index("legacy", name="legacy_idx")
    path = spec(write_spec, prefix, """\
  PFX_app:
    collections:
      users: {indexes: [{name: by_email, keys: {email: 1}}]}
ignore:
  collections: ["sessions", "tmp_*", "/cache_[0-9]+/"]
  indexes: ["users.legacy_*"]
""")
    url = real_server.url
    plan = cli("plan", path, "--url", url)
    assert plan.exit_code == 0, plan.output
    assert f"- collection {prefix}_app.scratch" in plan.output
    assert f"- collection {prefix}_app.cache_x" in plan.output  # the regex matches digits only
    for hidden in ("sessions", "tmp_import", "cache_1", "legacy_idx"):
        assert hidden not in plan.output, plan.output
    applied = cli("apply", path, "--url", url, "--auto-approve", "--quiet", "--allow-destroy")
    assert applied.exit_code == 0, applied.output
    assert names(conn, f"{prefix}_app") == {"users", "sessions", "tmp_import", "cache_1"}
    assert index_names(conn, f"{prefix}_app", "users") == {"_id_", "by_email", "legacy_idx"}
    assert NO_CHANGES in cli("plan", path, "--url", url).output


def test_ignored_tenant_database_is_not_touched(server, real_server, write_spec):
    conn, prefix = server
    for tenant in ("t1", "t_test"):
        conn.client[f"{prefix}_{tenant}"]["votes"].insert_one({"user": 1})
    path = spec(write_spec, prefix, """\
  PFX_main: {collections: {settings: {}}}
  tenant:
    match: "^PFX_t"
    collections:
      votes: {indexes: [{name: by_user, keys: {user: 1}}]}
ignore:
  databases: ["*_t_test"]
""")
    url = real_server.url
    plan = cli("plan", path, "--url", url)
    assert plan.exit_code == 0 and "t_test" not in plan.output, plan.output
    assert cli("apply", path, "--url", url, "--auto-approve", "--quiet").exit_code == 0
    assert "by_user" in index_names(conn, f"{prefix}_t1", "votes")
    assert "by_user" not in index_names(conn, f"{prefix}_t_test", "votes")
    assert NO_CHANGES in cli("plan", path, "--url", url).output


def test_validate_refuses_a_declared_and_ignored_collection(write_spec):
    path = write_spec("version: 1\ndialect: mongodb\ndatabases:\n  app: {collections: {sessions: {}}}\n"
                      "ignore: {collections: [sessions]}\n")
    result = cli("validate", path)
    assert result.exit_code == 1
    assert "5:24: ignore.collections[0]: pattern 'sessions' ignores collection app.sessions, which this spec " \
        "declares" in result.output


def test_inspect_ignore(server, real_server, tmp_path):
    conn, prefix = server
    conn.client[f"{prefix}_app"]["users"].insert_one({"a": 1})
    conn.client[f"{prefix}_app"]["sessions"].insert_one({"a": 1})
    out_file = tmp_path / "inspected.yaml"
    # Every other database on the shared server is left out with a regular expression.
    result = cli("inspect", "--url", real_server.url, "--ignore", f"databases:/(?!{prefix}_).*/",
                 "--ignore", "collections:sessions", "-o", str(out_file))
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(out_file.read_text())
    assert set(doc["databases"]) == {f"{prefix}_app"}
    assert set(doc["databases"][f"{prefix}_app"]["collections"]) == {"users"}
    assert doc["ignore"]["collections"] == ["sessions"]


def test_target_collection_then_full_plan(server, real_server, write_spec):
    conn, prefix = server
    path = spec(write_spec, prefix, """\
  PFX_app:
    collections:
      users: {indexes: [{name: by_email, keys: {email: 1}}]}
      posts: {indexes: [{name: by_user, keys: {user: 1}}]}
""")
    url = real_server.url
    plan = cli("plan", path, "--url", url, "-target", f"collection {prefix}_app.users")
    assert plan.exit_code == 0, plan.output
    assert f"+ collection {prefix}_app.users" in plan.output and f"+ index {prefix}_app.users.by_email" in plan.output
    assert "posts" not in plan.output and "Partial plan: only -target" in plan.output
    applied = cli("apply", path, "--url", url, "--auto-approve", "--quiet", "--target", f"{prefix}_app.users")
    assert applied.exit_code == 0, applied.output
    assert names(conn, f"{prefix}_app") == {"users"}
    rest = cli("plan", path, "--url", url)
    assert f"+ collection {prefix}_app.posts" in rest.output and "users" not in rest.output, rest.output
    bad = cli("plan", path, "--url", url, "-target", f"collection {prefix}_app.nope")
    assert bad.exit_code == 1 and "matches no change" in bad.output
    assert cli("apply", path, "--url", url, "--auto-approve", "--quiet").exit_code == 0
    assert NO_CHANGES in cli("plan", path, "--url", url).output
