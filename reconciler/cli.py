"""`schemactl` command line: wires the stages together, nothing more."""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import click
import yaml

from reconciler import __version__
from reconciler.apply import (
    CONFIRM_PROMPT,
    Guards,
    ProgressPrinter,
    check_guards,
    check_prevented,
    execute_plan,
)
from reconciler.backends import ConnectOptions, RenderOptions, get_backend
from reconciler.changes import Hazard
from reconciler.durations import DurationError, parse_duration, postgres_duration
from reconciler.errors import ApplyError, Interrupted, PlanError, SchemactlError, UsageError
from reconciler.formats import render_plan
from reconciler.formats.common import summary_line
from reconciler.model import Database
from reconciler.plan import Plan
from reconciler.project import Environment, load_environment
from reconciler.redact import redact_urls
from reconciler.saved_plan import load_saved_plan, save_plan, verify_saved_plan
from reconciler.spec import load_model
from reconciler.spec.loader import escape_references
from reconciler.workflow import Target, offline_plan, open_target, plan_for_target

FORMAT_CHOICES = click.Choice(["text", "sql", "json", "markdown"])


def _resolve(spec: str | None, url: str | None, env: str | None, config: str | None) -> tuple[str, str, Environment | None]:
    """Spec path, URL and environment settings from flags, `--env` and SCHEMACTL_URL.

    An environment's allowances (allow_destroy, allow_hazards) belong to its own database: with an
    explicit --url they are not used, and the user is told so.
    """
    environment = load_environment(env, config) if env else None
    if environment is not None:
        spec = spec or environment.spec
        if url:
            if environment.allow_destroy or environment.allow_hazards:
                _echo(f"Note: --url replaces the database of environment {environment.name!r}, so its allowances "
                      "(allow_destroy, allow_hazards) are not used; pass --allow-destroy/--allow-hazards "
                      "to allow them here.", err=True)
            environment = environment.without_allowances()
        else:
            url = environment.url()
    if not spec:
        raise UsageError("no spec: pass SPEC or --env NAME")
    return spec, _resolve_url(url), environment


def _env_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--config", type=click.Path(), help="Project file (default ./schemactl.yaml).")(f)
    return click.option("--env", "env", help="Environment from the project file (spec, URL variable, allowances).")(f)


def _resolve_url(url: str | None) -> str:
    url = url or os.environ.get("SCHEMACTL_URL")
    if not url:
        raise UsageError("no database URL: pass --url or set SCHEMACTL_URL")
    return url


def _echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    # Passwords are redacted where they can appear: inside URLs (here) and in connection errors (the
    # backends' connect). Replacing every occurrence of the password's text would corrupt output
    # wherever it is also a common word (a password `public` turning `"public"."t"` into `"***"."t"`).
    click.echo(redact_urls(text), err=err, nl=nl)


def _use_color(no_color: bool) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


_DEBUG_KEY = "schemactl.debug"


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_DEBUG_KEY] = True  # `meta` is shared by the group's context and the subcommand's


class SchemactlGroup(click.Group):
    """Turns every known error into one redacted line and exit code 1; tracebacks only with --debug."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        # Bad flags exit 1 like every other error: exit 2 means "changes present" with --detailed-exitcode.
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            exc.show()
            sys.exit(1)
        except click.exceptions.Abort:
            _echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        # `--debug` after the subcommand too (`schemactl plan --debug`), not only before it.
        cmd.params.append(click.Option(["--debug"], is_flag=True, expose_value=False, callback=_set_debug,
                                       help="Show full tracebacks for errors."))
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        def debug() -> bool:
            # Read when an error arrives: a subcommand's own --debug is parsed inside super().invoke.
            return (bool(ctx.params.get("debug")) or bool(ctx.meta.get(_DEBUG_KEY))
                    or os.environ.get("SCHEMACTL_DEBUG") == "1")

        try:
            return super().invoke(ctx)
        except SchemactlError as exc:
            if debug():
                raise
            _echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:
            # `apply` says what was applied (see `_interrupt_report` and the backends' execute); nothing else
            # changes a database.
            report = getattr(exc, "report", None) or "Interrupted. Nothing was changed."
            _echo(report, err=True)
            ctx.exit(130)
        except Exception as exc:  # noqa: BLE001 - last line of defence against tracebacks
            if debug():
                raise
            _echo(f"Error: unexpected {type(exc).__name__}: {exc} (re-run with --debug for details)", err=True)
            ctx.exit(1)


@click.group(cls=SchemactlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schemactl")
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
def main(debug: bool) -> None:
    """Declarative schema-as-code for PostgreSQL, SQLite and MongoDB."""


@main.command()
@click.argument("spec", type=click.Path())
def validate(spec: str) -> None:
    """Check a spec file or directory without touching any database."""
    loaded, desired = load_model(spec)
    _echo(f"{spec}: valid {loaded.dialect} spec ({_describe(desired)}).")


def _describe(model: Any) -> str:
    if isinstance(model, Database):
        return f"{len(model.tables)} tables, {len(model.enums)} enums"
    describe = getattr(model, "describe", None)
    return describe() if callable(describe) else "ok"


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """Every duration flag: seconds, from `500ms`, `5s`, `2min`, `1h` or a bare number of seconds."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise click.BadParameter(str(exc)) from None


def _timeout_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--network-timeout", callback=_duration, metavar="DURATION",
                     help="Give up on a server that has not answered for this long, and have it end a session "
                          "left idle in a transaction as long; 0: off [default: 30s].")(f)
    return click.option("--connect-timeout", callback=_duration, metavar="DURATION",
                        help="Wait this long to connect; 0: no limit [default: 10s].")(f)


def _connect_options(connect_timeout: float | None, network_timeout: float | None,
                     environment: Environment | None = None) -> ConnectOptions:
    defaults = ConnectOptions()
    if environment is not None:
        connect_timeout = connect_timeout if connect_timeout is not None else environment.connect_timeout
        network_timeout = network_timeout if network_timeout is not None else environment.network_timeout
    return ConnectOptions(
        connect_timeout=defaults.connect_timeout if connect_timeout is None else connect_timeout,
        network_timeout=defaults.network_timeout if network_timeout is None else network_timeout)


def _online_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--statement-timeout", callback=_duration, metavar="DURATION",
                     help="Online mode: statement_timeout for each statement (e.g. 10min; a bare number is seconds).")(f)
    f = click.option("--statement-lock-timeout", callback=_duration, metavar="DURATION",
                     help="Online mode: lock_timeout for each statement [default: 5s].")(f)
    return click.option("--online", is_flag=True,
                        help="Online-safe PostgreSQL statements (CONCURRENTLY, NOT VALID, per-statement timeouts).")(f)


def _render_options(online: bool, statement_lock_timeout: float | None = None, statement_timeout: float | None = None,
                    environment: Environment | None = None) -> RenderOptions:
    if environment is not None:
        online = online or environment.online
        if statement_lock_timeout is None:
            statement_lock_timeout = environment.statement_lock_timeout
        if statement_timeout is None:
            statement_timeout = environment.statement_timeout
    return RenderOptions(
        online=online,
        lock_timeout=postgres_duration(5.0 if statement_lock_timeout is None else statement_lock_timeout),
        statement_timeout=None if statement_timeout is None else postgres_duration(statement_timeout))


def _print_plan(plan: Plan, fmt: str, no_color: bool) -> None:
    _echo(render_plan(plan, fmt, color=_use_color(no_color)), nl=False)
    for warning in plan.warnings:
        # Also on stderr: a plan piped to a file or a comment must not hide it from the person running it.
        _echo(warning, err=True)


@main.command()
@click.argument("spec", type=click.Path(), required=False)
@click.option("--url", help="Target database URL (or SCHEMACTL_URL).")
@_env_options
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="text", show_default=True, help="Output format.")
@click.option("--no-color", is_flag=True, help="Plain text output even on a terminal.")
@click.option("-out", "--out", "out", type=click.Path(), help="Save the plan to a file for `apply PLANFILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are.")
@_online_options
@_timeout_options
def plan(spec: str | None, url: str | None, env: str | None, config: str | None, fmt: str, no_color: bool,
         out: str | None, detailed_exitcode: bool, online: bool, statement_lock_timeout: float | None,
         statement_timeout: float | None, connect_timeout: float | None, network_timeout: float | None) -> None:
    """Show what apply would change in the target database."""
    spec, url, environment = _resolve(spec, url, env, config)
    options = _render_options(online, statement_lock_timeout, statement_timeout, environment)
    timeouts = _connect_options(connect_timeout, network_timeout, environment)
    loaded, desired = load_model(spec)
    with open_target(url, loaded.dialect, read_only=True, options=timeouts) as target:
        run = plan_for_target(target, loaded, desired, options)
    _print_plan(run.plan, fmt, no_color)
    check_prevented(run.plan)
    if out:
        save_plan(out, run.plan, loaded, run.current, target.backend)
        _echo(f"Saved the plan to {out}. Apply it with: schemactl apply {out}", err=True)
    if detailed_exitcode and not run.plan.empty:
        sys.exit(2)


@main.command()
@click.argument("spec_or_plan", type=click.Path(), required=False)
@click.option("--url", help="Target database URL (or SCHEMACTL_URL).")
@_env_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--allow-destroy", is_flag=True, help="Allow dropping tables, columns, enums, constraints.")
@click.option("--allow-hazards", default="", help="Comma-separated hazards to allow (e.g. blocks_writes,table_rewrite).")
@_online_options
@click.option("--lock-timeout", callback=_duration, metavar="DURATION",
              help="How long to wait for another apply on the same target (a bare number is seconds) [default: 30s].")
@click.option("--quiet", is_flag=True, help="No per-statement progress.")
@click.option("--no-color", is_flag=True, help="Plain text output even on a terminal.")
@click.option("--parallel", type=click.IntRange(1, 64), default=None,
              help="MongoDB: databases applied at once [default: 4].")
@click.option("--fail-fast", is_flag=True, help="MongoDB: stop at the first database that fails.")
@_timeout_options
def apply(spec_or_plan: str | None, url: str | None, env: str | None, config: str | None, auto_approve: bool,
          allow_destroy: bool, allow_hazards: str, online: bool, statement_lock_timeout: float | None,
          statement_timeout: float | None, lock_timeout: float | None, quiet: bool,
          no_color: bool, parallel: int | None, fail_fast: bool, connect_timeout: float | None,
          network_timeout: float | None) -> None:
    """Apply a spec (or a saved plan file) to the target database."""
    spec_or_plan, url, environment = _resolve(spec_or_plan, url, env, config)
    interval = None if quiet else _progress_interval()
    allowed = {h.strip() for h in allow_hazards.split(",") if h.strip()}
    if environment is not None:
        allowed |= environment.allow_hazards
        allow_destroy = allow_destroy or environment.allow_destroy
        lock_timeout = lock_timeout if lock_timeout is not None else environment.lock_timeout
        parallel = parallel or environment.parallel
    unknown = allowed - {h.value for h in Hazard}
    if unknown:
        raise UsageError(f"--allow-hazards: unknown hazard {sorted(unknown)[0]!r} "
                         f"(known: {', '.join(h.value for h in Hazard)})")
    guards = Guards(allow_destroy=allow_destroy, allow_hazards=allowed)
    lock_timeout = 30.0 if lock_timeout is None else lock_timeout
    saved = load_saved_plan(spec_or_plan)
    if saved is not None:
        loaded, desired = saved.loaded, saved.desired(get_backend(saved.plan.dialect))
    else:
        loaded, desired = load_model(spec_or_plan)
    timeouts = _connect_options(connect_timeout, network_timeout, environment)
    stage: list[Any] = ["before"]  # "before", "applying", then the ApplyResult: what an interrupt interrupted
    try:
        plan_ = _apply_to_target(url, loaded, desired, saved, timeouts, lock_timeout, stage, guards,
                                 _render_options(online, statement_lock_timeout, statement_timeout, environment),
                                 auto_approve=auto_approve, interval=interval, no_color=no_color,
                                 parallel=parallel or 4, fail_fast=fail_fast)
    except KeyboardInterrupt as exc:
        if getattr(exc, "report", None):
            raise  # the backend said what it applied
        raise Interrupted(_interrupt_report(stage[0])) from None
    if plan_ is not None:
        add, change, destroy = plan_.counts()
        _echo(f"Apply complete! Resources: {add} added, {change} changed, {destroy} destroyed.")


def _apply_to_target(url: str, loaded: Any, desired: Any, saved: Any, timeouts: ConnectOptions, lock_timeout: float,
                     stage: list[Any], guards: Guards, options: RenderOptions, *, auto_approve: bool,
                     interval: float | None, no_color: bool, parallel: int, fail_fast: bool) -> Plan | None:
    """Inspect, plan, confirm, execute, verify, under the target's apply lock; None when there is nothing to do.
    `stage[0]` follows along, for the report of an interrupt."""
    with open_target(url, loaded.dialect, read_only=False, options=timeouts) as target, \
            _apply_lock(target, lock_timeout):
        if saved is not None:
            # The saved statements are what runs; the live schema only has to be the one they were made for.
            # (Its warnings, the lock estimate's among them, were saved with it.)
            verify_saved_plan(saved, target.backend.inspect(target.conn, desired), target.backend, target.display)
            plan_ = saved.plan
        else:
            plan_ = plan_for_target(target, loaded, desired, options).plan
        _print_plan(plan_, "text", no_color)
        if plan_.empty:
            return None
        check_guards(plan_, guards)
        if not auto_approve:
            _confirm()
        progress = None if interval is None else ProgressPrinter(lambda s: _echo(s, err=True), interval=interval)
        _interrupt_on_sigterm()
        # Options only some backends take (MongoDB's tenant databases), passed to those that declare them.
        accepted = target.backend.apply_options
        tenants = {k: v for k, v in {"parallel": parallel, "fail_fast": fail_fast}.items() if k in accepted}
        stage[0] = "applying"
        try:
            result = execute_plan(target.backend, target.conn, plan_, lock_timeout=lock_timeout, progress=progress,
                                  **tenants)
        finally:
            if progress is not None:
                progress.stop()
        stage[0] = result
        if progress is not None and not result.error:
            progress.summary()
        for line in result.details:
            _echo(line)
        if result.error:
            raise ApplyError(f"apply failed on {target.display} ({result.applied} of {result.total} steps applied)"
                             f"{_at(result.failed_statement)}: {result.error}")
        _verify_converged(target, loaded)
    return plan_


def _progress_interval() -> float:
    """Seconds between heartbeats of a long statement: SCHEMACTL_PROGRESS_INTERVAL (a duration), default 10s."""
    value = os.environ.get("SCHEMACTL_PROGRESS_INTERVAL")
    if value is None:
        return 10.0
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise UsageError(f"SCHEMACTL_PROGRESS_INTERVAL: {exc}") from None


def _at(statement: str | None, limit: int = 200) -> str:
    """` at STATEMENT`, on one line (the whole statement is in the history)."""
    if not statement:
        return ""
    text = re.sub(r"\s*\n\s*", " ", statement.strip()).removesuffix(";")
    return f" at {text if len(text) <= limit else text[:limit - 3] + '...'}"


def _interrupt_report(stage: Any) -> str:
    """What an interrupt outside the backend's execute means for the target."""
    if stage == "before":
        return "Interrupted before applying anything: nothing was changed."
    if stage == "applying":
        return "Interrupted while applying; run `schemactl plan` to see what was applied."
    if stage.error:
        return (f"Interrupted after the apply failed ({stage.applied} of {stage.total} steps applied): {stage.error}. "
                "Run `schemactl plan` to see what is left.")
    return (f"Interrupted after the apply finished ({stage.applied} of {stage.total} steps applied), while checking "
            "the result. Run `schemactl plan` to check.")


def _apply_lock(target: Target, lock_timeout: float) -> AbstractContextManager[Any]:
    """The target's apply lock from before inspection to the end, where the backend has one."""
    return target.backend.hold_apply_lock(target.conn, lock_timeout)


def _interrupt_on_sigterm() -> None:
    """Treat SIGTERM (a cancelled deploy job) like Ctrl-C: an open transaction is rolled back."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def _confirm() -> None:
    _echo(CONFIRM_PROMPT + " ", nl=False)
    answer = sys.stdin.readline().strip() if sys.stdin else ""
    if answer != "yes":
        _echo("Apply cancelled.")
        raise click.exceptions.Exit(1)


def _verify_converged(target: Target, loaded: Any) -> None:
    # A fresh model: planning rewrote the first one to the spelling of the schema as it was before.
    after = plan_for_target(target, loaded, target.backend.build_model(loaded), RenderOptions())
    if not after.plan.empty:
        remaining = ", ".join(p.change.address for p in after.plan.changes)
        raise PlanError(f"apply finished, but the database still differs from the spec: {remaining}")


@main.command()
@click.option("--url", help="Database URL (or SCHEMACTL_URL).")
@click.option("--schema", "schemas", multiple=True, help="PostgreSQL schema to read (repeatable; default public).")
@click.option("-o", "--output", type=click.Path(), help="Write the spec to this file instead of stdout.")
@click.option("--role", "roles", multiple=True,
              help="PostgreSQL role whose attributes and privileges to write as managed (repeatable; default none).")
@_timeout_options
def inspect(url: str | None, schemas: tuple[str, ...], output: str | None, roles: tuple[str, ...],
            connect_timeout: float | None, network_timeout: float | None) -> None:
    """Write the live schema as a spec that plans with no changes."""
    url = _resolve_url(url)
    with open_target(url, read_only=True, options=_connect_options(connect_timeout, network_timeout)) as target:
        scope = _scope_model(target, schemas, roles)
        current = target.backend.inspect(target.conn, scope)
        document = escape_references(target.backend.to_spec(current))
    # libyaml's emitter where PyYAML has it: the pure-Python one takes seconds on a large schema.
    text = yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False,
                     allow_unicode=True, width=120)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        _echo(f"Wrote {output}.", err=True)
    else:
        _echo(text, nl=False)


def _scope_model(target: Target, schemas: tuple[str, ...], roles: tuple[str, ...] = ()) -> Any:
    if target.backend.name == "postgres":
        from reconciler.backends.postgres.kinds.role import Role

        # Roles are cluster-wide: only the ones named are read (as the spec's `roles:` would manage them).
        return Database(dialect="postgres", schemas=list(schemas) or ["public"],
                        objects={"role": {name: Role(name) for name in roles}} if roles else {})
    if roles:
        raise UsageError(f"--role is for PostgreSQL; dialect {target.backend.name} has no roles")
    return None


@main.command()
@click.argument("plan_file", type=click.Path())
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="text", show_default=True, help="Output format.")
@click.option("--no-color", is_flag=True, help="Plain text output even on a terminal.")
def show(plan_file: str, fmt: str, no_color: bool) -> None:
    """Print a saved plan (from `plan -out`) in any format, without a database."""
    saved = load_saved_plan(plan_file)
    if saved is None:
        raise UsageError(f"{plan_file}: not a saved plan (create one with `schemactl plan SPEC -out {plan_file}`)")
    _print_plan(saved.plan, fmt, no_color)


@main.command()
@click.argument("old_spec")
@click.argument("new_spec")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="text", show_default=True)
@click.option("--no-color", is_flag=True)
@_online_options
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when the specs agree, 2 when they differ.")
def diff(old_spec: str, new_spec: str, fmt: str, no_color: bool, online: bool, statement_lock_timeout: float | None,
         statement_timeout: float | None, detailed_exitcode: bool) -> None:
    """Plan between two specs without a database (OLD may be a git path like main:db/schema.yaml)."""
    plan_ = offline_plan(old_spec, new_spec, _render_options(online, statement_lock_timeout, statement_timeout))
    _print_plan(plan_, fmt, no_color)
    check_prevented(plan_)
    if detailed_exitcode and not plan_.empty:
        sys.exit(2)


@main.command()
@click.argument("spec", type=click.Path(), required=False)
@click.option("--url", help="Target database URL (or SCHEMACTL_URL).")
@_env_options
@_timeout_options
def status(spec: str | None, url: str | None, env: str | None, config: str | None, connect_timeout: float | None,
           network_timeout: float | None) -> None:
    """Show the last apply recorded in the target and whether it drifted from the spec."""
    spec, url, environment = _resolve(spec, url, env, config)
    loaded, desired = load_model(spec)
    timeouts = _connect_options(connect_timeout, network_timeout, environment)
    with open_target(url, loaded.dialect, read_only=True, options=timeouts) as target:
        # Planning first: it resolves where the history lives (MongoDB's history_database).
        run = plan_for_target(target, loaded, desired, RenderOptions())
        history = target.backend.read_history(target.conn, 1)
    if history:
        last = history[0]
        _echo(f"Last apply: {last.get('applied_at')} outcome={last.get('outcome')} "
              f"tool={last.get('tool_version')} spec={str(last.get('spec_hash'))[:19]}")
        # A failed or interrupted apply: why, and where, as its history row says.
        if last.get("error"):
            _echo(f"  Error: {_one_line(str(last['error']), 500)}")
        if last.get("failed_statement"):
            _echo(f"  Failed statement: {_one_line(str(last['failed_statement']), 200)}")
    else:
        _echo("Last apply: none recorded.")
    if run.plan.empty:
        _echo("Drift: none. The database matches the spec.")
    else:
        _echo(f"Drift: {summary_line(run.plan)}")
        for planned in run.plan.changes:
            _echo(f"  {planned.change.action.symbol} {planned.change.address}")


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def run(argv: list[str] | None = None, *, prog: Callable[..., Any] = main) -> int:
    try:
        prog.main(args=argv, prog_name="schemactl", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    main()
