"""The MongoDB model: deployment -> databases -> collections -> indexes.

Both sides of a comparison use it: `spec.py` builds the desired model from
YAML and `inspect.py` builds the live one from `listCollections` /
`listIndexes`. Values are stored in the canonical form `normalize.py`
defines (MongoDB's own option names, defaults removed, numbers as `int`), so
comparing two models is plain equality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A key direction: 1, -1, "text", "hashed", "2dsphere" or "2d".
Direction = int | str
KeyList = tuple[tuple[str, Direction], ...]

#: Collection options MongoDB fixes when the collection is created.
CREATION_OPTIONS = ("capped", "size", "max", "timeseries", "collation", "clusteredIndex")
#: Collection options `collMod` changes in place.
MODIFIABLE_OPTIONS = ("expireAfterSeconds", "changeStreamPreAndPostImages")

DEFAULT_VALIDATION_LEVEL = "strict"
DEFAULT_VALIDATION_ACTION = "error"


@dataclass
class MongoIndex:
    name: str
    # Ordered: {a: 1, b: -1} and {b: -1, a: 1} are different indexes.
    keys: KeyList
    # MongoDB's option names (unique, sparse, partialFilterExpression, expireAfterSeconds,
    # collation, hidden, weights, default_language, language_override, wildcardProjection,
    # bits, min, max), only those that differ from the server's defaults.
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def unique(self) -> bool:
        return bool(self.options.get("unique"))

    @property
    def is_text(self) -> bool:
        return any(d == "text" for _, d in self.keys)

    def definition(self) -> tuple[KeyList, dict[str, Any]]:
        return self.keys, self.options


@dataclass
class Collection:
    name: str
    # Creation-time and collMod-able options, MongoDB's spelling (see CREATION_OPTIONS).
    options: dict[str, Any] = field(default_factory=dict)
    validator: dict[str, Any] | None = None
    validation_level: str = DEFAULT_VALIDATION_LEVEL
    validation_action: str = DEFAULT_VALIDATION_ACTION
    indexes: dict[str, MongoIndex] = field(default_factory=dict)
    renamed_from: str | None = None
    prevent_destroy: bool = False

    def creation_options(self) -> dict[str, Any]:
        return {k: self.options[k] for k in CREATION_OPTIONS if k in self.options}

    def modifiable_options(self) -> dict[str, Any]:
        return {k: self.options[k] for k in MODIFIABLE_OPTIONS if k in self.options}


@dataclass
class MongoDatabase:
    name: str
    collections: dict[str, Collection] = field(default_factory=dict)
    # Template entries: every database whose name matches `match`, or the databases in `names`.
    match: str | None = None
    names: list[str] | None = None
    # Set on the concrete databases a template expanded to: the template's key in the spec.
    template: str | None = None

    @property
    def is_template(self) -> bool:
        return self.match is not None or self.names is not None


@dataclass
class MongoDeployment:
    databases: dict[str, MongoDatabase] = field(default_factory=dict)
    history_database: str | None = None
    history_collection: str = "schemactl_history"
    # Desired models only: what the plan is limited to (a `reconciler.backends.PlanScope`; see `scope.py`).
    scope: Any = None
    # Inspected models only: every database name listDatabases returned. Templates with
    # `match` resolve against it; None means "not inspected" (offline diff of two specs).
    discovered: list[str] | None = None
    # Inspected models only: the server's version string, for notes in the plan.
    server_version: str | None = None
    #: The spec's data-migration hooks (`reconciler.hooks`): desired models only, never compared.
    hooks: dict[str, Any] = field(default_factory=dict, compare=False)

    def describe(self) -> str:
        """One line for `schemactl validate`."""
        templates = sum(1 for d in self.databases.values() if d.is_template)
        collections = sum(len(d.collections) for d in self.databases.values())
        indexes = sum(len(c.indexes) for d in self.databases.values() for c in d.collections.values())
        return (f"{len(self.databases) - templates} databases, {templates} templates, "
                f"{collections} collections, {indexes} indexes")


LOCK_COLLECTION = "schemactl_lock"
#: Databases MongoDB reserves; never managed.
RESERVED_DATABASES = frozenset({"admin", "local", "config"})


def default_index_name(keys: KeyList) -> str:
    """MongoDB's own naming for an unnamed index: `user_id_1_created_at_-1`."""
    return "_".join(f"{field_}_{direction}" for field_, direction in keys)


def prune_ignored(model: MongoDeployment, rules: Any) -> dict[str, list[str]]:
    """Take ignored databases, collections and indexes out of a model (`reconciler.ignore`), in place.
    Template entries are left alone: their expansions are filtered as changes."""
    from reconciler.ignore import object_ignored

    pruned: dict[str, list[str]] = {}
    if not rules:
        return pruned
    for db_name in list(model.databases):
        database = model.databases[db_name]
        if database.is_template:
            continue
        if object_ignored(rules, "database", db_name) is not None:
            del model.databases[db_name]
            continue
        for coll_name in list(database.collections):
            key = f"{db_name}.{coll_name}"
            if object_ignored(rules, "collection", key, database=db_name) is not None:
                del database.collections[coll_name]
                continue
            indexes = database.collections[coll_name].indexes
            for index in [i for i in indexes
                          if object_ignored(rules, "mongo_index", f"{key}.{i}", owner=key) is not None]:
                del indexes[index]
                pruned.setdefault(key, []).append(f"index {index}")
    if model.discovered is not None:
        model.discovered = [d for d in model.discovered if object_ignored(rules, "database", d) is None]
    return pruned
