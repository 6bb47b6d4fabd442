"""Project file `schemactl.yaml`: named environments with their spec, URL variable and allowances."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler.durations import DurationError, parse_duration
from reconciler.errors import UsageError, raise_spec_errors
from reconciler.spec.loader import load_spec
from reconciler.spec.validate import describe_error, schema_path

DEFAULT_PROJECT_FILE = "schemactl.yaml"


@dataclass
class Environment:
    name: str
    spec: str
    url_env: str
    allow_hazards: set[str] = field(default_factory=set)
    allow_destroy: bool = False
    online: bool = False
    parallel: int | None = None
    # Durations in seconds (reconciler.durations).
    lock_timeout: float | None = None
    statement_lock_timeout: float | None = None
    statement_timeout: float | None = None
    #: PostgreSQL (README, "Timeouts").
    connect_timeout: float | None = None
    network_timeout: float | None = None

    def without_allowances(self) -> Environment:
        """The same settings for another database: nothing allowed beyond what the command line says."""
        return replace(self, allow_hazards=set(), allow_destroy=False)

    def url(self) -> str:
        value = os.environ.get(self.url_env)
        if not value:
            raise UsageError(f"environment {self.name!r} reads its database URL from ${self.url_env}, which is not set")
        return value


def load_environment(name: str, config: str | None = None) -> Environment:
    path = Path(config or DEFAULT_PROJECT_FILE)
    if not path.is_file():
        raise UsageError(f"--env {name}: project file {path} not found")
    # The project file never holds URLs, so ${VAR} references stay literal here.
    loaded = load_spec(path, env={})
    schema = json.loads(schema_path("project.schema.json").read_text(encoding="utf-8"))
    import jsonschema  # imported here: every other command starts faster without it

    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(loaded.data),
                    key=lambda e: list(map(str, e.absolute_path)))
    raise_spec_errors([loaded.positions.error(tuple(e.absolute_path), describe_error(e)) for e in errors])
    environments = loaded.data["environments"]
    if name not in environments:
        raise UsageError(f"--env {name}: no such environment in {path} (have: {', '.join(environments)})")
    entry = environments[name]
    durations: dict[str, float | None] = {}
    for key in ("lock_timeout", "statement_lock_timeout", "statement_timeout", "connect_timeout", "network_timeout"):
        try:
            durations[key] = parse_duration(entry[key]) if key in entry else None
        except DurationError as exc:
            raise loaded.positions.error(("environments", name, key), str(exc)) from None
    return Environment(
        name=name, spec=str(path.parent / entry["spec"]), url_env=entry["url_env"],
        allow_hazards=set(entry.get("allow_hazards", [])), allow_destroy=bool(entry.get("allow_destroy")),
        online=bool(entry.get("online")), parallel=entry.get("parallel"), **durations,
    )

