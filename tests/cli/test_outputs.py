"""What reviewers read: hazards in every format, transaction grouping, colour rules, plan files by content,
and offline diffs against a spec directory at a git revision."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import psycopg
import pytest

from tests.cli.helpers import invoke

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")

BASE = """\
version: 1
dialect: postgres
tables:
  orders:
    columns:
      id: {type: bigint, primary_key: true}
      total: {type: integer}
"""
CHANGED = BASE + """\
    indexes:
      - {columns: [total]}
    checks:
      total_positive: "total > 0"
"""


@pytest.fixture
def existing(tmp_path: Path, pg_url: str) -> tuple[Path, str]:
    spec = tmp_path / "schema.yaml"
    spec.write_text(BASE)
    assert invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet")[0] == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO orders VALUES (1, 5)")
    spec.write_text(CHANGED)
    return spec, pg_url


def test_hazards_appear_in_every_format(existing):
    spec, url = existing
    code, text = invoke("plan", str(spec), "--url", url, "--no-color")
    assert code == 0
    assert "hazard: blocks_writes" in text and "hazard: full_scan_validation" in text
    code, sql = invoke("plan", str(spec), "--url", url, "--format", "sql")
    assert "[hazards: blocks_writes" in sql and "full_scan_validation" in sql
    code, md = invoke("plan", str(spec), "--url", url, "--format", "markdown")
    assert "`blocks_writes`" in md and "`full_scan_validation`" in md
    code, out = invoke("plan", str(spec), "--url", url, "--format", "json")
    document = json.loads(out)
    jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / "plan.schema.json").read_text())).validate(document)
    hazards = {h if isinstance(h, str) else h.get("hazard", h.get("name")) for c in document["changes"]
               for h in c["hazards"]}
    assert {"blocks_writes", "full_scan_validation"} <= hazards


def test_online_plans_group_and_mark_what_runs_outside_the_transaction(existing):
    spec, url = existing
    code, sql = invoke("plan", str(spec), "--url", url, "--format", "sql", "--online")
    assert code == 0
    inside = sql.index("==== Runs in one transaction")
    outside = sql.index("==== Runs outside the transaction")
    assert inside < outside
    assert sql.index("NOT VALID") < outside < sql.index("CREATE INDEX CONCURRENTLY")
    assert sql.index("VALIDATE CONSTRAINT") > outside
    code, text = invoke("plan", str(spec), "--url", url, "--online", "--no-color")
    assert "-- runs outside the transaction" in text
    code, out = invoke("apply", str(spec), "--url", url, "--online", "--auto-approve", "--quiet",
                       "--allow-hazards", "full_scan_validation,may_fail_on_data")
    assert code == 0, out
    assert invoke("plan", str(spec), "--url", url)[1].strip() == "No changes. The database matches the spec."


def _run_on_terminal(args: list[str], env: dict[str, str]) -> str:
    """The CLI's output when its stdout is a terminal (a pseudo-terminal here)."""
    main, replica = os.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "reconciler.cli", *args], stdout=replica,
                                   stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        os.close(replica)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break  # the terminal closed: the process is done
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    finally:
        os.close(main)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_only(tmp_path):
    spec = tmp_path / "schema.yaml"
    spec.write_text(BASE.replace("dialect: postgres", "dialect: sqlite"))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert ANSI.search(_run_on_terminal(["plan", str(spec), "--url", url], env))
    assert not ANSI.search(_run_on_terminal(["plan", str(spec), "--url", url, "--no-color"], env))
    assert not ANSI.search(_run_on_terminal(["plan", str(spec), "--url", url], {**env, "NO_COLOR": "1"}))
    piped = subprocess.run([sys.executable, "-m", "reconciler.cli", "plan", str(spec), "--url", url],
                           capture_output=True, text=True, cwd=ROOT, env=env)
    assert "Plan: 1 to add" in piped.stdout and not ANSI.search(piped.stdout)


def test_saved_plans_are_recognised_by_content_not_name(tmp_path):
    spec = tmp_path / "schema.yaml"
    spec.write_text(BASE.replace("dialect: postgres", "dialect: sqlite"))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    plan_file = tmp_path / "plan.out"
    assert invoke("plan", str(spec), "--url", url, "-out", str(plan_file))[0] == 0
    code, out = invoke("apply", str(plan_file), "--url", url, "--auto-approve", "--quiet")
    assert code == 0, out
    # A spec written as JSON (which is YAML too) is still a spec, whatever its name.
    as_json = tmp_path / "spec.json"
    as_json.write_text(json.dumps({"version": 1, "dialect": "sqlite", "tables": {
        "orders": {"columns": {"id": {"type": "bigint", "primary_key": True}, "total": {"type": "integer"}}}}}))
    code, out = invoke("plan", str(as_json), "--url", url)
    assert code == 0 and "No changes." in out, out


def test_offline_diff_against_a_spec_directory_at_a_git_revision(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "db" / "more").mkdir(parents=True)
    sqlite_base = BASE.replace("dialect: postgres", "dialect: sqlite")
    (repo / "db" / "base.yaml").write_text(sqlite_base)
    (repo / "db" / "more" / "items.yaml").write_text(
        "tables:\n  items:\n    columns:\n      id: {type: integer, primary_key: true}\n")
    (repo / "db" / "notes.txt").write_text("not a spec")
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    (repo / "db" / "more" / "items.yaml").write_text(
        "tables:\n  items:\n    columns:\n      id: {type: integer, primary_key: true}\n"
        "      name: {type: text, nullable: true}\n")
    monkeypatch.chdir(repo)
    code, out = invoke("diff", "HEAD:db", "db", "--detailed-exitcode")
    assert code == 2 and "+ column items.name" in out and "Plan: 1 to add, 0 to change, 0 to destroy." in out, out
    code, out = invoke("diff", "HEAD:db/", "HEAD:db", "--detailed-exitcode")
    assert code == 0, out
    code, out = invoke("diff", "HEAD:nope", "db")
    assert code == 1 and "git cannot read it" in out


def test_show_prints_a_saved_plan_as_planned_and_refuses_an_edited_one(tmp_path):
    spec = tmp_path / "schema.yaml"
    spec.write_text(CHANGED.replace("dialect: postgres", "dialect: sqlite"))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    plan_file = tmp_path / "plan.json"
    code, planned_sql = invoke("plan", str(spec), "--url", url, "--format", "sql", "-out", str(plan_file))
    assert code == 0
    code, shown_sql = invoke("show", str(plan_file), "--format", "sql")
    # (the runner mixes stderr in: "Saved the plan to ..." follows the SQL)
    assert code == 0 and planned_sql.startswith(shown_sql) and "CREATE" in shown_sql
    code, md = invoke("show", str(plan_file), "--format", "markdown")
    assert code == 0 and "| `+` | table orders |" in md
    document = json.loads(plan_file.read_text())
    document["changes"][0]["statements"][0]["sql"] = "DROP TABLE important;"
    plan_file.write_text(json.dumps(document))
    code, out = invoke("show", str(plan_file))
    assert code == 1 and "edited" in out
    code, out = invoke("show", str(spec))
    assert code == 1 and "not a saved plan" in out


def test_the_ci_example_only_uses_commands_and_flags_that_exist():
    import shlex

    import yaml

    from reconciler.cli import main

    workflow = yaml.safe_load((ROOT / "examples" / "ci" / "schemactl.yml").read_text())
    lines = [line.strip() for job in workflow["jobs"].values() for step in job["steps"]
             for line in str(step.get("run", "")).splitlines() if line.strip().startswith("schemactl ")]
    assert len(lines) >= 5
    for line in lines:
        line = re.sub(r"\$\{\{[^}]*\}\}", "x", line).split(">")[0]
        name, *args = shlex.split(line)[1:]
        command = main.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None, line
        command.make_context(name, args)  # raises on an unknown flag or a missing argument
