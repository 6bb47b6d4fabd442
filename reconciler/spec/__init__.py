"""The `spec` stage: load YAML, validate it, and hand it to a backend to build the model."""

from __future__ import annotations

from typing import Any

from reconciler.backends import get_backend
from reconciler.errors import SchemactlError, SpecError, SpecErrors, raise_spec_errors, spec_error_list
from reconciler.spec.loader import LoadedSpec, Positions, load_spec
from reconciler.spec.validate import validate_document

__all__ = ["LoadedSpec", "Positions", "build_loaded", "load_spec", "load_model", "validate_document"]


def load_model(path: str, env: dict[str, str] | None = None) -> tuple[LoadedSpec, Any]:
    """Load, validate and build the desired model of a spec file or directory.

    Every error at once: when the document does not match the JSON Schema, the backend's own checks
    (unknown types, missing columns...) still run where they can, and their errors are reported with the
    schema's, except those about a place the schema already reported.
    """
    loaded = load_spec(path, env)
    return loaded, build_loaded(loaded)


def build_loaded(loaded: LoadedSpec) -> Any:
    """Validate and build the desired model of a spec already loaded (a saved plan's, a history record's)."""
    try:
        validate_document(loaded)  # names a missing or unknown dialect before get_backend does
    except (SpecError, SpecErrors) as exc:
        raise_spec_errors(spec_error_list(exc) + _build_errors(loaded, spec_error_list(exc)))
    return get_backend(loaded.dialect).build_model(loaded)


def _build_errors(loaded: LoadedSpec, reported: list[SpecError]) -> list[SpecError]:
    """The backend's errors for a document the schema rejected, on the parts the schema did not."""
    try:
        backend = get_backend(loaded.dialect)
    except SchemactlError:
        return []
    try:
        backend.build_model(loaded)
    except (SpecError, SpecErrors) as exc:
        found = spec_error_list(exc)
    except Exception:  # noqa: BLE001 - a wrongly shaped document may trip the builder; the schema's errors say why
        return []
    else:
        return []
    places = [tuple(e.path.split(".")) if e.path else () for e in reported]

    def overlaps(error: SpecError) -> bool:
        place = tuple(error.path.split(".")) if error.path else ()
        return any(place[:len(p)] == p or p[:len(place)] == place for p in places)

    return [e for e in found if not overlaps(e)]
