"""Wires the stages for one target: spec -> inspect -> canonicalize -> diff -> plan, strictly in turn; then
what the target's settings say about applying the plan (`Backend.plan_warnings`) joins the plan's warnings.

Kept out of the CLI so that tests and other front-ends drive the same path.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.backends import Backend, ConnectOptions, RenderOptions, dialect_of_url, get_backend
from reconciler.errors import SpecError, SpecErrors, UsageError, raise_spec_errors, spec_error_list
from reconciler.plan import Plan, make_plan, warn_if_empty_spec
from reconciler.redact import redact_url
from reconciler.spec import LoadedSpec, load_model

if TYPE_CHECKING:
    from reconciler.backends import PlanScope


@dataclass
class Target:
    backend: Backend
    conn: Any
    url: str

    @property
    def display(self) -> str:
        return redact_url(self.url)


@contextmanager
def open_target(url: str, expected_dialect: str | None = None, *, read_only: bool,
                options: ConnectOptions | None = None) -> Iterator[Target]:
    """Connect; `read_only` for every command but apply: such a connection cannot change the target.
    `options`: connect and network timeouts (defaults: `ConnectOptions()`)."""
    dialect = dialect_of_url(url)
    if expected_dialect is not None and dialect != expected_dialect:
        raise UsageError(f"the spec is for {expected_dialect}, but the URL {redact_url(url)} is a {dialect} target")
    backend = get_backend(dialect)
    conn = backend.connect(url, read_only=read_only, options=options)
    try:
        yield Target(backend, conn, url)
    finally:
        backend.close(conn)


@contextmanager
def spec_at_revision(path: str) -> Iterator[str]:
    """A spec path, or `REV:path` read from git (`main:db/schema.yaml`) into a temporary file."""
    if os.path.exists(path) or ":" not in path:
        yield path
        return
    if _git(path, "cat-file", "-t", path).strip() == b"tree":
        with tempfile.TemporaryDirectory() as tmp:
            yield _export_tree(path, os.path.join(tmp, path.replace(":", "_").replace("/", "_")))
        return
    blob = _git(path, "show", path)
    # The file's own name: the spec hash covers it, so `plan main:db/schema.yaml` and `plan db/schema.yaml`
    # of the same text record the same hash.
    base = os.path.basename(path.split(":", 1)[1].rstrip("/")) or "spec"
    with tempfile.TemporaryDirectory() as tmp:
        name = os.path.join(tmp, base if os.path.splitext(base)[1] else base + ".yaml")
        with open(name, "wb") as fh:
            fh.write(blob)
        yield name


def load_spec_model(path: str) -> tuple[LoadedSpec, Any]:
    """`load_model` of a spec file or directory, or of a git path (`main:db/schema.yaml`, `HEAD~1:db`);
    errors and the loaded spec's files name the git path, not the temporary copy."""
    with spec_at_revision(path) as file:
        if file == path:
            return load_model(path)
        try:
            loaded, desired = load_model(file)
        except (SpecError, SpecErrors) as exc:
            raise_spec_errors([SpecError(e.message, file=_git_name(e.file, file, path), line=e.line, column=e.column,
                                         path=e.path) for e in spec_error_list(exc)])
            raise
        loaded.files = [_git_name(f, file, path) or f for f in loaded.files]
        return loaded, desired


def _git_name(name: str | None, copy: str, path: str) -> str | None:
    """A file of the temporary `copy` of the git path `path`, named as in git."""
    if name is None or not (name == copy or name.startswith(copy + os.sep)):
        return name
    rel = os.path.relpath(name, copy)
    if rel == ".":
        return path
    return path + rel if path.endswith((":", "/")) else f"{path}/{rel}"


def _export_tree(path: str, target: str) -> str:
    """The *.yaml / *.yml files of the directory `REV:dir`, written under `target` as they sit in it."""
    prefix = path.rstrip("/")
    for name in _git(path, "ls-tree", "-r", "--name-only", prefix).decode().splitlines():
        if not name.endswith((".yaml", ".yml")):
            continue
        file = os.path.join(target, name)
        os.makedirs(os.path.dirname(file), exist_ok=True)
        with open(file, "wb") as fh:
            fh.write(_git(path, "show", f"{prefix}/{name}" if not prefix.endswith(":") else f"{prefix}{name}"))
    os.makedirs(target, exist_ok=True)
    return target


def _git(path: str, *args: str) -> bytes:
    try:
        return subprocess.run(["git", *args], check=True, capture_output=True).stdout
    except FileNotFoundError:
        raise UsageError(f"{path}: not a file, and git is not installed to read it as REV:path") from None
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip()
        raise UsageError(f"{path}: not a file, and git cannot read it: {message}") from None


@dataclass
class PlannedRun:
    loaded: LoadedSpec
    current: Any
    plan: Plan
    #: The desired model as the plan compared it (canonicalized to the live spelling).
    desired: Any = None


def check_scope(backend: Backend, scope: PlanScope) -> None:
    """Refuse scope flags the spec's backend has no use for, naming the first one."""
    for field_name, value in scope.to_dict().items():
        if value and field_name not in backend.plan_scopes:
            flag = {"databases": "--database", "collections": "--collection"}.get(
                field_name, "--" + field_name.replace("_", "-"))
            raise UsageError(f"{flag} is for MongoDB specs (databases, tenant templates, collections); "
                             f"this spec is {backend.name}")
    if scope.public_only and scope.tenants_only:
        raise UsageError("--public-only and --tenants-only exclude each other: pass one (or neither for both)")


def plan_for_target(target: Target, loaded: LoadedSpec, desired: Any, options: RenderOptions,
                    scope: PlanScope | None = None, targets: Sequence[str] = ()) -> PlannedRun:
    """The pipeline after the spec: inspect -> canonicalize -> diff -> plan, one stage after the other.
    `scope`: compare only what it selects (the backend cuts both sides before its diff). The spec's ignored
    objects are taken out of the live model before anything compares it; `targets`: a partial plan (`-target`)."""
    backend = target.backend
    if scope is not None and not scope.empty:
        check_scope(backend, scope)
        desired = backend.with_scope(desired, scope)
    from reconciler.ignore import rules_from_spec

    rules = rules_from_spec(loaded.data, loaded.positions)
    current = backend.inspect(target.conn, desired)
    pruned = backend.prune_ignored(current, rules) if rules else {}
    canonical = backend.canonicalize(target.conn, desired, current)
    plan = make_plan(backend, current, canonical, target=target.display, spec_hash=loaded.source_hash,
                     options=options, ignore=rules, pruned=pruned, targets=targets)
    if scope is not None:
        plan.scope = scope
    warn_if_empty_spec(plan, loaded.data)
    draw_plan(backend, current, canonical, plan)
    if not plan.empty:
        plan.warnings += [f"Warning: {text}" for text in backend.plan_warnings(target.conn, plan, current, canonical)]
    return PlannedRun(loaded, current, plan, canonical)


def offline_plan(old_path: str, new_path: str, options: RenderOptions) -> Plan:
    """Plan between two specs without a database (review of a pull request)."""
    old_loaded, old = load_spec_model(old_path)
    new_loaded, new = load_spec_model(new_path)
    if old_loaded.dialect != new_loaded.dialect:
        raise UsageError("the two specs are for different dialects")
    from reconciler.ignore import rules_from_spec

    backend = get_backend(new_loaded.dialect)
    canonical = backend.canonicalize(None, new, old)
    plan = make_plan(backend, old, canonical, target=f"{old_path} -> {new_path}",
                     spec_hash=new_loaded.source_hash, options=options,
                     ignore=rules_from_spec(new_loaded.data, new_loaded.positions))
    warn_if_empty_spec(plan, new_loaded.data)
    draw_plan(backend, old, canonical, plan)
    return plan


def draw_plan(backend: Backend, current: Any, desired: Any, plan: Plan) -> None:
    """The plan's picture: the touched tables (collections) and their neighbours, for `--format markdown`."""
    if plan.empty:
        return

    def draw() -> str | None:
        from reconciler.diagram import plan_diagram

        er_current, er_desired = backend.er_model(current), backend.er_model(desired)
        if er_current is None or er_desired is None:
            return None
        return plan_diagram(er_current, er_desired, [p.change for p in plan.changes])

    plan.diagram_source = draw


def list_databases(target: Target, loaded: LoadedSpec, desired: Any) -> list[dict[str, Any]]:
    """`schemactl list`: the backend's databases of the spec on the target, each with its number of planned
    changes and its status (`in sync`, `drifted`, `missing`)."""
    run = plan_for_target(target, loaded, desired, RenderOptions())
    rows = target.backend.list_databases(run.desired, run.current) or []
    changes: dict[str, int] = {}
    for planned in run.plan.changes:
        database = planned.change.extra.get("database")
        changes[database] = changes.get(database, 0) + 1
    for row in rows:
        count = changes.get(row["database"], 0)
        row["changes"] = count
        row["status"] = "missing" if not row["exists"] else "drifted" if count else "in sync"
    return rows
