"""Validate a loaded spec against the published JSON Schema, with positions."""

from __future__ import annotations

import difflib
import json
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema

from reconciler.backends import registry
from reconciler.errors import SpecError, SpecErrors
from reconciler.spec.loader import LoadedSpec, format_path

if TYPE_CHECKING:
    import jsonschema


@cache
def spec_schema() -> dict[str, Any]:
    return json.loads(schema_path("spec.schema.json").read_text(encoding="utf-8"))


def schema_path(name: str) -> Path:
    """A published JSON Schema: beside the package in a checkout, under <prefix>/share once installed."""
    candidates = [Path(__file__).resolve().parents[2] / "schemas" / name,
                  Path(sys.prefix) / "share" / "schemactl" / "schemas" / name]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"schemactl is installed without its JSON Schemas (looked for {name} in "
                            f"{', '.join(str(c.parent) for c in candidates)})")


def describe_error(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {}))) or "none"
        if not extra:
            return error.message
        close = difflib.get_close_matches(extra[0], list(error.schema.get("properties", {})), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key {extra[0]!r} ({hint}allowed: {allowed})"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Report the branch that got furthest rather than "is not valid under any of the given schemas".
        best = max(error.context, key=lambda e: len(e.absolute_path))
        return describe_error(best)
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(error.instance).__name__} {error.instance!r}"
    return error.message


# Parts of a table that repeat the same few shapes across a large spec: checked once per shape.
_REPEATED = (("columns", "column"), ("indexes", "index"), ("foreign_keys", "foreignKey"))


def fast_validator_schemas(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The schemas of the fast validators: `structure`, the spec schema with columns, indexes and foreign keys
    left open, and one for each of those.

    fastjsonschema turns a schema into Python: ~6x faster than jsonschema on a 2,000-table spec. It speaks
    draft 7, which covers every keyword the spec schema uses. Two things make the split worth it: the same
    column, index and foreign key shapes repeat table after table, and fastjsonschema formats a path name
    with locals() for every referenced value it checks, which cost more than the checks themselves.
    `make schemas` writes their code to `spec_validators.py` (`reconciler/spec/schemas.py`), without detailed
    exceptions: jsonschema reports the errors, fastjsonschema only says whether there are any.
    """
    schema = _const_as_enum({k: v for k, v in schema.items() if k != "$schema"})
    defs = schema["$defs"]
    opened = {}
    # Every definition a spec's `tables` entries are checked against (the relational `table`, PostgreSQL's
    # `postgresTable`), with its columns, indexes and foreign keys left to the part validators.
    for name in sorted(_table_definitions(defs)):
        text = json.dumps(defs[name])
        for _, part in _REPEATED:
            text = text.replace(f'{{"$ref": "#/$defs/{part}"}}', "true")
        table = json.loads(text)
        if any(json.dumps(table).count(f'"#/$defs/{part}"') for _, part in _REPEATED) or \
                table["properties"]["columns"]["additionalProperties"] is not True:
            raise AssertionError(f"spec schema: {name} no longer refers to columns, indexes and foreign keys as "
                                 "expected")
        opened[name] = table
    if not opened:
        raise AssertionError("spec schema: no definition of the tables of a spec")
    return {"structure": {**schema, "$defs": {**defs, **opened}},
            **{name: {"$id": schema["$id"], "$defs": defs, "$ref": f"#/$defs/{name}"} for _, name in _REPEATED}}


def _const_as_enum(node: Any, names: bool = False) -> Any:
    """`node` with each `const` written as a one-value `enum`, which fastjsonschema checks the same way.

    fastjsonschema 2.22 cannot write a `const` check without detailed exceptions. `names`: `node` maps
    names to schemas (`properties`, `$defs`), so a key `const` there is a name.
    """
    if isinstance(node, list):
        return [_const_as_enum(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "const" and not names:
            out["enum"] = [value]
        else:
            out[key] = _const_as_enum(value, names=not names and key in ("properties", "patternProperties", "$defs"))
    return out


def _table_definitions(defs: dict[str, Any]) -> set[str]:
    """The definitions the `tables` section of each spec root refers to for its entries."""
    names = set()
    for definition in defs.values():
        tables = definition.get("properties", {}).get("tables", {}) if isinstance(definition, dict) else {}
        ref = tables.get("additionalProperties", {}).get("$ref", "") if isinstance(tables, dict) else ""
        if ref.startswith("#/$defs/"):
            names.add(ref.removeprefix("#/$defs/"))
    return names


def _fast_validate(data: Any) -> None:
    """Raise JsonSchemaException if `data` does not match the spec schema."""
    # Generated from the spec schema by `make schemas`: compiling it here would cost more than checking.
    from reconciler.spec import spec_validators as generated

    generated.validate_structure(data)
    if not _is_relational(data):
        return  # only relational specs have tables
    checked: set[Any] = set()
    for table in (data.get("tables") or {}).values():
        for section, name in _REPEATED:
            items = table.get(section)
            if not items:
                continue
            validate = getattr(generated, f"validate_{name}")
            for item in items.values() if type(items) is dict else items:
                key = _shape(name, item)
                if key is None:
                    validate(item)
                elif key not in checked:
                    validate(item)
                    checked.add(key)


def _is_relational(data: Any) -> bool:
    """Whether the spec's dialect is a backend built on the relational spec (it says so: the core names none)."""
    backend = registry().get(data.get("dialect")) if isinstance(data, dict) else None
    return backend is not None and backend.relational_spec


def _shape(kind: str, value: Any) -> Any:
    """A hashable key equal only for values of the same content and types (`1` is not `true`), or None."""
    if type(value) is dict:
        key = (kind, *((k, type(v), v) for k, v in value.items()))
        try:
            hash(key)
            return key
        except TypeError:
            pass  # a nested list or mapping: spelled out as JSON below
    try:
        return kind, json.dumps(value)
    except (TypeError, ValueError):
        return None


def validate_document(loaded: LoadedSpec) -> None:
    if loaded.validated:
        return
    try:
        _fast_validate(loaded.data)
    except fastjsonschema.JsonSchemaException:
        pass  # jsonschema below reports every error with its path, for the positioned messages
    else:
        _refuse_nul(loaded)
        loaded.validated = True
        return
    # jsonschema only on the error path: it names every error with its path, and costs 0.1 s to import.
    import jsonschema

    validator = jsonschema.Draft202012Validator(spec_schema())
    errors = sorted(validator.iter_errors(loaded.data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        _refuse_nul(loaded)
        loaded.validated = True
        return
    reported: list[SpecError] = []
    seen: set[tuple] = set()
    for error in errors:
        leaf = error
        if error.validator in ("oneOf", "anyOf") and error.context:
            leaf = max(error.context, key=lambda e: len(e.absolute_path))
        path = tuple(leaf.absolute_path)
        key = (path, describe_error(error))
        if key in seen:
            continue
        seen.add(key)
        reported.append(_positioned(loaded, leaf, path, describe_error(error)))
    raise SpecErrors(reported) if len(reported) > 1 else reported[0]


def _positioned(loaded: LoadedSpec, error: jsonschema.ValidationError, path: tuple, message: str) -> SpecError:
    """An error at its path; an unknown top-level key at that key, in whichever file of the spec it is."""
    if not path and error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        mark = loaded.positions.keys.get(extra[0]) if extra else None
        if mark is not None:
            return SpecError(message, file=mark[0], line=mark[1], column=mark[2])
    return loaded.positions.error(path, message)


def _has_nul(value: Any) -> bool:
    if type(value) is str:
        return "\x00" in value
    if type(value) is dict:
        return any("\x00" in key or _has_nul(item) for key, item in value.items())
    if type(value) is list:
        return any(_has_nul(item) for item in value)
    return False


def _nul_errors(loaded: LoadedSpec, value: Any, path: tuple, found: list[SpecError]) -> None:
    if type(value) is str:
        if "\x00" in value:
            found.append(loaded.positions.error(path, "NUL characters are not allowed"))
    elif type(value) is dict:
        for key, item in value.items():
            if "\x00" in key:
                file, line, column = loaded.positions.locate((*path, key))
                found.append(SpecError(f"key {key!r}: NUL characters are not allowed", file=file, line=line,
                                       column=column, path=format_path(path) or None))
            else:
                _nul_errors(loaded, item, (*path, key), found)
    elif type(value) is list:
        for i, item in enumerate(value):
            _nul_errors(loaded, item, (*path, i), found)


def _refuse_nul(loaded: LoadedSpec) -> None:
    """A relational spec's strings become SQL names, literals and expressions, none of which can hold NUL.

    YAML writes one only as an escape (`"\\0"`, `"\\x00"`); MongoDB specs check their own names.
    """
    if not _is_relational(loaded.data) or not _has_nul(loaded.data):
        return
    found: list[SpecError] = []
    _nul_errors(loaded, loaded.data, (), found)
    raise SpecErrors(found) if len(found) > 1 else found[0]
