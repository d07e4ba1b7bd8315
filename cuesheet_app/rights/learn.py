"""Save a cue's rights to the catalogue for its recording and work, so later episodes get them.

The user's corrected credits replace the work's credits (that is what "learn" means);
recording details only fill what the catalogue does not know yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from cuesheet_app.domain.model import Cue, Party
from cuesheet_app.rights.catalogue import Catalogue, CatalogueError
from cuesheet_app.rights.lookup import find_recording
from cuesheet_app.rights.records import Recording, Work


@dataclass
class LearnResult:
    recording_id: int
    work_id: int
    new_recording: bool
    new_work: bool

    @property
    def ref(self) -> str:
        return f"recording:{self.recording_id}"


def can_learn(cue: Cue) -> bool:
    """Only a cue that names its music can teach the catalogue anything."""
    if not cue.parties and not cue.iswc:
        return False
    placeholder = "unidentified" in cue.flags and not (cue.isrc or cue.catalogue_number)
    return bool(cue.title or cue.isrc or cue.catalogue_number) and not placeholder


def learn_cue(cat: Catalogue, cue: Cue) -> LearnResult:
    """One transaction: find or create the recording and its work, store the cue's credits."""
    if not can_learn(cue):
        raise CatalogueError(f"cue {cue.cue_number or cue.id}: name the music (title, ISRC or catalogue "
                             "number) and its rights before saving them to the catalogue")
    with cat.transaction():
        match = find_recording(cat, cue)
        rec = match.recording if match else Recording()
        new_recording = match is None
        _complete_recording(rec, cue)
        work = cat.work_by_iswc(cue.iswc) if cue.iswc else None
        if work is None and match is not None and match.work is not None:
            work = match.work
        new_work = work is None
        if work is None:
            work = Work(title=cue.title or rec.title)
        if cue.iswc:
            work.iswc = cue.iswc
        if cue.title and cue.title != work.title and cue.title not in work.alt_titles and not new_work:
            work.alt_titles.append(cue.title)
        work.parties = [Party.from_dict(p.to_dict()) for p in cue.parties]
        cat.save_work(work)
        rec.work_id = work.id
        cat.save_recording(rec)
    return LearnResult(recording_id=rec.id, work_id=work.id, new_recording=new_recording, new_work=new_work)


def _complete_recording(rec: Recording, cue: Cue) -> None:
    for name in ("isrc", "title", "album", "label", "release_date", "library", "catalogue_number",
                 "track_number"):
        value = getattr(cue, name)
        if value and not getattr(rec, name):
            setattr(rec, name, value)
    if cue.artists and not rec.artists:
        rec.artists = list(cue.artists)
