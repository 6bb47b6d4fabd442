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
    backend = get_backend(loaded.dialect)
    model = backend.build_model(loaded)
    if loaded.data.get("ignore"):
        refuse_declared_and_ignored(backend, loaded, model)
    return model


def refuse_declared_and_ignored(backend: Any, loaded: LoadedSpec, model: Any) -> None:
    """Bad patterns, and patterns that ignore an object the spec itself declares, as positioned errors (at the
    pattern). The objects are those a plan from an empty database would create, so every kind is covered."""
    from reconciler.ignore import declared_and_ignored, rules_from_spec
    from reconciler.plan import empty_model

    rules = rules_from_spec(loaded.data, loaded.positions)
    try:
        created = backend.diff(empty_model(backend), model)
    except SchemactlError:
        return  # (a rename from nothing); the plan leaves ignored objects out all the same
    errors = [loaded.positions.error(rules.where[section][i],
                                     f"pattern {rules.patterns[section][i].text!r} ignores {address}, "
                                     "which this spec declares; remove the pattern or the object")
              for (section, i), address in declared_and_ignored(rules, created)]
    raise_spec_errors(errors)


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
