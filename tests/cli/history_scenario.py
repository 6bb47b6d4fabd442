"""The history / rollback / status scenario every backend runs (tests/cli/test_history_rollback.py for
PostgreSQL and SQLite, tests/mongodb/test_server_history.py for MongoDB on a real wire-protocol server).

Specs are directories (several files merged), so a rollback also proves that a directory spec is rebuilt
from what the history recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.cli.helpers import invoke

NO_CHANGES = "No changes. The database matches the spec."


@dataclass
class Case:
    """One backend's part: its URL, spec directories and how to make an apply fail."""

    url: str
    #: file name -> text, for v1 (one file), v2 (a directory that adds an object, so going back destroys it)
    #: and a v1 whose apply fails
    v1: dict[str, str]
    v2: dict[str, str]
    failing: dict[str, str]
    #: flags the failing apply needs to get as far as the server
    failing_flags: tuple[str, ...]
    #: makes the failing spec's apply fail on the server (duplicate rows for a unique index)
    break_data: Callable[[], None]
    #: what the plan back from v2 to v1 destroys, as the plan text names it
    destroyed: str


def write_dir(root: Path, files: dict[str, str]) -> str:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return str(root)


def history_json(url: str, *extra: str) -> list[dict]:
    code, out = invoke("history", "--url", url, "--format", "json", *extra)
    assert code == 0, out
    return json.loads(out)["entries"]


def status_json(url: str, *extra: str) -> tuple[int, dict]:
    code, out = invoke("status", *extra, "--url", url, "--format", "json")
    return code, (json.loads(out) if code in (0, 2) else {"output": out})


def apply_then_roll_back(case: Case, tmp_path: Path) -> None:
    """apply v1, apply v2; history newest first; rollback refused without --allow-destroy, then done;
    the next plan of v1 is empty; the rollback is recorded with the spec hash of v1."""
    url = case.url
    v1 = write_dir(tmp_path / "v1", case.v1)
    v2 = write_dir(tmp_path / "v2", case.v2)
    code, out = invoke("history", "--url", url)
    assert code == 0 and "No applies recorded" in out, out
    for spec in (v1, v2):
        code, out = invoke("apply", spec, "--url", url, "--auto-approve", "--quiet")
        assert code == 0 and "Apply complete!" in out, out

    code, text = invoke("history", "--url", url)
    assert code == 0, text
    lines = [line for line in text.splitlines() if line.startswith("#")]
    assert [line.split()[0] for line in lines] == ["#2", "#1"], text
    assert all(" applied " in line and " by " in line and "tool=" in line for line in lines), text
    entries = history_json(url)
    assert [e["id"] for e in entries] == [2, 1]
    assert [e["outcome"] for e in entries] == ["applied", "applied"]
    assert all(e["statement_count"] == len(e["statements"]) > 0 for e in entries), entries
    assert all(e["has_spec"] and e["applied_by"] and e["applied_from"] for e in entries), entries
    assert entries[0]["spec_hash"] != entries[1]["spec_hash"]
    v1_hash = entries[1]["spec_hash"]
    code, out = invoke("history", "--url", url, "--limit", "1")
    assert code == 0 and "#2" in out and "#1" not in out, out

    # Going back destroys what v2 added: refused without --allow-destroy, and nothing is recorded.
    code, out = invoke("rollback", "--url", url, "--auto-approve", "--quiet")
    assert code == 1, out
    assert "Rolling back to #1" in out and case.destroyed in out and "--allow-destroy" in out, out
    assert len(history_json(url)) == 2
    # --dry-run shows the same plan and changes nothing.
    code, out = invoke("rollback", "--url", url, "--dry-run")
    assert code == 0 and case.destroyed in out and "1 to destroy" in out, out
    assert invoke("plan", v2, "--url", url)[1].strip().endswith(NO_CHANGES)

    code, out = invoke("rollback", "--url", url, "--auto-approve", "--quiet", "--allow-destroy")
    assert code == 0 and "Rollback complete!" in out and "1 destroyed" in out, out
    code, out = invoke("plan", v1, "--url", url)
    assert code == 0 and out.strip().endswith(NO_CHANGES), out
    latest = history_json(url)[0]
    assert latest["id"] == 3 and latest["outcome"] == "applied" and latest["rollback_to"] == 1
    assert latest["spec_hash"] == v1_hash
    code, out = invoke("history", "--url", url)
    assert "(rollback to #1)" in out.splitlines()[1], out

    # The default target now is v2 (the last apply of another spec); `--to 2` names it.
    code, out = invoke("rollback", "--url", url, "--to", "2", "--auto-approve", "--quiet")
    assert code == 0 and "Rolling back to #2" in out and "Rollback complete!" in out, out
    code, out = invoke("plan", v2, "--url", url)
    assert code == 0 and out.strip().endswith(NO_CHANGES), out
    code, out = invoke("rollback", "--url", url, "--to", "99", "--dry-run")
    assert code == 1 and "no history entry #99" in out, out


def failed_apply_is_shown(case: Case, tmp_path: Path) -> None:
    """A failed apply: its error in `history` (text and json) and in `status` (text and json)."""
    url = case.url
    v1 = write_dir(tmp_path / "v1", case.v1)
    failing = write_dir(tmp_path / "failing", case.failing)
    code, out = invoke("apply", v1, "--url", url, "--auto-approve", "--quiet")
    assert code == 0, out
    case.break_data()
    code, out = invoke("apply", failing, "--url", url, "--auto-approve", "--quiet", *case.failing_flags)
    assert code == 1, out

    [failed, applied] = history_json(url)
    assert failed["outcome"] == "failed" and failed["error"], failed
    assert applied["outcome"] == "applied" and applied["error"] is None
    code, out = invoke("history", "--url", url)
    lines = out.splitlines()
    assert lines[1].startswith("#2") and " failed " in lines[1], out
    assert lines[2].strip().startswith("Error:") and ("dup" in lines[2].lower() or "unique" in lines[2].lower()), out

    code, out = invoke("status", "--url", url)
    assert code == 0 and "outcome=failed" in out and "Drift: not checked" in out, out
    assert any(line.strip().startswith("Error:") for line in out.splitlines()), out
    code, document = status_json(url)
    assert code == 0 and document["last_apply"]["outcome"] == "failed" and document["last_apply"]["error"]
    assert document["drift"] == {"checked": False, "in_sync": None, "summary": None, "changes": []}
    # A failed apply is no place to roll back to.
    code, out = invoke("rollback", "--url", url, "--to", "2", "--dry-run")
    assert code == 1 and "#2 was not applied (outcome 'failed')" in out, out


def status_exit_codes(case: Case, tmp_path: Path, bad_url: str) -> None:
    """status --detailed-exitcode: 0 in sync, 2 drifted, 1 on error (and without a spec to compare)."""
    url = case.url
    v1 = write_dir(tmp_path / "v1", case.v1)
    v2 = write_dir(tmp_path / "v2", case.v2)
    code, document = status_json(url, v1)
    assert code == 0 and document["last_apply"] is None and document["drift"]["in_sync"] is False, document
    assert invoke("apply", v1, "--url", url, "--auto-approve", "--quiet")[0] == 0

    code, document = status_json(url, v1, "--detailed-exitcode")
    assert code == 0, document
    assert document["drift"] == {"checked": True, "in_sync": True, "summary": NO_CHANGES, "changes": []}
    assert document["last_apply"]["outcome"] == "applied" and document["last_apply"]["id"] == 1
    code, document = status_json(url, v2, "--detailed-exitcode")
    assert code == 2, document
    assert document["drift"]["in_sync"] is False and document["drift"]["summary"].startswith("Plan: 1 to add")
    assert [c["action"] for c in document["drift"]["changes"]] == ["create"]
    code, out = invoke("status", v2, "--url", url, "--detailed-exitcode")
    assert code == 2 and "Drift: Plan: 1 to add" in out, out
    code, out = invoke("status", "--url", url, "--detailed-exitcode")
    assert code == 1 and "needs a spec" in out, out
    code, out = invoke("status", v1, "--url", bad_url, "--detailed-exitcode", "--connect-timeout", "2")
    assert code == 1 and out.startswith("Error:"), out


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def plan_and_apply_from_git(case: Case, tmp_path: Path, monkeypatch) -> None:
    """`plan`/`apply` of `REV:path`, a directory and a single file, as `diff` reads them."""
    url = case.url
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    write_dir(repo / "db", case.v1)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "v1")
    write_dir(repo / "db", case.v2)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "v2")
    monkeypatch.chdir(repo)

    code, out = invoke("plan", "HEAD~1:db", "--url", url, "--detailed-exitcode")
    assert code == 2, out
    code, out = invoke("apply", "HEAD~1:db", "--url", url, "--auto-approve", "--quiet")
    assert code == 0 and "Apply complete!" in out, out
    # The same spec from the working tree and from git: no changes, and one spec hash.
    write_dir(tmp_path / "v1", case.v1)
    code, out = invoke("plan", str(tmp_path / "v1"), "--url", url, "--detailed-exitcode")
    assert code == 0, out
    code, out = invoke("plan", "HEAD:db", "--url", url, "--detailed-exitcode")
    assert code == 2 and "Plan: 1 to add" in out, out
    code, out = invoke("apply", "HEAD:db", "--url", url, "--auto-approve", "--quiet")
    assert code == 0, out
    code, out = invoke("plan", "db", "--url", url, "--detailed-exitcode")
    assert code == 0, out
    entries = history_json(url)
    code, out = invoke("plan", "db", "--url", url, "--format", "json")
    assert json.loads(out)["spec_hash"] == entries[0]["spec_hash"]
    # One file at a revision (v1 is one file): planning back to it destroys what v2 added.
    [name] = case.v1
    code, out = invoke("plan", f"HEAD~1:db/{name}", "--url", url, "--detailed-exitcode")
    assert code == 2 and case.destroyed in out, out
    # A spec error names the git path, not a temporary copy.
    (repo / "db" / "broken.yaml").write_text("tables:\n  bad: {columns: 7}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "broken")
    code, out = invoke("plan", "HEAD:db", "--url", url)
    assert code == 1 and "HEAD:db/broken.yaml" in out and os.sep + "tmp" not in out, out
    code, out = invoke("apply", "HEAD:nope", "--url", url, "--auto-approve")
    assert code == 1 and "git cannot read it" in out, out
