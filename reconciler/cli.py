"""`schemactl` command line: wires the stages together, nothing more."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

import click

from reconciler import __version__
from reconciler.durations import DurationError, parse_duration, postgres_duration
from reconciler.errors import ApplyError, Interrupted, PlanError, SchemactlError, UsageError
from reconciler.redact import redact_urls

if TYPE_CHECKING:
    from reconciler.apply import Guards
    from reconciler.backends import ConnectOptions, PlanScope, RenderOptions
    from reconciler.plan import Plan
    from reconciler.project import Environment
    from reconciler.workflow import Target

FORMAT_CHOICES = click.Choice(["text", "sql", "json", "markdown"])


def _resolve(spec: str | None, url: str | None, env: str | None, config: str | None, *,
             spec_required: bool = True) -> tuple[Any, str, Environment | None]:
    """Spec path (None only when not `spec_required`), URL and environment settings from flags, `--env` and
    SCHEMACTL_URL.

    An environment's allowances (allow_destroy, allow_hazards) belong to its own database: with an
    explicit --url they are not used, and the user is told so.
    """
    from reconciler.project import load_environment

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
    if not spec and spec_required:
        raise UsageError("no spec: pass SPEC or --env NAME")
    return spec or None, _resolve_url(url), environment


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


def process_main() -> None:
    """The `schemactl` process (`main` is the command group, which tests call in-process)."""
    import gc

    # A plan builds two models whose objects all live to the end: the default thresholds walk them over and
    # over (a fifth of the CPU of a 2,000-table plan); young collections still free short-lived cycles.
    gc.set_threshold(10_000, 50, 100)
    main()


@main.command()
@click.argument("spec", type=click.Path())
def validate(spec: str) -> None:
    """Check a spec file or directory without touching any database."""
    from reconciler.spec import load_model

    loaded, desired = load_model(spec)
    _echo(f"{spec}: valid {loaded.dialect} spec ({_describe(desired)}).")


def _describe(model: Any) -> str:
    from reconciler.model import Database

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
    from reconciler.backends import ConnectOptions

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
    from reconciler.backends import RenderOptions

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


def _scope_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """MongoDB: limit the plan to part of the spec (the flags of seed 002's migration tool)."""
    f = click.option("--indexes-only", is_flag=True,
                     help="MongoDB: only indexes; collections, validators and options are left alone.")(f)
    f = click.option("--collection", "scope_collections", multiple=True, metavar="NAME",
                     help="MongoDB: only this collection (repeatable; glob patterns like 'msg*').")(f)
    f = click.option("--database", "scope_databases", multiple=True, metavar="NAME|PATTERN",
                     help="MongoDB: only this database (repeatable; glob patterns like 'chat_tenant_a*').")(f)
    f = click.option("--tenants-only", is_flag=True, help="MongoDB: only the databases of tenant templates.")(f)
    return click.option("--public-only", is_flag=True,
                        help="MongoDB: only the databases the spec names (not the tenant templates).")(f)


def _scope(dialect: str, scope_args: dict[str, Any]) -> PlanScope:
    """The scope the flags ask for, refused at once when the spec's backend cannot be scoped."""
    from reconciler.backends import PlanScope, get_backend
    from reconciler.workflow import check_scope

    scope = PlanScope(public_only=scope_args["public_only"], tenants_only=scope_args["tenants_only"],
                      databases=tuple(scope_args["scope_databases"]),
                      collections=tuple(scope_args["scope_collections"]),
                      indexes_only=scope_args["indexes_only"])
    if not scope.empty:
        check_scope(get_backend(dialect), scope)
    return scope
def _target_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-target", "--target", "targets", multiple=True, metavar="ADDRESS",
                        help="Plan only this object (an address as the plan prints it, e.g. 'table public.users', "
                             "or 'public.users') and what it needs; repeatable. The plan says it is partial.")(f)


def _print_plan(plan: Plan, fmt: str, no_color: bool) -> None:
    from reconciler.formats import render_plan

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
@_target_option
@_online_options
@_timeout_options
@_scope_options
def plan(spec: str | None, url: str | None, env: str | None, config: str | None, fmt: str, no_color: bool,
         out: str | None, detailed_exitcode: bool, targets: tuple[str, ...], online: bool,
         statement_lock_timeout: float | None, statement_timeout: float | None, connect_timeout: float | None,
         network_timeout: float | None, **scope_args: Any) -> None:
    """Show what apply would change in the target database."""
    from reconciler.apply import check_prevented
    from reconciler.saved_plan import save_plan
    from reconciler.workflow import load_spec_model, open_target, plan_for_target

    spec, url, environment = _resolve(spec, url, env, config)
    options = _render_options(online, statement_lock_timeout, statement_timeout, environment)
    timeouts = _connect_options(connect_timeout, network_timeout, environment)
    loaded, desired = load_spec_model(spec)
    scope = _scope(loaded.dialect, scope_args)
    with open_target(url, loaded.dialect, read_only=True, options=timeouts) as target:
        run = plan_for_target(target, loaded, desired, options, scope, targets)
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
@_target_option
@_timeout_options
@_scope_options
def apply(spec_or_plan: str | None, url: str | None, env: str | None, config: str | None, auto_approve: bool,
          allow_destroy: bool, allow_hazards: str, online: bool, statement_lock_timeout: float | None,
          statement_timeout: float | None, lock_timeout: float | None, quiet: bool,
          no_color: bool, parallel: int | None, fail_fast: bool, targets: tuple[str, ...],
          connect_timeout: float | None, network_timeout: float | None, **scope_args: Any) -> None:
    """Apply a spec (or a saved plan file) to the target database."""
    from reconciler.backends import get_backend
    from reconciler.saved_plan import load_saved_plan
    from reconciler.workflow import load_spec_model

    spec_or_plan, url, environment = _resolve(spec_or_plan, url, env, config)
    interval = None if quiet else _progress_interval()
    guards = _guards(allow_destroy, allow_hazards, environment)
    if environment is not None:
        lock_timeout = lock_timeout if lock_timeout is not None else environment.lock_timeout
        parallel = parallel or environment.parallel
    lock_timeout = 30.0 if lock_timeout is None else lock_timeout
    saved = load_saved_plan(spec_or_plan)
    if saved is not None:
        if targets:
            raise UsageError("-target: a saved plan applies what it was planned for (plan it with -target instead)")
        loaded, desired = saved.loaded, saved.desired(get_backend(saved.plan.dialect))
        scope = _scope(loaded.dialect, scope_args)
        if not scope.empty:
            raise UsageError("a saved plan keeps the scope it was made with; apply it without "
                             "--public-only/--tenants-only/--database/--collection/--indexes-only")
        scope = saved.plan.scope
    else:
        loaded, desired = load_spec_model(spec_or_plan)
        scope = _scope(loaded.dialect, scope_args)
    timeouts = _connect_options(connect_timeout, network_timeout, environment)
    _run_apply(url, loaded, desired, saved, timeouts, lock_timeout, guards,
               _render_options(online, statement_lock_timeout, statement_timeout, environment),
               auto_approve=auto_approve, interval=interval, no_color=no_color, parallel=parallel or 4,
               fail_fast=fail_fast, scope=scope, targets=targets)


def _guards(allow_destroy: bool, allow_hazards: str, environment: Environment | None) -> Guards:
    """What an apply may do: the flags, plus the environment's allowances."""
    from reconciler.apply import Guards
    from reconciler.changes import Hazard

    allowed = {h.strip() for h in allow_hazards.split(",") if h.strip()}
    if environment is not None:
        allowed |= environment.allow_hazards
        allow_destroy = allow_destroy or environment.allow_destroy
    unknown = allowed - {h.value for h in Hazard}
    if unknown:
        raise UsageError(f"--allow-hazards: unknown hazard {sorted(unknown)[0]!r} "
                         f"(known: {', '.join(h.value for h in Hazard)})")
    return Guards(allow_destroy=allow_destroy, allow_hazards=allowed)


def _run_apply(url: str, loaded: Any, desired: Any, saved: Any, timeouts: ConnectOptions, lock_timeout: float,
               guards: Guards, options: RenderOptions, *, auto_approve: bool, interval: float | None,
               no_color: bool, parallel: int, fail_fast: bool, scope: PlanScope | None = None,
               targets: tuple[str, ...] = (), rollback_to: int | None = None) -> None:
    """Every apply (`apply`, `rollback`): under the lock, with the guards and the confirmation; says what an
    interrupt left behind, and what was done."""
    stage: list[Any] = ["before"]  # "before", "applying", then the ApplyResult: what an interrupt interrupted
    try:
        plan_ = _apply_to_target(url, loaded, desired, saved, timeouts, lock_timeout, stage, guards, options,
                                 auto_approve=auto_approve, interval=interval, no_color=no_color,
                                 parallel=parallel, fail_fast=fail_fast, scope=scope, targets=targets,
                                 rollback_to=rollback_to)
    except KeyboardInterrupt as exc:
        if getattr(exc, "report", None):
            raise  # the backend said what it applied
        raise Interrupted(_interrupt_report(stage[0])) from None
    if plan_ is not None:
        add, change, destroy = plan_.counts()
        done = "Rollback" if rollback_to is not None else "Apply"
        _echo(f"{done} complete! Resources: {add} added, {change} changed, {destroy} destroyed.")


def _apply_to_target(url: str, loaded: Any, desired: Any, saved: Any, timeouts: ConnectOptions, lock_timeout: float,
                     stage: list[Any], guards: Guards, options: RenderOptions, *, auto_approve: bool,
                     interval: float | None, no_color: bool, parallel: int, fail_fast: bool,
                     scope: PlanScope | None = None, targets: tuple[str, ...] = (),
                     rollback_to: int | None = None) -> Plan | None:
    """Inspect, plan, confirm, execute, verify, under the target's apply lock; None when there is nothing to do.
    `stage[0]` follows along, for the report of an interrupt. The history record keeps the spec (`loaded`)
    and, for a rollback, the record it went back to."""
    from reconciler.apply import ProgressPrinter, check_guards, execute_plan
    from reconciler.saved_plan import verify_saved_plan
    from reconciler.workflow import open_target, plan_for_target

    with open_target(url, loaded.dialect, read_only=False, options=timeouts) as target, \
            _apply_lock(target, lock_timeout):
        if saved is not None:
            # The saved statements are what runs; the live schema only has to be the one they were made for.
            # (Its warnings, the lock estimate's among them, were saved with it.)
            verify_saved_plan(saved, target.backend.inspect(target.conn, desired), target.backend, target.display)
            plan_ = saved.plan
        else:
            plan_ = plan_for_target(target, loaded, desired, options, scope, targets).plan
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
                                  loaded=loaded, rollback_to=rollback_to, **tenants)
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
        _verify_converged(target, loaded, scope, plan_.targets)
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
    from reconciler.apply import CONFIRM_PROMPT

    _echo(CONFIRM_PROMPT + " ", nl=False)
    answer = sys.stdin.readline().strip() if sys.stdin else ""
    if answer != "yes":
        _echo("Apply cancelled.")
        raise click.exceptions.Exit(1)


def _verify_converged(target: Target, loaded: Any, scope: PlanScope | None = None,
                      targets: list[str] | None = None) -> None:
    # A fresh model: planning rewrote the first one to the spelling of the schema as it was before.
    # Within the plan's scope only, and a partial plan (-target) on its targets only: what they left out
    # may well still differ.
    from reconciler.backends import RenderOptions
    from reconciler.workflow import plan_for_target

    after = plan_for_target(target, loaded, target.backend.build_model(loaded), RenderOptions(), scope,
                            targets or ())
    if not after.plan.empty:
        remaining = ", ".join(p.change.address for p in after.plan.changes)
        raise PlanError(f"apply finished, but the database still differs from the spec: {remaining}")


@main.command()
@click.option("--url", help="Database URL (or SCHEMACTL_URL).")
@click.option("--schema", "schemas", multiple=True,
              help="PostgreSQL schema to read (repeatable; default: every schema but the system's, extensions' and schemactl's own).")
@click.option("-o", "--output", type=click.Path(), help="Write the spec to this file instead of stdout.")
@click.option("--ignore", "ignore", multiple=True, metavar="KIND:PATTERN",
              help="Leave these objects out of the spec, e.g. tables:alembic_* or columns:users.legacy_* "
                   "(glob, or /regex/; repeatable).")
@click.option("--role", "roles", multiple=True,
              help="PostgreSQL role whose attributes and privileges to write as managed (repeatable; default none).")
@_timeout_options
def inspect(url: str | None, schemas: tuple[str, ...], output: str | None, ignore: tuple[str, ...],
            roles: tuple[str, ...],
            connect_timeout: float | None, network_timeout: float | None) -> None:
    """Write the live schema as a spec that plans with no changes."""
    import yaml

    from reconciler.spec.loader import escape_references
    from reconciler.workflow import open_target

    url = _resolve_url(url)
    from reconciler.ignore import rules_from_flags

    rules = rules_from_flags(ignore)
    with open_target(url, read_only=True, options=_connect_options(connect_timeout, network_timeout)) as target:
        scope = target.backend.inspect_scope(target.conn, schemas, roles)
        current = target.backend.inspect(target.conn, scope)
        if rules:
            target.backend.prune_ignored(current, rules)
        document = escape_references(target.backend.to_spec(current))
        # Never silently: what the spec cannot hold is named on stderr.
        for warning in target.backend.inspect_warnings(target.conn, scope):
            _echo(f"Warning: {warning}", err=True)
    if rules:
        # So that the written spec leaves them alone too, rather than plan to drop them.
        document["ignore"] = {kind: [p.text for p in patterns] for kind, patterns in rules.patterns.items()}
    # libyaml's emitter where PyYAML has it: the pure-Python one takes seconds on a large schema.
    text = yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False,
                     allow_unicode=True, width=120)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        _echo(f"Wrote {output}.", err=True)
    else:
        _echo(text, nl=False)


@main.command()
@click.argument("plan_file", type=click.Path())
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="text", show_default=True, help="Output format.")
@click.option("--no-color", is_flag=True, help="Plain text output even on a terminal.")
def show(plan_file: str, fmt: str, no_color: bool) -> None:
    """Print a saved plan (from `plan -out`) in any format, without a database."""
    from reconciler.saved_plan import load_saved_plan

    saved = load_saved_plan(plan_file)
    if saved is None:
        raise UsageError(f"{plan_file}: not a saved plan (create one with `schemactl plan SPEC -out {plan_file}`)")
    _print_plan(saved.plan, fmt, no_color)


@main.command()
@click.argument("spec")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True,
              help="Mermaid erDiagram (GitHub draws it) or Graphviz DOT.")
@click.option("-o", "--output", type=click.Path(), help="Write the diagram to this file instead of stdout.")
def diagram(spec: str, fmt: str, output: str | None) -> None:
    """Draw the spec as an entity-relationship diagram (SPEC may be a git path like main:db/schema.yaml)."""
    from reconciler.backends import get_backend
    from reconciler.diagram import FORMATS
    from reconciler.spec import load_model
    from reconciler.workflow import spec_at_revision

    with spec_at_revision(spec) as path:
        loaded, model = load_model(path)
    er = get_backend(loaded.dialect).er_model(model)
    if er is None:
        raise UsageError(f"{spec}: the {loaded.dialect} backend draws no diagrams")
    text = FORMATS[fmt](er)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        _echo(text, nl=False)


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
    from reconciler.apply import check_prevented
    from reconciler.workflow import offline_plan

    plan_ = offline_plan(old_spec, new_spec, _render_options(online, statement_lock_timeout, statement_timeout))
    _print_plan(plan_, fmt, no_color)
    check_prevented(plan_)
    if detailed_exitcode and not plan_.empty:
        sys.exit(2)


HISTORY_FORMATS = click.Choice(["text", "json"])


@contextmanager
def _history_target(spec: str | None, url: str, timeouts: ConnectOptions) -> Iterator[Target]:
    """A read-only target whose history can be read: a spec, when given, must be for the URL's kind of
    database and says where the history lives (MongoDB's history_database)."""
    from reconciler.workflow import load_spec_model, open_target

    loaded, desired = load_spec_model(spec) if spec else (None, None)
    with open_target(url, loaded.dialect if loaded else None, read_only=True, options=timeouts) as target:
        if desired is not None:
            target.backend.locate_history(target.conn, desired)
        yield target


@main.command()
@click.argument("spec", type=click.Path(), required=False)
@click.option("--url", help="Target database URL (or SCHEMACTL_URL).")
@_env_options
@click.option("--format", "fmt", type=HISTORY_FORMATS, default="text", show_default=True, help="Output format.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when the database matches the spec, 2 when it drifted, 1 on error (needs a spec).")
@_timeout_options
@_scope_options
def status(spec: str | None, url: str | None, env: str | None, config: str | None, fmt: str,
           detailed_exitcode: bool, connect_timeout: float | None, network_timeout: float | None,
           **scope_args: Any) -> None:
    """Show the last apply recorded in the target and whether it drifted from the spec (given one)."""
    from reconciler.backends import RenderOptions
    from reconciler.workflow import load_spec_model, open_target, plan_for_target

    spec, url, environment = _resolve(spec, url, env, config, spec_required=False)
    if spec is None and detailed_exitcode:
        raise UsageError("--detailed-exitcode needs a spec to compare the database with: pass SPEC or --env NAME")
    timeouts = _connect_options(connect_timeout, network_timeout, environment)
    run_: Any = None
    if spec is not None:
        loaded, desired = load_spec_model(spec)
        scope = _scope(loaded.dialect, scope_args)
        with open_target(url, loaded.dialect, read_only=True, options=timeouts) as target:
            # Planning first: it resolves where the history lives (MongoDB's history_database).
            run_ = plan_for_target(target, loaded, desired, RenderOptions(), scope)
            history = target.backend.read_history(target.conn, 1)
    else:
        if any(scope_args.values()):
            raise UsageError("--public-only/--tenants-only/--database/--collection/--indexes-only need a spec")
        with _history_target(None, url, timeouts) as target:
            history = target.backend.read_history(target.conn, 1)
    last = history[0] if history else None
    if fmt == "json":
        _echo(json.dumps(_status_document(target.display, last, run_), indent=2, default=str))
    else:
        _print_status(last, run_)
    if detailed_exitcode and not run_.plan.empty:
        sys.exit(2)


def _status_document(target: str, last: dict[str, Any] | None, run_: Any) -> dict[str, Any]:
    from reconciler.formats.common import summary_line
    from reconciler.history import history_document

    drift: dict[str, Any] = {"checked": run_ is not None, "in_sync": None, "summary": None, "changes": []}
    if run_ is not None:
        drift.update(in_sync=run_.plan.empty, summary=summary_line(run_.plan),
                     changes=[{"action": p.change.action.value, "address": p.change.address}
                              for p in run_.plan.changes])
    return {"target": target, "last_apply": None if last is None else history_document(last), "drift": drift}


def _print_status(last: dict[str, Any] | None, run_: Any) -> None:
    from reconciler.formats.common import summary_line
    from reconciler.history import one_line, short_hash, who

    if last:
        rollback = f" rollback_to={last['rollback_to']}" if last.get("rollback_to") is not None else ""
        _echo(f"Last apply: {last.get('applied_at')} outcome={last.get('outcome')} tool={last.get('tool_version')} "
              f"spec={short_hash(last.get('spec_hash'))} id={last.get('id')}{rollback} by={who(last)}")
        # A failed or interrupted apply: why, and where, as its history row says.
        if last.get("error"):
            _echo(f"  Error: {one_line(str(last['error']), 500)}")
        if last.get("failed_statement"):
            _echo(f"  Failed statement: {one_line(str(last['failed_statement']), 200)}")
    else:
        _echo("Last apply: none recorded.")
    if run_ is not None and not run_.plan.scope.empty:
        _echo(f"Scope: {' '.join(run_.plan.scope.flags())}")
    if run_ is None:
        _echo("Drift: not checked: no spec given (pass SPEC or --env NAME to compare the database with it).")
    elif run_.plan.empty:
        _echo("Drift: none. The database matches the spec.")
    else:
        _echo(f"Drift: {summary_line(run_.plan)}")
        for planned in run_.plan.changes:
            _echo(f"  {planned.change.action.symbol} {planned.change.address}")


@main.command(name="list")
@click.argument("spec", type=click.Path(), required=False)
@click.option("--url", help="Target database URL (or SCHEMACTL_URL).")
@_env_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@_timeout_options
def list_(spec: str | None, url: str | None, env: str | None, config: str | None, fmt: str,
          connect_timeout: float | None, network_timeout: float | None) -> None:
    """MongoDB: the databases the spec manages on the target (public ones, and those its templates match),
    with their collection counts and drift. Read-only."""
    from reconciler.backends import get_backend
    from reconciler.formats.listing import format_listing
    from reconciler.workflow import list_databases, load_spec_model, open_target

    spec, url, environment = _resolve(spec, url, env, config)
    loaded, desired = load_spec_model(spec)
    timeouts = _connect_options(connect_timeout, network_timeout, environment)
    # Before connecting: a backend without databases to list says so with None (MongoDB: [] without a target).
    if get_backend(loaded.dialect).list_databases(desired, None) is None:
        raise UsageError(f"list is for MongoDB specs (public databases and tenant templates); this spec is "
                         f"{loaded.dialect}: use `schemactl status` for its drift")
    with open_target(url, loaded.dialect, read_only=True, options=timeouts) as target:
        rows = list_databases(target, loaded, desired)
    if fmt == "json":
        _echo(json.dumps({"target": target.display, "databases": rows}, indent=2, ensure_ascii=False))
    else:
        _echo(format_listing(rows), nl=False)


@main.command()
@click.argument("spec", type=click.Path(), required=False)
@click.option("--url", help="Target database URL (or SCHEMACTL_URL).")
@_env_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Show this many records.")
@click.option("--format", "fmt", type=HISTORY_FORMATS, default="text", show_default=True, help="Output format.")
@_timeout_options
def history(spec: str | None, url: str | None, env: str | None, config: str | None, limit: int, fmt: str,
            connect_timeout: float | None, network_timeout: float | None) -> None:
    """List the applies recorded in the target, newest first.

    SPEC (or --env) is optional: it only says where MongoDB keeps the history.
    """
    from reconciler.history import format_entry_lines, history_document

    spec, url, environment = _resolve(spec, url, env, config, spec_required=False)
    with _history_target(spec, url, _connect_options(connect_timeout, network_timeout, environment)) as target:
        entries = target.backend.read_history(target.conn, limit)
    if fmt == "json":
        _echo(json.dumps({"target": target.display, "entries": [history_document(e) for e in entries]},
                         indent=2, default=str))
        return
    if not entries:
        _echo(f"No applies recorded on {target.display}.")
        return
    _echo(f"Applies recorded on {target.display}, newest first:")
    for entry in entries:
        for line in format_entry_lines(entry):
            _echo(line)


#: How many records `rollback` reads to find the one it goes back to.
ROLLBACK_WINDOW = 1000


@main.command()
@click.argument("spec", type=click.Path(), required=False)
@click.option("--to", "to", type=int, default=None,
              help="History record (#N in `schemactl history`) to go back to [default: the last completed apply "
                   "of another spec than the latest].")
@click.option("--url", help="Target database URL (or SCHEMACTL_URL).")
@_env_options
@click.option("--dry-run", is_flag=True, help="Show the rollback plan; change nothing.")
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--allow-destroy", is_flag=True, help="Allow dropping tables, columns, enums, constraints.")
@click.option("--allow-hazards", default="", help="Comma-separated hazards to allow (e.g. blocks_writes,table_rewrite).")
@click.option("--lock-timeout", callback=_duration, metavar="DURATION",
              help="How long to wait for another apply on the same target (a bare number is seconds) [default: 30s].")
@click.option("--quiet", is_flag=True, help="No per-statement progress.")
@click.option("--no-color", is_flag=True, help="Plain text output even on a terminal.")
@_timeout_options
def rollback(spec: str | None, to: int | None, url: str | None, env: str | None, config: str | None, dry_run: bool,
             auto_approve: bool, allow_destroy: bool, allow_hazards: str, lock_timeout: float | None, quiet: bool,
             no_color: bool, connect_timeout: float | None, network_timeout: float | None) -> None:
    """Go back to the spec an earlier apply recorded: plan, confirm and apply as `apply` does.

    SPEC (or --env) only says where MongoDB keeps the history; the spec applied is the one the history recorded.
    """
    from reconciler.apply import check_prevented
    from reconciler.history import restore_spec, rollback_target, short_hash, who
    from reconciler.spec import build_loaded
    from reconciler.workflow import open_target, plan_for_target

    spec, url, environment = _resolve(spec, url, env, config, spec_required=False)
    guards = _guards(allow_destroy, allow_hazards, environment)
    timeouts = _connect_options(connect_timeout, network_timeout, environment)
    with _history_target(spec, url, timeouts) as target:
        entry = rollback_target(target.backend.read_history(target.conn, ROLLBACK_WINDOW), to)
        archived = target.backend.read_history_spec(target.conn, entry["id"])
    if archived is None:
        raise UsageError(f"history entry #{entry['id']} holds no spec: it cannot be rolled back to")
    loaded = restore_spec(archived, entry_id=entry["id"])
    desired = build_loaded(loaded)
    _echo(f"Rolling back to #{entry['id']}: the spec applied at {entry.get('applied_at')} "
          f"(spec={short_hash(entry.get('spec_hash'))}, by {who(entry)}).")
    options = _render_options(False, environment=environment)
    if dry_run:
        with open_target(url, loaded.dialect, read_only=True, options=timeouts) as target:
            run_ = plan_for_target(target, loaded, desired, options)
        _print_plan(run_.plan, "text", no_color)
        check_prevented(run_.plan)
        return
    if environment is not None and lock_timeout is None:
        lock_timeout = environment.lock_timeout
    _run_apply(url, loaded, desired, None, timeouts, 30.0 if lock_timeout is None else lock_timeout, guards, options,
               auto_approve=auto_approve, interval=None if quiet else _progress_interval(), no_color=no_color,
               parallel=(environment.parallel if environment else None) or 4, fail_fast=False,
               rollback_to=entry["id"])


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
    process_main()
