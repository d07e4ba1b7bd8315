"""Hearing other supervisors' saves as they happen (PostgreSQL LISTEN/NOTIFY).

Every committed catalogue transaction on the server sends one notification naming who saved and
which works/recordings changed (``Catalogue._send_changes``). A window keeps one listening
connection of its own and polls it without blocking (a timer in the UI), so nothing in the GUI
thread ever waits on the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import psycopg

from cuesheet_app.rights.errors import CatalogueUnavailable
from cuesheet_app.rights.location import check_url, redact_url
from cuesheet_app.rights.pg_backend import CHANNEL, connect_kwargs, unavailable


@dataclass
class Change:
    by: str
    works: list[int] = field(default_factory=list)
    recordings: list[int] = field(default_factory=list)
    many: bool = False  # too many ids for one notification: refresh everything


class ChangeListener:
    """One LISTEN connection. ``poll()`` returns what arrived since the last call (never waits)."""

    def __init__(self, url: str) -> None:
        self.url = check_url(url)
        kwargs = connect_kwargs(self.url)
        try:
            self.conn = psycopg.connect(self.url, autocommit=True, **kwargs)
            self.conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            raise unavailable(redact_url(self.url), exc, kwargs.get("password")) from None

    def poll(self) -> list[Change]:
        """Changes others committed; raises CatalogueUnavailable when the server went away."""
        try:
            notes = list(self.conn.notifies(timeout=0))
        except psycopg.Error as exc:
            raise CatalogueUnavailable(f"Lost the team catalogue {redact_url(self.url)}: {type(exc).__name__}") from None
        out = []
        for note in notes:
            try:
                data = json.loads(note.payload)
            except ValueError:
                data = {"many": True}
            out.append(Change(by=str(data.get("by", "")), works=list(data.get("works", [])),
                              recordings=list(data.get("recordings", [])), many=bool(data.get("many", False))))
        return out

    def close(self) -> None:
        self.conn.close()
