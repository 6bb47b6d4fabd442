"""Keep passwords out of every output, log and error.

Two scopes, on purpose: every output goes through `redact_urls` (a password can only be there inside a
URL someone typed), and connection errors, which libpq and drivers may fill with connection strings,
also through `redact_text` with the password itself. Replacing the password's text everywhere would
corrupt output wherever it is also an ordinary word.
"""

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
        return redact_urls(url)
    if parts.password is None:
        return redact_urls(url)
    netloc = parts.netloc
    userinfo, _, hostport = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))


def redact_urls(text: str) -> str:
    """Redact the password of every URL in free text (`scheme://user:pw@` -> `scheme://user:***@`)."""
    return _URL_IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}:***@", text)


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """For connection errors: URL passwords, `password=...` pairs and the known secrets."""
    text = redact_urls(text)
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
