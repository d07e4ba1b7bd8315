"""The AudioShake API key: OS keyring or ``AUDIOSHAKE_API_KEY``; never a settings file."""

from __future__ import annotations

import contextlib
import logging
import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

log = logging.getLogger(__name__)
SERVICE = "cuesheet-audioshake"
ACCOUNT = "api-key"
ENV_VAR = "AUDIOSHAKE_API_KEY"


def get_api_key() -> str | None:
    """Environment first (CI, scripts), then the keyring."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value:
        return value
    try:
        import keyring

        stored = keyring.get_password(SERVICE, ACCOUNT)
    except Exception as exc:  # noqa: BLE001 - no keyring backend is not an error for the user
        log.info("No usable keyring (%s)", type(exc).__name__)
        return None
    return stored or None


def set_api_key(value: str | None) -> None:
    """Store (or with None/empty, delete) the key in the OS keyring."""
    import keyring
    import keyring.errors

    if value:
        keyring.set_password(SERVICE, ACCOUNT, value)
    else:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(SERVICE, ACCOUNT)


def redact(text: str, secret: str | None = None) -> str:
    """Remove the key from any text that might be logged or shown."""
    secret = secret if secret is not None else get_api_key()
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


def without_password(url: str) -> str:
    """The URL with any password removed (userinfo and ``password=`` query): a password never
    reaches a settings file or a message; the keyring or libpq's own places hold it."""
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
