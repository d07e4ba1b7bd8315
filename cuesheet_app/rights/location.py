"""Where the catalogue lives: a SQLite file path, or a PostgreSQL URL (never with a password in it).

A URL is shown everywhere in its redacted form; a URL that carries a password is refused, so
a password typed into a setting, a command line or a script never ends up in a file or a log.
"""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cuesheet_app.rights.errors import CatalogueError
from cuesheet_app.settings.secrets import without_password

ENV_VAR = "CUESHEET_CATALOGUE_URL"
_SCHEMES = ("postgresql://", "postgres://")
_PASSWORD_IN_TEXT = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def is_server_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.strip().lower().startswith(_SCHEMES)


def redact_url(url: str) -> str:
    """The URL with any password (in the user part or the query) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable catalogue URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = urlencode([(k, "***" if k.lower() == "password" else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def has_password(url: str) -> bool:
    parts = urlsplit(url)
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    return ":" in userinfo or any(k.lower() == "password" for k, _ in parse_qsl(parts.query))


def check_url(url: str) -> str:
    """The URL, stripped; refused when it carries a password (the message shows it redacted)."""
    url = url.strip()
    if has_password(url):
        raise CatalogueError(
            f"The catalogue URL {redact_url(url)} contains a password. Remove it from the URL and "
            "store it in the OS keyring (cuesheet catalogue password --catalogue URL), or use "
            "PGPASSWORD or ~/.pgpass")
    return url


def scrub(text: str, password: str | None = None) -> str:
    """Remove a password from a message that might be shown or logged."""
    if password:
        text = text.replace(password, "***")
    return _PASSWORD_IN_TEXT.sub(r"\1***", text)


def connection_parts(url: str) -> dict[str, str]:
    """user, host, port and dbname as libpq will use them (its defaults and PG* variables)."""
    from psycopg.conninfo import conninfo_to_dict

    info = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    user = info.get("user") or os.environ.get("PGUSER") or getpass.getuser()
    return {"user": user,
            "host": info.get("host") or os.environ.get("PGHOST") or "localhost",
            "port": info.get("port") or os.environ.get("PGPORT") or "5432",
            "dbname": info.get("dbname") or os.environ.get("PGDATABASE") or user}


def current_user(display_name: str = "") -> str:
    """Who a change is recorded as: the configured display name, else the OS user."""
    if display_name.strip():
        return display_name.strip()
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (some containers): still record something
        return "unknown"


def resolve_location(explicit: str | None, setting_url: str, default_path: Path) -> str | Path:
    """``--catalogue`` beats ``CUESHEET_CATALOGUE_URL`` beats the ``catalogue_url`` setting beats
    the personal SQLite file."""
    for value in (explicit, os.environ.get(ENV_VAR, ""), setting_url):
        if value and value.strip():
            value = value.strip()
            return check_url(value) if is_server_url(value) else Path(value).expanduser()
    return default_path


def settings_location(settings: object, explicit: str | None = None, strict: bool = True) -> str | Path:
    """The catalogue the app should use, from ``--catalogue`` / the environment / a Settings object.

    ``strict=False`` (the GUI): a URL carrying a password is used without it (libpq then takes the
    keyring's, PGPASSWORD or ~/.pgpass) instead of stopping the app; the password goes nowhere.
    """
    try:
        return resolve_location(explicit, getattr(settings, "catalogue_url", ""), settings.catalogue())  # type: ignore[attr-defined]
    except CatalogueError:
        if strict:
            raise
        for value in (explicit, os.environ.get(ENV_VAR, ""), getattr(settings, "catalogue_url", "")):
            if value and value.strip():
                return without_password(value.strip()) if is_server_url(value.strip()) else Path(value.strip())
        return settings.catalogue()  # type: ignore[attr-defined]


