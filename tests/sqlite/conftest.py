from __future__ import annotations

import pytest

from reconciler.backends.sqlite import BACKEND


@pytest.fixture
def conn(sqlite_url):
    connection = BACKEND.connect(sqlite_url)
    try:
        yield connection
    finally:
        BACKEND.close(connection)
