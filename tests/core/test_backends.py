"""Every backend implements the typed protocol, and the registry is what the backends provide."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from reconciler.backends import Backend, dialect_of_url, get_backend, registry
from reconciler.errors import UsageError

BACKENDS = sorted(registry())


def test_the_registry_finds_every_backend_folder() -> None:
    assert BACKENDS == ["mongodb", "mysql", "postgres", "sqlite"]


@pytest.mark.parametrize("name", BACKENDS)
def test_each_backend_implements_the_protocol(name: str) -> None:
    backend = get_backend(name)
    assert isinstance(backend, Backend)
    assert backend.name == name and backend.url_schemes
    assert not getattr(type(backend), "__abstractmethods__", None)
    for method, declared in inspect.getmembers(Backend, inspect.isfunction):
        if method.startswith("_"):
            continue
        implemented = getattr(type(backend), method)
        # Same parameters, by name and kind, as the protocol declares.
        expected = [(p.name, p.kind) for p in inspect.signature(declared).parameters.values()]
        # Plus the extra keyword arguments a backend declares in apply_options (for execute).
        actual = [(p.name, p.kind) for p in inspect.signature(implemented).parameters.values()
                  if p.name not in backend.apply_options]
        assert actual == expected, f"{name}.{method}"


@pytest.mark.parametrize(("url", "dialect"), [
    ("postgresql://u@h/db", "postgres"), ("postgres://h/db", "postgres"), ("sqlite:///x.db", "sqlite"),
    ("mongodb://h/", "mongodb"), ("mongodb+srv://h/", "mongodb"), ("mysql://u@h/db", "mysql"),
    ("mariadb://u@h:3307/db", "mysql"),
])
def test_urls_find_their_backend(url: str, dialect: str) -> None:
    assert dialect_of_url(url) == dialect


def test_an_unknown_url_names_the_known_schemes_and_hides_the_password() -> None:
    with pytest.raises(UsageError) as error:
        dialect_of_url("oracle://u:secret@h/db")
    assert "secret" not in str(error.value) and "postgresql://" in str(error.value)


@pytest.mark.parametrize("spec", ["postgres", "sqlite", "mysql"])
def test_validate_imports_no_driver(tmp_path, spec: str) -> None:
    """`validate` of a relational spec never loads psycopg, pymysql, pymongo or deepdiff (fast start)."""
    path = tmp_path / "s.yaml"
    path.write_text(f"version: 1\ndialect: {spec}\ntables:\n  t:\n    columns:\n      id: {{type: integer}}\n")
    code = ("import sys; from reconciler.cli import run; run(['validate', sys.argv[1]]); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'psycopg', 'pymysql', 'pymongo', 'deepdiff'}))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout
    assert "valid" in out and out.strip().endswith("[]"), out
