"""Connection failures: a clear TargetError naming the target, password redacted, quickly."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from pymongo.errors import OperationFailure

from reconciler.backends.mongodb import BACKEND, connection
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


class _RefusingClient:
    """A client whose server answers every command with one error (what pymongo raises for it)."""

    def __init__(self, code: int, message: str) -> None:
        self.error = OperationFailure(message, code, {"ok": 0.0, "errmsg": message, "code": code})
        self.admin = self

    def command(self, *args, **kwargs):
        raise self.error

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("code", "message"), [
    (18, "Authentication failed."),
    (13, "command ping requires authentication"),
])
def test_failed_authentication_is_one_clear_error(monkeypatch, code, message):
    monkeypatch.setattr(connection, "make_client", lambda url: _RefusingClient(code, f"{message} (user app:hunter2)"))
    result = CliRunner().invoke(main, ["plan", "examples/mongodb-chat/schema.yaml",
                                       "--url", "mongodb://app:hunter2@db.example:27017/chat"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: authentication failed for mongodb://app:***@db.example:27017/chat: "
                               f"{message}")
    assert "hunter2" not in result.output and "Traceback" not in result.output


def test_not_authorised_to_list_databases(fake_server, monkeypatch):
    from tests.mongodb.fake_server import FakeOps

    def refuse(self):
        raise OperationFailure("not authorized on admin to execute command { listDatabases: 1 }", 13,
                               {"errmsg": "not authorized on admin to execute command { listDatabases: 1 }",
                                "code": 13, "codeName": "Unauthorized"})

    monkeypatch.setattr(FakeOps, "database_names", refuse)
    result = CliRunner().invoke(main, ["plan", "examples/mongodb-chat/schema.yaml",
                                       "--url", "mongodb://app:hunter2@db.example/chat"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: not authorised to read mongodb://app:***@db.example/chat: not authorized on admin to execute "
        "command { listDatabases: 1 } (code 13) (the user needs listDatabases, listCollections and listIndexes)")


def test_a_read_only_connection_refuses_every_write(fake_server) -> None:
    conn = BACKEND.connect("mongodb://localhost:27017/app", read_only=True)
    with pytest.raises(PermissionError):
        conn.ops.run("app", {"create": "x"})
    with pytest.raises(PermissionError):
        conn.ops.collection("app", "x").insert_one({"a": 1})
    assert conn.ops.list_collections("app") == []
    assert "x" not in fake_server["app"].list_collection_names()
