"""The AudioShake API key: OS keyring or ``AUDIOSHAKE_API_KEY``; never a settings file."""

from __future__ import annotations

import contextlib
import logging
import os

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
