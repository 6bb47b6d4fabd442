"""The protocol every backend implements, and the registry that finds one.

A backend is a folder under `reconciler/backends/` exposing a module-level
`BACKEND` object that satisfies `Backend`. The core never imports a backend's
internals; it only calls these methods.

Optional capabilities (`script_style`, `script_settings`, `apply_options`, `relational_spec`,
`annotate_hazards`, `hold_apply_lock`, `plan_warnings`) are declared on `Backend` with their defaults; nothing is looked
up with `getattr`. The core names no backend: `registry()` finds them.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from reconciler.changes import Change, Statement
from reconciler.errors import UsageError
from reconciler.redact import redact_url


@dataclass
class RenderOptions:
    # Online-safe PostgreSQL plans: CONCURRENTLY, NOT VALID + VALIDATE, timeouts.
    online: bool = False
    lock_timeout: str = "5s"
    statement_timeout: str | None = None


@dataclass(frozen=True)
class ConnectOptions:
    """How long a backend waits on its target, in seconds (README, "Timeouts"); 0 turns a bound off."""

    #: Establishing a connection.
    connect_timeout: float = 10.0
    #: How long a silent peer is tolerated before the connection counts as lost (PostgreSQL: TCP keepalives
    #: and user timeout on both ends, the liveness check, and the server's idle_in_transaction_session_timeout).
    network_timeout: float = 30.0


@dataclass(frozen=True)
class PlanScope:
    """What a plan is limited to (MongoDB: `--public-only`, `--tenants-only`, `--database`, `--collection`,
    `--indexes-only`). Objects outside it are neither changed nor dropped; empty means everything."""

    public_only: bool = False
    tenants_only: bool = False
    #: Database names or glob patterns (`chat_tenant_a*`).
    databases: tuple[str, ...] = ()
    #: Collection names or glob patterns.
    collections: tuple[str, ...] = ()
    #: Only indexes: collections, validators and collection options are left as they are.
    indexes_only: bool = False

    @property
    def empty(self) -> bool:
        return self == PlanScope()

    def flags(self) -> list[str]:
        """The scope as the command-line flags that make it, which is how plans state it."""
        out = ["--public-only"] * self.public_only + ["--tenants-only"] * self.tenants_only
        out += [f"--database {name}" for name in self.databases]
        out += [f"--collection {name}" for name in self.collections]
        return out + ["--indexes-only"] * self.indexes_only

    def to_dict(self) -> dict[str, Any]:
        return {"public_only": self.public_only, "tenants_only": self.tenants_only,
                "databases": list(self.databases), "collections": list(self.collections),
                "indexes_only": self.indexes_only}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PlanScope:
        data = data or {}
        return cls(public_only=bool(data.get("public_only")), tenants_only=bool(data.get("tenants_only")),
                   databases=tuple(data.get("databases") or ()), collections=tuple(data.get("collections") or ()),
                   indexes_only=bool(data.get("indexes_only")))


@dataclass
class ApplyResult:
    applied: int
    total: int
    failed_statement: str | None = None
    error: str | None = None
    details: list[str] = field(default_factory=list)


ProgressCallback = Callable[[int, int, str], None]


class Progress:
    """What `execute` reports while it runs: each statement when it starts and when it has run.

    A plain callable `(step, total, statement)` is accepted wherever a Progress is (see `as_progress`):
    it hears of starts, and of statements still running where the backend reports those itself.
    """

    #: True when it reports long-running statements on its own, so that the backend need not.
    heartbeats: bool = False

    def started(self, step: int, total: int, statement: str) -> None: ...

    def finished(self, step: int, total: int, statement: str) -> None: ...

    def still_running(self, step: int, total: int, statement: str, seconds: float) -> None: ...


class _CallbackProgress(Progress):
    def __init__(self, callback: ProgressCallback) -> None:
        self.callback = callback

    def started(self, step: int, total: int, statement: str) -> None:
        self.callback(step, total, statement)

    def still_running(self, step: int, total: int, statement: str, seconds: float) -> None:
        self.callback(step, total, f"{statement}  (still running, {seconds:.0f}s)")


def as_progress(progress: Progress | ProgressCallback | None) -> Progress:
    """A Progress for what `execute` was given: itself, a plain callable wrapped, or one that says nothing."""
    if isinstance(progress, Progress):
        return progress
    return Progress() if progress is None else _CallbackProgress(progress)


@dataclass(frozen=True)
class ScriptStyle:
    """How a backend's statements read as a script, for the output formats."""

    comment: str = "--"
    #: Markdown code fence language.
    fence: str = "sql"
    #: Whether statements run in a transaction, so that those that do not are worth marking.
    transactional: bool = True
    # What makes `--format sql` a script that runs as it is and does what `execute` does:
    #: statements before everything (session settings the plan's statements are written for) and after it;
    preamble: tuple[str, ...] = ()
    epilogue: tuple[str, ...] = ()
    #: the statements that open and commit a transaction (None: the target has none);
    begin: str | None = None
    commit: str | None = None
    #: and how to run it, for the script's header.
    run_hint: str | None = None


#: The fields of a history record (`Backend.write_history`), in the order the SQL backends' tables hold them.
HISTORY_FIELDS = ("applied_at", "spec_hash", "plan_hash", "tool_version", "outcome", "statements", "error",
                  "failed_statement", "rolled_back", "spec", "applied_by", "applied_from", "rollback_to")
#: What a listing reads (`Backend.read_history`): every field but the spec, which only a rollback needs.
HISTORY_LISTED = tuple(name for name in HISTORY_FIELDS if name != "spec")
#: The fields added after the first release, as a record an older version wrote reads them.
HISTORY_ADDED: dict[str, Any] = {"failed_statement": None, "rolled_back": [], "applied_by": None,
                                 "applied_from": None, "rollback_to": None}


def script_style(dialect: str) -> ScriptStyle:
    return get_backend(dialect).script_style


class Backend(ABC):
    """What every backend provides. Required methods are abstract; optional capabilities have a
    declared default here, which a backend overrides: the core calls them, never probes for them."""

    #: Dialect name used in specs (`dialect: postgres`).
    name: str
    #: URL schemes this backend accepts (`postgresql`, `postgres`, `sqlite`, `mongodb`).
    url_schemes: Sequence[str]
    #: How its statements read as a script (comment marker, fence, whether they run in a transaction).
    script_style: ScriptStyle = ScriptStyle()
    #: Extra keyword arguments its `execute` takes (MongoDB's tenant databases: `parallel`, `fail_fast`).
    apply_options: frozenset[str] = frozenset()
    #: The `PlanScope` fields its plans can be limited by (MongoDB: all of them); others refuse a scope.
    plan_scopes: frozenset[str] = frozenset()
    #: Its spec is the relational spec (`reconciler.spec.relational`): `validate` then checks every table's
    #: columns, indexes and foreign keys and refuses NUL characters, which no SQL name or literal can hold.
    relational_spec: bool = False

    @abstractmethod
    def build_model(self, spec: Any) -> Any:
        """Turn a validated spec document (see `reconciler.spec`) into this backend's model."""

    @abstractmethod
    def spec_schema(self) -> dict[str, Any]:
        """This backend's part of the spec JSON Schema: `{"root": DEF, "$defs": {...}}`, where DEF is the
        definition a document with `dialect: <name>` must satisfy (see `reconciler.spec.schemas`)."""

    @abstractmethod
    def connect(self, url: str, *, read_only: bool = False, options: ConnectOptions | None = None) -> Any:
        """Open a connection; raise `TargetError` (password redacted) when it fails.

        `read_only`: nothing sent on this connection can change the target (plan, status, inspect);
        a read-only open never creates anything either (a missing SQLite file is an error).
        `options`: timeouts, for the backends that talk to a server over the network.
        """

    @abstractmethod
    def close(self, conn: Any) -> None: ...

    @abstractmethod
    def inspect(self, conn: Any, desired: Any | None) -> Any:
        """Read the live state into the model. `desired` scopes what is managed (schemas, databases)."""

    @abstractmethod
    def canonicalize(self, conn: Any | None, desired: Any, current: Any) -> Any:
        """Return `desired` with expressions rewritten to the live database's spelling where equivalent.

        May rewrite `desired` in place (copying a large model costs more than the whole diff).
        """

    @abstractmethod
    def diff(self, current: Any, desired: Any) -> list[Change]:
        """Changes that turn `current` into `desired`, unordered."""

    def relational_diff(self, current: Any, desired: Any) -> list[Change]:
        """A relational backend's model diff before its own passes (`reconciler.relational.diff_databases`):
        the backend's kinds composed with the shared table diff (`reconciler.relational.compose_diff`)."""
        raise NotImplementedError(f"{self.name} has no relational model")

    @abstractmethod
    def order(self, changes: list[Change]) -> list[Change]:
        """Dependency order for applying the changes."""

    @abstractmethod
    def render(self, change: Change, options: RenderOptions) -> list[Statement]:
        """Statements (SQL, or mongosh commands) for one change."""

    @abstractmethod
    def execute(
        self,
        conn: Any,
        steps: list[tuple[Change, list[Statement]]],
        *,
        lock_timeout: float,
        progress: Progress | ProgressCallback | None,
        record: Callable[..., None] | None = None,
    ) -> ApplyResult:
        """Run the statements under the target's apply lock; transactional where the target allows.

        `progress` (see `as_progress`) hears of each statement as it starts and once it has run.

        `record(conn, outcome, statements, error=None, *, failed_statement=None, rolled_back=())` writes the
        history entry: `statements` are those that persisted, `rolled_back` those undone with a transaction.
        """

    def annotate_hazards(self, change: Change, options: RenderOptions) -> Change:
        """Add the backend's hazards (and their explanations) to a change; none by default."""
        return change

    def with_scope(self, desired: Any, scope: PlanScope) -> Any:
        """`desired` limited to `scope` (only fields in `plan_scopes` are ever set): the backend's diff compares
        only what the scope selects, on both sides."""
        raise NotImplementedError(f"{self.name} plans cannot be scoped")

    def script_body(self, plan: Any) -> list[str] | None:
        """The statements part of `--format sql` when the backend writes it its own way (MongoDB: one loop
        over the tenant databases per group of identical changes); None: one block per change."""
        return None

    def list_databases(self, desired: Any, current: Any) -> list[dict[str, Any]] | None:
        """`schemactl list`: the databases the spec manages on the target, each
        `{database, kind ("public" | "tenant"), template, exists, collections}`; None: not supported."""
        return None

    def script_settings(self, statement: Statement, *, in_transaction: bool) -> tuple[list[str], list[str]]:
        """Statements a runnable script puts before and after `statement` to give it its own settings, the
        way `execute` does (PostgreSQL's per-statement timeouts in online mode); none by default."""
        return [], []

    def plan_warnings(self, conn: Any, plan: Any, current: Any, desired: Any) -> list[str]:
        """What the target's settings say about applying `plan` (a `reconciler.plan.Plan`), said before applying
        (PostgreSQL: whether its transaction's locks fit in the server's lock table); none by default."""
        return []

    def render_hook(self, hook: Any, change: Change) -> list[Statement]:
        """A data-migration hook's (`reconciler.hooks.Hook`) statements, to run beside `change`; the relational
        backends' default: its SQL statements, in the apply transaction."""
        return [Statement(sql.rstrip() if sql.rstrip().endswith(";") else sql.rstrip() + ";") for sql in hook.sql]

    def er_model(self, model: Any) -> Any:
        """The model as a `reconciler.diagram.ERModel` (entities, key attributes, relations) for `schemactl
        diagram` and the plan's markdown picture; None for a backend that draws none."""
        return None
    def prune_ignored(self, model: Any, rules: Any) -> dict[str, list[str]]:
        """Take the objects `rules` (`reconciler.ignore.IgnoreRules`) ignore out of a model, in place; returns,
        per kept table or collection, what was taken out of it. Default: the relational model's pruning."""
        from reconciler.ignore import prune_relational
        from reconciler.model import Database

        return prune_relational(model, rules) if isinstance(model, Database) else {}
    def inspect_scope(self, conn: Any, schemas: Sequence[str], roles: Sequence[str] = ()) -> Any | None:
        """What `schemactl inspect` reads (the `desired` of `inspect`): the named schemas, or all of them when
        none is named, and the named roles; a UsageError for a schema that does not exist, or for flags the
        backend has no use for. None (the default): everything."""
        if schemas or roles:
            raise UsageError(f"--schema and --role: dialect {self.name} has no schemas or roles to choose from")
        return None

    def inspect_warnings(self, conn: Any, scope: Any | None) -> list[str]:
        """What `inspect` read but cannot write as a spec (objects of kinds not supported), one line each;
        none by default."""
        return []

    def hold_apply_lock(self, conn: Any, lock_timeout: float) -> AbstractContextManager[Any]:
        """The target's apply lock, held from before inspection to the end of an apply; none by default."""
        return nullcontext()

    @abstractmethod
    def write_history(self, conn: Any, entry: dict[str, Any]) -> None:
        """Append one apply record to the target's `schemactl_history` table or collection.

        `entry` holds: applied_at (ISO time), spec_hash, plan_hash, tool_version, outcome
        ("applied" | "failed" | "interrupted"), statements (list of str, those that persisted), error (str or
        None), failed_statement (str or None), rolled_back (list of str), spec (the applied spec as
        `reconciler.history.archive_spec` wrote it, or None), applied_by and applied_from (OS user and host,
        or None), rollback_to (the number of the record a `rollback` went back to, or None). A table made by
        an older version gets the newer columns on the next write.
        """

    @abstractmethod
    def read_history(self, conn: Any, limit: int = 1) -> list[dict[str, Any]]:
        """The newest `limit` history entries, newest first; [] when there is no history yet.

        Each has `id` (its number: `history` shows it, `rollback --to` takes it), the fields written (None
        or [] for those an older version did not write) except `spec`, and `has_spec`.
        """

    @abstractmethod
    def read_history_spec(self, conn: Any, entry_id: int) -> str | None:
        """The `spec` of history entry `entry_id`; None when it has none or there is no such entry."""

    def locate_history(self, conn: Any, desired: Any) -> None:
        """Take where a spec says the history lives (MongoDB's history_database), for reading it without
        inspecting; nothing by default (the history's place is fixed)."""
        return None

    @abstractmethod
    def to_spec(self, model: Any) -> dict[str, Any]:
        """The spec document (plain data, YAML-ready) that describes `model`."""

    @abstractmethod
    def fingerprint_data(self, model: Any) -> Any:
        """JSON-ready data of the model, hashed into the live-schema fingerprint of a saved plan."""


def _discover() -> dict[str, Backend]:
    """The registry is data the backends provide: every package under `reconciler/backends/` with a
    `BACKEND`. Their `__init__` modules import nothing heavy (drivers load on first connect)."""
    found: dict[str, Backend] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg:
            backend = getattr(importlib.import_module(f"{__name__}.{info.name}"), "BACKEND", None)
            if isinstance(backend, Backend):
                found[backend.name] = backend
    return found


@cache
def registry() -> dict[str, Backend]:
    return _discover()


def get_backend(dialect: str) -> Backend:
    try:
        return registry()[dialect]
    except KeyError:
        raise UsageError(f"unknown dialect {dialect!r}; expected one of {', '.join(registry())}") from None


def dialect_of_url(url: str) -> str:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    for backend in registry().values():
        if scheme in backend.url_schemes:
            return backend.name
    expected = ", ".join(f"{s}://" for b in registry().values() for s in b.url_schemes)
    raise UsageError(f"unsupported database URL {redact_url(url)!r}: expected one of {expected}")


def dialects() -> list[str]:
    return list(registry())
