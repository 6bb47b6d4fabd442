"""Spec files for the MySQL tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

EMPTY_PLAN = "No changes. The database matches the spec."


def write_spec(tmp_path: Path, body: str, name: str = "schema.yaml") -> Path:
    path = tmp_path / name
    path.write_text("version: 1\ndialect: mysql\n" + textwrap.dedent(body), encoding="utf-8")
    return path

#: Lets every planned change through `apply`'s guards: these tests check what the statements do.
ALLOW_ALL = ("--allow-destroy", "--allow-hazards",
             "data_loss,table_rewrite,may_fail_on_data,index_dropped,full_scan_validation")
