"""`--format markdown`: a compact pull-request comment.

A comment on GitHub holds at most 65,536 characters. A longer plan keeps its headline and as many whole
rows of the table of changes as fit in `COMMENT_BUDGET` (leaving room for what a commenting action adds),
drops the statements, and says so, and where the whole plan is.

The plan's diagram (a Mermaid `erDiagram` of the touched tables and their neighbours, which GitHub draws)
comes after the table of changes when it is at most `DIAGRAM_LIMIT` characters.
"""

from __future__ import annotations

from reconciler.backends import script_style
from reconciler.formats.common import group_changes, headline, scope_line, summary_line
from reconciler.formats.sql import format_sql
from reconciler.plan import Plan

COMMENT_BUDGET = 60_000
# One cell of details never takes the whole comment (a long check expression, a large enum).
_DETAILS_LIMIT = 1_000
DIAGRAM_LIMIT = 20_000


def _cell(text: str, limit: int | None = None) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


def format_markdown(plan: Plan) -> str:
    head = [f"### schemactl plan for `{plan.target}`", "", f"**{summary_line(plan)}**", ""]
    head += [item for w in plan.warnings for item in (f"> **{_cell(w)}**", "")]
    scope = scope_line(plan)
    head += [f"> {scope}", ""] if scope else []
    if plan.empty:
        return "\n".join(head)
    table = ["| | Change | Details | Hazards |", "|---|---|---|---|"]
    rows = []
    for group in group_changes(plan):
        change = group.first
        symbol, _, label = headline(group).partition(" ")
        details = "; ".join(f"{a.name}: {a.old} → {a.new}" for a in change.attributes)
        hazards = ", ".join(f"`{h.value}`" for h in change.hazards)
        if change.prevented:
            hazards = "**prevent_destroy** " + hazards
        rows.append(f"| `{symbol}` | {_cell(label)} | {_cell(details, _DETAILS_LIMIT)} | {hazards} |")
    fence = script_style(plan.dialect).fence
    statements = ["", "<details><summary>Statements</summary>", "", f"```{fence}", format_sql(plan).rstrip(), "```",
                  "", "</details>", ""]
    whole = "\n".join([*head, *table, *rows, *_diagram(plan), *statements])
    if len(whole) <= COMMENT_BUDGET:
        return whole
    return _truncated(head + table, rows, len(whole), drawn=bool(plan.diagram))


def _diagram(plan: Plan) -> list[str]:
    if not plan.diagram:
        return []
    if len(plan.diagram) > DIAGRAM_LIMIT:
        return ["", "> The diagram of the changed tables is too large for a comment; draw it with "
                    "`schemactl diagram SPEC --format dot`."]
    return ["", "```mermaid", plan.diagram.rstrip(), "```"]


def _truncated(start: list[str], rows: list[str], whole: int, *, drawn: bool) -> str:
    out = list(start)
    used = len("\n".join(out))
    reserve = 600  # the note below
    shown = 0
    for row in rows:
        if used + 1 + len(row) > COMMENT_BUDGET - reserve:
            break
        out.append(row)
        used += 1 + len(row)
        shown += 1
    left = f"{len(rows) - shown} more changes and " if shown < len(rows) else ""
    picture = " (and the diagram: `schemactl diagram SPEC`)" if drawn else ""
    out += ["", f"> **Truncated to fit a pull-request comment** (the whole plan is {whole:,} characters): {left}the "
                f"statements{' and the diagram' if drawn else ''} are not shown. See the whole plan with `--format sql` "
                f"(the reviewable SQL artifact){picture}, or `schemactl show PLANFILE` for a saved plan.", ""]
    return "\n".join(out)
