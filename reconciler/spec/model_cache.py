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
FORMAT = 2
_PACKAGE = Path(__file__).resolve().parents[1]


@dataclass
class CachedModel:
    """An entry read from the cache. The file holds a small header, then the model: the header is read
    with the spec (it says what the spec manages, before the catalog is read), the model only when it is
    decoded, which a plan does while the catalog is being read."""

    file: Path
    dialect: str
    schemas: list[str]
    extensions: list[tuple[str, Any]]
    tables: int

    def header(self) -> Database:
        """Schemas and extensions only: what the spec manages."""
        return model_codec.decode_header((self.dialect, self.schemas, self.extensions))

    def model(self, live: model_codec.LiveModel | None = None) -> Database:
        """The model; OSError, EOFError, ValueError or TypeError if the file is no longer readable as one.

        `live` as for `model_codec.decode`."""
        with self.file.open("rb") as fh:
            marshal.load(fh)  # the header
            payload = marshal.loads(fh.read())  # marshal.load reads a file in tiny pieces: much slower
        if not isinstance(payload, tuple) or len(payload) != 6:
            raise ValueError(f"{self.file}: not a model")
        return model_codec.decode(payload, live)


@cache
def _code_digest() -> str:
    digest = hashlib.sha256()
    for file in sorted(_PACKAGE.rglob("*.py")):
        digest.update(file.relative_to(_PACKAGE).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_file(source_hash: str, cache_dir: Path) -> Path:
    """The entry for a spec whose text hashes to `source_hash` (`LoadedSpec.source_hash`)."""
    from reconciler import __version__
    from reconciler.spec.validate import schema_digest

    # The JSON Schema too: a model is only cached for a spec that passed it.
    key = hashlib.sha256(f"{__version__}\0{FORMAT}\0{model_codec.LAYOUT}\0{_code_digest()}\0"
                         f"{schema_digest()}\0".encode())
    key.update(source_hash.encode())
    return cache_dir / "models" / f"{key.hexdigest()}.marshal"


def read(file: Path) -> CachedModel | None:
    """The entry's header, or None when there is no readable entry."""
    try:
        with file.open("rb") as fh:
            header = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(header, tuple) or len(header) != 4 or not isinstance(header[0], str):
        return None
    return CachedModel(file, *header)


def write(file: Path, model: Any) -> None:
    if not isinstance(model, Database):
        return
    payload = model_codec.encode(model)
    header = (model.dialect, payload[1], payload[2], len(model.tables))
    try:
        data = marshal.dumps(header) + marshal.dumps(payload)
    except ValueError:
        return
    write_atomically(file, data)


def write_atomically(file: Path, data: bytes) -> None:
    """Write a cache entry so that a reader sees the old one or the new one, never half of one.

    Errors are swallowed: a read-only or full cache only costs the next run the work again.
    """
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(file)
    except OSError:
        pass
