"""The audit trail of a work's rights: who changed its parties, identifiers or shares, when, old -> new.

A team needs to answer "who set this publisher to 50 %?" months later. Every save compares the
stored work with the new one and records one line per changed aspect; party directory edits
(an IPI or society corrected once for every work) are recorded on each work they touch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cuesheet_app.domain.parties import format_parties
from cuesheet_app.rights.records import Work


@dataclass
class HistoryEntry:
    work_id: int
    at: str  # UTC, "YYYY-MM-DD HH:MM:SS"
    who: str
    field: str  # "parties", "iswc", "title", "isrc", "party", "created", "deleted"
    old: str
    new: str

    def line(self) -> str:
        return f"{self.at} UTC  {self.who}  {self.field}: {self.old or '—'} → {self.new or '—'}"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def work_changes(old: Work | None, new: Work, iswc: str) -> list[tuple[str, str, str]]:
    """(field, old, new) for each audited aspect that differs; a new work records what it starts with."""
    new_parties = format_parties(new.parties)
    if old is None:
        out = [("created", "", new.title.strip())]
        if new_parties:
            out.append(("parties", "", new_parties))
        if iswc:
            out.append(("iswc", "", iswc))
        return out
    out = []
    if old.title != new.title.strip():
        out.append(("title", old.title, new.title.strip()))
    old_parties = format_parties(old.parties)
    if old_parties != new_parties:
        out.append(("parties", old_parties, new_parties))
    if old.iswc != iswc:
        out.append(("iswc", old.iswc, iswc))
    return out
