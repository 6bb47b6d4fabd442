"""Connection failures: a clear TargetError naming the target, password redacted, quickly."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from reconciler.backends.mongodb import BACKEND
from reconciler.cli import main
from reconciler.errors import TargetError


def test_unreachable_server(monkeypatch):
    monkeypatch.setenv("SCHEMACTL_MONGO_TIMEOUT_MS", "300")
    started = time.monotonic()
    with pytest.raises(TargetError) as info:
        BACKEND.connect("mongodb://app:hunter2@127.0.0.1:9/chat?authSource=admin")
    message = str(info.value)
    assert message.startswith("cannot reach MongoDB at mongodb://app:***@127.0.0.1:9/chat")
    assert "hunter2" not in message
    assert time.monotonic() - started < 10


def test_invalid_url():
    with pytest.raises(TargetError, match="invalid MongoDB URL"):
        BACKEND.connect("mongodb://app:hunter2@host:notaport/x")


def test_cli_exit_code_and_redaction(monkeypatch):
    monkeypatch.setenv("SCHEMACTL_MONGO_TIMEOUT_MS", "300")
    result = CliRunner().invoke(main, ["plan", "examples/mongodb-chat/schema.yaml",
                                       "--url", "mongodb://app:hunter2@127.0.0.1:9/"])
    assert result.exit_code == 1
    assert "Error: cannot reach MongoDB at mongodb://app:***@127.0.0.1:9/" in result.output
    assert "hunter2" not in result.output
