"""Find a cue's recording in the catalogue: ISRC, then library + catalogue number, then title + artist.

The order goes from the identifier that cannot be wrong to the one that can: a title and
artist match is only taken when it is unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass

from cuesheet_app.domain.model import Cue
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.normalize import norm_artists
from cuesheet_app.rights.records import Recording, Work

BY_ISRC = "isrc"
BY_CATALOGUE_NUMBER = "catalogue_number"
BY_TITLE_ARTIST = "title_artist"


@dataclass
class Match:
    recording: Recording
    work: Work | None
    how: str  # BY_ISRC, BY_CATALOGUE_NUMBER or BY_TITLE_ARTIST

    @property
    def ref(self) -> str:
        """What the cue's provenance keeps to point back at the catalogue entry."""
        return f"recording:{self.recording.id}"


def find_recording(cat: Catalogue, cue: Cue) -> Match | None:
    """The catalogue recording this cue uses, or None."""
    found = find_recording_only(cat, cue)
    if found is None:
        return None
    rec, how = found
    work = cat.get_work(rec.work_id) if rec.work_id is not None else None
    return Match(recording=rec, work=work, how=how)


def find_recording_only(cat: Catalogue, cue: Cue) -> tuple[Recording, str] | None:
    """The recording and how it was found, without its work: a whole season is matched first and
    the matched works are then read together."""
    rec = cat.recording_by_isrc(cue.isrc) if cue.isrc else None
    how = BY_ISRC
    if rec is None and cue.catalogue_number:
        candidates = cat.recordings_by_catalogue_number(cue.library, cue.catalogue_number)
        rec = _unique(candidates, cue)
        how = BY_CATALOGUE_NUMBER
    if rec is None and cue.title and cue.identified:
        rec = _by_title_artist(cat.recordings_by_title(cue.title), cue)
        how = BY_TITLE_ARTIST
    return None if rec is None else (rec, how)


def _unique(candidates: list[Recording], cue: Cue) -> Recording | None:
    """A library code usually names a whole album (CD): the track number, when both sides
    have one, must agree; what remains must be one recording."""
    track = cue.track_number.lstrip("0")
    if track:
        candidates = [r for r in candidates if not r.track_number or r.track_number.lstrip("0") == track]
    return candidates[0] if len(candidates) == 1 else None


def _by_title_artist(candidates: list[Recording], cue: Cue) -> Recording | None:
    cue_artists = set(norm_artists(cue.artists))
    if cue_artists:
        matching = [r for r in candidates if cue_artists & set(norm_artists(r.artists))]
    else:
        # No artist on either side (library tracks often have none): the title alone decides.
        matching = [r for r in candidates if not r.artists]
    return matching[0] if len(matching) == 1 else None
