"""``revise``: a re-cut's sheet made from the old sheet and the new episode's audio.

The new cut is identified like any episode; its cues are then matched to the old sheet's by
the music they hold (``domain/revision``), with unidentified music found again by an audio
print of both cuts (``media/audio_print``) when the old episode's media can be read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from cuesheet_app.domain.conversion import assign_cue_numbers
from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.progress import CancelToken, Progress, ProgressCallback, ignore_progress
from cuesheet_app.domain.revision import PrintLink, RevisionResult, needs_print, revise
from cuesheet_app.domain.status import start_revision
from cuesheet_app.identify.base import Engine, IdentifyRequest
from cuesheet_app.media.audio_print import decode_spans, encode_span, episode_print, find_in
from cuesheet_app.media.errors import MediaError
from cuesheet_app.services.projects import add_engine_results, new_sheet_for_media
from cuesheet_app.settings.store import Settings

# header fields that describe the new file, not the production: they come from the new cut
MEDIA_HEADER_FIELDS = ("frame_rate", "program_duration", "program_start")


@dataclass
class RevisionOutcome:
    sheet: CueSheet
    result: RevisionResult
    notes: list[str] = field(default_factory=list)  # what could not be compared, and why


def old_media_path(old: CueSheet, override: Path | None = None) -> Path | None:
    if override is not None:
        return override
    for ref in old.media:
        if ref.path and Path(ref.path).is_file():
            return Path(ref.path)
    return None


def print_links(old: CueSheet, new: CueSheet, old_media: Path | None, new_media: Path,
                cancel: CancelToken | None = None, audio_stream: int | None = None) -> tuple[list[PrintLink], list[str]]:
    """Links between the old and new cues no library identified, by their audio."""
    old_cues = [c for c in old.cues if needs_print(old, c)]
    new_cues = [c for c in new.cues if needs_print(new, c)]
    if not new_cues:
        return [], []
    if not old_cues:  # nothing to find, but the next revision will want these prints
        try:
            new_print = episode_print(new_media, audio_stream, cancel=cancel, spans=_spans(new, new_cues))
        except MediaError:
            return [], []
        _keep_prints(new, new_cues, new_print)
        return [], []
    stored = decode_spans([c.provenance.audio_print for c in old_cues if c.provenance.audio_print])
    if old_media is None and stored is None:
        return [], [f"The old episode's media ({old.media[0].path if old.media else 'none'}) was not found: "
                    f"{len(old_cues)} unidentified cue(s) could not be compared by their audio "
                    f"(pass --old-media)"]
    try:
        if old_media is not None:
            old_print = episode_print(old_media, audio_stream, cancel=cancel,
                                      spans=[(float(old.seconds(c.start)), float(old.seconds(c.end)))
                                             for c in old_cues])
        else:
            assert stored is not None
            old_print = stored  # the prints the previous revision kept
        new_print = episode_print(new_media, audio_stream, cancel=cancel,
                                  spans=[(float(new.seconds(c.start)), float(new.seconds(c.end))) for c in new_cues])
    except MediaError as exc:
        return [], [f"Unidentified cues not compared by audio: {exc}"]
    _keep_prints(new, new_cues, new_print)
    links: list[PrintLink] = []
    for o in old_cues:
        span_o = (float(old.seconds(o.start)), float(old.seconds(o.end)))
        for n in new_cues:
            span_n = (float(new.seconds(n.start)), float(new.seconds(n.end)))
            m = find_in(old_print, span_o, new_print, span_n)
            if m is not None:
                links.append(PrintLink(o.id, n.id, _exact(m.seconds), _exact(m.shift_s),
                                       _exact(m.old_start_s), _exact(m.old_end_s)))
    return links, []


def _spans(sheet: CueSheet, cues: list) -> list[tuple[float, float]]:  # type: ignore[type-arg]
    return [(float(sheet.seconds(c.start)), float(sheet.seconds(c.end))) for c in cues]


def _keep_prints(sheet: CueSheet, cues: list, words: np.ndarray) -> None:  # type: ignore[type-arg]
    """Each cue's print kept in the new sheet, so the next revision needs no media of this cut."""
    for c in cues:
        c.provenance.audio_print = encode_span(words, (float(sheet.seconds(c.start)), float(sheet.seconds(c.end))))


def revised_sheet(old: CueSheet, new: CueSheet, result: RevisionResult, today: dt.date | None = None) -> CueSheet:
    """The old production's header on the new cut's media and cues, as its next revision."""
    sheet = old.copy()
    sheet.previous = None
    start_revision(sheet, today)
    for name in MEDIA_HEADER_FIELDS:
        setattr(sheet.header, name, getattr(new.header, name))
    sheet.media = [m for m in new.copy().media]
    sheet.events = list(new.events)
    sheet.engine = dict(new.engine)
    sheet.engine_state = {}
    sheet.cues = [c.copy() for c in result.cues]
    sheet.sort_and_renumber()
    assign_cue_numbers(sheet, reserved=[c.cue_number for c in old.cues])
    return sheet


def revise_episode(old: CueSheet, episode: Path, engine: Engine, engine_name: str, settings: Settings,
                   progress: ProgressCallback = ignore_progress, cancel: CancelToken | None = None,
                   old_media: Path | None = None, audio_stream: int | None = None,
                   today: dt.date | None = None) -> RevisionOutcome:
    new = new_sheet_for_media(episode, settings)
    doc = engine.identify(IdentifyRequest(media_path=episode, audio_stream=audio_stream), progress=progress,
                          cancel=cancel)
    add_engine_results(new, doc, engine_name, settings)
    progress(Progress("Matching to the old sheet", None))
    links, notes = print_links(old, new, old_media_path(old, old_media), episode, cancel, audio_stream)
    result = revise(old, new, links)
    return RevisionOutcome(revised_sheet(old, new, result, today), result, notes)


def _exact(value: float) -> Fraction:
    return Fraction(round(value * 1000), 1000)
