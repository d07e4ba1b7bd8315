"""Carrying a cue sheet forward to a re-cut: which new cue is which old cue, by what it *is*.

A re-cut moves, trims, drops and swaps music; times alone cannot say which cue is which.
What survives an edit is the music itself: the same library track at overlapping places in
the track (the engine's ``track_offset_s``), or, for music no library knows, the same audio
(a fingerprint link found by ``media/audio_print``, passed in here as ``PrintLink``s so this
module stays pure). A matched new cue takes everything people typed on the old one (title
corrections, usage, parties, notes, origin, cue number, id), with times moved to where the
same music now plays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cuesheet_app.domain.events import EventsError, parse_events
from cuesheet_app.domain.model import Cue, CueSheet
from cuesheet_app.domain.timecode import to_fraction

TOLERANCE_S = Fraction(1, 2)  # edges closer than this are the same edge (engine jitter)
WEAK_MATCH = Fraction(1, 4)  # same track but no offsets to compare (cloud engine): a weak vote


@dataclass(frozen=True)
class SourceSpan:
    """A stretch of a cue the engine reported, with what music it is and where in that music."""

    start: Fraction  # seconds from the media file's start
    end: Fraction
    track: str  # identity of the music: "isrc:…", "file:…", "title:…"
    offset: Fraction | None  # where in the track ``start`` falls; None when the engine does not say
    ratio: Fraction = Fraction(1)  # track seconds per episode second (speed changes)

    def source_at(self, t: Fraction) -> Fraction | None:
        return None if self.offset is None else self.offset + (t - self.start) * self.ratio

    def time_of(self, s: Fraction) -> Fraction | None:
        return None if self.offset is None else self.start + (s - self.offset) / self.ratio

    @property
    def source_range(self) -> tuple[Fraction, Fraction] | None:
        if self.offset is None:
            return None
        return self.offset, self.offset + (self.end - self.start) * self.ratio


@dataclass(frozen=True)
class PrintLink:
    """The same unidentified audio in both cuts: ``new time = old time + shift`` over the
    old-time range ``[old_start, old_end)``."""

    old_id: str
    new_id: str
    seconds: Fraction
    shift: Fraction
    old_start: Fraction
    old_end: Fraction


@dataclass
class Match:
    old: Cue
    new: Cue  # the engine's cue in the new cut
    score: Fraction


@dataclass
class RevisionResult:
    cues: list[Cue]  # the revised cue list, old ids kept where matched
    marks: dict[str, str]  # cue id -> "unchanged" | "changed" | "added"
    removed: list[Cue]  # old cues with no music left in the new cut
    carried_from: dict[str, str] = field(default_factory=dict)  # added cue id -> old cue id


# --- what a cue is made of ------------------------------------------------------------------------

def _event_index(sheet: CueSheet) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(engine, start, end) -> the raw event, newest run first, from the events kept in the sheet."""
    index: dict[tuple[str, str, str], dict[str, Any]] = {}
    for run in reversed(sheet.events):
        engine = str(run.get("engine", ""))
        try:
            doc = parse_events(run.get("document", {}), "stored run")
        except EventsError:
            continue  # a damaged stored run only costs the matches it would have given
        for ev in doc.events:
            key = (engine, str(ev.start), str(ev.end))
            if key not in index:
                index[key] = {"event": ev}
    return index


def track_identity(event: Any) -> str:
    """What makes two engine events the same music, independent of how the cue was retitled."""
    if event.isrc:
        return event.track_key()
    ref = event.extra.get("reference_file")
    if ref:
        return f"file:{str(ref).casefold()}"
    return event.track_key() or ""


def cue_sources(sheet: CueSheet, cue: Cue, index: Mapping[tuple[str, str, str], dict[str, Any]] | None = None
                ) -> list[SourceSpan]:
    """The identified stretches of a cue, from the engine events it was built from."""
    index = _event_index(sheet) if index is None else index
    spans: list[SourceSpan] = []
    for start, end in cue.provenance.source_events:
        hit = index.get((cue.provenance.engine, start, end))
        if hit is None:
            continue
        ev = hit["event"]
        if not ev.music_identified:
            continue
        offset = ev.extra.get("track_offset_s")
        ratio = ev.extra.get("speed_ratio")
        try:
            off = to_fraction(offset) if offset is not None else None
            rat = to_fraction(ratio) if ratio else Fraction(1)
        except (TypeError, ValueError):
            off, rat = None, Fraction(1)
        spans.append(SourceSpan(ev.start, ev.end, track_identity(ev), off, rat if rat > 0 else Fraction(1)))
    return spans


def needs_print(sheet: CueSheet, cue: Cue, index: Mapping[tuple[str, str, str], dict[str, Any]] | None = None
                ) -> bool:
    """A cue no library identified (unidentified, manual, imported): only its audio can find it again."""
    return not cue_sources(sheet, cue, index)


# --- matching ------------------------------------------------------------------------------------

def _overlap(a: tuple[Fraction, Fraction], b: tuple[Fraction, Fraction]) -> Fraction:
    return max(Fraction(0), min(a[1], b[1]) - max(a[0], b[0]))


def source_score(old: list[SourceSpan], new: list[SourceSpan]) -> Fraction:
    """Seconds of the same track at the same places in it; a weak vote where offsets are unknown."""
    score = Fraction(0)
    for a in old:
        for b in new:
            if not a.track or a.track != b.track:
                continue
            ra, rb = a.source_range, b.source_range
            if ra is None or rb is None:
                score += WEAK_MATCH * min(a.end - a.start, b.end - b.start)
            else:
                score += _overlap(ra, rb)
    return score


def match_cues(old_sheet: CueSheet, new_sheet: CueSheet, links: Iterable[PrintLink] = ()) -> list[Match]:
    """One-to-one pairs, strongest evidence first; ties go to the pair closest in program time."""
    old_index, new_index = _event_index(old_sheet), _event_index(new_sheet)
    old_src = {c.id: cue_sources(old_sheet, c, old_index) for c in old_sheet.cues}
    new_src = {c.id: cue_sources(new_sheet, c, new_index) for c in new_sheet.cues}
    scores: dict[tuple[str, str], Fraction] = {}
    for o in old_sheet.cues:
        for n in new_sheet.cues:
            s = source_score(old_src[o.id], new_src[n.id])
            if s > 0:
                scores[(o.id, n.id)] = s
    for link in links:
        key = (link.old_id, link.new_id)
        scores[key] = scores.get(key, Fraction(0)) + link.seconds
    olds = {c.id: c for c in old_sheet.cues}
    news = {c.id: c for c in new_sheet.cues}

    def distance(key: tuple[str, str]) -> Fraction:
        return abs(old_sheet.program_seconds(olds[key[0]].start) - new_sheet.program_seconds(news[key[1]].start))

    matches: list[Match] = []
    used_old: set[str] = set()
    used_new: set[str] = set()
    for key in sorted(scores, key=lambda k: (-scores[k], distance(k), k)):
        if key[0] in used_old or key[1] in used_new:
            continue
        used_old.add(key[0])
        used_new.add(key[1])
        matches.append(Match(olds[key[0]], news[key[1]], scores[key]))
    return matches


def best_old_for(new_id: str, old_sheet: CueSheet, new_sheet: CueSheet, links: Iterable[PrintLink]) -> str | None:
    """The old cue a new cue shares the most music with, if any (for a cue split in two)."""
    new_cue = new_sheet.cue_by_id(new_id)
    new_spans = cue_sources(new_sheet, new_cue)
    best: tuple[Fraction, str] | None = None
    for o in old_sheet.cues:
        s = source_score(cue_sources(old_sheet, o), new_spans)
        s += sum((ln.seconds for ln in links if ln.old_id == o.id and ln.new_id == new_id), Fraction(0))
        if s > 0 and (best is None or s > best[0]):
            best = (s, o.id)
    return best[1] if best else None


# --- moving edges --------------------------------------------------------------------------------

def map_time(t: Fraction, old: list[SourceSpan], new: list[SourceSpan], links: Iterable[PrintLink] = (),
             tolerance: Fraction = TOLERANCE_S) -> Fraction | None:
    """Where the music playing at old time ``t`` plays in the new cut, if it is still there."""
    for a in old:
        if a.offset is None or not (a.start - tolerance <= t <= a.end + tolerance):
            continue
        s = a.source_at(min(max(t, a.start), a.end))
        assert s is not None
        for b in new:
            rb = b.source_range
            if b.track != a.track or rb is None or not (rb[0] - tolerance <= s <= rb[1] + tolerance):
                continue
            mapped = b.time_of(s)
            if mapped is not None:
                return mapped + (t - min(max(t, a.start), a.end))
    for link in links:
        if link.old_start - tolerance <= t <= link.old_end + tolerance:
            return t + link.shift
    return None


def carry_forward(old: Cue, new: Cue) -> Cue:
    """The old cue's typed content on the new cue's music: id, number, title, usage, rights, notes,
    origin, active… stay; the engine's evidence (provenance, "short") comes from the new run.

    An old cue the engine could not name, and nobody named since, takes the new identification
    if there is one now (the library may have grown)."""
    out = old.copy()
    out.start, out.end = new.start, new.end
    fresh = new.copy()
    out.provenance = fresh.provenance
    out.provenance.filled_from_catalogue = old.provenance.filled_from_catalogue
    out.provenance.catalogue_ref = old.provenance.catalogue_ref or fresh.provenance.catalogue_ref
    still_unnamed = "unidentified" in old.flags
    if still_unnamed and new.identified:
        for name in ("title", "artists", "album", "label", "release_date", "isrc", "iswc", "library",
                     "catalogue_number", "track_number"):
            setattr(out, name, getattr(fresh, name))
        if not old.parties:
            out.parties = fresh.parties
        if old.origin == "unknown":
            out.origin = fresh.origin
        out.flags = [f for f in old.flags if f not in ("unidentified", "short")]
    else:
        out.flags = [f for f in old.flags if f != "short"]
    if "short" in new.flags:
        out.flags.append("short")
    return out


def revise(old_sheet: CueSheet, new_sheet: CueSheet, links: Iterable[PrintLink] = (),
           tolerance: Fraction = TOLERANCE_S) -> RevisionResult:
    """The new cut's cues with the old sheet's work carried over, each marked, plus what is gone.

    ``new_sheet`` holds the engine's cues for the new cut (at its own rate and program start);
    old times are compared in program seconds so a changed program start is not a change.
    """
    links = list(links)
    matches = match_cues(old_sheet, new_sheet, links)
    old_index, new_index = _event_index(old_sheet), _event_index(new_sheet)
    matched_new = {m.new.id for m in matches}
    matched_old = {m.old.id for m in matches}
    cues: list[Cue] = []
    marks: dict[str, str] = {}
    carried: dict[str, str] = {}
    old_prog = old_sheet.program_seconds
    offset_new = new_sheet.program_offset_frames()
    for m in matches:
        cue = carry_forward(m.old, m.new)
        o_spans = cue_sources(old_sheet, m.old, old_index)
        n_spans = cue_sources(new_sheet, m.new, new_index)
        pair_links = [ln for ln in links if ln.old_id == m.old.id and ln.new_id == m.new.id]
        # the old edges (perhaps trimmed by hand) moved to where their music now plays, in the
        # new file's media seconds; an edge whose music was cut out takes the engine's edge
        old_start_media = old_sheet.seconds(m.old.start)
        old_end_media = old_sheet.seconds(m.old.end)
        start_s = map_time(old_start_media, o_spans, n_spans, pair_links, tolerance)
        end_s = map_time(old_end_media, o_spans, n_spans, pair_links, tolerance)
        start = new_sheet.frames(start_s) if start_s is not None else m.new.start
        end = new_sheet.frames(end_s) if end_s is not None else m.new.end
        if end <= start:
            start, end = m.new.start, m.new.end
        cue.start, cue.end = start, end
        same_start = abs(old_prog(m.old.start) - new_sheet.program_seconds(start)) < tolerance
        same_end = abs(old_prog(m.old.end) - new_sheet.program_seconds(end)) < tolerance
        if same_start and same_end:
            # unchanged: keep the old times exactly (frames re-based onto the new file)
            cue.start = new_sheet.frames(old_prog(m.old.start)) + offset_new
            cue.end = new_sheet.frames(old_prog(m.old.end)) + offset_new
            marks[cue.id] = "unchanged"
        else:
            marks[cue.id] = "changed"
        cues.append(cue)
    taken_numbers = {c.cue_number for c in cues if c.cue_number}
    for n in new_sheet.cues:
        if n.id in matched_new:
            continue
        cue = n.copy()
        source = best_old_for(n.id, old_sheet, new_sheet, links)
        if source is not None:
            # more of an old cue's music than one new cue holds (a cue split by the edit):
            # the piece is new on the sheet but its rights are known
            piece = carry_forward(old_sheet.cue_by_id(source), n)
            piece.id = cue.id
            piece.cue_number = ""
            cue = piece
            carried[cue.id] = source
        if cue.cue_number in taken_numbers:
            cue.cue_number = ""
        marks[cue.id] = "added"
        cues.append(cue)
    removed = [c.copy() for c in old_sheet.cues if c.id not in matched_old]
    cues.sort(key=lambda c: (c.start, c.end, c.id))
    return RevisionResult(cues=cues, marks=marks, removed=removed, carried_from=carried)
