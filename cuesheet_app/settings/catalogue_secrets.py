"""The team catalogue's database password: OS keyring, or libpq's own places; never a settings file.

libpq itself reads ``PGPASSWORD``, ``~/.pgpass`` (``PGPASSFILE``) and ``PGSSLMODE``; scripts and CI
use those and this module stays out of the way. A person using the app stores the password once
in the OS keyring (``cuesheet catalogue password``), under the server, database and user it
belongs to, exactly like the AudioShake key.
"""

from __future__ import annotations

import contextlib
import logging

log = logging.getLogger(__name__)
SERVICE = "cuesheet-catalogue"


def account_for(user: str, host: str, port: str, dbname: str) -> str:
    return f"{user}@{host}:{port}/{dbname}"


def get_db_password(account: str) -> str | None:
    try:
        import keyring

        stored = keyring.get_password(SERVICE, account)
    except Exception as exc:  # noqa: BLE001 - no keyring backend: libpq's own places still work
        log.info("No usable keyring (%s)", type(exc).__name__)
        return None
    return stored or None


def set_db_password(account: str, value: str | None) -> None:
    """Store (or with None/empty, delete) the password in the OS keyring."""
    import keyring
    import keyring.errors

    if value:
        keyring.set_password(SERVICE, account, value)
    else:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(SERVICE, account)
