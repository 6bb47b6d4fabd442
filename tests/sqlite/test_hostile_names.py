"""Hostile names and texts on SQLite: validate -> plan -> apply -> inspect -> plan, nothing runs as SQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml

from reconciler.changes import Hazard
from tests.cli.helpers import invoke
from tests.postgres.test_hostile_names import HOSTILE, quote

ALL_HAZARDS = ",".join(h.value for h in Hazard)


def hostile_spec(version: int = 1) -> dict:
    tables = {}
    for i, text in enumerate(HOSTILE):
        column = f"c{text}"
        tables[f"t{i}{text}"] = {
            "columns": {
                "id": {"type": "integer", "primary_key": True},
                column: {"type": "text", "default": text, "collation": "nocase"},
                f"v{version}{text}": {"type": "integer", "nullable": True},
            },
            "checks": {f"chk{i}{text}": f"length({quote(column)}) >= 0"},
            "indexes": [{"name": f"i{i}{text}", "columns": [column], "where": f"{quote(column)} <> ''"}],
        }
    return {"version": 1, "dialect": "sqlite", "tables": tables}


def canaries(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'canary%'")]


def test_hostile_names_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    url = f"sqlite:///{db}"
    spec = tmp_path / "hostile.yaml"
    for version in (1, 2):  # the second round renames a column in every table: a rebuild with data
        spec.write_text(yaml.safe_dump(hostile_spec(version), allow_unicode=True))
        assert invoke("validate", str(spec))[0] == 0
        code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--allow-destroy",
                           "--allow-hazards", ALL_HAZARDS)
        assert code == 0, out
        assert canaries(db) == []
        code, out = invoke("plan", str(spec), "--url", url)
        assert code == 0 and "No changes" in out, out
        with sqlite3.connect(db) as conn:
            for i, text in enumerate(HOSTILE):
                conn.execute(f"INSERT INTO {quote(f't{i}{text}')} (id) VALUES ({version})")
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", url, "-o", str(inspected))[0] == 0
    code, out = invoke("plan", str(inspected), "--url", url)
    assert code == 0 and "No changes" in out, out
    with sqlite3.connect(db) as conn:
        for i, text in enumerate(HOSTILE):
            rows = conn.execute(f"SELECT {quote(f'c{text}')} FROM {quote(f't{i}{text}')} ORDER BY id").fetchall()
            assert rows == [(text,), (text,)]
