"""Every flag of every command is documented in the README."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli import main

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_flag_is_in_the_readme():
    missing = [f"{name} {opt}" for name, command in {"": main, **main.commands}.items()
               for param in command.params for opt in getattr(param, "opts", []) if opt.startswith("-")
               and f"`{opt}" not in README and f"{opt} " not in README and f"{opt}`" not in README]
    assert missing == []
