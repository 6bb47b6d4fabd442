"""Row-level security policies: `policies: {table.name: {command, permissive, roles, using, with_check}}`.

USING and WITH CHECK are compared as PostgreSQL prints them: the desired spelling is rewritten to the live
one where they mean the same (`canonicalize.canonicalize_policies`, the checks' comparison). Roles,
USING and WITH CHECK change with ALTER POLICY; the command and PERMISSIVE/RESTRICTIVE cannot be altered,
so the policy is dropped and created again (one REPLACE, in the apply transaction). Policies are created
after the tables and the functions they call, and dropped before their tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.changes import Action, Change, Statement
from reconciler.objects import ObjectKind, diff_object

from ..catalog import Catalog, Rows
from ..render import comment_sql as comment_on
from ..types import qualified_name, quote_ident

QUERY = "policy"
READ_ORDER = 90
_COMMANDS = {"*": "all", "r": "select", "a": "insert", "w": "update", "d": "delete"}


@dataclass
class Policy:
    name: str
    schema: str
    table: str
    command: str = "all"
    permissive: bool = True
    #: Sorted role names; "public" is PUBLIC.
    roles: tuple[str, ...] = ("public",)
    #: USING (`using` in the spec; the model's `using` is a column's conversion, left out of fingerprints).
    using_expression: str | None = None
    with_check: str | None = None
    comment: str | None = field(default=None)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.table}.{self.name}"

    @property
    def table_key(self) -> str:
        return f"{self.schema}.{self.table}"


# -- spec <-> model -------------------------------------------------------------------------------


def expression_error(sql: str) -> str | None:
    """Why `sql` is not one SQL expression (subqueries allowed, unlike in a check), or None."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from reconciler.spec.expressions import parse_error_message, refuse_separators

    try:
        refuse_separators(sql, "postgres")
        parsed = [p for p in sqlglot.parse(sql, dialect="postgres") if p is not None]
    except ValueError as exc:
        return str(exc)
    except SqlglotError as exc:
        return parse_error_message(exc)
    if len(parsed) != 1:
        return "expected exactly one expression" if parsed else "empty expression"
    if isinstance(parsed[0], exp.Query | exp.DDL | exp.DML | exp.Command):
        return f"expected an expression, got a {parsed[0].key.upper()} statement"
    return None


def build(key: str, spec: dict[str, Any], context: Any) -> Policy:
    parts = key.split(".")
    if len(parts) == 2:
        schema, (table, name) = context.default_schema, parts
    elif len(parts) == 3:
        schema, table, name = parts
    else:
        raise ValueError(f"policy {key!r}: expected table.policy or schema.table.policy")
    if schema not in context.schemas:
        raise ValueError(f"schema {schema!r} is not listed in schemas")
    if f"{schema}.{table}" not in context.db.tables:
        raise ValueError(f"policy {key!r} is on table {schema}.{table}, which is not a table of the spec")
    command = spec.get("command", "all")
    using, with_check = spec.get("using"), spec.get("with_check")
    if command == "insert" and using is not None:
        raise ValueError("a policy for insert has only with_check (there are no existing rows to filter)")
    if command in ("select", "delete") and with_check is not None:
        raise ValueError(f"a policy for {command} has only using (no new rows are written)")
    for what, sql in (("using", using), ("with_check", with_check)):
        error = expression_error(sql) if sql is not None else None
        if error:
            raise ValueError(f"{what}: {error}")
    roles = tuple(sorted({role.lower() if role.lower() == "public" else role for role in spec.get("roles", ["public"])}))
    return Policy(name=name, schema=schema, table=table, command=command,
                  permissive=bool(spec.get("permissive", True)), roles=roles, using_expression=using,
                  with_check=with_check,
                  comment=spec.get("comment"))


def to_spec(policy: Policy) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {}
    if policy.command != "all":
        spec["command"] = policy.command
    if not policy.permissive:
        spec["permissive"] = False
    if policy.roles != ("public",):
        spec["roles"] = list(policy.roles)
    for key, name in (("using", "using_expression"), ("with_check", "with_check"), ("comment", "comment")):
        if getattr(policy, name) is not None:
            spec[key] = getattr(policy, name)
    return (f"{policy.table}.{policy.name}" if policy.schema == "public" else policy.key), spec


def load(rows: Rows, catalog: Catalog) -> None:
    for schema, table, name, command, permissive, roles, using, with_check, comment in rows:
        policy = Policy(name, schema, table, _COMMANDS[command], bool(permissive), tuple(sorted(roles)),
                        using, with_check, comment)
        catalog.db.objects.setdefault("policy", {})[policy.key] = policy


# -- comparison, rendering ------------------------------------------------------------------------


def diff(kind: ObjectKind, key: str, before: Policy | None, after: Policy | None) -> list[Change]:
    """As `diff_object`; a policy whose command or kind (permissive, restrictive) changes is replaced."""
    if before is not None and after is not None and \
            (before.command, before.permissive) != (after.command, after.permissive):
        return [Change(Action.REPLACE, kind.name, kind.address(key), before=before, after=after, table=after.table_key)]
    changes = diff_object(kind, key, before, after)
    for change in changes:
        change.table = (after or before).table_key  # type: ignore[union-attr]
    return changes


def _roles_sql(roles: tuple[str, ...]) -> str:
    return ", ".join("PUBLIC" if role == "public" else quote_ident(role) for role in roles)


def _on_sql(policy: Policy) -> str:
    return f"{quote_ident(policy.name)} ON {qualified_name(policy.schema, policy.table)}"


def _comment_sql(policy: Policy) -> str:
    return comment_on("POLICY", _on_sql(policy), policy.comment)


def _create_sql(policy: Policy) -> list[Statement]:
    # USING and WITH CHECK are SQL by design, like a check's expression; `build` made sure each is one
    # expression with no statement separator.
    sql = (f"CREATE POLICY {_on_sql(policy)} AS {'PERMISSIVE' if policy.permissive else 'RESTRICTIVE'}"
           f" FOR {policy.command.upper()} TO {_roles_sql(policy.roles)}")
    if policy.using_expression is not None:
        sql += f" USING ({policy.using_expression})"
    if policy.with_check is not None:
        sql += f" WITH CHECK ({policy.with_check})"
    statements = [Statement(sql + ";")]
    if policy.comment is not None:
        statements.append(Statement(_comment_sql(policy)))
    return statements


def render(change: Change, options: Any) -> list[Statement]:
    if change.action == Action.DROP:
        return [Statement(f"DROP POLICY {_on_sql(change.before)};")]
    after: Policy = change.after
    if change.action == Action.CREATE:
        return _create_sql(after)
    if change.action == Action.REPLACE:
        return [Statement(f"DROP POLICY {_on_sql(change.before)};"), *_create_sql(after)]
    changed = {a.name for a in change.attributes}
    clauses = []
    if "roles" in changed:
        clauses.append(f"TO {_roles_sql(after.roles)}")
    # An expression cannot be removed with ALTER POLICY: a policy that loses one is created again.
    if ("using_expression" in changed and after.using_expression is None) or \
            ("with_check" in changed and after.with_check is None):
        return [Statement(f"DROP POLICY {_on_sql(change.before)};"), *_create_sql(after)]
    if "using_expression" in changed:
        clauses.append(f"USING ({after.using_expression})")
    if "with_check" in changed:
        clauses.append(f"WITH CHECK ({after.with_check})")
    statements = [Statement(f"ALTER POLICY {_on_sql(after)} {' '.join(clauses)};")] if clauses else []
    if "comment" in changed:
        statements.append(Statement(_comment_sql(after)))
    return statements


KIND = ObjectKind(name="policy", section="policies", build=build, to_spec=to_spec, render=render,
                  create_before="foreign_key", diff=diff)
