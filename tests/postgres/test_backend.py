from __future__ import annotations

from reconciler.backends import dialect_of_url, get_backend
from reconciler.backends.postgres import BACKEND


def test_backend_is_registered() -> None:
    assert get_backend("postgres") is BACKEND
    assert BACKEND.name == "postgres"
    assert tuple(BACKEND.url_schemes) == ("postgresql", "postgres")
    assert dialect_of_url("postgres://u:p@h/db") == "postgres"
    for method in ("build_model", "connect", "close", "inspect", "canonicalize", "diff", "order", "render",
                   "execute", "to_spec", "fingerprint_data", "annotate_hazards"):
        assert callable(getattr(BACKEND, method))
