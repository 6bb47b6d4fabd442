"""Errors that reach the user as one clear line and exit code 1 (no traceback)."""

from __future__ import annotations


class SchemactlError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = 1


class UsageError(SchemactlError):
    """Wrong flags, arguments or files."""


class SpecError(SchemactlError):
    """Invalid spec: names file, line, column and the path inside the document."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, path: str | None = None) -> None:
        self.file, self.line, self.column, self.path, self.message = file, line, column, path, message
        location = ""
        if file:
            location = file
            if line is not None:
                location += f":{line}"
                if column is not None:
                    location += f":{column}"
            location += ": "
        where = f"{path}: " if path else ""
        super().__init__(f"{location}{where}{message}")


class SpecErrors(SchemactlError):
    """Several spec errors found at once; each is reported on its own line, up to `SHOWN`."""

    SHOWN = 50

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = errors
        lines = [str(e) for e in errors[:self.SHOWN]]
        if len(errors) > self.SHOWN:
            lines.append(f"... and {len(errors) - self.SHOWN} more errors")
        super().__init__("\n".join(lines))


def spec_error_list(exc: SpecError | SpecErrors) -> list[SpecError]:
    return list(exc.errors) if isinstance(exc, SpecErrors) else [exc]


def raise_spec_errors(errors: list[SpecError]) -> None:
    """One error as itself, several as SpecErrors; nothing when there are none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SpecErrors(errors)


class TargetError(SchemactlError):
    """The database could not be reached, authenticated against, or read. Message is redacted."""


class PlanError(SchemactlError):
    """The plan cannot be made or applied safely (refused hazards, stale plan, failed rename)."""


class ApplyError(SchemactlError):
    """A statement failed while applying."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM; `report` says what really happened to the target (the CLI prints it, exit 130)."""

    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report
