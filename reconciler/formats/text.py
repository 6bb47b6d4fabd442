"""Terraform-style text plan: symbols, changed attributes, hazards, statements, summary."""

from __future__ import annotations

import click

from reconciler.backends import get_backend, script_style
from reconciler.changes import Action
from reconciler.formats.common import describe_value, group_changes, headline, scope_line, summary_line
from reconciler.plan import Plan

_COLORS = {Action.CREATE: "green", Action.ALTER: "yellow", Action.RENAME: "yellow",
           Action.DROP: "red", Action.REPLACE: "magenta"}


def format_text(plan: Plan, *, color: bool = False) -> str:
    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if color else text  # type: ignore[arg-type]

    scope = scope_line(plan)
    if plan.empty:
        return (f"{scope}\n" if scope else "") + summary_line(plan) + "\n"
    lines = [f"Target: {plan.target}", *([scope] if scope else []), ""]
    lines += [style(w, fg="red", bold=True) for w in plan.warnings]
    lines += [""] if plan.warnings else []
    lines += ["schemactl will perform the following actions:", ""]
    for group in group_changes(plan):
        change = group.first
        lines.append("  " + style(headline(group), fg=_COLORS[change.action], bold=True))
        for attr in change.attributes:
            if attr.name == "name" and change.action == Action.RENAME:
                continue
            diff_lines = change.extra.get("attribute_diffs", {}).get(attr.name)
            if diff_lines:
                lines.append(f"      {attr.name}:")
                lines += [f"        {d}" for d in diff_lines]
            else:
                lines.append(f"      {attr.name}: {describe_value(attr.old)} -> {describe_value(attr.new)}")
        if change.prevented:
            lines.append("      " + style("! prevent_destroy: this object is protected and cannot be destroyed",
                                          fg="red", bold=True))
        for hazard in change.hazards:
            lines.append("      " + style(f"hazard: {hazard.value}", fg="red"))
        for note in change.notes:
            lines.append(f"        ({note})")
    lines += ["", "Statements:"]
    transactional = script_style(plan.dialect).transactional
    # Tenant plans: the script's loops (one per group of identical changes), not 1,000 copies of each statement.
    body = get_backend(plan.dialect).script_body(plan)
    while body and not body[-1]:
        body.pop()
    lines += [f"  {line}" if line else "" for line in body or []]
    for planned in plan.changes if body is None else []:
        for statement in planned.statements:
            marker = ("  -- committed before the transaction" if statement.commit_first
                      else "" if statement.transactional or not transactional
                      else "  -- runs outside the transaction")
            lines.append("  " + statement.sql.replace("\n", "\n  ") + marker)
    lines += ["", *(style(w, fg="red", bold=True) for w in plan.warnings), style(summary_line(plan), bold=True)]
    return "\n".join(lines) + "\n"
