"""A throwaway SecantusDB server (a MongoDB wire-protocol server) for the MongoDB tests.

SecantusDB is a test tool, never a dependency of schemactl: `make secantus` (a prerequisite of
`make test`) installs it into its own virtual environment, `.venv-secantus/` (SECANTUS_VENV to
point elsewhere). Usage::

    with SecantusServer() as server:
        url = server.url          # mongodb://127.0.0.1:PORT/?directConnection=true
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("SECANTUS_VENV", ROOT / ".venv-secantus"))
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def executable() -> Path:
    path = VENV / "bin" / "secantusd-py"
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} not found: run `make secantus` (part of `make test`) to install SecantusDB "
                           "into its own virtual environment, or set MONGODB_URL to a MongoDB server")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class SecantusServer:
    def __init__(self) -> None:
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://{HOST}:{self.port}/?directConnection=true"

    def log_tail(self, chars: int = 4000) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-chars:]

    def start(self) -> SecantusServer:
        binary = executable()
        self._log = tempfile.NamedTemporaryFile(prefix="secantusd-", suffix=".log", delete=False)
        self.port = _free_port()
        self.process = subprocess.Popen(
            [str(binary), "--host", HOST, "--port", str(self.port), "--storage-path", ":memory:", "--standalone"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        from pymongo import MongoClient

        deadline = time.monotonic() + START_TIMEOUT
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"secantusd-py exited with {self.process.returncode}:\n{self.log_tail()}")
            client = MongoClient(self.url, serverSelectionTimeoutMS=500, connectTimeoutMS=500)
            try:
                client.admin.command("ping")
                return
            except Exception as exc:  # not listening yet
                last = exc
                time.sleep(0.2)
            finally:
                client.close()
        raise RuntimeError(f"secantusd-py did not answer ping within {START_TIMEOUT:.0f} s ({last}):\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT seconds."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
        if self._log is not None:
            self._log.close()
            os.unlink(self._log.name)
            self._log = None

    def __enter__(self) -> SecantusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
