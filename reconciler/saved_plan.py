"""Saved plans (`plan -out FILE`, `apply FILE`): apply exactly what was reviewed, or refuse.

The file is the `--format json` document plus what is needed to check it
before applying: the spec it came from, the live state it was computed
against (to say what changed when it is stale) and a hash over the whole file
(to refuse an edited file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.backends import Backend, PlanScope
from reconciler.changes import Action, AttributeChange, Change, Hazard, Statement
from reconciler.errors import PlanError, UsageError
from reconciler.formats.json_format import plan_document
from reconciler.ignore import rules_from_spec
from reconciler.plan import FORMAT_VERSION, Plan, PlannedChange, fingerprint, sha256_json
from reconciler.spec.loader import LoadedSpec, Positions

SAVED_KIND = "schemactl-saved-plan"


def save_plan(path: str, plan: Plan, loaded: LoadedSpec, current: Any, backend: Backend) -> None:
    document = plan_document(plan)
    document.update({
        "kind": SAVED_KIND,
        "spec": {"data": loaded.data, "files": loaded.files, "source": loaded.source},
        "live_state": backend.fingerprint_data(current),
    })
    document["file_hash"] = sha256_json(document)
    Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


@dataclass
class SavedPlan:
    path: str
    document: dict[str, Any]
    plan: Plan
    loaded: LoadedSpec

    def desired(self, backend: Backend) -> Any:
        return backend.build_model(self.loaded)


def load_saved_plan(path: str) -> SavedPlan | None:
    """The saved plan in `path`, or None when `path` is a spec rather than a plan file."""
    file = Path(path)
    if not file.is_file():
        return None
    # Recognised by content, whatever the file is called (`-out plan.out` works too); a spec
    # written as JSON (valid YAML) is still a spec.
    named_json = file.suffix.lower() == ".json"
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        if named_json:
            raise UsageError(f"{path}: not a readable plan file: {exc}") from None
        return None  # the spec loader reports it
    if not named_json and not text.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(text)
    except ValueError as exc:
        if named_json:
            raise UsageError(f"{path}: not a readable plan file: {exc}") from None
        return None
    if not isinstance(document, dict) or document.get("kind") != SAVED_KIND:
        if not named_json:
            return None
        raise UsageError(f"{path}: not a schemactl saved plan (create one with `schemactl plan SPEC -out {path}`)")
    if document.get("format_version") != FORMAT_VERSION:
        raise PlanError(f"{path}: saved plan format {document.get('format_version')} is not supported "
                        f"by this version (expects {FORMAT_VERSION})")
    claimed = document.get("file_hash")
    body = {k: v for k, v in document.items() if k != "file_hash"}
    if claimed != sha256_json(body):
        raise PlanError(f"{path}: the saved plan was edited after it was made (hash mismatch); refusing to apply it")
    spec = document["spec"]
    loaded = LoadedSpec(data=spec["data"], positions=Positions(), files=spec["files"], source=spec["source"])
    plan = _plan_from_document(document)
    plan.scope = PlanScope.from_dict(document.get("scope"))
    if plan.plan_hash() != document.get("plan_hash"):
        raise PlanError(f"{path}: the saved plan's statements do not match its plan hash; refusing to apply it")
    return SavedPlan(path, document, plan, loaded)


def _plan_from_document(document: dict[str, Any]) -> Plan:
    planned = []
    for item in document["changes"]:
        change = Change(
            action=Action(item["action"]), kind=item["kind"], address=item["address"],
            attributes=[AttributeChange(a["name"], a["old"], a["new"]) for a in item["attributes"]],
            hazards=[Hazard(h) for h in item["hazards"]], notes=list(item["notes"]), prevented=item["prevented"],
        )
        if item.get("database"):
            change.extra["database"] = item["database"]
        statements = [Statement(s["sql"], transactional=s["transactional"], commit_first=s.get("commit_first", False),
                                lock_timeout=s.get("lock_timeout"), statement_timeout=s.get("statement_timeout"))
                      for s in item["statements"]]
        planned.append(PlannedChange(change, statements))
    return Plan(dialect=document["dialect"], target=document["target"], changes=planned,
                spec_hash=document["spec_hash"], fingerprint_source=document["live_fingerprint"],
                tool_version=document["tool_version"], created_at=document["created_at"],
                online=document.get("online", False), warnings=list(document.get("warnings", [])),
                diagram_source=document.get("diagram"),
                # A partial plan (`-target`): apply checks that these converged, not the whole spec.
                targets=list(document.get("targets", [])))


def verify_saved_plan(saved: SavedPlan, current: Any, backend: Backend, target: str) -> None:
    """Refuse a plan made for another target or against a schema that has changed since."""
    if saved.plan.target != target:
        raise PlanError(f"{saved.path}: the saved plan was made for {saved.plan.target}, not {target}; "
                        "make a plan for this target")
    # The plan was made against the live schema without the spec's ignored objects.
    rules = rules_from_spec(saved.loaded.data)
    if rules:
        backend.prune_ignored(current, rules)
    if fingerprint(backend, current) == saved.plan.live_fingerprint:
        return
    changes = describe_changes(saved.document.get("live_state"), backend.fingerprint_data(current))
    shown = [f"  {line}" for line in changes[:STALE_SHOWN]]
    if len(changes) > STALE_SHOWN:
        shown.append(f"  ... and {len(changes) - STALE_SHOWN} more")
    raise PlanError("Saved plan is stale: the target changed since the plan was made. Make a new plan.\n"
                    + ("What changed since the plan was made:\n" + "\n".join(shown) if shown else ""))


STALE_SHOWN = 20

# Maps of named objects in the live state (`fingerprint_data`), and the kind of object each holds.
_KINDS = {"extensions": "extension", "enums": "enum", "domains": "domain", "tables": "table", "columns": "column",
          "uniques": "unique", "indexes": "index", "foreign_keys": "foreign_key", "checks": "check",
          "exclusions": "exclusion", "databases": "database"}
# What a database of a document backend holds: collections by name.
_CHILDREN = {"database": "collection"}


def describe_changes(old: Any, new: Any) -> list[str]:
    """What differs between two live states, one line per object: `table public.zz was created`,
    `column public.notes.body was changed (nullable)`; objects inside a created or dropped one are not
    listed again."""
    out: list[str] = []
    if isinstance(old, dict) and isinstance(new, dict):
        _object_fields(old, new, "", "", out, top=True)
    elif old != new:
        out.append("the live schema was changed")
    return out


def _members(kind: str, old: dict[str, Any], new: dict[str, Any], prefix: str, out: list[str]) -> None:
    for name in [*old, *(k for k in new if k not in old)]:
        address = f"{prefix}{name}"
        if name not in new:
            out.append(f"{kind} {address} was dropped")
        elif name not in old:
            out.append(f"{kind} {address} was created")
        elif old[name] != new[name]:
            child = _CHILDREN.get(kind)
            if child is not None and isinstance(old[name], dict) and isinstance(new[name], dict):
                _members(child, old[name], new[name], f"{address}.", out)
            elif isinstance(old[name], dict) and isinstance(new[name], dict):
                _object_fields(old[name], new[name], kind, address, out)
            else:
                out.append(f"{kind} {address} was changed")


def _object_fields(old: dict[str, Any], new: dict[str, Any], kind: str, address: str, out: list[str], *,
                   top: bool = False) -> None:
    """An object on both sides: its own fields that changed on one line, then the objects it holds."""
    changed: list[str] = []
    nested: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key in _KINDS and isinstance(before or {}, dict) and isinstance(after or {}, dict):
            nested.append((key, before or {}, after or {}))
        else:
            changed.append(key)
    if changed:
        out.append(f"{kind} {address} was changed ({', '.join(changed)})" if not top
                   else f"{', '.join(changed)} changed")
    for key, before, after in nested:
        _members(_KINDS[key], before, after, f"{address}." if address else "", out)
