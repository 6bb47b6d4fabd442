"""The protocol every backend implements, and the registry that finds one.

A backend is a folder under `reconciler/backends/` exposing a module-level
`BACKEND` object that satisfies `Backend`. The core never imports a backend's
internals; it only calls these methods.

Optional methods, looked up with `getattr` by the core when present:
`script_style` (a `ScriptStyle`), `apply_options` (names of extra `execute` keyword
arguments the backend takes: `parallel`, `fail_fast`), `annotate_hazards(change, options)`, `order(changes)`, `hold_apply_lock(conn,
lock_timeout)`, and `build_and_inspect(conn, spec, build) -> (desired, current)`,
which a backend provides when it can run `build()` (validate the spec and build the
model) while the live state is read. `build(live)` is called that way for a spec
whose model is read from the cache: see `model_codec.decode`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.changes import Change, Statement
from reconciler.errors import UsageError
from reconciler.redact import redact_url


@dataclass
class RenderOptions:
    # Online-safe PostgreSQL plans: CONCURRENTLY, NOT VALID + VALIDATE, timeouts.
    online: bool = False
    lock_timeout: str = "5s"
    statement_timeout: str | None = None


@dataclass
class ApplyResult:
    applied: int
    total: int
    failed_statement: str | None = None
    error: str | None = None
    details: list[str] = field(default_factory=list)


ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ScriptStyle:
    """How a backend's statements read as a script, for the output formats."""

    comment: str = "--"
    #: Markdown code fence language.
    fence: str = "sql"
    #: Whether statements run in a transaction, so that those that do not are worth marking.
    transactional: bool = True


def script_style(dialect: str) -> ScriptStyle:
    """The backend's `script_style` attribute (optional), SQL's otherwise."""
    return getattr(get_backend(dialect), "script_style", ScriptStyle())


class Backend(Protocol):
    #: Dialect name used in specs (`dialect: postgres`).
    name: str
    #: URL schemes this backend accepts (`postgresql`, `postgres`, `sqlite`, `mongodb`).
    url_schemes: Sequence[str]

    def build_model(self, spec: Any) -> Any:
        """Turn a validated spec document (see `reconciler.spec`) into this backend's model."""

    def connect(self, url: str, *, read_only: bool = False) -> Any:
        """Open a connection; raise `TargetError` (password redacted) when it fails.

        `read_only`: nothing sent on this connection can change the target (plan, status, inspect);
        a read-only open never creates anything either (a missing SQLite file is an error).
        """

    def close(self, conn: Any) -> None: ...

    def inspect(self, conn: Any, desired: Any | None) -> Any:
        """Read the live state into the model. `desired` scopes what is managed (schemas, databases)."""

    def canonicalize(self, conn: Any | None, desired: Any, current: Any) -> Any:
        """Return `desired` with expressions rewritten to the live database's spelling where equivalent.

        May rewrite `desired` in place (copying a large model costs more than the whole diff).
        """

    def diff(self, current: Any, desired: Any) -> list[Change]:
        """Changes that turn `current` into `desired`, unordered."""

    def order(self, changes: list[Change]) -> list[Change]:
        """Dependency order for applying the changes."""

    def render(self, change: Change, options: RenderOptions) -> list[Statement]:
        """Statements (SQL, or mongosh commands) for one change."""

    def execute(
        self,
        conn: Any,
        steps: list[tuple[Change, list[Statement]]],
        *,
        lock_timeout: float,
        progress: ProgressCallback | None,
        record: Callable[..., None] | None = None,
    ) -> ApplyResult:
        """Run the statements under the target's apply lock; transactional where the target allows.

        `record(conn, outcome, statements, error=None, *, failed_statement=None, rolled_back=())` writes the
        history entry: `statements` are those that persisted, `rolled_back` those undone with a transaction.
        """

    def write_history(self, conn: Any, entry: dict[str, Any]) -> None:
        """Append one apply record to the target's `schemactl_history` table or collection.

        `entry` holds: applied_at (ISO time), spec_hash, plan_hash, tool_version, outcome
        ("applied" | "failed" | "interrupted"), statements (list of str, those that persisted), error (str or
        None), failed_statement (str or None), rolled_back (list of str).
        """

    def read_history(self, conn: Any, limit: int = 1) -> list[dict[str, Any]]:
        """The newest `limit` history entries, newest first; [] when there is no history yet."""

    def to_spec(self, model: Any) -> dict[str, Any]:
        """The spec document (plain data, YAML-ready) that describes `model`."""

    def fingerprint_data(self, model: Any) -> Any:
        """JSON-ready data of the model, hashed into the live-schema fingerprint of a saved plan."""


_MODULES = {
    "postgres": "reconciler.backends.postgres",
    "sqlite": "reconciler.backends.sqlite",
    "mongodb": "reconciler.backends.mongodb",
}

_SCHEMES = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "sqlite": "sqlite",
    "mongodb": "mongodb",
    "mongodb+srv": "mongodb",
}


def get_backend(dialect: str) -> Backend:
    try:
        module = importlib.import_module(_MODULES[dialect])
    except KeyError:
        raise UsageError(f"unknown dialect {dialect!r}; expected one of {', '.join(_MODULES)}") from None
    return module.BACKEND


def dialect_of_url(url: str) -> str:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    try:
        return _SCHEMES[scheme]
    except KeyError:
        raise UsageError(
            f"unsupported database URL {redact_url(url)!r}: expected postgresql://, sqlite:/// or mongodb://"
        ) from None


def dialects() -> list[str]:
    return list(_MODULES)
