"""Cues from the picture edit: read an edit list, decide which clips are music, merge them into
cues, resolve them in the reference library and the rights catalogue.

Two steps, so the GUI can show a preview between them: ``plan_import`` reads and decides
(nothing changes), ``cues_for_plan`` makes the sheet's cues. ``sheet_from_edit`` is the CLI's
whole path. The catalogue is reached only through ``rights.lookup``/``rights.autofill`` (the
catalogue interface), never by SQL, so a second catalogue backend needs nothing here.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.conversion import assign_cue_numbers, events_to_cues
from cuesheet_app.domain.edit_clips import (
    EditClip,
    EditList,
    TimeMapping,
    clean_clip_name,
    file_stem,
    time_mapping,
)
from cuesheet_app.domain.edit_merge import EditCue, edit_cue_to_cue, merge_clips
from cuesheet_app.domain.edit_reconcile import reconcile
from cuesheet_app.domain.events import EventsDocument
from cuesheet_app.domain.identifiers import normalize_isrc
from cuesheet_app.domain.model import Cue, CueSheet
from cuesheet_app.domain.music_rules import (
    Decision,
    MusicRules,
    Resolution,
    decide,
    find_isrc,
    pattern_resolution,
)
from cuesheet_app.editlists.reader import read_edit_list
from cuesheet_app.media.probe import MediaInfo
from cuesheet_app.rights.autofill import fill_cues
from cuesheet_app.rights.catalogue import Catalogue, CatalogueError, SchemaError
from cuesheet_app.rights.lookup import find_recording
from cuesheet_app.services.projects import conversion_settings
from cuesheet_app.settings.store import Settings

log = logging.getLogger(__name__)


@dataclass
class ImportPlan:
    """Everything the preview shows and the apply step needs."""

    edit: EditList
    rules: MusicRules
    decisions: list[Decision]
    cues: list[EditCue]
    mapping: TimeMapping
    rate: tc.FrameRate  # the sheet's rate
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        music = sum(1 for d in self.decisions if d.music)
        return (f"{self.edit.format}: {len(self.edit.audio_tracks())} audio track(s), "
                f"{len(self.decisions)} clip(s), {music} music, {len(self.cues)} cue(s)")


class LibraryIndex:
    """The reference library's tracks by file name, title, ISRC and catalogue code."""

    def __init__(self, tracks: list[Any]) -> None:
        self.by_stem: dict[str, Any] = {}
        self.by_title: dict[str, Any] = {}
        self.by_isrc: dict[str, Any] = {}
        self.by_code: dict[tuple[str, str, str], Any] = {}
        for t in tracks:
            md = t.metadata
            self.by_stem.setdefault(file_stem(t.path).casefold(), t)
            if md.get("title"):
                self.by_title.setdefault(str(md["title"]).casefold(), t)
            if md.get("isrc"):
                self.by_isrc.setdefault(normalize_isrc(str(md["isrc"])), t)
            if md.get("catalogue_number"):
                key = (str(md.get("library", "")).upper(), str(md["catalogue_number"]).upper(),
                       str(md.get("track_number", "")).lstrip("0"))
                self.by_code.setdefault(key, t)

    @classmethod
    def load(cls, folder: Path | None) -> LibraryIndex:
        if folder is None or not (folder / "library.json").exists():
            return cls([])
        from cuesheet_app.identify.local.library import Library, LibraryError

        try:
            return cls(Library(folder).tracks())
        except (LibraryError, OSError, ValueError) as exc:
            log.warning("Reference library not used: %s", exc)
            return cls([])

    def find(self, clip: EditClip, rules: MusicRules) -> Resolution | None:
        hit, how = None, ""
        isrc = normalize_isrc(clip.isrc) if clip.isrc else find_isrc(f"{clip.name} {clip.source_file}")
        if isrc and isrc in self.by_isrc:
            hit, how = self.by_isrc[isrc], f"library ISRC {isrc}"
        stem = file_stem(clip.source_file).casefold() if clip.source_file else ""
        if hit is None and stem and stem in self.by_stem:
            hit, how = self.by_stem[stem], f"library file {file_stem(clip.source_file)}"
        name = clean_clip_name(clip.name).casefold()
        if hit is None and name and (name in self.by_stem or name in self.by_title):
            hit = self.by_stem.get(name) or self.by_title.get(name)
            how = f"library clip name {clean_clip_name(clip.name)}"
        if hit is None and clip.reel and clip.reel.casefold() in self.by_stem:
            hit, how = self.by_stem[clip.reel.casefold()], f"library reel {clip.reel}"
        if hit is None:
            code = pattern_resolution(rules, clip)
            if code is not None:
                hit = self.by_code.get((code.library, code.catalogue_number, code.track_number.lstrip("0")))
                how = f"library {code.how}"
        if hit is None:
            return None
        md = dict(hit.metadata)
        return Resolution(how=how, title=hit.title, library=str(md.get("library", "")),
                          catalogue_number=str(md.get("catalogue_number", "")),
                          track_number=str(md.get("track_number", "")),
                          isrc=normalize_isrc(str(md.get("isrc", ""))), metadata=md)


def catalogue_resolution(cat: Catalogue | None, clip: EditClip, rules: MusicRules) -> Resolution | None:
    """The rights catalogue's recording for a clip: by ISRC, catalogue code, then clip name as title."""
    if cat is None:
        return None
    code = pattern_resolution(rules, clip)
    probe = Cue(title=clean_clip_name(clip.name), isrc=normalize_isrc(clip.isrc) if clip.isrc
                else find_isrc(f"{clip.name} {clip.source_file}"))
    if code is not None:
        probe.library, probe.catalogue_number, probe.track_number = (
            code.library, code.catalogue_number, code.track_number)
    match = find_recording(cat, probe)
    if match is None:
        return None
    rec = match.recording
    return Resolution(how=f"catalogue {match.how.replace('_', ' ')}", title=rec.title or (
        match.work.title if match.work else ""), library=rec.library, catalogue_number=rec.catalogue_number,
        track_number=rec.track_number, isrc=rec.isrc,
        metadata={"album": rec.album, "label": rec.label, "artists": list(rec.artists)})


def rules_from_settings(settings: Settings, music_only: bool | None = None,
                        gap_frames: int | None = None) -> MusicRules:
    rules = MusicRules.from_dict(settings.edit_rules)
    if music_only is not None:
        rules.music_only = music_only
    if gap_frames is not None:
        rules.bridge_gap_frames = gap_frames
    return rules


def plan_import(edit_path: str | Path, rules: MusicRules, *, rate: tc.FrameRate | None = None,
                media: MediaInfo | None = None, media_rate: tc.FrameRate | None = None,
                media_start_timecode: str | None = None, library_dir: Path | None = None,
                catalogue_path: Path | str | None = None) -> ImportPlan:
    """Read, decide and merge, changing nothing. ``rate`` is ``--fps`` (else the media's rate);
    ``media`` bounds the record times (past its end is an error: ``EditRangeError``)."""
    sheet_rate = rate or media_rate or (tc.rate_for_fps(media.video_fps) if media and media.video_fps else None)
    edit = read_edit_list(edit_path, sheet_rate)
    notes = list(edit.notes)
    if sheet_rate is None:
        sheet_rate = edit.rate
    if media is not None and media.video_fps and tc.rate_for_fps(media.video_fps).fps != edit.rate.fps:
        notes.append(f"The edit list runs at {edit.rate.name} fps but the media at "
                     f"{tc.rate_for_fps(media.video_fps).name} fps: times were converted through seconds.")
    elif rate is not None and edit.rate.fps != rate.fps:
        notes.append(f"The edit list runs at {edit.rate.name} fps; --fps {rate.name} was asked for: "
                     "times were converted through seconds.")
    start_tc = media_start_timecode if media_start_timecode is not None else (media.start_timecode or "" if media else "")
    mapping = time_mapping(edit, sheet_rate, start_tc)
    library = LibraryIndex.load(library_dir)
    cat = _open_catalogue(catalogue_path)
    try:
        def resolve(clip: EditClip) -> Resolution | None:
            return library.find(clip, rules) or catalogue_resolution(cat, clip, rules)

        decisions = decide(edit, rules, resolve)
    finally:
        if cat is not None:
            cat.close()
    media_frames = tc.seconds_to_frames(Fraction(media.duration_s), sheet_rate) if media is not None else None
    cues = merge_clips(decisions, mapping, rules.bridge_gap_frames, media_frames)
    return ImportPlan(edit, rules, decisions, cues, mapping, sheet_rate, notes)


def _open_catalogue(path: Path | str | None) -> Catalogue | None:
    """A SQLite file or a team server URL (the read cache stands in when the server is away)."""
    from cuesheet_app.rights.location import is_server_url
    from cuesheet_app.rights.offline import open_catalogue

    if path is None or (not is_server_url(str(path)) and not Path(path).exists()):
        return None
    try:
        return open_catalogue(path)
    except (CatalogueError, SchemaError, OSError, sqlite3.Error) as exc:
        log.warning("Rights catalogue not used: %s", exc)
        return None


def cues_for_plan(plan: ImportPlan, catalogue_path: Path | str | None = None) -> list[Cue]:
    """The sheet cues for a plan, with rights filled from the catalogue where it knows them."""
    cues = [edit_cue_to_cue(ec, plan.edit.format) for ec in plan.cues]
    cat = _open_catalogue(catalogue_path)
    if cat is not None:
        try:
            fill_cues(cat, cues)
        finally:
            cat.close()
    for cue in cues:
        if "rights-needed" in cue.flags and cue.parties:
            cue.flags.remove("rights-needed")
    return cues


def sheet_from_edit(plan: ImportPlan, settings: Settings, media_sheet: CueSheet | None = None,
                    catalogue_path: Path | str | None = None) -> CueSheet:
    """A whole project from the edit: the episode's sheet when there is media, else one timed by the edit."""
    sheet = media_sheet or CueSheet()
    h = sheet.header
    if media_sheet is None:
        h.frame_rate = plan.rate.name
        first = plan.mapping.media_first_frame
        h.program_start = tc.frames_to_timecode(tc.convert_frames(first, plan.edit.rate, plan.rate)
                                                if plan.edit.rate != plan.rate else first, plan.rate)
        h.program_duration = max(0, plan.mapping.to_media_frames(plan.edit.end()))
        h.date_prepared = dt.date.today().isoformat()
        h.prepared_by, h.prepared_by_email = settings.prepared_by, settings.prepared_by_email
        h.episode_title = plan.edit.title or Path(plan.edit.source).stem
    elif not (sheet.media and sheet.media[0].start_timecode):
        # A file without timecode starts at the sequence start: show the edit's timecodes.
        first = plan.mapping.media_first_frame
        if plan.edit.rate != plan.rate:
            first = tc.convert_frames(first, plan.edit.rate, plan.rate)
        h.program_start = tc.frames_to_timecode(first, plan.rate)
    # Cues the audio found earlier (an identified episode) check the edit's, as identify --edit-list does.
    heard = [c for c in sheet.cues if c.provenance.engine not in ("manual", "edit")]
    cues = cues_for_plan(plan, catalogue_path)
    if heard:
        cues = reconcile(cues, heard)
    sheet.cues = [c for c in sheet.cues if c.provenance.engine == "manual"] + cues
    sheet.engine = {"name": "edit", "edit_list": plan.edit.source, "format": plan.edit.format,
                    "rules": plan.rules.to_dict()}
    sheet.sort_and_renumber()
    assign_cue_numbers(sheet)
    return sheet


def add_engine_results_with_edit(sheet: CueSheet, doc: EventsDocument, engine: str, settings: Settings,
                                 plan: ImportPlan, catalogue_path: Path | str | None = None) -> list[Cue]:
    """``identify --edit-list``: the edit's cues, confirmed and completed by what the engine heard;
    disagreements stay as flagged cues (Problems findings). Returns the cues put in the sheet."""
    sheet.events.append({"engine": engine, "document": doc.to_dict()})
    heard = events_to_cues(doc, sheet, conversion_settings(settings), engine)
    cat = _open_catalogue(catalogue_path)
    if cat is not None:
        try:
            fill_cues(cat, heard)
        finally:
            cat.close()
    cues = reconcile(cues_for_plan(plan, catalogue_path), heard)
    sheet.cues = [c for c in sheet.cues if c.provenance.engine == "manual"] + cues
    sheet.engine = {"name": engine, "merge_gap_s": settings.merge_gap_s, "min_cue_length_s": settings.min_cue_length_s,
                    "edit_list": plan.edit.source, "format": plan.edit.format, "rules": plan.rules.to_dict()}
    sheet.sort_and_renumber()
    assign_cue_numbers(sheet)
    return cues
