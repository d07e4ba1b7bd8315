"""Import metadata sheets and audio-file tags into the catalogue, with a preview first.

The preview is the real import run on a scratch copy of the catalogue, so what it shows is
exactly what applying will do (including rows of one sheet that share a work).
Each row is written in its own savepoint: a row that cannot be stored at all (no title, a
database refusal) is undone whole, reported with its row number and reason, and the others go
in. A bad *value* loses only that value: an unreadable ISRC, a 120% share or a duration that is
not a time is left out of the row and reported as ``sheet.csv row N, column isrc: ...``, and the
rest of the row (title, writers, publishers) is imported. Re-importing a sheet finds its recordings
again (ISRC, then library + catalogue number, then title + artist) and updates them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from cuesheet_app.domain.identifiers import (
    is_valid_ipi,
    is_valid_isrc,
    is_valid_iswc,
    normalize_ipi,
    normalize_isrc,
    normalize_iswc,
)
from cuesheet_app.domain.model import Cue, Party
from cuesheet_app.domain.parties import (
    PartyNotationError,
    format_parties,
    format_share,
    parse_party,
    share_total,
)
from cuesheet_app.domain.vocab import PROS, PUBLISHER_ROLES, WRITER_ROLES
from cuesheet_app.rights import import_batch
from cuesheet_app.rights.catalogue import Catalogue, CatalogueError
from cuesheet_app.rights.checks import HUNDRED, recording_problems, work_problems
from cuesheet_app.rights.import_batch import ChunkView
from cuesheet_app.rights.lookup import find_recording
from cuesheet_app.rights.metadata_sheet import MetadataSheetError, read_metadata_sheet
from cuesheet_app.rights.normalize import norm_code, norm_party_name, norm_text
from cuesheet_app.rights.records import Recording, Work

AUDIO_SUFFIXES = frozenset({".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".wav",
                            ".aif", ".aiff", ".wma", ".wv"})
SHEET_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm"})

# Sheet column -> role of the parties it lists (``Name [PRO] [IPI] share%; ...``).
PARTY_COLUMNS: dict[str, str] = {
    "composers": "C", "authors": "A", "composer_authors": "CA", "arrangers": "AR",
    "publishers": "E", "sub_publishers": "SE", "administrators": "AM",
}
# Any of these makes a row describe a recording; a row with none of them is a work only.
RECORDING_KEYS = ("file", "isrc", "artists", "album", "label", "release_date", "library",
                  "catalogue_number", "track_number", "duration")


class ImportSourceError(ValueError):
    """The source as a whole cannot be imported (missing file, unreadable sheet)."""


@dataclass
class SourceRow:
    """One item to import: ``where`` is how a person finds it ('sheet.csv row 7', 'track.mp3').

    ``errors`` make the row unusable; ``problems`` name fields already dropped from ``values``
    ("column isrc: ..."); ``notes`` name values normalised on the way in.
    """

    where: str
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RowOutcome:
    where: str
    action: str  # "add", "update", "unchanged" or "skip"
    title: str = ""
    changes: list[str] = field(default_factory=list)
    reason: str = ""
    problems: list[str] = field(default_factory=list)  # fields left out; the rest was applied
    notes: list[str] = field(default_factory=list)  # values normalised

    def problem_lines(self) -> list[str]:
        return [f"{self.where}, {p}" for p in self.problems]


@dataclass
class ImportReport:
    source: str
    outcomes: list[RowOutcome] = field(default_factory=list)
    applied: bool = False

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def skipped(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.action == "skip"]

    @property
    def with_problems(self) -> list[RowOutcome]:
        """Rows applied with some of their fields left out."""
        return [o for o in self.outcomes if o.action != "skip" and o.problems]

    def summary(self) -> str:
        verb = "imported" if self.applied else "would import"
        text = (f"{self.source}: {verb} {self.count('add')} new, {self.count('update')} updated, "
                f"{self.count('unchanged')} unchanged, {self.count('skip')} skipped")
        if self.with_problems:
            text += f", {len(self.with_problems)} applied with problems"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source, "applied": self.applied,
            "added": self.count("add"), "updated": self.count("update"),
            "unchanged": self.count("unchanged"), "skipped": self.count("skip"),
            "applied_with_problems": len(self.with_problems),
            "rows": [o.__dict__ for o in self.outcomes],
        }


# --- reading sources -------------------------------------------------------
# progress(phase, done, total): long imports (big sheets, folders of audio) report how far they are.
ProgressFn = Callable[[str, int, int], None]


def read_source(path: str | Path, progress: ProgressFn | None = None) -> list[SourceRow]:
    """Rows of a metadata sheet, or one row per audio file (a file or a folder of them)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_SUFFIXES)
        if not files:
            raise ImportSourceError(f"{p}: no audio files found to import")
        rows = []
        for i, f in enumerate(files):
            rows.append(tag_row(f))
            if progress:
                progress("reading tags", i + 1, len(files))
        return rows
    if not p.is_file():
        raise ImportSourceError(f"{p}: file not found")
    suffix = p.suffix.lower()
    if suffix in SHEET_SUFFIXES:
        try:
            sheet = read_metadata_sheet(p, require_audio_key=False)
        except MetadataSheetError as exc:
            raise ImportSourceError(str(exc)) from None
        return [SourceRow(f"{p.name} row {r.row}", dict(r.values), list(r.errors), r.problem_texts(),
                          r.note_texts()) for r in sheet.rows]
    if suffix in AUDIO_SUFFIXES:
        return [tag_row(p)]
    raise ImportSourceError(f"{p}: cannot import {suffix or 'this file'}: use a .csv/.xlsx sheet or audio files")


def tag_row(path: Path) -> SourceRow:
    """The catalogue fields an audio file's tags carry (ID3 TCOM/TPUB/TSRC, Vorbis comments, MP4)."""
    import mutagen
    from mutagen.id3 import ID3

    where = path.name
    try:
        audio = mutagen.File(path, easy=True)
    except Exception as exc:  # noqa: BLE001 - mutagen raises many types for damaged files
        return SourceRow(where, {}, [f"cannot read tags ({type(exc).__name__}: {exc})"])
    if audio is None:
        return SourceRow(where, {}, ["not an audio file with readable tags"])
    tags = audio.tags or {}
    id3 = isinstance(tags, ID3)  # WAV/AIFF carry raw ID3 frames even when asked for easy tags

    def get(*keys: str, sep: str = "; ") -> str:
        for key in keys:
            try:
                if id3:
                    frame = tags.get(_ID3_FRAMES.get(key, ""))
                    raw = list(getattr(frame, "text", [])) if frame is not None else []
                else:
                    raw = list(tags.get(key, []))
            except (KeyError, ValueError):
                raw = []
            values = [str(v).strip() for v in raw if str(v).strip()]
            if values:
                return sep.join(values)
        return ""

    values = {
        "file": str(path),
        "title": get("title") or path.stem,
        "artists": get("artist", "albumartist"),
        "album": get("album"),
        "label": get("label"),
        "isrc": get("isrc"),
        "composers": _as_list(get("composer")),
        "publishers": _as_list(get("organization", "publisher", "copyright")),
        "release_date": get("date", "originaldate")[:10],
        "track_number": get("tracknumber").split("/")[0].strip(),
        "catalogue_number": get("catalognumber"),
    }
    length = getattr(getattr(audio, "info", None), "length", None)
    if length:
        values["duration"] = str(round(float(length), 3))
    return SourceRow(where, {k: v for k, v in values.items() if v}, [])


# Easy tag names -> ID3 frames (TCOM composer, TPUB publisher, TSRC ISRC, ...).
_ID3_FRAMES = {"title": "TIT2", "artist": "TPE1", "albumartist": "TPE2", "album": "TALB",
               "composer": "TCOM", "organization": "TPUB", "isrc": "TSRC", "date": "TDRC",
               "originaldate": "TDOR", "tracknumber": "TRCK", "label": "TXXX:LABEL",
               "catalognumber": "TXXX:CATALOGNUMBER"}


def _as_list(text: str) -> str:
    """Tags list several names as 'A / B' or 'A, B & C'; the sheet notation separates with ';'."""
    return "; ".join(p.strip() for p in re.split(r"\s+/\s+|;", text) if p.strip())


# --- turning a row into catalogue records ---------------------------------------
def _parse_duration(text: str) -> str:
    """'3:05', '0:03:05', '185', '185.5' -> exact seconds as text."""
    t = text.strip()
    if not t:
        return ""
    parts = t.split(":")
    if len(parts) > 3 or not all(re.fullmatch(r"\d+(\.\d+)?", x) for x in parts):
        raise ValueError(f"duration {text!r} is not seconds, M:SS or H:MM:SS")
    total = Fraction(0)
    for part in parts:
        total = total * 60 + Fraction(part)
    return str(total.numerator) if total.denominator == 1 else str(float(total))


_PAREN = re.compile(r"\(\s*([A-Za-z]{2,8}|\d{9,11})\s*\)")


def house_notation(text: str) -> str:
    """Library sheets also write ``Jane Doe (ASCAP) (00012345678) 50% / John Roe (BMI) 50%``:
    society and IPI in parentheses, writers split by ' / '. Rewrite that into the bracket
    notation; parentheses that are not a known society or an IPI stay part of the name."""
    def bracket(m: re.Match[str]) -> str:
        value = m.group(1)
        return f"[{value.upper()}]" if value.isdigit() or value.upper() in PROS else m.group(0)

    return _PAREN.sub(bracket, re.sub(r"\s+/\s+", "; ", text))


def _column_parties(text: str, role: str, column: str, problems: list[str]) -> list[Party]:
    """The parties of one column; an entry that cannot be read, a share out of range or a bad
    IPI loses only itself (the party keeps the rest), reported as ``column X: ...``."""
    parties: list[Party] = []
    for entry in house_notation(text).split(";"):
        if not entry.strip():
            continue
        try:
            party = parse_party(entry, role)
        except PartyNotationError as exc:
            problems.append(f"column {column}: {exc}; this entry is left out")
            continue
        if party.share < 0 or party.share > HUNDRED:
            problems.append(f"column {column}: {entry.strip()!r}: a share of {format_share(party.share)}% "
                            "is out of range; the share is left empty")
            party.share = Fraction(0)
        if party.ipi and not is_valid_ipi(party.ipi):
            problems.append(f"column {column}: {entry.strip()!r}: IPI {party.ipi!r} must be 9 to 11 digits; "
                            "the IPI is left empty")
            party.ipi = ""
        parties.append(party)
    return parties


def _drop_bad_share_totals(parties: list[Party], problems: list[str]) -> None:
    """Shares that do not add up to 100 % are wrong somewhere, and nobody can tell where: keep
    the names and roles, leave the group's shares empty, and say so."""
    for kind, column, roles in (("writer", "composers", WRITER_ROLES),
                                ("publisher", "publishers", PUBLISHER_ROLES)):
        group = [p for p in parties if p.role in roles]
        total = share_total(group)
        if total and total != HUNDRED:
            problems.append(f"column {column}: {kind} shares add up to {format_share(total)}%, not 100%; "
                            f"the {kind} shares are left empty")
            for p in group:
                p.share = Fraction(0)


def _row_records(row: SourceRow) -> tuple[Recording | None, Work, list[str], list[str]]:
    """(recording, work, fields left out, errors that make the row unusable)."""
    v = dict(row.values)
    problems: list[str] = []
    parties: list[Party] = []
    for column, role in PARTY_COLUMNS.items():
        if v.get(column):
            parties += _column_parties(v[column], role, column, problems)
    _drop_bad_share_totals(parties, problems)
    iswc = normalize_iswc(v.get("iswc", ""))
    if iswc and not is_valid_iswc(iswc):
        problems.append(f"column iswc: {v['iswc']!r} is not a valid ISWC (T-DDD.DDD.DDD-C with its check "
                        "digit); the value is left out")
        iswc = ""
    work = Work(title=v.get("title", ""), iswc=iswc,
                alt_titles=[t.strip() for t in v.get("alt_titles", "").split(";") if t.strip()],
                parties=parties)
    rec: Recording | None = None
    if any(v.get(k) for k in RECORDING_KEYS):
        try:
            duration = _parse_duration(v.get("duration", ""))
        except ValueError as exc:
            problems.append(f"column duration: {exc}; the value is left out")
            duration = ""
        isrc = normalize_isrc(v.get("isrc", ""))
        if isrc and not is_valid_isrc(isrc):
            problems.append(f"column isrc: {v['isrc']!r} is not a valid ISRC (CC-XXX-YY-NNNNN); "
                            "the value is left out")
            isrc = ""
        rec = Recording(isrc=isrc, title=v.get("title", ""),
                        artists=[a.strip() for a in v.get("artists", "").split(";") if a.strip()],
                        album=v.get("album", ""), label=v.get("label", ""),
                        release_date=v.get("release_date", ""), library=v.get("library", ""),
                        catalogue_number=v.get("catalogue_number", ""),
                        track_number=v.get("track_number", ""), duration_s=duration,
                        source_file=v.get("file", ""))
    if not work.title.strip() and rec is not None:
        work.title = rec.title or rec.catalogue_number or rec.isrc
    errors = (recording_problems(rec) if rec is not None else []) + work_problems(work)
    return rec, work, problems, errors


Parsed = tuple[Recording | None, Work, list[str], list[str]]


def _apply_row(cat: Catalogue | ChunkView, row: SourceRow, parsed: Parsed | None = None) -> RowOutcome:
    """Write one row (the caller holds a savepoint). Raises CatalogueError to skip it.

    ``cat`` is the catalogue itself, or a server import's in-memory view of one chunk of it
    (``import_batch.ChunkView``): the decisions are this same code either way."""
    rec, work, problems, errors = parsed or _row_records(row)
    if errors:
        raise CatalogueError("; ".join(errors))
    changes: list[str] = []
    existing_rec: Recording | None = None
    if rec is not None:
        probe = Cue(title=rec.title, isrc=rec.isrc, artists=rec.artists, library=rec.library,
                    catalogue_number=rec.catalogue_number, track_number=rec.track_number)
        match = find_recording(cat, probe)
        existing_rec = match.recording if match else None
    existing_work = None
    if work.iswc:
        existing_work = cat.work_by_iswc(work.iswc)
    if existing_work is None and existing_rec is not None and existing_rec.work_id is not None:
        existing_work = cat.get_work(existing_rec.work_id)
    if existing_work is None and rec is None:
        same_title = cat.works_by_title(work.title)
        existing_work = same_title[0] if len(same_title) == 1 else None

    if existing_work is None:
        changes.append("new work")
        target_work = work
    else:
        target_work = existing_work
        if work.iswc and work.iswc != target_work.iswc:
            changes.append(f"iswc: {target_work.iswc or '—'} → {work.iswc}")
            target_work.iswc = work.iswc
        if work.title and norm_text(work.title) != norm_text(target_work.title):
            work.alt_titles.insert(0, work.title)
        for alt in work.alt_titles:
            known = {norm_text(t) for t in [target_work.title, *target_work.alt_titles]}
            if norm_text(alt) not in known:
                target_work.alt_titles.append(alt)
                changes.append(f"alternative title: + {alt}")
        if work.parties and not _same_credits(work.parties, target_work.parties):
            changes.append(f"parties: {format_parties(target_work.parties) or '—'} → "
                           f"{format_parties(work.parties)}")
            target_work.parties = work.parties
    if existing_work is None or changes:
        cat.save_work(target_work)

    if rec is not None:
        if existing_rec is None:
            changes.append("new recording")
            rec.work_id = target_work.id
            cat.save_recording(rec)
        else:
            rec_changes = _merge_recording(existing_rec, rec)
            if existing_rec.work_id != target_work.id:
                existing_rec.work_id = target_work.id
                rec_changes.append(f"work: → {target_work.title}")
            if rec_changes:
                cat.save_recording(existing_rec)
                changes += rec_changes
    new = "new work" in changes if rec is None else "new recording" in changes
    action = "add" if new else ("update" if changes else "unchanged")
    return RowOutcome(row.where, action, title=work.title, changes=changes,
                      problems=[*row.problems, *problems], notes=list(row.notes))


def _same_credits(incoming: list[Party], stored: list[Party]) -> bool:
    """The sheet says nothing new: same people, roles and shares; PRO/IPI the sheet leaves out
    are ones the directory already completed, not a change."""
    if len(incoming) != len(stored):
        return False
    for a, b in zip(incoming, stored, strict=True):
        if (a.role, norm_party_name(a.first_name, a.last_name, a.company), Fraction(a.share)) != (
                b.role, norm_party_name(b.first_name, b.last_name, b.company), Fraction(b.share)):
            return False
        if (a.pro and a.pro.upper() != b.pro) or (a.ipi and normalize_ipi(a.ipi) != b.ipi):
            return False
    return True


def _merge_recording(old: Recording, new: Recording) -> list[str]:
    """Values the sheet gives replace the catalogue's; empty cells leave them alone."""
    changes = []
    for name in ("isrc", "title", "album", "label", "release_date", "library", "catalogue_number",
                 "track_number", "duration_s", "source_file"):
        value = getattr(new, name)
        if value and value != getattr(old, name):
            changes.append(f"{name}: {getattr(old, name) or '—'} → {value}")
            setattr(old, name, value)
    if new.artists and new.artists != old.artists:
        changes.append(f"artists: {'; '.join(old.artists) or '—'} → {'; '.join(new.artists)}")
        old.artists = list(new.artists)
    return changes


BATCH_ROWS = 500  # rows per transaction: other windows and the CLI wait at most one batch


def import_rows(cat: Catalogue, rows: list[SourceRow], source: str, dry_run: bool = False,
                progress: ProgressFn | None = None) -> ImportReport:
    """Import rows; with ``dry_run`` the same import runs on a scratch copy of the catalogue.

    The preview therefore holds no lock on the real file and shows exactly what applying does.
    The real import commits every ``BATCH_ROWS`` rows, so a 50,000-row sheet never makes another
    writer wait longer than one batch; each row is all-or-nothing on its own.
    """
    if dry_run:
        with cat.scratch_copy() as scratch:
            report = _import(scratch, rows, source, progress, "checking rows")
        report.applied = False
        return report
    return _import(cat, rows, source, progress, "importing")


def _import(cat: Catalogue, rows: list[SourceRow], source: str, progress: ProgressFn | None,
            phase: str) -> ImportReport:
    report = ImportReport(source=source)
    seen_isrc: dict[str, str] = {}
    batch: list[SourceRow] = []
    batched = import_batch.supported(cat)

    def run(batch: list[SourceRow]) -> None:
        if batched:
            report.outcomes.extend(_import_chunk(cat, batch, seen_isrc))
        else:
            with cat.transaction():
                for row in batch:
                    report.outcomes.append(_import_one(cat, row, seen_isrc))
        if progress:
            progress(phase, len(report.outcomes), len(rows))

    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            run(batch)
            batch = []
    if batch:
        run(batch)
    report.applied = True
    return report


def _import_one(cat: Catalogue, row: SourceRow, seen_isrc: dict[str, str],
                view: ChunkView | None = None, index: int = 0, parsed: Parsed | None = None) -> RowOutcome:
    """One row, all or nothing: in a savepoint of the catalogue, or in ``view``'s memory."""
    title = row.values.get("title", "")
    if row.errors:
        return RowOutcome(row.where, "skip", title, reason="; ".join(row.errors))
    isrc = normalize_isrc(row.values.get("isrc", ""))
    if isrc and isrc in seen_isrc:
        return RowOutcome(row.where, "skip", title, reason=f"duplicate ISRC {isrc}: already in {seen_isrc[isrc]}")
    try:
        if view is None:
            with cat.savepoint():
                outcome = _apply_row(cat, row)
        else:
            with view.row(index):
                outcome = _apply_row(view, row, parsed)
    except CatalogueError as exc:
        return RowOutcome(row.where, "skip", title, reason=str(exc))
    if isrc:
        seen_isrc[isrc] = row.where
    return outcome


def _import_chunk(cat: Catalogue, rows: list[SourceRow], seen_isrc: dict[str, str]) -> list[RowOutcome]:
    """A server import's chunk: decided in memory from a few bulk reads, written set-based in one
    transaction (``import_batch``), with the same outcome per row as ``_import_one`` in turn.

    Someone else saving an entry this chunk changed, between our read and our write, refuses
    the rows that changed it (who and when, as any conflicting save) and the rest is run again
    on fresh reads. A refusal by the database itself (another session added the same ISRC a
    moment ago) sends the chunk down the row-by-row path, which reports the row it concerns.
    """
    decided: dict[int, RowOutcome] = {}
    pending = list(range(len(rows)))
    while pending:
        seen = dict(seen_isrc)
        outcomes: dict[int, RowOutcome] = {}
        try:
            with cat.transaction():
                parsed = {i: _row_records(rows[i]) for i in pending if not rows[i].errors}
                view = ChunkView(cat, **_chunk_keys(parsed.values()))
                for n, i in enumerate(pending):
                    view.reserve_hint(len(pending) - n)
                    outcomes[i] = _import_one(cat, rows[i], seen, view, i, parsed.get(i))
                view.write()
        except import_batch.StaleEntries as stale:
            refused = stale.refusals(cat)
            for i, reason in refused.items():
                decided[i] = RowOutcome(rows[i].where, "skip", rows[i].values.get("title", ""), reason=reason)
            pending = [i for i in pending if i not in decided]
            if not refused:  # cannot tell whose rows: let the row-by-row path decide
                break
            continue
        except cat._integrity:
            break
        seen_isrc.clear()
        seen_isrc.update(seen)
        decided.update(outcomes)
        pending = []
    if pending:
        with cat.transaction():
            for i in pending:
                decided[i] = _import_one(cat, rows[i], seen_isrc)
    return [decided[i] for i in range(len(rows))]


def _chunk_keys(parsed: Iterable[Parsed]) -> dict[str, set[str]]:
    """Every key the chunk's rows can look up (see ``_apply_row`` and ``find_recording``)."""
    keys: dict[str, set[str]] = {name: set() for name in ("isrcs", "codes", "rec_titles", "iswcs", "work_titles",
                                                          "ipis", "party_names")}
    for rec, work, _, _ in parsed:
        if rec is not None:
            keys["isrcs"].add(normalize_isrc(rec.isrc))
            keys["codes"].add(norm_code(rec.catalogue_number))
            keys["rec_titles"].add(norm_text(rec.title))
        keys["iswcs"].add(normalize_iswc(work.iswc))
        keys["work_titles"].add(norm_text(work.title))
        for p in work.parties:
            keys["ipis"].add(normalize_ipi(p.ipi))
            keys["party_names"].add(norm_party_name(p.first_name, p.last_name, p.company))
    return keys


def import_file(cat: Catalogue, path: str | Path, dry_run: bool = False,
                progress: ProgressFn | None = None) -> ImportReport:
    """Preview (``dry_run``) or import a sheet, an audio file or a folder of audio files."""
    return import_rows(cat, read_source(path, progress), str(path), dry_run=dry_run, progress=progress)
