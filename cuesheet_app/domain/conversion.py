"""Engine events -> cues.

Engines report what they heard in small windows; a cue sheet lists uses of a
work. So adjacent events of one track become one cue, very short events are
dropped or flagged, and unidentified music still becomes a cue, because an
unreported use is an unpaid royalty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cuesheet_app.domain.events import Event, EventsDocument
from cuesheet_app.domain.identifiers import normalize_isrc
from cuesheet_app.domain.model import Cue, CueSheet, Party, Provenance
from cuesheet_app.domain.parties import PartyNotationError, parse_parties
from cuesheet_app.domain.timecode import seconds_to_frames, to_fraction


@dataclass(frozen=True)
class ConversionSettings:
    merge_gap_s: Fraction = Fraction(2)  # same track, gap up to this -> one cue
    min_length_s: Fraction = Fraction(3)
    short_action: str = "flag"  # "flag" keeps short cues with a flag; "drop" leaves them out
    unidentified_title: str = "Unidentified music {n}"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ConversionSettings:
        return cls(
            merge_gap_s=to_fraction(d.get("merge_gap_s", 2)),
            min_length_s=to_fraction(d.get("min_length_s", 3)),
            short_action=str(d.get("short_action", "flag")),
        )


def merge_events(events: list[Event], gap: Fraction) -> list[list[Event]]:
    """Group time-ordered music events: same track (or both unidentified) and gap <= ``gap``."""
    groups: list[list[Event]] = []
    for ev in sorted((e for e in events if e.music_detected or e.music_identified), key=lambda e: (e.start, e.end)):
        if groups:
            last = groups[-1]
            group_end = max(e.end for e in last)
            if ev.track_key() == last[0].track_key() and ev.start - group_end <= gap:
                last.append(ev)
                continue
        groups.append([ev])
    return groups


def events_to_cues(
    doc: EventsDocument, sheet: CueSheet, settings: ConversionSettings = ConversionSettings(), engine: str = ""
) -> list[Cue]:
    """Cues for an events document, in time order, at the sheet's frame rate."""
    rate = sheet.rate
    cues: list[Cue] = []
    unidentified = 0
    for group in merge_events(doc.events, settings.merge_gap_s):
        start = min(e.start for e in group)
        end = max(e.end for e in group)
        flags: list[str] = []
        if end - start < settings.min_length_s:
            if settings.short_action == "drop":
                continue
            flags.append("short")
        first = group[0]
        cue = Cue(
            start=seconds_to_frames(start, rate),
            end=seconds_to_frames(end, rate),
            provenance=Provenance(
                engine=engine,
                detection_confidence=_mean([e.detection_confidence for e in group], group),
                identification_confidence=_mean([e.identification_confidence for e in group], group)
                if first.music_identified
                else None,
                source_events=[(str(e.start), str(e.end)) for e in group],
            ),
            flags=flags,
        )
        if first.music_identified:
            _fill_identification(cue, group)
        else:
            unidentified += 1
            cue.title = settings.unidentified_title.format(n=unidentified)
            cue.flags.append("unidentified")
        cues.append(cue)
    return cues


def _mean(values: list[float | None], group: list[Event]) -> float | None:
    """Duration-weighted mean: a long confident stretch outweighs a short doubtful one."""
    pairs = [(v, float(e.duration) or 1e-9) for v, e in zip(values, group, strict=True) if v is not None]
    if not pairs:
        return None
    total = sum(w for _, w in pairs)
    return round(sum(v * w for v, w in pairs) / total, 4)


def _fill_identification(cue: Cue, group: list[Event]) -> None:
    ev = max(group, key=lambda e: (e.identification_confidence or 0, e.duration))
    cue.title = ev.title or ""
    cue.artists = list(ev.artists)
    cue.album = ev.album or ""
    cue.label = ev.label or ""
    cue.release_date = ev.release_date or ""
    cue.isrc = normalize_isrc(ev.isrc or "")
    extra = ev.extra
    for key in ("iswc", "library", "catalogue_number", "track_number", "origin", "vocal"):
        if extra.get(key):
            setattr(cue, key, str(extra[key]))
    if cue.library and cue.origin == "unknown":
        cue.origin = "library"
    if extra.get("catalogue_ref"):
        cue.provenance.catalogue_ref = str(extra["catalogue_ref"])
    cue.parties = _parties_from_extra(extra)


def _parties_from_extra(extra: dict[str, Any]) -> list[Party]:
    """Rights fields the local engine copies from the library's metadata sheet."""
    parties: list[Party] = []
    for key, role in (("composers", "C"), ("publishers", "E")):
        value = extra.get(key)
        try:
            if isinstance(value, str):
                parties += parse_parties(value, role)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        parties.append(Party.from_dict({"role": role, **item}))
                    elif isinstance(item, str):
                        parties += parse_parties(item, role)
        except (PartyNotationError, ValueError, TypeError):
            continue  # rights stay empty; validation will ask for them
    return parties


parties_from_metadata = _parties_from_extra  # also used for library tracks named by an edit list


def apply_events(
    sheet: CueSheet,
    doc: EventsDocument,
    settings: ConversionSettings = ConversionSettings(),
    engine: str = "",
    replace: bool = True,
) -> list[Cue]:
    """Put an engine run into a sheet: keep the raw events, (re)build cues, renumber."""
    sheet.events.append({"engine": engine, "document": doc.to_dict()})
    cues = events_to_cues(doc, sheet, settings, engine)
    if replace:
        sheet.cues = [c for c in sheet.cues if c.provenance.engine in ("manual",)]
    sheet.cues.extend(cues)
    sheet.sort_and_renumber()
    assign_cue_numbers(sheet)
    return cues


def assign_cue_numbers(sheet: CueSheet, reel: int = 1, reserved: Iterable[str] = ()) -> None:
    """Fill empty cue numbers as 1M01, 1M02... in time order (keeps the ones users typed).

    ``reserved`` numbers are never given out (a revision does not reuse a removed cue's number).
    """
    used = {c.cue_number for c in sheet.cues if c.cue_number} | set(reserved)
    n = 0
    for c in sheet.cues:
        if c.cue_number:
            continue
        while True:
            n += 1
            label = f"{reel}M{n:02d}"
            if label not in used:
                break
        c.cue_number = label
        used.add(label)
