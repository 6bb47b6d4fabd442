"""The plan/apply workflow end to end through the CLI, on real SQLite files."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import jsonschema
import pytest

from tests.cli.helpers import invoke

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
version: 1
dialect: sqlite
tables:
  users:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: text, unique: true}
      name: {type: text, nullable: true}
  posts:
    columns:
      id: {type: integer, primary_key: true}
      user_id: {type: integer, references: users(id), on_delete: cascade}
      title: {type: text}
    indexes:
      - {columns: [user_id]}
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(SPEC)
    return path


def tables(url: str) -> list[str]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))


def test_plan_apply_replan(spec, sqlite_url):
    code, out = invoke("plan", str(spec), "--url", sqlite_url)
    assert code == 0
    assert "+ table users" in out and "+ index posts.posts_user_id_idx" in out
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in out
    code, out = invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet")
    assert code == 0, out
    assert "Apply complete! Resources: 3 added, 0 changed, 0 destroyed." in out
    assert tables(sqlite_url) == ["posts", "schemactl_history", "users"]
    code, out = invoke("plan", str(spec), "--url", sqlite_url)
    assert out.strip() == "No changes. The database matches the spec."


def test_detailed_exitcode(spec, sqlite_url, tmp_path):
    assert invoke("plan", str(spec), "--url", sqlite_url, "--detailed-exitcode")[0] == 2
    invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet")
    assert invoke("plan", str(spec), "--url", sqlite_url, "--detailed-exitcode")[0] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ndialect: sqlite\ntables: {t: {columns: {a: {type: integr}}}}\n")
    code, out = invoke("plan", str(bad), "--url", sqlite_url, "--detailed-exitcode")
    assert code == 1
    assert f'{bad}:3:34: tables.t.columns.a.type: unknown type "integr"' in out


def test_confirmation_only_yes_applies(spec, sqlite_url):
    code, out = invoke("apply", str(spec), "--url", sqlite_url, input="y\n")
    assert code == 1
    assert "Do you want to apply these changes? Only 'yes' will be accepted:" in out
    assert "Apply cancelled." in out
    assert tables(sqlite_url) == []
    code, out = invoke("apply", str(spec), "--url", sqlite_url, "--quiet", input="yes\n")
    assert code == 0, out
    assert "users" in tables(sqlite_url)


def test_drops_need_allow_destroy(spec, sqlite_url):
    invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet")
    spec.write_text(SPEC.split("  posts:")[0])
    code, out = invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve")
    assert code == 1
    assert "--allow-destroy" in out and "- table posts" in out
    assert "posts" in tables(sqlite_url)
    code, out = invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--allow-destroy", "--quiet")
    assert code == 0, out
    assert "posts" not in tables(sqlite_url)


def test_prevent_destroy_cannot_be_overridden(spec, sqlite_url):
    invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet")
    spec.write_text(SPEC.replace("  users:\n", "  users:\n    prevent_destroy: true\n")
                    .replace("      name: {type: text, nullable: true}\n", ""))
    code, out = invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--allow-destroy",
                       "--allow-hazards", "data_loss,table_rewrite")
    assert code == 1
    assert "prevent_destroy" in out and "column users.name" in out
    # `plan` fails too, so a pull request shows it before anyone tries to apply.
    code, out = invoke("plan", str(spec), "--url", sqlite_url)
    assert code == 1 and "which no flag allows" in out
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        assert "name" in [r[1] for r in conn.execute("PRAGMA table_info(users)")]


def test_json_output_validates_against_published_schema(spec, sqlite_url):
    code, out = invoke("plan", str(spec), "--url", sqlite_url, "--format", "json")
    assert code == 0
    document = json.loads(out)
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["summary"] == {"add": 3, "change": 0, "destroy": 0, "empty": False}
    assert [c["address"] for c in document["changes"]][0] == "table users"


def test_sql_and_markdown_formats(spec, sqlite_url):
    code, sql = invoke("plan", str(spec), "--url", sqlite_url, "--format", "sql")
    assert code == 0
    assert "-- + table users" in sql and 'CREATE INDEX "posts_user_id_idx" ON "posts" ("user_id");' in sql
    code, md = invoke("plan", str(spec), "--url", sqlite_url, "--format", "markdown")
    assert "**Plan: 3 to add, 0 to change, 0 to destroy.**" in md
    assert "| `+` | table users |" in md and "<details>" in md


def test_saved_plan_applies_exactly_and_refuses_stale_or_edited(spec, sqlite_url, tmp_path):
    plan_file = tmp_path / "plan.json"
    code, _ = invoke("plan", str(spec), "--url", sqlite_url, "-out", str(plan_file))
    assert code == 0 and plan_file.exists()

    edited = tmp_path / "edited.json"
    document = json.loads(plan_file.read_text())
    document["changes"][0]["statements"][0]["sql"] = "DROP TABLE important;"
    edited.write_text(json.dumps(document))
    code, out = invoke("apply", str(edited), "--url", sqlite_url, "--auto-approve")
    assert code == 1 and "edited" in out
    assert tables(sqlite_url) == []

    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    code, out = invoke("apply", str(plan_file), "--url", sqlite_url, "--auto-approve")
    assert code == 1
    assert "Saved plan is stale" in out and "users" in out
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute("DROP TABLE users")

    other = sqlite_url.replace(".db", "-other.db")
    code, out = invoke("apply", str(plan_file), "--url", other, "--auto-approve")
    assert code == 1 and "the saved plan was made for" in out

    code, out = invoke("apply", str(plan_file), "--url", sqlite_url, "--auto-approve", "--quiet")
    assert code == 0, out
    assert invoke("plan", str(spec), "--url", sqlite_url)[1].strip() == "No changes. The database matches the spec."


def test_status_shows_history_and_drift(spec, sqlite_url):
    code, out = invoke("status", str(spec), "--url", sqlite_url)
    assert "Last apply: none recorded." in out and "Drift: Plan: 3 to add" in out
    invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet")
    code, out = invoke("status", str(spec), "--url", sqlite_url)
    assert code == 0
    assert "outcome=applied" in out and "Drift: none." in out


def test_inspect_writes_a_spec_that_plans_empty(spec, sqlite_url, tmp_path):
    invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet")
    out_file = tmp_path / "inspected.yaml"
    code, _ = invoke("inspect", "--url", sqlite_url, "-o", str(out_file))
    assert code == 0
    assert invoke("plan", str(out_file), "--url", sqlite_url)[1].strip() == \
        "No changes. The database matches the spec."


def test_offline_diff_between_specs_and_git_revisions(spec, tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(SPEC.replace("      name: {type: text, nullable: true}\n",
                                "      name: {type: text, nullable: true}\n      bio: {type: text, nullable: true}\n"))
    code, out = invoke("diff", str(spec), str(new), "--detailed-exitcode")
    assert code == 2
    assert "+ column users.bio" in out and "Plan: 1 to add, 0 to change, 0 to destroy." in out
    assert invoke("diff", str(spec), str(spec), "--detailed-exitcode")[0] == 0

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "schema.yaml").write_text(SPEC)
    subprocess.run([*git, "add", "schema.yaml"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    (repo / "schema.yaml").write_text(new.read_text())
    import os

    cwd = os.getcwd()
    os.chdir(repo)
    try:
        code, out = invoke("diff", "HEAD:schema.yaml", "schema.yaml")
    finally:
        os.chdir(cwd)
    assert code == 0 and "+ column users.bio" in out


def test_environments_from_project_file(spec, sqlite_url, tmp_path, monkeypatch):
    project = tmp_path / "schemactl.yaml"
    project.write_text(f"version: 1\nenvironments:\n  dev:\n    spec: {spec.name}\n    url_env: DEV_DB_URL\n"
                       "    allow_destroy: true\n")
    monkeypatch.setenv("DEV_DB_URL", sqlite_url)
    code, out = invoke("apply", "--env", "dev", "--config", str(project), "--auto-approve", "--quiet")
    assert code == 0, out
    spec.write_text(SPEC.split("  posts:")[0])
    code, out = invoke("apply", "--env", "dev", "--config", str(project), "--auto-approve", "--quiet")
    assert code == 0, out  # the environment allows destroy
    assert "posts" not in tables(sqlite_url)
    monkeypatch.delenv("DEV_DB_URL")
    code, out = invoke("plan", "--env", "dev", "--config", str(project))
    assert code == 1 and "$DEV_DB_URL, which is not set" in out


def test_no_traceback_on_unreachable_target(spec, tmp_path):
    code, out = invoke("plan", str(spec), "--url", f"sqlite:///{tmp_path}/missing-dir/x.db")
    assert code == 1
    assert out.startswith("Error:") and "Traceback" not in out


def test_identifiers_are_quoted_and_values_never_injected(tmp_path, sqlite_url):
    spec = tmp_path / "weird.yaml"
    spec.write_text("""\
version: 1
dialect: sqlite
tables:
  victims:
    columns:
      id: {type: integer, nullable: true}
  'User "Accounts"':
    columns:
      select: {type: integer, primary_key: true}
      Order Id: {type: text, default: "'); DROP TABLE victims; --"}
    indexes:
      - {columns: [Order Id], where: "\\"Order Id\\" <> ''"}
    checks:
      'Select Positive': '"select" > 0'
""")
    code, out = invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet")
    assert code == 0, out
    assert tables(sqlite_url) == ['User "Accounts"', "schemactl_history", "victims"]
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute('INSERT INTO "User ""Accounts""" ("select") VALUES (1)')
        assert conn.execute('SELECT "Order Id" FROM "User ""Accounts"""').fetchone() == ("'); DROP TABLE victims; --",)
    assert invoke("plan", str(spec), "--url", sqlite_url)[1].strip() == "No changes. The database matches the spec."


def test_second_apply_waits_for_the_lock_then_fails_clearly(spec, sqlite_url):
    from reconciler.backends.sqlite import BACKEND

    conn = BACKEND.connect(sqlite_url)
    try:
        with BACKEND.hold_apply_lock(conn, 1):
            code, out = invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--lock-timeout", "0.3")
            assert code == 1 and "another schemactl apply holds the lock" in out
            assert tables(sqlite_url) == []
    finally:
        BACKEND.close(conn)
    code, out = invoke("apply", str(spec), "--url", sqlite_url, "--auto-approve", "--quiet")
    assert code == 0, out
