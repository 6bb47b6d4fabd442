"""The mongosh script of a tenant plan, readable at 1,000 databases: changes identical but for their
database are written once, as a loop over the databases they apply to.

    const databases_1 = ["chat_tenant_a", "chat_tenant_b", ...];  // 1000 databases

    // + 1000 databases (chat_tenant_a, ...): index idx_messages_read_at on messages
    for (const name of databases_1) {
      db.getSiblingDB(name).runCommand({createIndexes: "messages", indexes: [...]});
    }

Changes are grouped only when every statement, read back with `mongosh.parse`, is the same command
for a different database, so a loop runs exactly the statements the plan holds. Groups follow the
order of each database's own steps; `apply` still runs the plan's statements one by one.
"""

from __future__ import annotations

import heapq
from typing import Any

from reconciler.backends.mongodb.mongosh import _json, _key, js, parse
from reconciler.plan import Plan, PlannedChange

# Names per line of a database list: short lines in a review.
_NAMES_PER_LINE = 6


def _loop_statement(sql: str, database: str) -> str | None:
    """`sql` with its database replaced by the loop variable `name`; None if it does not name `database`
    the way schemactl writes it."""
    try:
        target, command = parse(sql)
    except ValueError:
        return None
    if target == database:
        return f"db.getSiblingDB(name).runCommand({js(command)});"
    if target != "admin" or "renameCollection" not in command:
        return None
    old, new = str(command["renameCollection"]), str(command.get("to", ""))
    prefix = database + "."
    if not (old.startswith(prefix) and new.startswith(prefix)):
        return None
    rest = [f"{_key(k)}: {js(v)}" for k, v in command.items() if k not in ("renameCollection", "to")]
    members = [f"renameCollection: name + {_json(old[len(database):])}",
               f"to: name + {_json(new[len(database):])}", *rest]
    return f"db.adminCommand({{{', '.join(members)}}});"


def _group_key(planned: PlannedChange) -> tuple[Any, ...] | None:
    change = planned.change
    database = change.extra.get("database")
    if database is None or change.extra.get("group") is None:
        return None
    body = [_loop_statement(s.sql, database) for s in planned.statements]
    if any(line is None for line in body):
        return None
    return (change.action, change.kind, change.extra["group"], tuple(h.value for h in change.hazards),
            tuple((a.name, repr(a.old), repr(a.new)) for a in change.attributes), tuple(body))


def tenant_script(plan: Plan) -> list[str] | None:
    """The body of `--format sql` with loops; None when no change repeats across databases (or when the
    databases' steps cannot be put in one order), for the plain one-block-per-change script."""
    from reconciler.formats.common import ChangeGroup, headline

    groups: list[list[PlannedChange]] = []
    loops: list[tuple[str, ...] | None] = []
    by_key: dict[tuple[Any, ...], int] = {}
    for planned in plan.changes:
        key = _group_key(planned)
        if key is not None and key in by_key:
            groups[by_key[key]].append(planned)
            continue
        if key is not None:
            by_key[key] = len(groups)
        groups.append([planned])
        loops.append(key[-1] if key is not None else None)
    if all(len(members) == 1 for members in groups):
        return None
    order = _order(plan, groups)
    if order is None:
        return None
    lists: dict[tuple[str, ...], str] = {}
    for index in order:
        names = tuple(p.change.extra["database"] for p in groups[index])
        if len(names) > 1 and names not in lists:
            lists[names] = f"databases_{len(lists) + 1}"
    out: list[str] = []
    for names, variable in lists.items():
        chunks = [", ".join(_json(n) for n in names[i:i + _NAMES_PER_LINE])
                  for i in range(0, len(names), _NAMES_PER_LINE)]
        out += [f"const {variable} = [  // {len(names)} databases", *(f"  {c}," for c in chunks), "];"]
    out += [""] if out else []
    for index in order:
        members = groups[index]
        change = members[0].change
        header = f"// {headline(ChangeGroup(members))}" if len(members) > 1 else \
            f"// {change.action.symbol} {change.address}"
        if change.hazards:
            header += f"  [hazards: {', '.join(h.value for h in change.hazards)}]"
        if len(members) == 1:
            out += [header, *(s.sql for s in members[0].statements), ""]
            continue
        names = tuple(p.change.extra["database"] for p in members)
        body = loops[index] or ()
        out += [header, f"for (const name of {lists[names]}) {{", *(f"  {line}" for line in body), "}", ""]
    return out


def _order(plan: Plan, groups: list[list[PlannedChange]]) -> list[int] | None:
    """Groups in an order that keeps every database's steps in the plan's order (first appearance breaks
    ties); None if the databases disagree (one needs A before B, another B before A)."""
    group_of = {id(p): i for i, members in enumerate(groups) for p in members}
    after: dict[int, set[int]] = {i: set() for i in range(len(groups))}
    waiting = [0] * len(groups)
    last: dict[str, int] = {}
    for planned in plan.changes:
        index = group_of[id(planned)]
        database = planned.change.extra.get("database", "")
        previous = last.get(database)
        if previous is not None and previous != index and index not in after[previous]:
            after[previous].add(index)
            waiting[index] += 1
        last[database] = index
    ready = [i for i in range(len(groups)) if waiting[i] == 0]
    heapq.heapify(ready)
    out: list[int] = []
    while ready:
        index = heapq.heappop(ready)
        out.append(index)
        for nxt in after[index]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, nxt)
    return out if len(out) == len(groups) else None
