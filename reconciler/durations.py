"""Durations as every flag and project-file key takes them: `500ms`, `5s`, `2min`, `1h`; a bare number is seconds.

One parser for all of them, so that `--statement-timeout 10` and `--lock-timeout 10` mean the same ten
seconds. The project file's JSON Schema (`$defs.duration`) uses `DURATION_PATTERN` as it is.
"""

from __future__ import annotations

import re

# Kept in step with schemas/project.schema.json ($defs.duration), which a test compares.
DURATION_PATTERN = r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$"
_DURATION = re.compile(DURATION_PATTERN)
_SECONDS_PER_UNIT = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}
EXAMPLES = "500ms, 5s, 2min or 1h; a bare number is seconds"


class DurationError(ValueError):
    pass


def parse_duration(value: str | int | float) -> float:
    """Seconds in `value`; DurationError when it is not a duration, negative, or a non-zero part of a millisecond.

    PostgreSQL counts its timeouts in whole milliseconds and would round a smaller one to 0, which means
    "no timeout": refused rather than turned into the opposite of what was asked.
    """
    if isinstance(value, bool):
        raise DurationError(f"{value!r} is not a duration ({EXAMPLES})")
    if isinstance(value, int | float):
        if not value >= 0 or value == float("inf"):
            raise DurationError(f"{value!r} is not a duration ({EXAMPLES})")
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise DurationError(f"{value!r} is not a duration ({EXAMPLES})")
        seconds = float(match.group(1)) * _SECONDS_PER_UNIT[match.group(2) or "s"]
    if 0 < seconds < 0.001:
        raise DurationError(f"{value!r} is too short: a duration is 0 (none) or at least 1ms")
    return seconds


def postgres_duration(seconds: float) -> str:
    """A value for PostgreSQL's lock_timeout / statement_timeout, in the largest unit that states it exactly."""
    milliseconds = round(seconds * 1000)
    for unit, size in (("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if milliseconds and milliseconds % size == 0:
            return f"{milliseconds // size}{unit}"
    return f"{milliseconds}ms"
