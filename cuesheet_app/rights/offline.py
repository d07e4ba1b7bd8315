"""Opening the catalogue the app is set to, and working on when the team server is away.

``open_catalogue`` is what every caller uses: a SQLite file opens as before; a server URL opens
the PostgreSQL catalogue, first replaying any edits left in the outbox. When the server cannot be
reached and a read cache exists, an ``OfflineCatalogue`` opens instead: reads come from the
cache (a SQLite copy of the server's catalogue, refreshed while online), saves go to the cache
*and* the outbox, and ``offline`` tells the window to show its banner.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cuesheet_app.domain.model import Party
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.errors import CatalogueError, CatalogueUnavailable
from cuesheet_app.rights.location import check_url, is_server_url, redact_url
from cuesheet_app.rights.outbox import Outbox, Replayed, recording_payload, work_payload
from cuesheet_app.rights.records import DirectoryParty, Recording, Work

# Copied in this order so every reference resolves; history comes along for offline reading.
CACHE_TABLES = ("parties", "works", "work_titles", "work_parties", "recordings", "work_history")


@dataclass
class CachePlace:
    cache: Path
    outbox: Path


def cache_place(url: str, root: Path | None = None) -> CachePlace:
    """One folder per server catalogue (named by a hash of its password-free URL)."""
    if root is None:
        from cuesheet_app.settings.paths import data_dir

        root = data_dir() / "team-catalogue"  # not the cache folder: the outbox holds unsent work
    name = hashlib.sha256(redact_url(url).encode("utf-8")).hexdigest()[:16]
    folder = Path(root) / name
    return CachePlace(folder / "cache.sqlite", folder / "outbox.sqlite")


def refresh_cache(server: Catalogue, target: Path) -> dict[str, int]:
    """Copy the server catalogue into a fresh SQLite file, in one consistent snapshot, and swap it
    in atomically (a reader of the old cache never sees half a copy). Returns rows per table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".cache-", suffix=".sqlite", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    counts: dict[str, int] = {}
    try:
        Catalogue(tmp).close()  # the schema, by the same migrations
        conn = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            conn.execute("BEGIN")
            with server.snapshot():
                for table in CACHE_TABLES:
                    cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
                    select = f"SELECT {', '.join(cols)} FROM {table}"
                    marks = ",".join("?" * len(cols))
                    rows = [tuple(r) for r in server.backend.execute(select).fetchall()]
                    conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
                    counts[table] = len(rows)
            conn.execute("COMMIT")
        finally:
            conn.close()
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    return counts


class OfflineCatalogue(Catalogue):
    """The read cache standing in for an unreachable server; edits wait in the outbox."""

    offline = True

    def __init__(self, url: str, place: CachePlace, reason: str, user: str = "") -> None:
        super().__init__(place.cache, user=user)
        self.url = url
        self.reason = reason
        self.outbox = Outbox(place.outbox)

    @property
    def where(self) -> str:
        return f"{redact_url(self.url)} (offline: read cache)"

    def close(self) -> None:
        self.outbox.close()
        super().close()

    def save_work(self, work: Work) -> int:
        base = work_payload(work)
        new = not work.id
        work_id = super().save_work(work)
        if self.last_save_changed:
            self.outbox.add("work", {**base, "id": work_id if not new else 0}, local_id=work_id if new else 0)
        return work_id

    def save_recording(self, rec: Recording) -> int:
        base = recording_payload(rec)
        new = not rec.id
        rec_id = super().save_recording(rec)
        if self.last_save_changed:
            self.outbox.add("recording", {**base, "id": rec_id if not new else 0}, local_id=rec_id if new else 0)
        return rec_id

    def delete_work(self, work_id: int, version: int = 0) -> None:
        old = self.get_work(work_id)
        super().delete_work(work_id, version)
        if old is not None:
            self.outbox.add("delete_work", {"id": work_id, "title": old.title, "version": version or old.version})

    def delete_recording(self, recording_id: int, version: int = 0) -> None:
        old = self.get_recording(recording_id)
        super().delete_recording(recording_id, version)
        if old is not None:
            self.outbox.add("delete_recording", {"id": recording_id, "title": old.title,
                                                 "version": version or old.version})

    def _directory_needs_server(self) -> CatalogueError:
        return CatalogueError("The team catalogue is offline: party directory edits wait until the server is back")

    def add_party(self, party: Party) -> int:
        raise self._directory_needs_server()

    def update_party(self, entry: DirectoryParty) -> None:
        raise self._directory_needs_server()

    def merge_parties(self, keep_id: int, drop_ids: list[int]) -> int:
        raise self._directory_needs_server()


def open_catalogue(location: str | Path, user: str = "", cache_root: Path | None = None,
                   offline_ok: bool = True, timeout_s: float = 30.0) -> Catalogue:
    """The catalogue at ``location``. For a server: pending offline edits are replayed first
    (``cat.replayed`` says what happened); an unreachable server falls back to the read cache
    when one exists (``cat.offline``), else ``CatalogueUnavailable``."""
    if not is_server_url(str(location)):
        return Catalogue(location, timeout_s=timeout_s, user=user)
    url = check_url(str(location))
    place = cache_place(url, cache_root)
    try:
        cat = Catalogue(url, timeout_s=timeout_s, user=user)
    except CatalogueUnavailable as exc:
        if offline_ok and place.cache.exists():
            return OfflineCatalogue(url, place, str(exc), user=user)
        raise
    cat.replayed = replay_outbox(cat, place)  # type: ignore[attr-defined]
    return cat


def replay_outbox(cat: Catalogue, place: CachePlace) -> Replayed | None:
    """Apply edits made offline; None when there were none."""
    if not place.outbox.exists():
        return None
    outbox = Outbox(place.outbox)
    try:
        if not outbox.pending_count():
            return None
        return outbox.replay(cat)
    finally:
        outbox.close()


def is_offline(cat: Any) -> bool:
    return bool(getattr(cat, "offline", False))
