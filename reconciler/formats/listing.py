"""`schemactl list` as text: one line per database, then the counts."""

from __future__ import annotations

from typing import Any


def format_listing(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No databases: the spec names none and its templates match none on the target.\n"
    width = max(len(row["database"]) for row in rows)
    lines = []
    for row in rows:
        kind = "public" if row["template"] is None else f"tenant ({row['template']})"
        state = f"drifted ({row['changes']} changes)" if row["status"] == "drifted" else row["status"]
        collections = f"{row['collections']} collections" if row["exists"] else "-"
        lines.append(f"{row['database']:<{width}}  {kind:<20}  {collections:>16}  {state}")
    drifted = sum(1 for row in rows if row["status"] == "drifted")
    missing = sum(1 for row in rows if row["status"] == "missing")
    lines.append(f"{len(rows)} databases: {len(rows) - drifted - missing} in sync, {drifted} drifted, "
                 f"{missing} missing.")
    return "\n".join(lines) + "\n"
