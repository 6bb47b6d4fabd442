"""The apply history as `history`, `status` and `rollback` use it: what each record carries beyond the
backend's columns (the applied spec, who applied it from where), how it is shown, and which record a
rollback goes back to. Pure functions, except `applied_by`/`applied_from`, which ask the OS.

Each backend stores the records (`Backend.write_history`/`read_history`/`read_history_spec`); every
record has a number (`id`) that `history` shows and `rollback --to` takes.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from typing import Any

from reconciler.errors import UsageError
from reconciler.spec.loader import LoadedSpec, Positions

#: Marks the encoding of an archived spec, so that another one can follow without guessing.
ARCHIVE_PREFIX = "zlib+base64:"
ARCHIVE_FORMAT = 1
#: The outcome of an apply that completed; only those can be rolled back to.
APPLIED = "applied"


def archive_spec(loaded: LoadedSpec) -> str:
    """The spec an apply applied, compressed into one string for its history record.

    The document as loaded (variables already substituted: what was applied, whatever the environment
    says at rollback time) rebuilds the desired model; the source text keeps the spec hash the same
    when it is applied again, and the comments for whoever reads it.
    """
    document = {"format": ARCHIVE_FORMAT, "data": loaded.data, "files": loaded.files, "source": loaded.source}
    # `default=str`: YAML dates and the like, which no valid spec holds outside strings anyway.
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)
    return ARCHIVE_PREFIX + base64.b64encode(zlib.compress(text.encode(), 9)).decode("ascii")


def restore_spec(archived: str, *, entry_id: Any = "?") -> LoadedSpec:
    """The spec `archive_spec` stored, as a LoadedSpec that validates and builds like a loaded file."""
    try:
        if not archived.startswith(ARCHIVE_PREFIX):
            raise ValueError("unknown encoding")
        raw = zlib.decompress(base64.b64decode(archived[len(ARCHIVE_PREFIX):], validate=True))
        document = json.loads(raw.decode())
        if document.get("format") != ARCHIVE_FORMAT:
            raise ValueError(f"archive format {document.get('format')!r} is not supported by this version")
        return LoadedSpec(data=document["data"], positions=Positions(), files=list(document["files"]),
                          source=document["source"])
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        raise UsageError(f"history entry #{entry_id}: its recorded spec cannot be read ({exc})") from None


def applied_by() -> str | None:
    """Who applies: SCHEMACTL_APPLIED_BY (a deploy job names the person or pipeline), else the OS user."""
    named = os.environ.get("SCHEMACTL_APPLIED_BY")
    if named:
        return named
    try:
        import getpass

        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (containers)
        return None


def applied_from() -> str | None:
    """The host the apply ran on."""
    try:
        import socket

        return socket.gethostname() or None
    except OSError:
        return None


def statement_count(entry: dict[str, Any]) -> int:
    return len(entry.get("statements") or [])


def history_document(entry: dict[str, Any]) -> dict[str, Any]:
    """One record for `history --format json` and `status --format json`: every field, always present."""
    return {
        "id": entry.get("id"),
        "applied_at": entry.get("applied_at"),
        "outcome": entry.get("outcome"),
        "tool_version": entry.get("tool_version"),
        "spec_hash": entry.get("spec_hash"),
        "plan_hash": entry.get("plan_hash"),
        "statement_count": statement_count(entry),
        "statements": list(entry.get("statements") or []),
        "error": entry.get("error"),
        "failed_statement": entry.get("failed_statement"),
        "rolled_back": list(entry.get("rolled_back") or []),
        "applied_by": entry.get("applied_by"),
        "applied_from": entry.get("applied_from"),
        "rollback_to": entry.get("rollback_to"),
        "has_spec": bool(entry.get("has_spec")),
    }


def short_hash(value: Any) -> str:
    """`sha256:` and the first 12 hex digits: enough to tell records apart on one line."""
    text = str(value or "-")
    return text[:19]


def one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def who(entry: dict[str, Any]) -> str:
    user, host = entry.get("applied_by"), entry.get("applied_from")
    if user and host:
        return f"{user}@{host}"
    return str(user or (f"@{host}" if host else "-"))


def format_entry_lines(entry: dict[str, Any]) -> list[str]:
    """One record as text: a line of facts, then why it failed where it did."""
    count = statement_count(entry)
    rollback = f" (rollback to #{entry['rollback_to']})" if entry.get("rollback_to") is not None else ""
    lines = [f"#{entry.get('id')}  {entry.get('applied_at')}  {entry.get('outcome')}{rollback}  "
             f"{count} statement{'' if count == 1 else 's'}  by {who(entry)}  "
             f"tool={entry.get('tool_version')} spec={short_hash(entry.get('spec_hash'))} "
             f"plan={short_hash(entry.get('plan_hash'))}"]
    if entry.get("error"):
        lines.append(f"    Error: {one_line(str(entry['error']), 500)}")
    if entry.get("failed_statement"):
        lines.append(f"    Failed statement: {one_line(str(entry['failed_statement']), 200)}")
    if not entry.get("has_spec") and entry.get("outcome") == APPLIED:
        lines.append("    (recorded without its spec by an older schemactl: cannot be rolled back to)")
    return lines


def rollback_target(entries: list[dict[str, Any]], to: int | None) -> dict[str, Any]:
    """The record a rollback applies the spec of, from the history newest first.

    `to`: that record, which must be a completed apply. Default: the newest completed apply of another
    spec than the latest completed apply (re-applying the same spec, after drift, is not a step back).
    """
    if to is not None:
        entry = next((e for e in entries if e.get("id") == to), None)
        if entry is None:
            raise UsageError(f"no history entry #{to} on this target (see `schemactl history`)")
        if entry.get("outcome") != APPLIED:
            raise UsageError(f"history entry #{to} was not applied (outcome {entry.get('outcome')!r}); roll back to "
                             "one that was (see `schemactl history`)")
    else:
        applied = [e for e in entries if e.get("outcome") == APPLIED]
        if not applied:
            raise UsageError("no completed apply recorded on this target: nothing to roll back to")
        latest = applied[0]
        entry = next((e for e in applied[1:] if e.get("spec_hash") != latest.get("spec_hash")), None)
        if entry is None:
            raise UsageError(f"no completed apply of another spec before the latest (#{latest.get('id')}): "
                             "nothing to roll back to")
    if not entry.get("has_spec"):
        raise UsageError(f"history entry #{entry.get('id')} was recorded without its spec (by a schemactl "
                         "older than history with specs): it cannot be rolled back to")
    return entry
