"""MongoDB backend: databases (and tenant templates), collections, validators, indexes.

Stages, one module each: `spec` (YAML -> model), `inspect` (server -> model,
through `normalize`), `diff` (model x model -> changes), `order`, `render`
(changes -> mongosh statements), `execute` (statements -> server, with
`lock` and `history`), `export` (model -> spec / fingerprint). `ops` hides
the pymongo calls.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from reconciler.backends import ApplyResult, Backend, ProgressCallback, RenderOptions, ScriptStyle
from reconciler.backends.mongodb import connection, export, history
from reconciler.backends.mongodb import diff as diff_module
from reconciler.backends.mongodb import execute as execute_module
from reconciler.backends.mongodb import inspect as inspect_module
from reconciler.backends.mongodb import lock as lock_module
from reconciler.backends.mongodb import order as order_module
from reconciler.backends.mongodb import render as render_module
from reconciler.backends.mongodb import spec as spec_module
from reconciler.backends.mongodb.canonical import settle_collection
from reconciler.backends.mongodb.expand import expand
from reconciler.backends.mongodb.model import Collection, MongoDatabase, MongoDeployment
from reconciler.changes import Change, Statement


class MongoBackend(Backend):
    name = "mongodb"
    url_schemes = ("mongodb", "mongodb+srv")
    # The artifact is a mongosh script; nothing runs in a transaction.
    script_style = ScriptStyle(comment="//", fence="js", transactional=False)
    # `apply --parallel/--fail-fast`: tenant databases are applied concurrently.
    apply_options = frozenset({"parallel", "fail_fast"})

    def build_model(self, spec: Any) -> MongoDeployment:
        return spec_module.build(spec)

    def connect(self, url: str, *, read_only: bool = False) -> connection.MongoConnection:
        return connection.connect(url, read_only=read_only)

    def close(self, conn: connection.MongoConnection) -> None:
        connection.close(conn)

    def inspect(self, conn: connection.MongoConnection, desired: MongoDeployment | None) -> MongoDeployment:
        return inspect_module.inspect(conn, desired)

    def canonicalize(self, conn: Any, desired: MongoDeployment, current: MongoDeployment) -> MongoDeployment:
        """Templates expanded against the live databases, collations in the server's spelling."""
        if current is None or current.discovered is None:
            return desired
        out = MongoDeployment(history_database=desired.history_database,
                              history_collection=desired.history_collection)
        for name, database in expand(desired, current.discovered).items():
            live = current.databases.get(name)
            collections = {cname: settle_collection(coll, _live_collection(live, coll))
                           for cname, coll in database.collections.items()}
            out.databases[name] = MongoDatabase(name=name, collections=collections, template=database.template)
        # Templates are resolved now; keep the list of names so diff does not resolve them again.
        out.discovered = list(current.discovered)
        return out

    def diff(self, current: MongoDeployment, desired: MongoDeployment) -> list[Change]:
        return diff_module.diff(current, desired)

    def order(self, changes: list[Change]) -> list[Change]:
        return order_module.order(changes)

    def render(self, change: Change, options: RenderOptions) -> list[Statement]:
        return render_module.render(change)

    def execute(
        self,
        conn: connection.MongoConnection,
        steps: list[tuple[Change, list[Statement]]],
        *,
        lock_timeout: float,
        progress: ProgressCallback | None,
        record: Callable[..., None] | None = None,
        parallel: int = 1,
        fail_fast: bool = False,
        **_: Any,
    ) -> ApplyResult:
        return execute_module.execute(conn, steps, lock_timeout=lock_timeout, progress=progress, record=record,
                                      parallel=parallel, fail_fast=fail_fast)

    def hold_apply_lock(self, conn: connection.MongoConnection, lock_timeout: float) -> AbstractContextManager[None]:
        return lock_module.hold_apply_lock(conn, lock_timeout)

    def write_history(self, conn: connection.MongoConnection, entry: dict[str, Any]) -> None:
        history.write_history(conn, entry)

    def read_history(self, conn: connection.MongoConnection, limit: int = 1) -> list[dict[str, Any]]:
        return history.read_history(conn, limit)

    def to_spec(self, model: MongoDeployment) -> dict[str, Any]:
        return export.to_spec(model)

    def fingerprint_data(self, model: MongoDeployment) -> Any:
        return export.fingerprint_data(model)

    def script(self, steps: list[tuple[Change, list[Statement]]]) -> str:
        return render_module.script(steps)


def _live_collection(live: MongoDatabase | None, coll: Collection) -> Collection | None:
    if live is None:
        return None
    found = live.collections.get(coll.name)
    if found is None and coll.renamed_from:
        found = live.collections.get(coll.renamed_from)
    return found


BACKEND = MongoBackend()
