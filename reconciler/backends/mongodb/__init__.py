"""MongoDB backend: databases (and tenant templates), collections, validators, indexes.

Stages, one module each: `build` (spec -> model), `inspect` (server -> model,
through `normalize`), `diff` (model x model -> changes), `order`, `render`
(changes -> mongosh statements), `execute` (statements -> server, with
`lock` and `history`), `to_spec` (model -> spec / fingerprint). `ops` hides
the pymongo calls. This module imports nothing heavy: pymongo loads on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from reconciler.backends import (
    ApplyResult,
    Backend,
    ConnectOptions,
    PlanScope,
    Progress,
    ProgressCallback,
    RenderOptions,
    ScriptStyle,
)
from reconciler.changes import Change, Statement


class MongoBackend(Backend):
    name = "mongodb"
    url_schemes = ("mongodb", "mongodb+srv")
    # The artifact is a mongosh script; nothing runs in a transaction.
    script_style = ScriptStyle(comment="//", fence="js", transactional=False)
    # `apply --parallel/--fail-fast`: tenant databases are applied concurrently.
    apply_options = frozenset({"parallel", "fail_fast"})
    # `plan/apply/status --public-only/--tenants-only/--database/--collection/--indexes-only` (scope.py).
    plan_scopes = frozenset({"public_only", "tenants_only", "databases", "collections", "indexes_only"})

    def build_model(self, spec: Any) -> Any:
        from .build import build

        return build(spec)

    def spec_schema(self) -> dict[str, Any]:
        from reconciler.spec.schemas import fragment

        return fragment(__name__, "spec.schema.json")

    def connect(self, url: str, *, read_only: bool = False, options: ConnectOptions | None = None) -> Any:
        from .connection import connect

        return connect(url, read_only=read_only)

    def close(self, conn: Any) -> None:
        from .connection import close

        close(conn)

    def inspect(self, conn: Any, desired: Any | None) -> Any:
        from .inspect import inspect

        return inspect(conn, desired)

    def canonicalize(self, conn: Any | None, desired: Any, current: Any) -> Any:
        from .canonicalize import canonicalize

        return canonicalize(desired, current)

    def diff(self, current: Any, desired: Any) -> list[Change]:
        from .diff import diff

        return diff(current, desired)

    def order(self, changes: list[Change]) -> list[Change]:
        from .order import order

        return order(changes)

    def render(self, change: Change, options: RenderOptions) -> list[Statement]:
        from .render import render

        return render(change)

    def execute(
        self,
        conn: Any,
        steps: list[tuple[Change, list[Statement]]],
        *,
        lock_timeout: float,
        progress: Progress | ProgressCallback | None,
        record: Callable[..., None] | None = None,
        parallel: int = 1,
        fail_fast: bool = False,
    ) -> ApplyResult:
        from .execute import execute

        return execute(conn, steps, lock_timeout=lock_timeout, progress=progress, record=record,
                       parallel=parallel, fail_fast=fail_fast)

    def with_scope(self, desired: Any, scope: PlanScope) -> Any:
        desired.scope = None if scope.empty else scope
        return desired

    def script_body(self, plan: Any) -> list[str] | None:
        from .script import tenant_script

        return tenant_script(plan)

    def list_databases(self, desired: Any, current: Any) -> list[dict[str, Any]] | None:
        from .listing import list_databases

        return list_databases(desired, current)
    def prune_ignored(self, model: Any, rules: Any) -> dict[str, list[str]]:
        from .model import prune_ignored

        return prune_ignored(model, rules)

    def hold_apply_lock(self, conn: Any, lock_timeout: float) -> AbstractContextManager[Any]:
        from .lock import hold_apply_lock

        return hold_apply_lock(conn, lock_timeout)

    def write_history(self, conn: Any, entry: dict[str, Any]) -> None:
        from .history import write_history

        write_history(conn, entry)

    def read_history(self, conn: Any, limit: int = 1) -> list[dict[str, Any]]:
        from .history import read_history

        return read_history(conn, limit)

    def read_history_spec(self, conn: Any, entry_id: int) -> str | None:
        from .history import read_history_spec

        return read_history_spec(conn, entry_id)

    def locate_history(self, conn: Any, desired: Any) -> None:
        conn.configure(desired.history_database, desired.history_collection)

    def to_spec(self, model: Any) -> dict[str, Any]:
        from .to_spec import to_spec

        return to_spec(model)

    def render_hook(self, hook: Any, change: Change) -> list[Statement]:
        from .mongosh import command_line

        database = change.extra.get("database") or (change.table or "").partition(".")[0]
        return [Statement(command_line(database, command), transactional=False) for command in hook.commands]

    def er_model(self, model: Any) -> Any:
        from reconciler.diagram import Attribute, Entity, ERModel

        er = ERModel()
        for db_name, database in model.databases.items():
            for coll_name, collection in database.collections.items():
                name = f"{db_name}.{coll_name}"
                er.entities[name] = Entity(name, [
                    Attribute(index.name, "index", ["UK"] if index.unique else [],
                              ", ".join(f"{key}: {direction}" for key, direction in index.keys))
                    for index in collection.indexes.values()])
        return er

    def fingerprint_data(self, model: Any) -> Any:
        from .to_spec import fingerprint_data

        return fingerprint_data(model)


BACKEND = MongoBackend()
