"""The `spec` stage: load YAML, validate it, and hand it to a backend to build the model."""

from __future__ import annotations

from typing import Any

from reconciler.backends import get_backend
from reconciler.model_codec import LiveModel
from reconciler.spec import model_cache
from reconciler.spec.loader import LoadedSpec, Positions, load_spec
from reconciler.spec.validate import validate_document

__all__ = ["LoadedSpec", "Positions", "load_spec", "load_model", "desired_model", "validate_document"]


def load_model(path: str, env: dict[str, str] | None = None) -> tuple[LoadedSpec, Any]:
    """Load, validate and build the desired model of a spec file or directory."""
    loaded = load_spec(path, env)
    if loaded.cached is None:
        validate_document(loaded)  # names a missing or unknown dialect before get_backend does
    return loaded, desired_model(get_backend(loaded.dialect), loaded)


def desired_model(backend: Any, loaded: LoadedSpec, live: LiveModel | None = None) -> Any:
    """Validate the spec and build its model, or take the model this exact spec was built into before.

    `live` (see `model_codec.decode`) applies only to a model read from the cache.
    """
    if loaded.cached is not None:
        try:
            model = loaded.cached.model(live)
        except (OSError, EOFError, TypeError, ValueError, IndexError, KeyError):
            model = None  # an entry this code cannot read: build again
        if model is not None and model.dialect == backend.name:
            loaded.validated = True
            return model
    validate_document(loaded)
    model = backend.build_model(loaded)
    if loaded.model_file is not None:
        model_cache.write(loaded.model_file, model)
    return model
