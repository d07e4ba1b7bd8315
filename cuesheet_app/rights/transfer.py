"""Copy one catalogue into another (a personal SQLite file to the team server): safe to repeat.

Entries are matched by what identifies them, never by row id (two people's files number their
rows independently): a work by ISWC, else by title with the same credits; a recording by ISRC,
else library + catalogue number (+ track), else title + artists. What the target already has is
left alone; where both hold the same work with different rights, the target's is kept and the
difference is reported (a migration never overwrites a colleague's correction). Running it again
finds everything and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cuesheet_app.domain.parties import format_parties
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.errors import CatalogueError
from cuesheet_app.rights.normalize import norm_artists, norm_text
from cuesheet_app.rights.records import RECORDING_FIELDS, Recording, Work

BATCH = 500


@dataclass
class TransferReport:
    source: str
    target: str
    works_added: int = 0
    works_same: int = 0
    recordings_added: int = 0
    recordings_completed: int = 0
    recordings_same: int = 0
    differences: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.source} → {self.target}: works {self.works_added} added, {self.works_same} already there; "
                f"recordings {self.recordings_added} added, {self.recordings_completed} completed, "
                f"{self.recordings_same} already there; {len(self.differences)} kept as the target has them, "
                f"{len(self.refused)} refused")

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _work_key(work: Work) -> str:
    return format_parties(work.parties)


def _find_work(dst: Catalogue, work: Work) -> Work | None:
    if work.iswc:
        found = dst.work_by_iswc(work.iswc)
        if found is not None:
            return found
    same = [w for w in dst.works_by_title(work.title) if _work_key(w) == _work_key(work)
            and (not work.iswc or not w.iswc)]
    return same[0] if same else None


def _find_recording(dst: Catalogue, rec: Recording) -> Recording | None:
    if rec.isrc:
        return dst.recording_by_isrc(rec.isrc)
    if rec.catalogue_number:
        for r in dst.recordings_by_catalogue_number(rec.library, rec.catalogue_number):
            if r.track_number.lstrip("0") == rec.track_number.lstrip("0"):
                return r
    for r in dst.recordings_by_title(rec.title):
        if norm_artists(r.artists) == norm_artists(rec.artists) and not r.isrc:
            return r
    return None


def transfer(src: Catalogue, dst: Catalogue) -> TransferReport:
    """Copy every work and recording of ``src`` into ``dst`` (see the module docstring)."""
    report = TransferReport(src.where, dst.where)
    work_map: dict[int, int] = {}
    works = src.all_works()
    for start in range(0, len(works), BATCH):
        with dst.transaction():
            for work in works[start:start + BATCH]:
                _copy_work(dst, work, work_map, report)
    recordings = src.all_recordings()
    for start in range(0, len(recordings), BATCH):
        with dst.transaction():
            for rec in recordings[start:start + BATCH]:
                _copy_recording(dst, rec, work_map, report)
    return report


def _copy_work(dst: Catalogue, work: Work, work_map: dict[int, int], report: TransferReport) -> None:
    found = _find_work(dst, work)
    if found is not None:
        work_map[work.id] = found.id
        if _work_key(found) == _work_key(work):
            report.works_same += 1
        else:
            report.differences.append(f"work {work.title!r}: target has {_work_key(found) or '—'}; "
                                      f"this catalogue has {_work_key(work) or '—'} (target kept)")
        return
    copy = Work(title=work.title, iswc=work.iswc, alt_titles=list(work.alt_titles), parties=list(work.parties),
                notes=work.notes)
    try:
        with dst.savepoint("transfer_item"):
            dst.save_work(copy)
    except CatalogueError as exc:
        report.refused.append(f"work {work.title!r}: {exc}")
        return
    work_map[work.id] = copy.id
    report.works_added += 1


def _copy_recording(dst: Catalogue, rec: Recording, work_map: dict[int, int], report: TransferReport) -> None:
    work_id = work_map.get(rec.work_id) if rec.work_id is not None else None
    found = _find_recording(dst, rec)
    if found is None:
        copy = Recording(**{name: getattr(rec, name) for name in RECORDING_FIELDS}, work_id=work_id)
        try:
            with dst.savepoint("transfer_item"):
                dst.save_recording(copy)
        except CatalogueError as exc:
            report.refused.append(f"recording {rec.title!r}: {exc}")
            return
        report.recordings_added += 1
        return
    completed = False
    for name in RECORDING_FIELDS:
        if getattr(rec, name) and not getattr(found, name):
            setattr(found, name, getattr(rec, name))
            completed = True
    if found.work_id is None and work_id is not None:
        found.work_id = work_id
        completed = True
    elif work_id is not None and found.work_id != work_id:
        report.differences.append(f"recording {rec.title!r}: linked to another work on the target (target kept)")
    if not completed:
        report.recordings_same += 1
        return
    try:
        with dst.savepoint("transfer_item"):
            dst.save_recording(found)
    except CatalogueError as exc:
        report.refused.append(f"recording {rec.title!r}: {exc}")
        return
    report.recordings_completed += 1


def same_title(a: str, b: str) -> bool:
    return norm_text(a) == norm_text(b)
