"""What a person reads in a plan and in a refusal: each explanation once, every reason at once, bounded."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.cli.helpers import invoke

PG = """\
version: 1
dialect: postgres
tables:
  keep:
    columns:
      id: {type: integer, primary_key: true}
      old: {type: text, nullable: true}
    indexes:
      - {columns: [old]}
  gone:
    columns:
      id: {type: integer, primary_key: true}
"""
# Drops a table, a column (with its index) and adds a NOT NULL column without a default and a new index.
PG_CHANGED = """\
version: 1
dialect: postgres
tables:
  keep:
    columns:
      id: {type: integer, primary_key: true}
      required: {type: text}
      label: {type: text, nullable: true}
    indexes:
      - {columns: [label]}
"""
SQLITE = PG.replace("dialect: postgres", "dialect: sqlite")
SQLITE_CHANGED = PG_CHANGED.replace("dialect: postgres", "dialect: sqlite")


def _notes(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if re.match(r"^\s+\(.*\)$", line)]


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_each_hazard_is_explained_once(dialect, tmp_path, request):
    url = request.getfixturevalue("pg_url" if dialect == "postgres" else "sqlite_url")
    spec = tmp_path / "s.yaml"
    spec.write_text(PG if dialect == "postgres" else SQLITE)
    assert invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet")[0] == 0
    spec.write_text(PG_CHANGED if dialect == "postgres" else SQLITE_CHANGED)
    code, out = invoke("plan", str(spec), "--url", url, "--no-color")
    assert code == 0, out
    notes = _notes(out)
    # One explanation per fact: the dropped table, the dropped column, the dropped index, the NOT NULL column.
    assert len([n for n in notes if "gone" in n]) == 1, out
    assert len([n for n in notes if re.search(r"\bold\b", n) and "dropped" in n and "index" not in n]) == 1, out
    assert len([n for n in notes if "keep_old_idx" in n or "lose the index" in n]) == 1, out
    assert len([n for n in notes if "required" in n or "non-empty table" in n]) == (1 if dialect == "postgres" else 2), out


def test_refusals_list_every_reason_at_once_and_one_retry_applies(tmp_path, pg_url):
    spec = tmp_path / "s.yaml"
    spec.write_text(PG)
    assert invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet")[0] == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO keep (id) VALUES (1)")
    spec.write_text(PG_CHANGED.replace("      required: {type: text}\n", ""))
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet")
    assert code == 1
    assert "- - " not in out and "  - -/+ " not in out, out
    assert "  - table public.gone (drop)" in out and "  - column public.keep.old (drop)" in out, out
    # The hazards come in the same refusal, without those --allow-destroy allows (dropping an index with its column).
    assert "blocks_writes: index public.keep.keep_label_idx" in out, out
    assert "index_dropped" not in out.split("blocks_writes")[1] and "data_loss" not in out.split("Error:")[1], out
    assert out.rstrip().endswith(
        "Re-run with --allow-destroy --allow-hazards blocks_writes (or allow them for the environment)."), out
    flags = ["--allow-destroy", "--allow-hazards", "blocks_writes"]
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet", *flags)
    assert code == 0, out


def test_validation_reports_schema_and_spec_errors_together(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("""\
version: 1
dialect: postgres
tables:
  a:
    columns:
      id: {type: integr, primary_key: true}
  b:
    columns:
      id: {type: integer, primary_key: true, nulable: true}
""")
    code, out = invoke("validate", str(spec))
    assert code == 1
    assert "unknown key 'nulable'" in out and 'unknown type "integr"' in out, out
    assert f"{spec}:9:" in out and f"{spec}:6:" in out


def test_many_errors_are_listed_up_to_a_bound(tmp_path):
    spec = tmp_path / "s.yaml"
    tables = "".join(f"  t{i}:\n    columns:\n      id: {{type: nope{i}}}\n" for i in range(120))
    spec.write_text(f"version: 1\ndialect: postgres\ntables:\n{tables}")
    code, out = invoke("validate", str(spec))
    assert code == 1
    errors = [line for line in out.splitlines() if "unknown type" in line]
    assert len(errors) == 50, out
    assert out.rstrip().endswith("... and 70 more errors"), out[-300:]


def test_every_project_file_error_at_once(tmp_path: Path, monkeypatch):
    (tmp_path / "s.yaml").write_text(PG)
    project = tmp_path / "schemactl.yaml"
    project.write_text("version: 1\nenvironments:\n  prod:\n    spec: s.yaml\n    url_env: PROD_DB_URL\n"
                       "    allow_hazards: [nonsense]\n    parallel: 0\n")
    monkeypatch.setenv("PROD_DB_URL", "sqlite:///x.db")
    code, out = invoke("plan", "--env", "prod", "--config", str(project))
    assert code == 1
    assert f"{project}:6:" in out and f"{project}:7:" in out, out
