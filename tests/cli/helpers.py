"""Running the CLI in-process, as the workflow tests of every backend do."""

from __future__ import annotations

from click.testing import CliRunner

from reconciler.cli import main


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output
