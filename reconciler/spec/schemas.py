"""The published JSON Schemas (`schemas/*.json`), assembled from what owns each part.

The spec schema is the core (`spec.schema.json` here: version, dialect) plus each backend's
fragment (`Backend.spec_schema()`: a root definition and its `$defs`); the hazard enums of the plan
and project schemas are the `Hazard` registry. `python -m reconciler.spec.schemas` writes them;
a test fails when the checked-in files are out of date.
"""

from __future__ import annotations

import copy
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from reconciler.backends import registry
from reconciler.changes import Hazard

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


def fragment(package: str, name: str) -> dict[str, Any]:
    """A JSON Schema fragment shipped in a package."""
    return json.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


def spec_schema() -> dict[str, Any]:
    schema = fragment("reconciler.spec", "spec.schema.json")
    schema.pop("$comment", None)
    schema["properties"]["dialect"]["enum"] = sorted(registry())
    # The core's own definitions (`ignore`, which every backend's root refers to) come first.
    core_defs = schema.pop("$defs", {})
    schema["allOf"], schema["$defs"] = [], core_defs
    for name, backend in sorted(registry().items()):
        part = backend.spec_schema()
        for key, definition in part["$defs"].items():
            if schema["$defs"].setdefault(key, definition) != definition:
                raise ValueError(f"backend {name}: $defs/{key} differs from another backend's")
        schema["allOf"].append({"if": {"required": ["dialect"], "properties": {"dialect": {"const": name}}},
                                "then": {"$ref": f"#/$defs/{part['root']}"}})
    return schema


def with_hazards(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every hazard enum (marked `"x-hazards": true`) listing the registry's hazards."""
    schema = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("x-hazards"):
                node["enum"] = [h.value for h in Hazard]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return schema


def assembled() -> dict[str, dict[str, Any]]:
    """File name -> the schema it must hold."""
    return {
        "spec.schema.json": spec_schema(),
        "plan.schema.json": with_hazards(_published("plan.schema.json")),
        "project.schema.json": with_hazards(_published("project.schema.json")),
    }


def _published(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    for name, schema in assembled().items():
        (SCHEMAS_DIR / name).write_text(render(schema), encoding="utf-8")
        print(f"wrote schemas/{name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
