"""Each change as mongosh statements (one server command per statement).

One command per statement keeps every step of `apply` atomic on the server
and lets a failure name exactly the step that did not happen.
"""

from __future__ import annotations

from typing import Any

from reconciler.backends.mongodb.diff import COLLECTION, MONGO_INDEX, SPEC_NAMES
from reconciler.backends.mongodb.model import Collection, MongoIndex
from reconciler.backends.mongodb.mongosh import admin_line, command_line
from reconciler.changes import Action, Change, Statement

# Order of collection options in `create`: fixed so that the text is byte-stable.
_CREATE_ORDER = ("capped", "size", "max", "timeseries", "collation", "clusteredIndex", "expireAfterSeconds",
                 "changeStreamPreAndPostImages")
_MONGO_NAMES = {v: k for k, v in SPEC_NAMES.items()}
#: The comment that marks the aggregation `duplicate_check_command` writes; `execute` fails the step on an answer.
DUPLICATE_CHECK = "schemactl: duplicate keys for unique index "


def render(change: Change) -> list[Statement]:
    db = change.extra["database"]
    if change.kind == COLLECTION:
        commands = _collection(change)
    elif change.kind == MONGO_INDEX:
        commands = _index(change)
    else:
        raise ValueError(f"the MongoDB backend cannot render a {change.kind} change")
    # No MongoDB DDL runs in a transaction; renameCollection is an admin command naming both namespaces.
    return [Statement(admin_line(cmd) if "renameCollection" in cmd else command_line(db, cmd), transactional=False)
            for cmd in commands]


def _collection(change: Change) -> list[dict[str, Any]]:
    db = change.extra["database"]
    if change.action == Action.CREATE:
        return [create_command(change.after)]
    if change.action == Action.DROP:
        return [{"drop": change.before.name}]
    if change.action == Action.REPLACE:
        return [{"drop": change.before.name}, create_command(change.after)]
    if change.action == Action.RENAME:
        return [{"renameCollection": f"{db}.{change.before.name}", "to": f"{db}.{change.after.name}",
                 "dropTarget": False}]
    if change.action == Action.ALTER:
        return [coll_mod_command(change)]
    raise ValueError(f"unsupported collection action {change.action}")


def create_command(coll: Collection) -> dict[str, Any]:
    command: dict[str, Any] = {"create": coll.name}
    for name in _CREATE_ORDER:
        if name in coll.options:
            command[name] = coll.options[name]
    if coll.validator:
        command["validator"] = coll.validator
    if coll.validator or coll.validation_level != "strict" or coll.validation_action != "error":
        command["validationLevel"] = coll.validation_level
        command["validationAction"] = coll.validation_action
    return command


def coll_mod_command(change: Change) -> dict[str, Any]:
    desired: Collection = change.after
    command: dict[str, Any] = {"collMod": desired.name}
    changed = {a.name for a in change.attributes}
    if "validator" in changed:
        # An empty document removes the validator.
        command["validator"] = desired.validator or {}
    if "validation_level" in changed or "validator" in changed and desired.validator:
        command["validationLevel"] = desired.validation_level
    if "validation_action" in changed or "validator" in changed and desired.validator:
        command["validationAction"] = desired.validation_action
    if "expire_after_seconds" in changed:
        command["expireAfterSeconds"] = desired.options.get("expireAfterSeconds", "off")
    if "change_stream_pre_and_post_images" in changed:
        command["changeStreamPreAndPostImages"] = {
            "enabled": bool(desired.options.get("changeStreamPreAndPostImages"))}
    return command


def _index(change: Change) -> list[dict[str, Any]]:
    coll = change.extra["collection"]
    if change.action == Action.CREATE:
        return [create_indexes_command(coll, change.after)]
    if change.action == Action.DROP:
        return [{"dropIndexes": coll, "index": change.before.name}]
    if change.action == Action.REPLACE:
        rebuild = [{"dropIndexes": coll, "index": change.before.name}, create_indexes_command(coll, change.after)]
        # The old index must not be dropped for a unique one that cannot be built: look for duplicates first.
        check = [duplicate_check_command(coll, change.after)] if change.after.unique else []
        return check + rebuild
    if change.action == Action.ALTER:
        index: MongoIndex = change.after
        return [{"collMod": coll, "index": {"name": index.name, _MONGO_NAMES.get(a.name, a.name): a.new}}
                for a in change.attributes]
    raise ValueError(f"unsupported index action {change.action}")


def index_document(index: MongoIndex) -> dict[str, Any]:
    doc: dict[str, Any] = {"key": dict(index.keys), "name": index.name}
    doc.update(index.options)
    return doc


def create_indexes_command(coll: str, index: MongoIndex) -> dict[str, Any]:
    return {"createIndexes": coll, "indexes": [index_document(index)]}


def duplicate_check_command(coll: str, index: MongoIndex) -> dict[str, Any]:
    """An aggregation that returns one key more than one indexed document shares (none: the build can succeed).

    It sees the documents the unique index would: those matching its partial filter and, for a
    sparse index, those that have at least one of its fields. Group keys are k0, k1 ... because
    field paths with dots cannot be keys of the group's _id. Without `collation` it uses the
    collection's default, as the index does.
    """
    fields = [field_ for field_, _ in index.keys]
    filters: list[dict[str, Any]] = []
    if "partialFilterExpression" in index.options:
        filters.append(index.options["partialFilterExpression"])
    if index.options.get("sparse"):
        filters.append({"$or": [{field_: {"$exists": True}} for field_ in fields]})
    pipeline: list[dict[str, Any]] = []
    if filters:
        pipeline.append({"$match": filters[0] if len(filters) == 1 else {"$and": filters}})
    pipeline += [{"$group": {"_id": {f"k{i}": f"${field_}" for i, field_ in enumerate(fields)}, "count": {"$sum": 1}}},
                 {"$match": {"count": {"$gt": 1}}}, {"$limit": 1}]
    command: dict[str, Any] = {"aggregate": coll, "pipeline": pipeline, "cursor": {}}
    if "collation" in index.options:
        command["collation"] = index.options["collation"]
    command["comment"] = f"{DUPLICATE_CHECK}{index.name}"
    return command


def script(steps: list[tuple[Change, list[Statement]]]) -> str:
    """The plan as one mongosh script with a comment per change (what tests compare byte for byte)."""
    lines: list[str] = []
    for change, statements in steps:
        header = f"// {change.action.symbol} {change.address}"
        if change.hazards:
            header += f"  [hazards: {', '.join(h.value for h in change.hazards)}]"
        lines.append(header)
        lines += [s.sql for s in statements]
    return "\n".join(lines) + "\n"
