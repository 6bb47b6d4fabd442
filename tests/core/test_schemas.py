"""The published JSON Schemas are assembled from their owners: the checked-in files are up to date."""

from __future__ import annotations

import json

import pytest

from reconciler.changes import Hazard
from reconciler.spec import schemas


@pytest.mark.parametrize("name", sorted(schemas.assembled()))
def test_checked_in_schema_is_up_to_date(name: str) -> None:
    on_disk = (schemas.SCHEMAS_DIR / name).read_text(encoding="utf-8")
    assert on_disk == schemas.render(schemas.assembled()[name]), f"run `make schemas` to update schemas/{name}"


def test_checked_in_fast_validators_are_up_to_date() -> None:
    on_disk = schemas.VALIDATORS_MODULE.read_text(encoding="utf-8")
    assert on_disk == schemas.validators_code(schemas.spec_schema()), \
        "run `make schemas` to update reconciler/spec/spec_validators.py"


def test_every_backend_has_its_dialect_and_part_in_the_spec_schema() -> None:
    spec = schemas.spec_schema()
    from reconciler.backends import registry

    assert spec["properties"]["dialect"]["enum"] == sorted(registry())
    for name, backend in registry().items():
        root = backend.spec_schema()["root"]
        assert {"if": {"required": ["dialect"], "properties": {"dialect": {"const": name}}},
                "then": {"$ref": f"#/$defs/{root}"}} in spec["allOf"]


def test_hazard_enums_are_the_registry() -> None:
    text = json.dumps(schemas.assembled()["plan.schema.json"]) + json.dumps(schemas.assembled()["project.schema.json"])
    expected = json.dumps([h.value for h in Hazard])
    assert text.count(expected) >= 2
