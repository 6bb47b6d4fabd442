"""The test server: without MariaDB's binaries the MySQL tests fail, saying what to install (never skip)."""

from __future__ import annotations

import pytest

from tests.support import mariadbserver


def test_missing_server_binaries_are_an_error_that_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(mariadbserver.shutil, "which", lambda name, path=None: None)
    with pytest.raises(RuntimeError, match=r"apt-get install -y mariadb-server"):
        mariadbserver.MariadbServer().start()


def test_the_throwaway_server_is_not_the_one_on_3306(mysql_server) -> None:
    assert mysql_server.port != 3306
    [(datadir,)] = mysql_server.admin("SELECT @@datadir")
    assert datadir.startswith(mysql_server.tmpdir)
