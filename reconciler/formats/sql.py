"""The reviewable artifact: only the statements, a comment header per change, grouped as they run."""

from __future__ import annotations

from reconciler.backends import script_style
from reconciler.changes import Statement
from reconciler.formats.common import summary_line
from reconciler.plan import Plan, PlannedChange

# Execution order of the groups, and how each is announced in the artifact.
_GROUPS = [
    ("commit_first", "Runs first and commits on its own (new enum values must be committed before use)."),
    ("transaction", "Runs in one transaction: all or nothing."),
    ("outside", "Runs outside the transaction, one statement at a time."),
]


def statement_group(statement: Statement) -> str:
    if statement.commit_first:
        return "commit_first"
    return "transaction" if statement.transactional else "outside"


def format_sql(plan: Plan) -> str:
    style = script_style(plan.dialect)
    comment = style.comment
    out = [f"{comment} schemactl {plan.tool_version} plan for {plan.target}", f"{comment} {summary_line(plan)}", ""]
    grouped = {name: [(p, [s for s in p.statements if statement_group(s) == name]) for p in plan.changes]
               for name, _ in _GROUPS}
    used = [name for name, _ in _GROUPS if any(stmts for _, stmts in grouped[name])]
    for name, title in _GROUPS:
        if name not in used:
            continue
        if len(used) > 1 and style.transactional:
            out += [f"{comment} ==== {title} ====", ""]
        for planned, statements in grouped[name]:
            if statements or (name == "transaction" and not planned.statements):
                out += _block(planned, statements, comment)
    return "\n".join(out).rstrip() + "\n"


def _block(planned: PlannedChange, statements: list[Statement], comment: str) -> list[str]:
    change = planned.change
    header = f"{comment} {change.action.symbol} {change.address}"
    if change.hazards:
        header += f"  [hazards: {', '.join(h.value for h in change.hazards)}]"
    lines = [header]
    for statement in statements:
        limits = [f"{name}={value}" for name, value in (("lock_timeout", statement.lock_timeout),
                                                        ("statement_timeout", statement.statement_timeout)) if value]
        if limits:
            lines.append(f"{comment} runs with {', '.join(limits)}")
        lines.append(statement.sql)
    return [*lines, ""]
