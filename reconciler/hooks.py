"""Data-migration hooks: SQL (or a MongoDB command) the spec attaches before or after one change.

    hooks:
      group_messages_into_chats:
        after: column public.messages.chatId      # an address as the plan prints it
        sql:
          - INSERT INTO chats (id, "userId") SELECT ... FROM messages GROUP BY "userId"
          - UPDATE messages m SET "chatId" = ...

A hook runs only in a plan that makes its change, in the same transaction as the change (PostgreSQL,
SQLite), so it runs once: after the change is applied no later plan has it. Its statements are part of
the plan (shown, in the SQL artifact, in the plan hash: an edited saved plan is refused like any other).

A NOT NULL column added with an `after` hook is added as NULL-able, the hook runs, then the column is
made NOT NULL (`split_required_columns`): the hook fills the column between the two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

from reconciler.changes import COLUMN, Action, AttributeChange, Change, Statement
from reconciler.errors import SpecError, raise_spec_errors


@dataclass(frozen=True)
class Hook:
    name: str
    #: "before" or "after" the change at `address`.
    when: str
    address: str
    #: SQL statements (relational backends), one statement each.
    sql: tuple[str, ...] = ()
    #: MongoDB commands (`{update: ..., updates: [...]}`), run against the change's database.
    commands: tuple[Any, ...] = ()
    comment: str | None = field(default=None, compare=False)


def build_hooks(loaded: Any, *, payload: str, sql_dialect: str | None = None) -> dict[str, Hook]:
    """The spec's `hooks:` section -> hooks; `payload` is "sql" (statements in sqlglot's `sql_dialect`) or
    "command". Errors at their positions."""
    hooks: dict[str, Hook] = {}
    errors: list[SpecError] = []
    for name, entry in (loaded.data.get("hooks") or {}).items():
        path = ("hooks", name)
        when = [w for w in ("before", "after") if w in entry]
        if len(when) != 1:
            errors.append(loaded.positions.error(path, "a hook needs exactly one of before: or after: (the address "
                                                       "of a change as the plan prints it)"))
            continue
        body = entry.get(payload)
        items = tuple(body) if isinstance(body, list) else (body,)
        if payload == "sql":
            for i, statement in enumerate(items):
                if problem := _statement_problem(statement, sql_dialect):
                    where = (*path, "sql", i) if isinstance(body, list) else (*path, "sql")
                    errors.append(loaded.positions.error(where, problem))
            hooks[name] = Hook(name, when[0], entry[when[0]], sql=items, comment=entry.get("comment"))
        else:
            hooks[name] = Hook(name, when[0], entry[when[0]], commands=items, comment=entry.get("comment"))
    raise_spec_errors(errors)
    return hooks


def _statement_problem(sql: str, dialect: str | None) -> str | None:
    """Each entry is one statement: apply sends statements one at a time (the extended protocol)."""
    from sqlglot import tokenize
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = tokenize(sql, read=dialect)
    except TokenError as exc:
        return f"cannot read this SQL: {exc}"
    semicolons = [i for i, token in enumerate(tokens) if token.token_type == TokenType.SEMICOLON]
    if not tokens or (semicolons and semicolons != [len(tokens) - 1]):
        return "one SQL statement per entry: write several statements as a list"
    return None


def split_required_columns(changes: list[Change], hooks: dict[str, Hook]) -> list[Change]:
    """A NOT NULL column without a default, added with an `after` hook: added NULL-able, made NOT NULL after
    the hook (the next change in the same phase, so nothing else runs between)."""
    filled = {hook.address for hook in hooks.values() if hook.when == "after"}
    out: list[Change] = []
    for change in changes:
        column = change.after
        if (change.kind == COLUMN and change.action == Action.CREATE and change.address in filled
                and not column.nullable and column.default is None):
            nullable = replace(column, nullable=True)
            out.append(replace(change, after=nullable, attributes=[], hazards=[], notes=[]))
            out.append(Change(Action.ALTER, COLUMN, change.address, before=nullable, after=column,
                              table=change.table, attributes=[AttributeChange("nullable", True, False)],
                              notes=["made NOT NULL after the hook filled it"]))
        else:
            out.append(change)
    return out


def covered(change: Change, pattern: str) -> str | None:
    """The address of the hook's change that `change` is (or folds in: SQLite's table rebuild), or None. A
    pattern with `*` or `?` matches every tenant database's change (`index tenant_*.votes.by_message`)."""
    for address in (change.address, *(c.address for c in change.extra.get("changes", ()))):
        if address == pattern or (any(ch in pattern for ch in "*?[") and fnmatchcase(address, pattern)):
            return address
    return None


def attach_hooks(planned: list[Any], hooks: dict[str, Hook],
                 render_hook: Callable[[Hook, Change], list[Statement]]) -> list[str]:
    """Each hook's statements before or after the statements of the first planned change it targets (a split
    column's first part); notes on the change. Returns warnings for hooks whose change is not in the plan."""
    unmatched: list[str] = []
    for hook in hooks.values():
        seen: set[str] = set()
        for target in planned:
            address = covered(target.change, hook.address)
            if address is None or address in seen:
                continue  # a split column's second part is not the hook's change
            seen.add(address)
            statements = render_hook(hook, target.change)
            target.statements = statements + target.statements if hook.when == "before" else \
                target.statements + statements
            target.change.notes.append(f"hook {hook.name} runs {hook.when} this change")
            target.change.extra.setdefault("hooks", []).append(hook.name)
        if not seen:
            unmatched.append(f"Warning: hook {hook.name}: the plan has no change {hook.address!r}, so the hook does "
                             f"not run (a hook runs only with its change; remove it once it has run).")
    return unmatched
