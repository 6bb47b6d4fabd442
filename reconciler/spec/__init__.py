"""The `spec` stage: load YAML, validate it, and hand it to a backend to build the model."""

from __future__ import annotations

from typing import Any

from reconciler.backends import get_backend
from reconciler.spec.loader import LoadedSpec, Positions, load_spec
from reconciler.spec.validate import validate_document

__all__ = ["LoadedSpec", "Positions", "load_spec", "load_model", "validate_document"]


def load_model(path: str, env: dict[str, str] | None = None) -> tuple[LoadedSpec, Any]:
    """Load, validate and build the desired model of a spec file or directory."""
    loaded = load_spec(path, env)
    validate_document(loaded)  # names a missing or unknown dialect before get_backend does
    return loaded, get_backend(loaded.dialect).build_model(loaded)
