"""Row-level security switches of a table: `row_level_security` and `force_row_level_security` in its spec.

Its own kind keyed by table, built from the `tables:` section, so the table kind stays as it is. Only
tables with a switch on have one, in the spec as in the catalog. A table that is not there yet gets its
switches once created; a table leaving the spec takes them with it; a table that stays but has its
switches off in the spec has them turned off (`complete_switches`, which sees the tables).
Always an ALTER (ENABLE/DISABLE, FORCE/NO FORCE ROW LEVEL SECURITY), never a create or drop of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.changes import Action, AttributeChange, Change, Statement
from reconciler.objects import ObjectKind

from ..catalog import Catalog, Rows
from ..types import qualified_name

QUERY = "row_security"
READ_ORDER = 15


@dataclass
class RowSecurity:
    schema: str
    table: str
    enabled: bool = False
    forced: bool = False

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.table}"


def build(key: str, spec: dict[str, Any], context: Any) -> RowSecurity | None:
    enabled, forced = bool(spec.get("row_level_security")), bool(spec.get("force_row_level_security"))
    if not (enabled or forced):
        return None
    schema, name = context.split(key)
    return RowSecurity(schema, name, enabled, forced)


def to_spec(switches: RowSecurity) -> tuple[str, dict[str, Any]]:
    """Attributes of the table's entry in `tables:` (merged into it by the backend's `to_spec`)."""
    spec: dict[str, Any] = {}
    if switches.enabled:
        spec["row_level_security"] = True
    if switches.forced:
        spec["force_row_level_security"] = True
    return (switches.table if switches.schema == "public" else switches.key), spec


def load(rows: Rows, catalog: Catalog) -> None:
    for schema, table, enabled, forced in rows:
        switches = RowSecurity(schema, table, bool(enabled), bool(forced))
        catalog.db.objects.setdefault("row_security", {})[switches.key] = switches


def diff(kind: ObjectKind, key: str, before: RowSecurity | None, after: RowSecurity | None) -> list[Change]:
    if after is None:  # switches off in the spec, or the table leaves it: see `complete_switches`
        return []
    live = before or RowSecurity(after.schema, after.table)
    attributes = [AttributeChange(name, getattr(live, name), getattr(after, name))
                  for name in ("enabled", "forced") if getattr(live, name) != getattr(after, name)]
    if not attributes:
        return []
    return [Change(Action.ALTER, kind.name, kind.address(key), before=live, after=after, attributes=attributes,
                   table=after.key)]


def complete_switches(changes: list[Change], current: Any, desired: Any) -> list[Change]:
    """Switches on in the database, off in the spec, of a table the spec keeps (one it drops takes them along);
    and a note where row-level security is turned on for a table the spec gives no policy."""
    wanted = desired.objects.get("row_security", {})
    for key, live in current.objects.get("row_security", {}).items():
        if key not in wanted and key in desired.tables:
            changes += diff(KIND, key, live, RowSecurity(live.schema, live.table))
    with_policies = {policy.table_key for policy in desired.objects.get("policy", {}).values()}
    for change in changes:
        if change.kind == KIND.name and change.after.enabled and not change.before.enabled \
                and change.after.key not in with_policies:
            change.notes.append("no policy on this table: only its owner and superusers will see or write rows")
    return changes


def render(change: Change, options: Any) -> list[Statement]:
    after: RowSecurity = change.after
    table = qualified_name(after.schema, after.table)
    changed = {a.name for a in change.attributes}
    clauses = []
    if "enabled" in changed:
        clauses.append("ENABLE ROW LEVEL SECURITY" if after.enabled else "DISABLE ROW LEVEL SECURITY")
    if "forced" in changed:
        clauses.append("FORCE ROW LEVEL SECURITY" if after.forced else "NO FORCE ROW LEVEL SECURITY")
    return [Statement(f"ALTER TABLE {table} {', '.join(clauses)};")]


# After the tables are created, with the policies (which do nothing until it is on).
KIND = ObjectKind(name="row_security", section="tables", build=build, to_spec=to_spec, render=render,
                  create_before="foreign_key", diff=diff, after_diff=complete_switches)
