"""The edit and the audio, side by side: the edit's timing wins, the audio confirms and completes.

The edit gives frame-exact in/out and names sources; identification says what was actually in
the mix. Where they agree the cue keeps the edit's times and gains the audio's metadata; where
they disagree the cue is flagged, and ``validation`` turns each flag into a Problems finding:

- ``edit-other-track``: the audio identifies another piece than the edit's clip names;
- ``not-in-edit``: music in the mix that no clip of the edit names (kept as its own cue);
- ``edit-silent``: the edit has music the audio does not hear (muted or mixed out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cuesheet_app.domain.model import Cue


@dataclass(frozen=True)
class ReconcileSettings:
    silent_share: float = 0.25  # an edit cue the audio hears for less than this share is "silent"
    covered_share: float = 0.5  # an engine cue the edit covers for at least this share is "in the edit"


def _overlap(a: Cue, b: Cue) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def _norm_title(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def same_piece(edit: Cue, heard: Cue) -> bool | None:
    """True/False when the two cues carry comparable identifiers; None when nothing compares."""
    if edit.isrc and heard.isrc:
        return edit.isrc == heard.isrc
    if edit.catalogue_number and heard.catalogue_number:
        same_code = edit.catalogue_number.replace(" ", "").upper() == heard.catalogue_number.replace(" ", "").upper()
        a, b = edit.track_number.lstrip("0"), heard.track_number.lstrip("0")
        return same_code and (not a or not b or a == b)
    x, y = _norm_title(edit.title), _norm_title(heard.title)
    if x and y:
        return x in y or y in x
    return None


def reconcile(edit_cues: list[Cue], heard: list[Cue], settings: ReconcileSettings = ReconcileSettings()) -> list[Cue]:
    """The cues to keep: every edit cue (checked against the audio) plus audio-only music."""
    out: list[Cue] = []
    for cue in edit_cues:
        overlapping = [h for h in heard if _overlap(cue, h) > 0]
        heard_frames = sum(_overlap(cue, h) for h in overlapping)
        if cue.duration and heard_frames < settings.silent_share * cue.duration:
            cue.flags.append("edit-silent")
        identified = sorted((h for h in overlapping if h.identified), key=lambda h: -_overlap(cue, h))
        if identified:
            best = identified[0]
            if same_piece(cue, best) is False:
                cue.flags.append("edit-other-track")
                cue.notes = (cue.notes + "; " if cue.notes else "") + f"The audio identifies: {best.title}" + (
                    f" ({best.library} {best.catalogue_number})".rstrip(" ()") if best.library else "")
            else:
                complete_from_audio(cue, best)
        out.append(cue)
    for h in heard:
        covered = sum(_overlap(h, c) for c in edit_cues)
        if h.duration and covered < settings.covered_share * h.duration:
            extra = h.copy()
            extra.flags.append("not-in-edit")
            out.append(extra)
    return out


def complete_from_audio(cue: Cue, heard: Cue) -> None:
    """Fill what the edit could not know (library metadata, rights) from the identified audio."""
    for name in ("isrc", "iswc", "album", "label", "release_date", "library", "catalogue_number", "track_number"):
        if not getattr(cue, name) and getattr(heard, name):
            setattr(cue, name, getattr(heard, name))
    if not cue.artists and heard.artists:
        cue.artists = list(heard.artists)
    if heard.title and ("rights-needed" in cue.flags or not cue.title):
        cue.title = heard.title
    if not cue.parties and heard.parties:
        cue.parties = [p for p in heard.copy().parties]
    if cue.parties and "rights-needed" in cue.flags:
        cue.flags.remove("rights-needed")
    if cue.library and cue.origin == "unknown":
        cue.origin = "library"
    cue.provenance.identification_confidence = heard.provenance.identification_confidence
    cue.provenance.detection_confidence = heard.provenance.detection_confidence
