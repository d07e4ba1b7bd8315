"""Creating a project for an episode, and putting engine results into it."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.conversion import ConversionSettings, apply_events
from cuesheet_app.domain.events import EventsDocument
from cuesheet_app.domain.model import CueSheet, MediaRef
from cuesheet_app.media.identity import quick_fingerprint
from cuesheet_app.media.probe import MediaInfo, probe
from cuesheet_app.rights.autofill import fill_sheet_from_path
from cuesheet_app.rights.location import settings_location
from cuesheet_app.settings.store import Settings


def conversion_settings(settings: Settings) -> ConversionSettings:
    return ConversionSettings(
        merge_gap_s=tc.to_fraction(settings.merge_gap_s),
        min_length_s=tc.to_fraction(settings.min_cue_length_s),
        short_action=settings.short_cue_action,
    )


def media_ref(info: MediaInfo, rate: tc.FrameRate) -> MediaRef:
    st = info.path.stat()
    start_tc = ""
    if info.start_timecode:
        try:
            start_tc = tc.frames_to_timecode(tc.timecode_to_frames(info.start_timecode, rate), rate)
        except tc.TimecodeError:
            start_tc = ""
    return MediaRef(
        path=str(info.path.resolve()),
        size=st.st_size,
        mtime=st.st_mtime,
        fingerprint=quick_fingerprint(info.path),
        duration_s=str(info.duration_s),
        start_timecode=start_tc,
        frame_rate=rate.name,
    )


def new_sheet_for_media(path: str | Path, settings: Settings, info: MediaInfo | None = None) -> CueSheet:
    """A project with defaults a producer would otherwise type: rate, duration, today, preparer."""
    info = info or probe(path)
    if info.video_fps:
        rate = tc.rate_for_fps(info.video_fps)
    else:
        rate = tc.frame_rate(settings.default_frame_rate)
    sheet = CueSheet()
    h = sheet.header
    h.frame_rate = rate.name
    default_start = settings.default_program_start
    try:
        tc.timecode_to_frames(default_start, rate)
    except tc.TimecodeError:
        default_start = "00:00:00:00"
    ref = media_ref(info, rate)
    h.program_start = _program_start(ref, default_start, rate, info.duration_s)
    h.program_duration = tc.seconds_to_frames(Fraction(info.duration_s), rate)
    h.date_prepared = dt.date.today().isoformat()
    h.prepared_by = settings.prepared_by
    h.prepared_by_email = settings.prepared_by_email
    h.episode_title = Path(path).stem
    sheet.media.append(ref)
    return sheet


def add_engine_results(sheet: CueSheet, doc: EventsDocument, engine: str, settings: Settings) -> None:
    sheet.engine = {"name": engine, "merge_gap_s": settings.merge_gap_s, "min_cue_length_s": settings.min_cue_length_s}
    cues = apply_events(sheet, doc, conversion_settings(settings), engine=engine)
    # Rights the user taught the catalogue in earlier episodes; quietly nothing without one.
    fill_sheet_from_path(sheet, settings_location(settings), cues, user=settings.catalogue_display_name)


def _program_start(ref: MediaRef, default_start: str, rate: tc.FrameRate, duration_s: Fraction) -> str:
    """The house default (01:00:00:00) when the file covers it, else the file's own first frame.

    A file without timecode is taken to start at the program start.
    """
    default = tc.timecode_to_frames(default_start, rate)
    if not ref.start_timecode:
        return tc.frames_to_timecode(default, rate)
    first = tc.timecode_to_frames(ref.start_timecode, rate)
    last = first + tc.seconds_to_frames(duration_s, rate)
    return tc.frames_to_timecode(default if first <= default < last else first, rate)
