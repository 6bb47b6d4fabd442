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

from reconciler.backends import Backend
from reconciler.changes import Action, AttributeChange, Change, Hazard, Statement
from reconciler.errors import PlanError, UsageError
from reconciler.formats.json_format import plan_document
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
                online=document.get("online", False))


def verify_saved_plan(saved: SavedPlan, current: Any, backend: Backend, target: str) -> None:
    """Refuse a plan made for another target or against a schema that has changed since."""
    if saved.plan.target != target:
        raise PlanError(f"{saved.path}: the saved plan was made for {saved.plan.target}, not {target}; "
                        "make a plan for this target")
    if fingerprint(backend, current) == saved.plan.live_fingerprint:
        return
    from deepdiff import DeepDiff  # only a stale plan needs it

    differences = DeepDiff(saved.document.get("live_state"), backend.fingerprint_data(current),
                           ignore_order=False, verbose_level=1)
    lines = [f"  {line}" for line in describe_deepdiff(differences)][:20]
    raise PlanError("Saved plan is stale: the target changed since the plan was made. Make a new plan.\n"
                    + ("What changed:\n" + "\n".join(lines) if lines else ""))


def describe_deepdiff(differences: Any) -> list[str]:
    """DeepDiff's report as short `path: old -> new` lines."""
    out: list[str] = []
    tree = differences.to_dict() if hasattr(differences, "to_dict") else dict(differences)
    for category, items in tree.items():
        if isinstance(items, dict):
            for path, detail in items.items():
                if isinstance(detail, dict) and "old_value" in detail:
                    out.append(f"{_path(path)}: {detail['old_value']!r} -> {detail['new_value']!r}")
                else:
                    out.append(f"{_path(path)}: {category.replace('_', ' ')}")
        else:
            out += [f"{_path(p)}: {category.replace('_', ' ')}" for p in items]
    return sorted(out)


def _path(path: str) -> str:
    return path.replace("root", "", 1).replace("['", ".").replace("']", "").lstrip(".")
