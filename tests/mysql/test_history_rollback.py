"""`history` and `rollback` on a real MariaDB: the scenario every backend runs (tests/cli/history_scenario.py)."""

from __future__ import annotations

from tests.cli import history_scenario as scenario

BASE = """\
version: 1
dialect: mysql
tables:
  items:
    columns:
      id: {type: integer, primary_key: true}
      name: {type: "varchar(50)"}
"""
TAGS = "tables:\n  tags:\n    columns:\n      id: {type: integer, primary_key: true}\n"


def test_apply_history_rollback_and_replan(mysql_url, tmp_path):
    case = scenario.Case(url=mysql_url, v1={"base.yaml": BASE}, v2={"base.yaml": BASE, "tags.yaml": TAGS},
                         failing={"base.yaml": BASE}, failing_flags=(), break_data=lambda: None,
                         destroyed="- table tags")
    scenario.apply_then_roll_back(case, tmp_path)
