"""Table, column, constraint and index details end to end on a real PostgreSQL: generated columns, identity
options, exclusion constraints, NULLS NOT DISTINCT, index storage parameters, MATCH FULL and ON DELETE SET NULL
(columns), NO INHERIT, UNLOGGED and column-less tables, comments on indexes and constraints, typed defaults."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


def inspect_doc(url: str, path: Path) -> dict:
    code, out = invoke("inspect", "--url", url, "-o", str(path))
    assert code == 0, out
    return yaml.safe_load(path.read_text())


def test_scratch(pg_url, pg_conn, tmp_path) -> None:
    spec = Path("/tmp/pgd/s.yaml")
    print(replan(spec, pg_url))
    apply_ok(spec, pg_url)
    print(replan(spec, pg_url))
    doc = inspect_doc(pg_url, tmp_path / "i.yaml")
    print(yaml.safe_dump(doc, sort_keys=False))
    assert NO_CHANGES in replan(spec, pg_url)
    assert NO_CHANGES in replan(tmp_path / "i.yaml", pg_url)
