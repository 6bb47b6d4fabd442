"""`--format json`: a versioned document describing every change (schema: schemas/plan.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.formats.common import describe_value
from reconciler.model import to_plain
from reconciler.plan import FORMAT_VERSION, Plan


def plan_document(plan: Plan) -> dict[str, Any]:
    add, change, destroy = plan.counts()
    return {
        "format_version": FORMAT_VERSION,
        "tool_version": plan.tool_version,
        "dialect": plan.dialect,
        "target": plan.target,
        "created_at": plan.created_at,
        "online": plan.online,
        "scope": None if plan.scope.empty else plan.scope.to_dict(),
        "spec_hash": plan.spec_hash,
        "live_fingerprint": plan.live_fingerprint,
        "plan_hash": plan.plan_hash(),
        "summary": {"add": add, "change": change, "destroy": destroy, "empty": plan.empty},
        "hazards": plan.hazards(),
        "warnings": list(plan.warnings),
        "diagram": plan.diagram,
        "targets": list(plan.targets),
        "changes": [
            {
                "address": p.change.address,
                "kind": p.change.kind,
                "action": p.change.action.value,
                "symbol": p.change.action.symbol,
                "database": p.change.extra.get("database"),
                "prevented": p.change.prevented,
                "attributes": [
                    {"name": a.name, "old": _jsonable(a.old), "new": _jsonable(a.new),
                     "display": f"{describe_value(a.old)} -> {describe_value(a.new)}"}
                    for a in p.change.attributes
                ],
                "hazards": [h.value for h in p.change.hazards],
                "notes": list(p.change.notes),
                "statements": [{"sql": s.sql, "transactional": s.transactional, "commit_first": s.commit_first,
                                "lock_timeout": s.lock_timeout, "statement_timeout": s.statement_timeout}
                               for s in p.statements],
            }
            for p in plan.changes
        ],
    }


def _jsonable(value: Any) -> Any:
    plain = to_plain(value)
    try:
        json.dumps(plain)
        return plain
    except TypeError:
        return describe_value(value)


def format_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"
