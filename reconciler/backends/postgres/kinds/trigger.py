"""Triggers on tables and views: timing, events, UPDATE OF columns, FOR EACH, WHEN, the function and its arguments,
constraint triggers (deferrable, initially deferred), enabled state and comment.

The live trigger is read from pg_trigger's columns; only its WHEN condition comes from pg_get_triggerdef,
and a desired condition that means the same (equivalence.py) is taken in the live spelling. A change of
the enabled state or the comment is made in place; any other change recreates the trigger (CREATE OR
REPLACE TRIGGER, PostgreSQL 14+, for a plain trigger; DROP and CREATE for a constraint trigger). A trigger
function is never dropped and recreated under its triggers: it takes no arguments and returns trigger, so
CREATE OR REPLACE can make any change to it.

A view takes INSTEAD OF triggers (for each row) and statement triggers. Its triggers are created after it and
dropped before it; a view the plan drops and creates again (`view.after_diff`) loses them, so `after_diff`
creates the spec's triggers on it again once it is back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.changes import Action, Change, Statement
from reconciler.objects import ObjectKind, attribute_changes, diff_object

from ..catalog import Catalog, Rows
from ..render import comment_sql as comment_on
from ..types import check_expression, qualified_name, quote_ident, sql_string
from .function import key_part, split_name

QUERY = "trigger"
READ_ORDER = 105  # after views: a trigger names its view (build), and after_diff follows theirs

# pg_trigger.tgtype bits (catalog/pg_trigger.h).
_ROW, _BEFORE, _INSERT, _DELETE, _UPDATE, _TRUNCATE, _INSTEAD = 1, 2, 4, 8, 16, 32, 64
EVENTS = ("insert", "update", "delete", "truncate")
_EVENT_BITS = {"insert": _INSERT, "update": _UPDATE, "delete": _DELETE, "truncate": _TRUNCATE}
ENABLED = {"O": True, "D": False, "R": "replica", "A": "always"}
# Attributes changed in place; any other change recreates the trigger.
IN_PLACE = frozenset({"enabled", "comment"})


@dataclass
class Trigger:
    name: str
    schema: str
    table: str
    #: "schema.name" of the function it executes (which takes no arguments).
    function: str
    timing: str = "after"
    events: tuple[str, ...] = ("insert",)
    update_of: tuple[str, ...] = ()
    for_each: str = "statement"
    when: str | None = None
    arguments: tuple[str, ...] = ()
    constraint: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    #: True (ENABLE), False (DISABLE), "replica" or "always".
    enabled: bool | str = True
    comment: str | None = None
    prevent_destroy: bool = field(default=False, compare=False)
    #: On a view (the relation is looked up in the spec's views, or read from pg_class).
    on_view: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.table}.{self.name}"

    @property
    def table_key(self) -> str:
        return f"{self.schema}.{self.table}"


# -- spec <-> model -------------------------------------------------------------------------------


def _function_ref(value: str, context: Any, where: str) -> str:
    parts = split_name(value.removesuffix("()"))
    if parts is None or len(parts) > 2:
        raise ValueError(f"function {value!r}: expected name or schema.name")
    schema, name = (parts[0], parts[1]) if len(parts) == 2 else (context.default_schema, parts[0])
    if schema in context.schemas:
        function = context.db.objects.get("function", {}).get(f"{schema}.{name}()")
        if function is None:
            raise ValueError(f"function {value!r}: no function {schema}.{name}() in the functions of the spec "
                             f"(a function of a schema the spec does not manage is written schema.name)")
        if function.returns != "trigger":
            raise ValueError(f"function {value!r}: {schema}.{name}() returns {function.returns}, not trigger")
    return f"{schema}.{name}"


def build(key: str, spec: dict[str, Any], context: Any) -> Trigger:
    parts = split_name(key)
    if parts is None or len(parts) not in (2, 3):
        raise ValueError(f"{key!r}: expected table.trigger or schema.table.trigger")
    schema, table, name = parts if len(parts) == 3 else (context.default_schema, *parts)
    if schema not in context.schemas:
        raise ValueError(f"schema {schema!r} is not listed in schemas")
    wanted = context.db.tables.get(f"{schema}.{table}")
    view = context.db.objects.get("view", {}).get(f"{schema}.{table}")
    if wanted is None and view is None:
        raise ValueError(f"no table or view {schema}.{table} in the tables or views of the spec")
    timing = spec["timing"]
    events = tuple(e for e in EVENTS if e in spec["events"])
    if len(events) != len(spec["events"]):
        raise ValueError("events: each event once")
    update_of = tuple(spec.get("update_of") or ())
    if update_of and "update" not in events:
        raise ValueError("update_of: needs the update event")
    if view is not None:
        from .view import offline_output_names

        columns = offline_output_names(view)  # None: the query does not tell them offline (the server checks)
    else:
        columns = list(wanted.columns)
    for column in update_of:
        if columns is not None and column not in columns:
            raise ValueError(f"update_of: no column {column!r} in {'view' if view else 'table'} {schema}.{table}")
    for_each = spec.get("for_each", "statement")
    when = spec.get("when")
    if when is not None:
        when = str(when)
        check_expression(when)
    constraint = bool(spec.get("constraint"))
    if view is not None:
        _check_view_trigger(spec, timing, events, update_of, for_each, when, constraint)
    elif timing == "instead_of":
        raise ValueError("timing: instead_of triggers are for views; tables take before or after")
    if (spec.get("deferrable") or spec.get("initially_deferred")) and not constraint:
        raise ValueError("deferrable, initially_deferred: only a constraint trigger (constraint: true) has them")
    if constraint and (timing != "after" or for_each != "row"):
        raise ValueError("constraint: a constraint trigger is timing: after, for_each: row")
    if "truncate" in events and for_each == "row":
        raise ValueError("events: truncate triggers are for_each: statement")
    if when is not None and for_each == "statement" and re.search(r"(?i)\b(new|old)\s*\.", when):
        raise ValueError("when: a statement trigger's condition cannot name NEW or OLD columns")
    return Trigger(name=name, schema=schema, table=table,
                   function=_function_ref(str(spec["function"]), context, key), timing=timing, events=events,
                   update_of=update_of, for_each=for_each, when=when,
                   arguments=tuple(str(a) for a in spec.get("arguments") or ()), constraint=constraint,
                   deferrable=bool(spec.get("deferrable")) or bool(spec.get("initially_deferred")),
                   initially_deferred=bool(spec.get("initially_deferred")), enabled=spec.get("enabled", True),
                   comment=spec.get("comment"), prevent_destroy=bool(spec.get("prevent_destroy")),
                   on_view=view is not None)


def _check_view_trigger(spec: dict[str, Any], timing: str, events: tuple[str, ...], update_of: tuple[str, ...],
                        for_each: str, when: str | None, constraint: bool) -> None:
    """What PostgreSQL accepts on a view: INSTEAD OF ... FOR EACH ROW, or BEFORE/AFTER ... FOR EACH STATEMENT."""
    if timing == "instead_of":
        if for_each != "row":
            raise ValueError("for_each: an instead_of trigger is for_each: row")
        if when is not None:
            raise ValueError("when: an instead_of trigger has no condition")
        if update_of:
            raise ValueError("update_of: an instead_of trigger has no column list")
    elif for_each == "row":
        raise ValueError("for_each: a before or after trigger on a view is for_each: statement "
                         "(row triggers on a view are instead_of)")
    if "truncate" in events:
        raise ValueError("events: a view has no truncate triggers")
    if constraint:
        raise ValueError("constraint: a view has no constraint triggers")
    if spec.get("enabled", True) is not True:
        raise ValueError("enabled: a view's triggers cannot be disabled (ALTER TABLE ... DISABLE TRIGGER takes "
                         "tables only)")


def to_spec(trigger: Trigger) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {"timing": trigger.timing, "events": list(trigger.events)}
    if trigger.update_of:
        spec["update_of"] = list(trigger.update_of)
    spec["for_each"] = trigger.for_each
    if trigger.when is not None:
        spec["when"] = trigger.when
    fn_schema, _, fn_name = trigger.function.partition(".")
    spec["function"] = key_part(fn_name) if fn_schema == "public" else f"{key_part(fn_schema)}.{key_part(fn_name)}"
    if trigger.arguments:
        spec["arguments"] = list(trigger.arguments)
    if trigger.constraint:
        spec["constraint"] = True
        if trigger.deferrable:
            spec["deferrable"] = True
        if trigger.initially_deferred:
            spec["initially_deferred"] = True
    if trigger.enabled is not True:
        spec["enabled"] = trigger.enabled
    if trigger.comment is not None:
        spec["comment"] = trigger.comment
    parts = [trigger.table, trigger.name] if trigger.schema == "public" else [trigger.schema, trigger.table, trigger.name]
    key = ".".join(key_part(p) for p in parts)
    return key, spec


# -- catalog --------------------------------------------------------------------------------------


def when_clause(definition: str) -> str | None:
    """The condition inside `WHEN (...)` of pg_get_triggerdef's text: the first WHEN outside quotes, up to
    its closing parenthesis (names and arguments may hold any text, so the scan skips quoted parts)."""
    i, depth, start = 0, 0, None
    while i < len(definition):
        char = definition[i]
        if char in "\"'":
            end = i + 1
            while end < len(definition):
                if definition[end] == char:
                    if definition[end + 1:end + 2] == char:
                        end += 2
                        continue
                    break
                end += 1
            i = end + 1
            continue
        if start is None:
            if definition.startswith(" WHEN (", i):
                start, depth, i = i + len(" WHEN ("), 1, i + len(" WHEN (")
                continue
            if definition.startswith(" EXECUTE ", i):
                return None
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return definition[start:i]
        i += 1
    return None


def load(rows: Rows, catalog: Catalog) -> None:
    for (schema, table, name, tgtype, update_of, nargs, args, enabled, constraint, deferrable, initially_deferred,
         fn_schema, fn_name, definition, comment, on_view) in rows:
        timing = "before" if tgtype & _BEFORE else "instead_of" if tgtype & _INSTEAD else "after"
        arguments = tuple(bytes(args).split(b"\x00")[:nargs]) if nargs else ()
        trigger = Trigger(
            name=name, schema=schema, table=table, function=f"{fn_schema}.{fn_name}", timing=timing,
            events=tuple(e for e in EVENTS if tgtype & _EVENT_BITS[e]), update_of=tuple(update_of),
            for_each="row" if tgtype & _ROW else "statement", when=when_clause(definition),
            arguments=tuple(a.decode("utf-8") for a in arguments), constraint=constraint, deferrable=deferrable,
            initially_deferred=initially_deferred, enabled=ENABLED[enabled], comment=comment, on_view=on_view)
        catalog.db.objects.setdefault("trigger", {})[trigger.key] = trigger


# -- comparison -----------------------------------------------------------------------------------


def diff(kind: ObjectKind, key: str, before: Trigger | None, after: Trigger | None) -> list[Change]:
    if before is not None and after is not None:
        from ..equivalence import equivalent  # sqlglot: only when there is something to compare

        if before.when is not None and after.when is not None and equivalent(after.when, before.when):
            after = replace(after, when=before.when)
        if before == after:
            return []
        attributes = attribute_changes(before, after)
        action = Action.ALTER if {a.name for a in attributes} <= IN_PLACE else Action.REPLACE
        return [Change(action, kind.name, kind.address(key), before=before, after=after, attributes=attributes)]
    return diff_object(kind, key, before, after)


# -- rendering ------------------------------------------------------------------------------------


def _on(trigger: Trigger) -> str:
    return f"ON {qualified_name(trigger.schema, trigger.table)}"


def create_sql(trigger: Trigger, or_replace: bool = False) -> str:
    head = "CREATE " + ("OR REPLACE " if or_replace else "") + ("CONSTRAINT " if trigger.constraint else "")
    events = []
    for event in trigger.events:
        if event == "update" and trigger.update_of:
            events.append("UPDATE OF " + ", ".join(quote_ident(c) for c in trigger.update_of))
        else:
            events.append(event.upper())
    parts = [f"{head}TRIGGER {quote_ident(trigger.name)} {trigger.timing.replace('_', ' ').upper()} "
             f"{' OR '.join(events)} {_on(trigger)}"]
    if trigger.constraint:
        parts.append(("DEFERRABLE INITIALLY DEFERRED" if trigger.initially_deferred else "DEFERRABLE")
                     if trigger.deferrable else "NOT DEFERRABLE")
    parts.append(f"FOR EACH {trigger.for_each.upper()}")
    if trigger.when is not None:
        parts.append(f"WHEN ({trigger.when})")
    fn_schema, _, fn_name = trigger.function.partition(".")
    parts.append(f"EXECUTE FUNCTION {qualified_name(fn_schema, fn_name)}"
                 f"({', '.join(sql_string(a) for a in trigger.arguments)})")
    return "\n    ".join(parts) + ";"


def enabled_sql(trigger: Trigger) -> str:
    state = {True: "ENABLE", False: "DISABLE", "replica": "ENABLE REPLICA", "always": "ENABLE ALWAYS"}[trigger.enabled]
    return f"ALTER TABLE {qualified_name(trigger.schema, trigger.table)} {state} TRIGGER {quote_ident(trigger.name)};"


def comment_sql(trigger: Trigger) -> str:
    return comment_on("TRIGGER", f"{quote_ident(trigger.name)} {_on(trigger)}", trigger.comment)


def drop_sql(trigger: Trigger) -> str:
    # IF EXISTS: a trigger is gone with its table when both are dropped.
    return f"DROP TRIGGER IF EXISTS {quote_ident(trigger.name)} {_on(trigger)};"


def render(change: Change, options: Any) -> list[Statement]:
    if change.action == Action.DROP:
        return [Statement(drop_sql(change.before))]
    after: Trigger = change.after
    if change.action == Action.ALTER:
        changed = {a.name for a in change.attributes}
        statements = [Statement(enabled_sql(after))] if "enabled" in changed else []
        if "comment" in changed:
            statements.append(Statement(comment_sql(after)))
        return statements
    statements = []
    if change.action == Action.REPLACE and (after.constraint or change.before.constraint):
        statements.append(Statement(drop_sql(change.before)))
    or_replace = change.action == Action.REPLACE and not after.constraint and not change.before.constraint
    statements.append(Statement(create_sql(after, or_replace=or_replace)))
    # A recreated trigger starts enabled and, when dropped first, without its comment.
    if after.enabled is not True or (change.action == Action.REPLACE and change.before.enabled is not True):
        statements.append(Statement(enabled_sql(after)))
    if after.comment is not None or (change.action == Action.REPLACE and change.before.comment is not None):
        statements.append(Statement(comment_sql(after)))
    return statements


# -- the pass over the whole plan ------------------------------------------------------------------------

#: Kinds whose objects carry triggers and that a plan may drop and create again.
_RELATION_KINDS = ("table", "view")


def recreate_and_order(changes: list[Change], current: Any, desired: Any) -> list[Change]:
    """Triggers on a relation the plan drops and creates again (a view rebuilt) are gone with it: the spec's
    triggers on it are created again once it is back, replacing any change of theirs (which would run on the
    old relation). Then every trigger drop goes before the drops of its phase (a view's triggers before the
    view) and every other trigger change after the changes of its phase (after the views they are on)."""
    created = {(c.kind, c.address) for c in changes if c.action == Action.CREATE}
    recreated = {c.before.key for c in changes if c.kind in _RELATION_KINDS and c.action == Action.DROP
                 and (c.kind, c.address) in created}
    if recreated:
        wanted = {key: trigger for key, trigger in desired.objects.get(KIND.name, {}).items()
                  if trigger.table_key in recreated}
        changes = [c for c in changes if not (c.kind == KIND.name and c.action != Action.DROP
                                               and c.after.key in wanted)]
        for trigger in wanted.values():
            change = Change(Action.CREATE, KIND.name, KIND.address(trigger.key), after=trigger)
            change.notes.append(f"created again: {trigger.table_key} is dropped and created again")
            changes.append(change)
    mine = [c for c in changes if c.kind == KIND.name]
    others = [c for c in changes if c.kind != KIND.name]
    return ([c for c in mine if c.action == Action.DROP] + others
            + [c for c in mine if c.action != Action.DROP])


KIND = ObjectKind(name="trigger", section="triggers", build=build, to_spec=to_spec, render=render,
                  create_before="foreign_key", diff=diff, after_diff=recreate_and_order)
