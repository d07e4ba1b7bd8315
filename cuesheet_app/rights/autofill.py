"""Fill a cue's rights from the catalogue without ever overwriting what a user typed.

Only empty fields are filled. Parties are filled per group: a cue without writers gets the
catalogue's writers, one without publishers gets its publishers; a party already on the cue
(same name) only gets its empty PRO/IPI/share completed.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from cuesheet_app.domain.model import Cue, CueSheet, Party
from cuesheet_app.rights.catalogue import Catalogue, CatalogueError, SchemaError
from cuesheet_app.rights.lookup import Match, find_recording_only
from cuesheet_app.rights.normalize import norm_party_name
from cuesheet_app.rights.records import Recording

log = logging.getLogger(__name__)

_TEXT_FIELDS = ("isrc", "album", "label", "release_date", "library", "catalogue_number", "track_number")


@dataclass
class FillReport:
    matched: int = 0
    filled: dict[str, list[str]] = field(default_factory=dict)  # cue id -> field names filled


def fill_cue(cue: Cue, match: Match) -> list[str]:
    """Fill empty fields of ``cue`` in place from ``match``; returns the names of fields filled."""
    filled: list[str] = []
    rec, work = match.recording, match.work
    for name in _TEXT_FIELDS:
        value = getattr(rec, name)
        if value and not getattr(cue, name):
            setattr(cue, name, value)
            filled.append(name)
    if rec.artists and not cue.artists:
        cue.artists = list(rec.artists)
        filled.append("artists")
    if not cue.title and (rec.title or (work and work.title)):
        cue.title = rec.title or (work.title if work else "")
        filled.append("title")
    if cue.library and cue.origin == "unknown":
        cue.origin = "library"
        filled.append("origin")
    if work is not None:
        if work.iswc and not cue.iswc:
            cue.iswc = work.iswc
            filled.append("iswc")
        if _fill_parties(cue, work.parties):
            filled.append("parties")
    if filled:
        cue.provenance.filled_from_catalogue = True
        cue.provenance.catalogue_ref = match.ref
    return filled


def _fill_parties(cue: Cue, known: list[Party]) -> bool:
    changed = False
    for group in ("is_writer", "is_publisher"):
        ours = [p for p in cue.parties if getattr(p, group)]
        theirs = [p for p in known if getattr(p, group)]
        if not theirs:
            continue
        if not ours:
            cue.parties.extend(Party.from_dict(p.to_dict()) for p in theirs)
            changed = True
            continue
        by_name = {norm_party_name(p.first_name, p.last_name, p.company): p for p in theirs}
        for p in ours:
            source = by_name.get(norm_party_name(p.first_name, p.last_name, p.company))
            if source is None:
                continue
            for attr in ("pro", "ipi"):
                if not getattr(p, attr) and getattr(source, attr):
                    setattr(p, attr, getattr(source, attr))
                    changed = True
            if not p.share and source.share:
                p.share = source.share
                changed = True
    return changed


def fill_cues(cat: Catalogue, cues: list[Cue]) -> FillReport:
    """One consistent snapshot for the whole sheet: a colleague saving meanwhile never leaves
    half a season filled from the old rights and half from the new."""
    report = FillReport()
    with cat.snapshot():
        known = Prefetched(cat, cues)
        found = [(cue, find_recording_only(known, cue)) for cue in cues]  # type: ignore[arg-type]
        works = cat.works_by_ids([f[0].work_id for _, f in found if f is not None and f[0].work_id is not None])
    for cue, hit in found:
        if hit is None:
            continue
        rec, how = hit
        report.matched += 1
        filled = fill_cue(cue, Match(recording=rec, work=works.get(rec.work_id) if rec.work_id is not None
                                     else None, how=how))
        if filled:
            report.filled[cue.id] = filled
    return report


def fill_sheet_from_path(sheet: CueSheet, path: Path | str, cues: list[Cue] | None = None,
                         user: str = "") -> FillReport | None:
    """Auto-fill at project creation: quietly nothing when there is no catalogue yet or it fails.

    ``path`` is a SQLite file or a team server URL (the read cache stands in when it is away).
    Identification must never fail because of the catalogue, so problems are logged, not raised.
    """
    from cuesheet_app.rights.location import is_server_url
    from cuesheet_app.rights.offline import open_catalogue

    if not is_server_url(str(path)) and not Path(path).exists():
        return None
    try:
        with open_catalogue(path, user=user) as cat:
            return fill_cues(cat, sheet.cues if cues is None else cues)
    except (CatalogueError, SchemaError, OSError, sqlite3.Error) as exc:
        log.warning("Rights catalogue not used: %s", exc)
        return None


class Prefetched:
    """The recording lookups ``find_recording_only`` makes, answered for a whole sheet from one
    bulk query (a 1,000-cue season over the network is then a handful of round trips, not
    ~4,000). Same answers, same order as ``Catalogue``'s own methods; works are read afterwards,
    only for the recordings that matched."""

    def __init__(self, cat: Catalogue, cues: list[Cue]) -> None:
        from cuesheet_app.domain.identifiers import normalize_isrc
        from cuesheet_app.rights.normalize import norm_code, norm_text

        self._norm_isrc, self._norm_code, self._norm_text = normalize_isrc, norm_code, norm_text
        found = cat.recordings_matching({normalize_isrc(c.isrc) for c in cues if c.isrc},
                                        {norm_code(c.catalogue_number) for c in cues if c.catalogue_number},
                                        {norm_text(c.title) for c in cues if c.title})
        self.isrc: dict[str, Recording] = {}
        self.code: dict[str, list[tuple[Recording, str]]] = {}
        self.title: dict[str, list[Recording]] = {}
        for rec, catno_key, library_key, title_key in found:  # in id order, as the catalogue answers
            if rec.isrc:
                self.isrc[rec.isrc] = rec
            if catno_key:
                self.code.setdefault(catno_key, []).append((rec, library_key))
            if title_key:
                self.title.setdefault(title_key, []).append(rec)

    def recording_by_isrc(self, isrc: str) -> Recording | None:
        return self.isrc.get(self._norm_isrc(isrc))

    def recordings_by_catalogue_number(self, library: str, catalogue_number: str) -> list[Recording]:
        code, lib = self._norm_code(catalogue_number), self._norm_code(library)
        found = [(r, key) for r, key in self.code.get(code, []) if not lib or not key or key == lib]
        return [r for r, key in sorted(found, key=lambda f: (f[1] != lib, f[0].id))]

    def recordings_by_title(self, title: str) -> list[Recording]:
        return list(self.title.get(self._norm_text(title), []))
