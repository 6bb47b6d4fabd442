"""Keep passwords out of every output, log and error."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_URL_IN_TEXT = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^/\s:@]*):([^@\s]*)@", re.IGNORECASE)
_KEYVALUE_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def redact_url(url: str) -> str:
    """`postgresql://app:secret@db/x` -> `postgresql://app:***@db/x`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if parts.password is None:
        return redact_text(url)
    netloc = parts.netloc
    userinfo, _, hostport = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Redact URL passwords, `password=...` pairs and any known secret from free text."""
    text = _URL_IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}:***@", text)
    text = _KEYVALUE_PASSWORD.sub(lambda m: f"{m.group(1)}***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def password_of(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None
