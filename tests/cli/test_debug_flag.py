"""`--debug` works before the subcommand and after it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback_wherever_it_is_given(tmp_path, where):
    spec = tmp_path / "schema.yaml"
    spec.write_text("version: 1\ndialect: sqlite\ntables: {}\n")
    # A directory is not a database file: an error the CLI reports as one line without --debug.
    url = f"sqlite:///{tmp_path}"
    plain = _run("plan", str(spec), "--url", url)
    assert plain.returncode == 1 and "Traceback" not in plain.stderr and plain.stderr.startswith("Error:")
    args = ["--debug", "plan", str(spec), "--url", url] if where == "before" else ["plan", str(spec), "--url", url,
                                                                                      "--debug"]
    debug = _run(*args)
    assert debug.returncode == 1 and "Traceback" in debug.stderr, debug.stderr


def test_every_command_takes_debug_after_its_name():
    for name, command in main.commands.items():
        assert any("--debug" in p.opts for p in command.params), name
