"""One module per kind of PostgreSQL object, found by looking: a new module is its own registration.

Every kind module has its catalog query (`<kind>.sql`, named by `QUERY`; `MANAGED` names another set of
relations for its `/*managed_tables*/`), `READ_ORDER` (its rows are read after those of the kinds it looks
up: columns after their tables) and `load(rows, catalog)`.
A kind whose objects live in `Database.objects` also has `KIND`, a `reconciler.objects.ObjectKind`
(spec section, spec -> model, model -> spec, rendering, place in a plan, optional diff and hazards)
and its spec's JSON Schema fragment, `<kind>.schema.json`: `{"description": ..., "properties":
{<section>: <schema>}, "$defs": {...}}`. DEVELOPERS.md has the checklist.

The older kinds outside `Database.objects` that only PostgreSQL has (schema, extension, enum, domain)
compare their objects themselves: `DIFF(current, desired)`, run in `DIFF_ORDER` before the shared
table diff (`reconciler.relational`), and optionally `AFTER_DIFF(changes, current, desired)`, a pass over
the whole change list (see `diff_relational`); they and the partition helper say where their changes run
in a plan with `ORDER`, `reconciler.relational.order.Placement`s next to the table family's steps.
"""

from __future__ import annotations

import copy
import importlib
import json
import pkgutil
from dataclasses import dataclass
from importlib import resources
from types import ModuleType
from typing import Any

from reconciler.changes import Change
from reconciler.errors import SpecError, raise_spec_errors
from reconciler.model import Database
from reconciler.objects import ObjectKind
from reconciler.relational.order import Placement
from reconciler.spec.relational import relational_schema, split_qualified


def _discover() -> tuple[ModuleType, ...]:
    modules = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)]
    return tuple(sorted(modules, key=lambda module: module.READ_ORDER))


KINDS = _discover()
OBJECT_KINDS: dict[str, ObjectKind] = {m.KIND.name: m.KIND for m in KINDS if isinstance(getattr(m, "KIND", None),
                                                                                    ObjectKind)}
#: Where the older kinds outside `Database.objects` (schema, extension, enum, domain, partition) run in a
#: plan, each declared by its module (`ORDER`) around the table family's steps.
PLACEMENTS: tuple[Placement, ...] = tuple(p for m in KINDS for p in getattr(m, "ORDER", ()))


def diff_relational(current: Database, desired: Database) -> list[Change]:
    """The kinds' own comparisons in `DIFF_ORDER`, then the shared table diff, then their `AFTER_DIFF` passes
    (in the same order) and the prevent_destroy marking: `PostgresBackend.relational_diff`."""
    from reconciler.relational import compose_diff

    comparing = sorted((module for module in KINDS if hasattr(module, "DIFF")), key=lambda module: module.DIFF_ORDER)
    return compose_diff(current, desired, [module.DIFF for module in comparing],
                        [module.AFTER_DIFF for module in comparing if hasattr(module, "AFTER_DIFF")])


@dataclass(frozen=True)
class SpecContext:
    """What building an object from its spec entry may need."""

    default_schema: str
    schemas: list[str]
    #: The model built so far (tables, enums ...), for references to it.
    db: Database
    #: The names the spec's `roles:` declares (a role's `member_of` names others, built or not yet).
    declared_roles: frozenset[str] = frozenset()

    def split(self, key: str) -> tuple[str, str]:
        """`schema.name` or `name` (in the default schema); ValueError for a schema the spec does not list."""
        schema, name = split_qualified(key, self.default_schema)
        if schema not in self.schemas:
            raise ValueError(f"schema {schema!r} is not listed in schemas")
        return schema, name


def build_objects(loaded: Any, db: Database) -> None:
    """Each registered kind's spec section -> `db.objects`; every error at its position, all at once."""
    data = loaded.data
    context = SpecContext(data.get("schema", "public"), db.schemas or ["public"], db,
                          frozenset(data.get("roles") or {}))
    errors: list[SpecError] = []
    for kind in OBJECT_KINDS.values():
        for key, value in (data.get(kind.section) or {}).items():
            try:
                obj = kind.build(key, value, context)
            except ValueError as exc:
                errors.append(loaded.positions.error((kind.section, key), str(exc)))
                continue
            if obj is None:  # nothing of this kind in the entry (a kind built from another kind's section)
                continue
            objects = db.objects.setdefault(kind.name, {})
            if obj.key in objects:
                errors.append(loaded.positions.error((kind.section, key), f"{kind.name} {obj.key} is defined twice"))
            objects[obj.key] = obj
    raise_spec_errors(errors)


def object_sections(db: Database) -> dict[str, dict[str, Any]]:
    """The spec sections of the registered kinds' objects (for `inspect`)."""
    sections: dict[str, dict[str, Any]] = {}
    for kind in OBJECT_KINDS.values():
        objects = db.objects.get(kind.name)
        if objects:
            # Kinds sharing a section (row_security and replica_identity add to `tables:` entries) merge theirs.
            section = sections.setdefault(kind.section, {})
            for key, value in (kind.to_spec(obj) for obj in objects.values()):
                section[key] = {**section[key], **value} if isinstance(section.get(key), dict) else value
    return sections


def spec_schema() -> dict[str, Any]:
    """The relational spec's schema with every registered kind's section added: PostgreSQL's part."""
    schema = relational_schema()
    root = copy.deepcopy(schema["$defs"][schema["root"]])
    for module in KINDS:
        kind = getattr(module, "KIND", None)
        if not isinstance(kind, ObjectKind):
            continue
        name = module.__name__.rpartition(".")[2]
        part = json.loads(resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8"))
        root["properties"].update(part["properties"])
        schema["$defs"].update(part.get("$defs", {}))
    schema["$defs"]["postgresSpec"] = root
    for module in KINDS:  # kinds that add to the relational sections (partition: table keys)
        if hasattr(module, "extend_spec_schema"):
            module.extend_spec_schema(schema)
    return {"root": "postgresSpec", "$defs": schema["$defs"]}
