"""Desired models of specs built before, so that an unchanged spec is not parsed, validated and built again.

An entry is keyed by a hash of the spec text, the schemactl version, the model's field layout, the
source of the `reconciler` package (a model is what this code builds from this text, and a working
copy changes the code without changing the version) and the spec's JSON Schema. It holds the model as plain data in
`marshal` format (as Python's own .pyc files; it cannot construct arbitrary objects the way a
pickle can). Only relational models are cached, and only specs without `${VAR}` references (their
model depends on the environment). A missing, unreadable or stale entry just means building again.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reconciler import model_codec
from reconciler.model import Database

# Bump when the encoding changes in a way LAYOUT does not show.
FORMAT = 1
_PACKAGE = Path(__file__).resolve().parents[1]


@dataclass
class CachedModel:
    """An entry read from the cache: the plain data, decoded into a model on demand."""

    payload: tuple[Any, ...]

    @property
    def dialect(self) -> str:
        return self.payload[0]

    def header(self) -> Database:
        """Schemas and extensions only (cheap): what the spec manages."""
        return model_codec.decode_header(self.payload)

    def table_count(self) -> int:
        return model_codec.table_count(self.payload)

    def model(self) -> Database:
        return model_codec.decode(self.payload)


@cache
def _code_digest() -> str:
    digest = hashlib.sha256()
    for file in sorted(_PACKAGE.rglob("*.py")):
        digest.update(file.relative_to(_PACKAGE).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_file(source: str, cache_dir: Path) -> Path:
    from reconciler import __version__
    from reconciler.spec.validate import schema_digest

    # The JSON Schema too: a model is only cached for a spec that passed it.
    key = hashlib.sha256(f"{__version__}\0{FORMAT}\0{model_codec.LAYOUT}\0{_code_digest()}\0"
                         f"{schema_digest()}\0".encode())
    key.update(source.encode())
    return cache_dir / "models" / f"{key.hexdigest()}.marshal"


def read(file: Path) -> CachedModel | None:
    try:
        payload = marshal.loads(file.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(payload, tuple) or len(payload) != 6 or not isinstance(payload[0], str):
        return None
    return CachedModel(payload)


def write(file: Path, model: Any) -> None:
    if not isinstance(model, Database):
        return
    try:
        data = marshal.dumps(model_codec.encode(model))
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(file)
    except (OSError, ValueError):
        pass  # a read-only cache only costs the next run a build
