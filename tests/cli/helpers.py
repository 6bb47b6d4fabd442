"""Running the CLI in-process, as the workflow tests of every backend do."""

from __future__ import annotations

from click.testing import CliRunner

from reconciler.cli import main


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def apply_ok(spec: object, url: str, *extra: str) -> str:
    """`schemactl apply SPEC --url URL --auto-approve --quiet ...`, which must succeed; its output."""
    code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet", *extra)
    assert code == 0, out
    return out


def replan(spec: object, url: str) -> str:
    """`schemactl plan SPEC --url URL`, which must succeed; its output, stripped."""
    code, out = invoke("plan", str(spec), "--url", url)
    assert code == 0, out
    return out.strip()
