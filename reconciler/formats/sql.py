"""The reviewable artifact, runnable as it is: the statements with a comment header per change, grouped and
wrapped as `apply` runs them.

For PostgreSQL, `psql -v ON_ERROR_STOP=1 -f plan.sql` does what `apply` does (see the phases in
`backends/postgres/execute.py`): new enum values first, each committed in a transaction of its own; then
every other transactional statement in one `BEGIN`/`COMMIT`; then, after the commit, the statements that
cannot run in a transaction, one by one; each statement with the settings apply gives it (online mode's
timeouts). What the script does not do: take schemactl's apply lock and record the apply in its history.
"""

from __future__ import annotations

from reconciler.backends import Backend, get_backend
from reconciler.changes import Statement
from reconciler.formats.common import scope_line, summary_line
from reconciler.plan import Plan, PlannedChange

# Execution order of the groups, and how each is announced in the artifact.
_GROUPS = [
    ("commit_first", "Runs first, each in a transaction of its own (new enum values must be committed before use)."),
    ("transaction", "Runs in one transaction: all or nothing."),
    ("outside", "Runs outside the transaction, one statement at a time."),
]


def statement_group(statement: Statement) -> str:
    if statement.commit_first:
        return "commit_first"
    return "transaction" if statement.transactional else "outside"


def format_sql(plan: Plan) -> str:
    backend = get_backend(plan.dialect)
    style = backend.script_style
    comment = style.comment
    out = [f"{comment} schemactl {plan.tool_version} plan for {plan.target}", f"{comment} {summary_line(plan)}"]
    out += [f"{comment} {w}" for w in plan.warnings]
    scope = scope_line(plan)
    out += [f"{comment} {scope}"] if scope else []
    if plan.empty:
        return "\n".join(out) + "\n"
    if style.run_hint:
        out.append(f"{comment} Runs as it is: {style.run_hint} (as apply does, without its lock and history record)")
    out += ["", *style.preamble, ""] if style.preamble else [""]
    body = backend.script_body(plan)
    if body is not None:
        return "\n".join([*out, *body, *style.epilogue]).rstrip() + "\n"
    grouped = {name: [(p, [s for s in p.statements if statement_group(s) == name]) for p in plan.changes]
               for name, _ in _GROUPS}
    used = [name for name, _ in _GROUPS if any(stmts for _, stmts in grouped[name])]
    for name, title in _GROUPS:
        if name not in used:
            continue
        if len(used) > 1 and style.transactional:
            out += [f"{comment} ==== {title} ====", ""]
        wrapped = style.begin is not None and name == "transaction"
        if wrapped:
            out += [style.begin, ""]
        for planned, statements in grouped[name]:
            if statements or (name == "transaction" and not planned.statements):
                out += _block(planned, statements, backend, name)
        if wrapped:
            out += [style.commit or "", ""]
    out += list(style.epilogue)
    return "\n".join(out).rstrip() + "\n"


def _block(planned: PlannedChange, statements: list[Statement], backend: Backend, group: str) -> list[str]:
    style = backend.script_style
    change = planned.change
    header = f"{style.comment} {change.action.symbol} {change.address}"
    if change.hazards:
        header += f"  [hazards: {', '.join(h.value for h in change.hazards)}]"
    lines = [header]
    own_transaction = group == "commit_first" and style.begin is not None
    for statement in statements:
        in_transaction = group == "transaction" or own_transaction
        before, after = backend.script_settings(statement, in_transaction=in_transaction)
        if own_transaction:
            lines.append(style.begin or "")
        lines += [*before, statement.sql, *after]
        if own_transaction:
            lines.append(style.commit or "")
    return [*lines, ""]
