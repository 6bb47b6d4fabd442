"""`--format markdown`: a compact pull-request comment."""

from __future__ import annotations

from reconciler.backends import script_style
from reconciler.formats.common import group_changes, headline, summary_line
from reconciler.formats.sql import format_sql
from reconciler.plan import Plan


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(plan: Plan) -> str:
    out = [f"### schemactl plan for `{plan.target}`", "", f"**{summary_line(plan)}**", ""]
    out += [item for w in plan.warnings for item in (f"> **{_cell(w)}**", "")]
    if plan.empty:
        return "\n".join(out)
    out += ["| | Change | Details | Hazards |", "|---|---|---|---|"]
    for group in group_changes(plan):
        change = group.first
        symbol, _, label = headline(group).partition(" ")
        details = "; ".join(f"{a.name}: {a.old} → {a.new}" for a in change.attributes)
        hazards = ", ".join(f"`{h.value}`" for h in change.hazards)
        if change.prevented:
            hazards = "**prevent_destroy** " + hazards
        out.append(f"| `{symbol}` | {_cell(label)} | {_cell(details)} | {hazards} |")
    fence = script_style(plan.dialect).fence
    out += ["", "<details><summary>Statements</summary>", "", f"```{fence}", format_sql(plan).rstrip(), "```",
            "", "</details>", ""]
    return "\n".join(out)
