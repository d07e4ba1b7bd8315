"""Edits made while the team server is away: kept in a local outbox, applied when it is back.

Each entry is one save or delete with the row version it was based on, in the order made.
Replaying an entry goes through the normal save, so a change someone else made meanwhile is
refused exactly as online (``ConflictError``); such an entry stays in the outbox, marked as a
conflict with the message, until the user chooses a version. Nothing is dropped silently.

Entries created offline get a temporary local id in the read cache; replay maps those to the
ids the server assigns, so a new recording made offline still points at its new work.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cuesheet_app.domain.model import Party
from cuesheet_app.rights.errors import CatalogueError, ConflictError
from cuesheet_app.rights.records import Recording, Work

PENDING = "pending"
CONFLICT = "conflict"


@dataclass
class OutboxEntry:
    seq: int
    kind: str  # "work", "recording", "delete_work", "delete_recording"
    payload: dict[str, Any]
    state: str = PENDING
    message: str = ""

    def describe(self) -> str:
        title = self.payload.get("title") or f"#{self.payload.get('id')}"
        return f"{self.kind.replace('_', ' ')} {title!r}"


@dataclass
class Replayed:
    applied: int = 0
    conflicts: list[OutboxEntry] = field(default_factory=list)
    failed: list[OutboxEntry] = field(default_factory=list)  # refused for another reason (kept too)

    def summary(self) -> str:
        parts = [f"{self.applied} offline change(s) applied"]
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} conflict(s) to resolve")
        if self.failed:
            parts.append(f"{len(self.failed)} refused (kept in the outbox)")
        return ", ".join(parts)


class Outbox:
    """A small SQLite file next to the read cache; survives restarts and cache refreshes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, "
            "state TEXT NOT NULL DEFAULT 'pending', message TEXT NOT NULL DEFAULT '', local_id INTEGER NOT NULL DEFAULT 0)")
        self._conn.execute("CREATE TABLE IF NOT EXISTS id_map (kind TEXT NOT NULL, local_id INTEGER NOT NULL, "
                           "server_id INTEGER NOT NULL, PRIMARY KEY (kind, local_id))")

    def close(self) -> None:
        self._conn.close()

    def add(self, kind: str, payload: dict[str, Any], local_id: int = 0) -> None:
        self._conn.execute("INSERT INTO outbox (kind, payload, local_id) VALUES (?,?,?)",
                           (kind, json.dumps(payload), local_id))

    def entries(self, state: str | None = None) -> list[OutboxEntry]:
        rows = self._conn.execute("SELECT seq, kind, payload, state, message FROM outbox "
                                  "WHERE ? IS NULL OR state = ? ORDER BY seq", (state, state)).fetchall()
        return [OutboxEntry(seq, kind, json.loads(payload), st, msg) for seq, kind, payload, st, msg in rows]

    def pending_count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def remove(self, seq: int) -> None:
        self._conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def _mark(self, seq: int, state: str, message: str) -> None:
        self._conn.execute("UPDATE outbox SET state = ?, message = ? WHERE seq = ?", (state, message, seq))

    def _local_id(self, seq: int) -> int:
        return int(self._conn.execute("SELECT local_id FROM outbox WHERE seq = ?", (seq,)).fetchone()[0])

    def _map(self, kind: str, local_id: int) -> int | None:
        row = self._conn.execute("SELECT server_id FROM id_map WHERE kind = ? AND local_id = ?",
                                 (kind, local_id)).fetchone()
        return int(row[0]) if row else None

    def replay(self, cat: Any) -> Replayed:
        """Apply every pending entry to the server catalogue ``cat``, oldest first, each on its own."""
        done = Replayed()
        for entry in self.entries(PENDING):
            try:
                self._apply(cat, entry)
            except ConflictError as exc:
                self._mark(entry.seq, CONFLICT, str(exc))
                entry.state, entry.message = CONFLICT, str(exc)
                done.conflicts.append(entry)
                continue
            except CatalogueError as exc:
                self._mark(entry.seq, PENDING, str(exc))
                entry.message = str(exc)
                done.failed.append(entry)
                continue
            self.remove(entry.seq)
            done.applied += 1
        return done

    def _apply(self, cat: Any, entry: OutboxEntry) -> None:
        local_id = self._local_id(entry.seq)
        if entry.kind == "work":
            work = work_from_payload(entry.payload)
            if local_id:
                work.id = self._map("work", local_id) or 0
                work.version = 0 if not work.id else work.version
            cat.save_work(work)
            if local_id:
                self._conn.execute("INSERT OR REPLACE INTO id_map VALUES ('work', ?, ?)", (local_id, work.id))
        elif entry.kind == "recording":
            rec = recording_from_payload(entry.payload)
            if rec.work_id is not None:
                rec.work_id = self._map("work", rec.work_id) or rec.work_id
            if local_id:
                rec.id = self._map("recording", local_id) or 0
                rec.version = 0 if not rec.id else rec.version
            cat.save_recording(rec)
            if local_id:
                self._conn.execute("INSERT OR REPLACE INTO id_map VALUES ('recording', ?, ?)", (local_id, rec.id))
        elif entry.kind == "delete_work":
            cat.delete_work(self._map("work", entry.payload["id"]) or entry.payload["id"], entry.payload["version"])
        elif entry.kind == "delete_recording":
            cat.delete_recording(self._map("recording", entry.payload["id"]) or entry.payload["id"],
                                 entry.payload["version"])

    def resolve(self, seq: int, cat: Any, keep: str, merged: Work | Recording | None = None) -> None:
        """Settle a conflict: ``keep="theirs"`` drops ours; ``"mine"`` (or ``merged``) saves over the
        server's current version, with the audit trail recording it as a normal change."""
        entry = next((e for e in self.entries() if e.seq == seq), None)
        if entry is None:
            return
        if keep == "theirs":
            self.remove(seq)
            return
        obj: Any = merged
        if obj is None:
            obj = work_from_payload(entry.payload) if entry.kind == "work" else recording_from_payload(entry.payload)
        current = cat.get_work(obj.id) if isinstance(obj, Work) else cat.get_recording(obj.id)
        obj.version = current.version if current else 0
        if isinstance(obj, Work):
            cat.save_work(obj)
        else:
            cat.save_recording(obj)
        self.remove(seq)


def work_payload(work: Work) -> dict[str, Any]:
    data = asdict(work)
    data["parties"] = [p.to_dict() for p in work.parties]
    return data


def work_from_payload(data: dict[str, Any]) -> Work:
    fields = {k: v for k, v in data.items() if k != "parties"}
    work = Work(**fields)
    work.parties = [Party.from_dict(p) for p in data.get("parties", [])]
    return work


def recording_payload(rec: Recording) -> dict[str, Any]:
    return asdict(rec)


def recording_from_payload(data: dict[str, Any]) -> Recording:
    return Recording(**data)
