"""Compare two MongoDB models: current x desired -> unordered list of Changes.

Pure: no server access. Kinds: `collection` (create, drop, replace, rename,
alter via collMod) and `mongo_index` (create, drop, replace = drop + create,
alter via collMod for TTL and hidden). Every change carries
extra["database"] and a database-independent extra["group"] so that the plan
prints identical tenant changes once.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.backends.mongodb.canonicalize import settle_collection
from reconciler.backends.mongodb.expand import expand
from reconciler.backends.mongodb.model import (
    CREATION_OPTIONS,
    Collection,
    MongoDatabase,
    MongoDeployment,
    MongoIndex,
)
from reconciler.backends.mongodb.scope import limit_to_scope
from reconciler.changes import Action, AttributeChange, Change, Hazard
from reconciler.errors import PlanError

COLLECTION = "collection"
MONGO_INDEX = "mongo_index"

# MongoDB option name -> the spec's name, for attribute names in the plan.
SPEC_NAMES = {
    "expireAfterSeconds": "expire_after_seconds",
    "partialFilterExpression": "partial_filter",
    "wildcardProjection": "wildcard_projection",
    "changeStreamPreAndPostImages": "change_stream_pre_and_post_images",
    "clusteredIndex": "clustered",
    "validationLevel": "validation_level",
    "validationAction": "validation_action",
}
# Index options collMod changes in place (MongoDB manual, "collMod": "Change Index Properties").
_IN_PLACE_INDEX = ("expireAfterSeconds", "hidden")


def diff(current: MongoDeployment, desired: MongoDeployment) -> list[Change]:
    discovered = current.discovered
    # An inspected model is already concrete; a spec used as "current" (offline diff) is not.
    have = dict(current.databases) if discovered is not None else expand(current, None)
    want = expand(desired, discovered)
    if desired.scope is not None:
        have, want = limit_to_scope(have, want, desired.scope)
    changes: list[Change] = []
    for db_name in sorted(set(have) | set(want)):
        changes += diff_database(db_name, have.get(db_name), want.get(db_name))
    return changes


def diff_database(db: str, current: MongoDatabase | None, desired: MongoDatabase | None) -> list[Change]:
    live = current.collections if current else {}
    wanted = desired.collections if desired else {}
    template = desired.template if desired else (current.template if current else None)
    changes: list[Change] = []
    renamed_away: set[str] = set()
    for name, coll in wanted.items():
        existing = live.get(name)
        if existing is None and coll.renamed_from:
            old = live.get(coll.renamed_from)
            if old is None:
                raise PlanError(
                    f"collection {db}.{name} is renamed_from {coll.renamed_from!r}, but neither {db}.{name} nor "
                    f"{db}.{coll.renamed_from} exists; remove renamed_from to create it, or fix the old name")
            changes.append(_change(Action.RENAME, COLLECTION, db, name, template, before=old, after=coll,
                                   group=f"collection {name} (renamed from {old.name})",
                                   attributes=[AttributeChange("name", old.name, name)]))
            renamed_away.add(old.name)
            existing = old
        if existing is None:
            changes += _create_collection(db, coll, template)
            continue
        changes += diff_collection(db, existing, settle_collection(coll, existing), template)
    for name, coll in live.items():
        if name in wanted or name in renamed_away:
            continue
        change = _change(Action.DROP, COLLECTION, db, name, template, before=coll, group=f"collection {name}")
        change.add_hazard(Hazard.DATA_LOSS, f"collection {db}.{name} is dropped with its documents")
        changes.append(change)
    return changes


def _create_collection(db: str, coll: Collection, template: str | None, action: Action = Action.CREATE,
                       before: Collection | None = None) -> list[Change]:
    change = _change(action, COLLECTION, db, coll.name, template, before=before, after=coll,
                     group=f"collection {coll.name}")
    changes = [change]
    for index in coll.indexes.values():
        idx = _change(Action.CREATE, MONGO_INDEX, db, coll.name, template, after=index, index=index.name,
                      group=f"index {index.name} on {coll.name}")
        # Built on an empty collection: no data to fail on, nothing to lock.
        idx.extra["new_table"] = True
        changes.append(idx)
    return changes


def diff_collection(db: str, current: Collection, desired: Collection, template: str | None) -> list[Change]:
    if current.creation_options() != desired.creation_options():
        return _replace_collection(db, current, desired, template)
    changes: list[Change] = []
    alter = _alter_collection(db, current, desired, template)
    if alter is not None:
        changes.append(alter)
    changes += diff_indexes(db, current, desired, template)
    return changes


def _replace_collection(db: str, current: Collection, desired: Collection, template: str | None) -> list[Change]:
    changes = _create_collection(db, desired, template, Action.REPLACE, before=current)
    replace = changes[0]
    before, after = current.creation_options(), desired.creation_options()
    for name in CREATION_OPTIONS:
        if before.get(name) != after.get(name):
            replace.attributes.append(AttributeChange(SPEC_NAMES.get(name, name), before.get(name), after.get(name)))
    changed = ", ".join(a.name for a in replace.attributes)
    replace.add_hazard(Hazard.DATA_LOSS, f"{changed} cannot change in place: collection {db}.{current.name} "
                                         "is dropped and created again, empty")
    replace.prevented = desired.prevent_destroy
    return changes


def _alter_collection(db: str, current: Collection, desired: Collection, template: str | None) -> Change | None:
    attributes: list[AttributeChange] = []
    diffs: dict[str, list[str]] = {}
    if (current.validator or None) != (desired.validator or None):
        attributes.append(AttributeChange("validator", current.validator, desired.validator))
        diffs["validator"] = document_diff(current.validator or {}, desired.validator or {})
    if current.validation_level != desired.validation_level:
        attributes.append(AttributeChange("validation_level", current.validation_level, desired.validation_level))
    if current.validation_action != desired.validation_action:
        attributes.append(AttributeChange("validation_action", current.validation_action,
                                          desired.validation_action))
    for name in ("expireAfterSeconds", "changeStreamPreAndPostImages"):
        old, new = current.options.get(name), desired.options.get(name)
        if old != new:
            if name == "changeStreamPreAndPostImages":
                old, new = bool(old), bool(new)
            attributes.append(AttributeChange(SPEC_NAMES[name], old, new))
    if not attributes:
        return None
    summary = ", ".join(a.name for a in attributes)
    change = _change(Action.ALTER, COLLECTION, db, desired.name, template, before=current, after=desired,
                     group=f"collection {desired.name} ({summary})", attributes=attributes)
    if diffs:
        change.extra["attribute_diffs"] = diffs
    if _validates_anew(current, desired):
        _validator_hazards(change, db, desired)
    return change


def _validates_anew(current: Collection, desired: Collection) -> bool:
    """A validator added or changed (or switched on) over documents that are already there."""
    if not desired.validator or desired.validation_level == "off":
        return False
    return (current.validator or None) != desired.validator or current.validation_level == "off"


def _validator_hazards(change: Change, db: str, desired: Collection) -> None:
    # collMod does not check the documents already stored: they have to be checked (a full scan) by whoever
    # relies on the validator. With level strict and action error, the next update of one that does not
    # match fails (level moderate leaves such documents alone).
    change.add_hazard(Hazard.FULL_SCAN_VALIDATION,
                      f"documents already in {db}.{desired.name} are not checked when the validator is set; "
                      f"find those that do not match with db.{desired.name}.find({{$nor: [<validator>]}})")
    if desired.validation_action != "warn" and desired.validation_level == "strict":
        change.add_hazard(Hazard.MAY_FAIL_ON_DATA,
                          "updates of existing documents that do not match the new validator fail")


def diff_indexes(db: str, current: Collection, desired: Collection, template: str | None) -> list[Change]:
    changes: list[Change] = []
    coll = desired.name
    dropped: list[MongoIndex] = [i for n, i in current.indexes.items() if n not in desired.indexes]
    for name, index in desired.indexes.items():
        live = current.indexes.get(name)
        if live is None:
            change = _change(Action.CREATE, MONGO_INDEX, db, coll, template, after=index, index=name,
                             group=f"index {name} on {coll}")
            if index.unique:
                change.add_hazard(Hazard.MAY_FAIL_ON_DATA,
                                  "the build fails if existing documents have duplicate keys")
            # MongoDB refuses a second index with the same key pattern (or a second text index):
            # such a predecessor has to go first; any other replacement is built before the old one goes.
            conflict = next((d.name for d in dropped if _conflicts(d, index)), None)
            if conflict:
                change.extra["after_drop"] = conflict
            changes.append(change)
            continue
        if live == index:
            continue
        changed = _changed_fields(live, index)
        if set(changed) <= set(_IN_PLACE_INDEX) and _in_place_ok(live, index):
            attributes = [AttributeChange(SPEC_NAMES.get(f, f), _in_place_value(live, f), _in_place_value(index, f))
                          for f in changed]
            summary = ", ".join(f"{a.name} {_show(a.old)} -> {_show(a.new)}" for a in attributes)
            changes.append(_change(Action.ALTER, MONGO_INDEX, db, coll, template, before=live, after=index,
                                   index=name, group=f"index {name} on {coll} ({summary})",
                                   attributes=attributes))
            continue
        attributes = [AttributeChange(SPEC_NAMES.get(f, f), _field(live, f), _field(index, f)) for f in changed]
        change = _change(Action.REPLACE, MONGO_INDEX, db, coll, template, before=live, after=index, index=name,
                         group=f"index {name} on {coll} ({', '.join(a.name for a in attributes)})",
                         attributes=attributes)
        change.add_hazard(Hazard.INDEX_DROPPED,
                          f"queries on {db}.{coll} run without {name} until it is rebuilt")
        if index.unique:
            change.add_hazard(Hazard.MAY_FAIL_ON_DATA, "the build fails if existing documents have duplicate keys")
        changes.append(change)
    conflicts = {c.extra["after_drop"] for c in changes if "after_drop" in c.extra}
    for index in dropped:
        change = _change(Action.DROP, MONGO_INDEX, db, coll, template, before=index, index=index.name,
                         group=f"index {index.name} on {coll}")
        change.add_hazard(Hazard.INDEX_DROPPED, f"queries on {db}.{coll} can no longer use {index.name}")
        if index.name in conflicts:
            change.extra["drop_early"] = True
        changes.append(change)
    return changes


def _conflicts(old: MongoIndex, new: MongoIndex) -> bool:
    if old.is_text and new.is_text:
        return True
    same_keys = old.keys == new.keys
    return same_keys and old.options.get("collation") == new.options.get("collation")


def _changed_fields(old: MongoIndex, new: MongoIndex) -> list[str]:
    fields = ["keys"] if old.keys != new.keys else []
    for name in sorted(set(old.options) | set(new.options)):
        if old.options.get(name) != new.options.get(name):
            fields.append(name)
    return fields


def _in_place_ok(old: MongoIndex, new: MongoIndex) -> bool:
    # collMod can set or change a TTL (5.1+ for an index that had none) but cannot remove it.
    return not ("expireAfterSeconds" in old.options and "expireAfterSeconds" not in new.options)


def _in_place_value(index: MongoIndex, name: str) -> Any:
    # The model drops `hidden: false` (the default), but collMod needs the boolean to un-hide an index.
    if name == "hidden":
        return bool(index.options.get("hidden"))
    return index.options.get(name)


def _field(index: MongoIndex, name: str) -> Any:
    if name == "keys":
        return dict(index.keys)
    return index.options.get(name)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    return json.dumps(value)


def _change(action: Action, kind: str, db: str, coll: str, template: str | None, *, before: Any = None,
            after: Any = None, index: str | None = None, group: str,
            attributes: list[AttributeChange] | None = None) -> Change:
    address = f"{'index' if kind == MONGO_INDEX else 'collection'} {db}.{coll}" + (f".{index}" if index else "")
    change = Change(action=action, kind=kind, address=address, before=before, after=after, table=f"{db}.{coll}",
                    attributes=attributes or [])
    change.extra.update({"database": db, "collection": coll, "group": group})
    if index is not None:
        change.extra["index"] = index
    if template is not None:
        change.extra["template"] = template
    return change


def document_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """A structured diff of two documents (validators): one `+`/`-`/`~` line per changed path.

    Lists are compared as whole values: `required: [a, b] -> [a, b, c]` reads better
    than a per-position report.
    """
    from deepdiff import DeepDiff  # loaded here: `validate` of a spec with `ignore:` compares without it

    tree = DeepDiff(old, new, view="tree", ignore_order=False)
    paths: set[tuple[Any, ...]] = set()
    for levels in tree.values():
        for level in levels:
            path = level.path(output_format="list")
            cut = next((i for i, p in enumerate(path) if isinstance(p, int)), len(path))
            paths.add(tuple(path[:cut]))
    # A changed parent reports once: drop paths under another reported path.
    keep = sorted(p for p in paths if not any(q != p and p[:len(q)] == q for q in paths))
    lines = []
    for path in keep:
        before, after = _get(old, path), _get(new, path)
        label = ".".join(str(p) for p in path) or "(document)"
        if before is _MISSING:
            lines.append(f"+ {label}: {_compact(after)}")
        elif after is _MISSING:
            lines.append(f"- {label}: {_compact(before)}")
        else:
            lines.append(f"~ {label}: {_compact(before)} -> {_compact(after)}")
    return lines


_MISSING = object()


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            return _MISSING
    return doc


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
