"""Plan renderers for humans and machines: text, sql, json, markdown."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.formats.json_format import format_json
from reconciler.formats.markdown import format_markdown
from reconciler.formats.sql import format_sql
from reconciler.formats.text import format_text
from reconciler.plan import Plan

FORMATS: dict[str, Callable[..., str]] = {
    "text": format_text,
    "sql": format_sql,
    "json": format_json,
    "markdown": format_markdown,
}


def render_plan(plan: Plan, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        return format_text(plan, color=color)
    return FORMATS[fmt](plan)
