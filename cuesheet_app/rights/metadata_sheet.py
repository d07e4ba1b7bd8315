"""Reader for rights metadata sheets (CSV or XLSX) that describe reference-library tracks.

Columns (header names case-insensitive, spaces/underscores/dashes alike):
``file, title, artists, album, label, release_date, isrc, iswc, library, catalogue_number,
track_number, composers, publishers``. ``composers``/``publishers`` hold ``Name [PRO] [IPI]
share%`` entries separated by ``;`` (see ``domain/parties.py``); ``artists`` are separated by
``;`` too. A row is matched to an audio file by its file name or its ISRC.

Why rows carry their own errors instead of the whole sheet failing: a 5,000-row library sheet
with three typos should still index the other 4,997 tracks, and the user needs the row
numbers (as a spreadsheet shows them) of the three bad ones. Nothing is silently dropped.

And why a bad *value* loses only that value: one typo in a row's ISRC must not throw away its
title, writers and publishers (the track's cues would then carry no rights at all). A malformed
field is dropped from the row and reported once as ``sheet.csv row N, column isrc: ...``; a value
that can be normalised without guessing (case, spaces and hyphens in an ISRC or ISWC) is
normalised and the change is noted. Only a row that cannot be used at all (nothing to find its
audio by) is an error of the whole row.

``COLUMN_ALIASES`` is the ONE place header spellings live: other readers (e.g. the rights
catalogue's "standard template") add their aliases to it.
"""

from __future__ import annotations

import csv
import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from cuesheet_app.domain.identifiers import (
    is_valid_isrc,
    is_valid_iswc,
    normalize_isrc,
    normalize_iswc,
)
from cuesheet_app.domain.model import Party
from cuesheet_app.domain.parties import (
    PartyNotationError,
    format_parties,
    format_share,
    parse_party,
)

# normalised header text -> field name. Keys are written as normalised by ``normalize_header``.
COLUMN_ALIASES: dict[str, str] = {
    "file": "file", "filename": "file", "file name": "file", "path": "file", "file path": "file",
    "audio file": "file",
    "title": "title", "track title": "title", "track name": "title", "song title": "title",
    "artists": "artists", "artist": "artists", "performer": "artists", "performers": "artists",
    "album": "album", "album title": "album", "cd title": "album",
    "label": "label", "record label": "label",
    "release date": "release_date", "released": "release_date", "year": "release_date",
    "isrc": "isrc",
    "iswc": "iswc",
    "library": "library", "library name": "library",
    "catalogue number": "catalogue_number", "catalog number": "catalogue_number",
    "catalogue no": "catalogue_number", "catalog no": "catalogue_number", "cat no": "catalogue_number",
    "track number": "track_number", "track no": "track_number", "track": "track_number",
    "composers": "composers", "composer": "composers", "writers": "composers",
    "publishers": "publishers", "publisher": "publishers",
    # Production-music "standard template" spellings (rights catalogue import/export).
    "album code": "catalogue_number", "cd code": "catalogue_number", "catalogue code": "catalogue_number",
    "catalog code": "catalogue_number", "album number": "catalogue_number",
    "composer(s)": "composers", "publisher(s)": "publishers", "artist(s)": "artists",
    "isrc code": "isrc", "iswc code": "iswc", "track title(s)": "title",
    "alt titles": "alt_titles", "alternative titles": "alt_titles", "alternate title(s)": "alt_titles",
    "alternate titles": "alt_titles", "aka": "alt_titles",
    "duration": "duration", "length": "duration", "time": "duration",
    "authors": "authors", "lyricists": "authors", "lyricist(s)": "authors", "lyricist": "authors",
    "composer authors": "composer_authors", "arrangers": "arrangers", "arranger(s)": "arrangers",
    "sub publishers": "sub_publishers", "administrators": "administrators",
}
FIELDS = ("file", "title", "artists", "album", "label", "release_date", "isrc", "iswc", "library",
          "catalogue_number", "track_number", "composers", "publishers")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class MetadataSheetError(ValueError):
    """The sheet as a whole cannot be read; the message names the file."""


def normalize_header(text: str) -> str:
    return " ".join(re.sub(r"[_\-.#]+", " ", str(text or "")).casefold().split())


@dataclass(frozen=True)
class FieldProblem:
    """A value that was dropped (``dropped``) or rewritten (a normalisation note)."""

    column: str  # the field's name (``isrc``), as the documented sheet columns are named
    message: str
    dropped: bool = True


@dataclass
class SheetRow:
    """One data row: ``row`` is the spreadsheet's row number (the header is row 1).

    ``errors`` make the whole row unusable; ``problems`` are fields dropped from ``values``
    (the rest of the row still applies); ``notes`` are values normalised on the way in.
    """

    row: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    notes: list[FieldProblem] = field(default_factory=list)

    @property
    def has_problems(self) -> bool:
        return bool(self.problems)

    def problem_texts(self) -> list[str]:
        """``column isrc: ...`` for each dropped field (the caller prefixes the row)."""
        return [f"column {p.column}: {p.message}" for p in self.problems]

    def note_texts(self) -> list[str]:
        return [f"column {p.column}: {p.message}" for p in self.notes]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def artists(self) -> list[str]:
        return [a.strip() for a in self.get("artists").split(";") if a.strip()]

    @property
    def file_key(self) -> str:
        """Lower-cased base name: how a row finds its audio file."""
        return file_key(self.get("file"))


def file_key(name: str) -> str:
    return Path(name.replace("\\", "/")).name.casefold() if name else ""


@dataclass
class MetadataSheet:
    path: Path
    rows: list[SheetRow]
    columns: dict[str, str]  # header as written -> field name
    ignored_columns: list[str]

    @property
    def bad_rows(self) -> list[SheetRow]:
        return [r for r in self.rows if r.errors]

    @property
    def rows_with_problems(self) -> list[SheetRow]:
        return [r for r in self.rows if r.ok and r.problems]

    def error_lines(self) -> list[str]:
        """Every unusable row and every dropped field, once each, as a person finds them."""
        lines: list[str] = []
        for r in self.rows:
            lines.extend(f"{self.path.name} row {r.row}: {e}" for e in r.errors)
            lines.extend(f"{self.path.name} row {r.row}, {t}" for t in r.problem_texts())
        return lines

    def note_lines(self) -> list[str]:
        return [f"{self.path.name} row {r.row}, {t}" for r in self.rows for t in r.note_texts()]

    def match(self, audio_path: str | os.PathLike[str], isrc: str = "") -> SheetRow | None:
        """The good row for this audio file: by file name first, then by ISRC."""
        key = file_key(str(audio_path))
        stem = Path(key).stem
        for r in self.rows:
            if r.ok and r.file_key and (r.file_key == key or (
                    not Path(r.file_key).suffix and r.file_key == stem)):
                return r
        want = normalize_isrc(isrc)
        if want:
            for r in self.rows:
                if r.ok and normalize_isrc(r.get("isrc")) == want:
                    return r
        return None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(r) for r in csv.reader(text.splitlines(), dialect)]


def _read_xlsx(path: Path) -> list[list[str]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise MetadataSheetError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        ws = wb.worksheets[0]
        return [[_cell_text(c) for c in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _check_parties(text: str, role: str) -> tuple[str, list[str]]:
    """The party entries that parse and have a possible share, and why the others were dropped.

    One bad entry (an unreadable bracket, a 120% share) loses only that entry's bad part: a
    share over 100 is dropped from the party, an entry that cannot be read is dropped whole.
    """
    kept: list[Party] = []
    problems: list[str] = []
    changed = False
    for entry in (text or "").split(";"):
        if not entry.strip():
            continue
        try:
            party = parse_party(entry, role)
        except PartyNotationError as exc:
            problems.append(f"{exc}; this entry is left out")
            changed = True
            continue
        if party.share > 100:
            problems.append(f"{entry.strip()!r}: a share of {format_share(party.share)}% is over 100%; "
                            "the share is left empty")
            party.share = Fraction(0)
            changed = True
        kept.append(party)
    return (format_parties(kept) if changed else text), problems


def _check(values: dict[str, str],
           require_audio_key: bool = True) -> tuple[list[str], list[FieldProblem], list[FieldProblem]]:
    """Row errors, dropped fields and normalisation notes; ``values`` is cleaned in place."""
    problems: list[FieldProblem] = []
    notes: list[FieldProblem] = []

    def drop(name: str, message: str) -> None:
        problems.append(FieldProblem(name, message))
        values.pop(name, None)

    def normalise(name: str, normal: str) -> None:
        written = values[name]
        if written != normal:
            notes.append(FieldProblem(name, f"{written!r} normalised to {normal}",
                                      dropped=False))
            values[name] = normal

    if values.get("isrc"):
        if is_valid_isrc(values["isrc"]):
            normalise("isrc", normalize_isrc(values["isrc"]))
        else:
            drop("isrc", f"{values['isrc']!r} is not a valid ISRC (CC-XXX-YY-NNNNN); the value is left out")
    if values.get("iswc"):
        if is_valid_iswc(values["iswc"]):
            normalise("iswc", normalize_iswc(values["iswc"]))
        else:
            drop("iswc", f"{values['iswc']!r} is not a valid ISWC (T-DDD.DDD.DDD-C); the value is left out")
    if values.get("release_date") and not _DATE.match(values["release_date"]):
        drop("release_date", f"{values['release_date']!r} is not YYYY, YYYY-MM or YYYY-MM-DD; "
                             "the value is left out")
    if values.get("track_number") and not re.fullmatch(r"[A-Za-z]?\d+[A-Za-z]?", values["track_number"]):
        drop("track_number", f"{values['track_number']!r} is not a track number; the value is left out")
    for name, role in (("composers", "C"), ("publishers", "E")):
        if values.get(name):
            cleaned, party_problems = _check_parties(values[name], role)
            for message in party_problems:
                problems.append(FieldProblem(name, message))
            if cleaned:
                values[name] = cleaned
            else:
                values.pop(name, None)
    errors: list[str] = []
    if require_audio_key and not values.get("file") and not values.get("isrc"):
        errors.append("needs a 'file' or a valid 'isrc' to find its audio" if problems else
                      "needs a 'file' or an 'isrc' to find its audio")
    return errors, problems, notes


def read_metadata_sheet(path: str | os.PathLike[str], require_audio_key: bool = True) -> MetadataSheet:
    """Read a .csv or .xlsx sheet. Raises MetadataSheetError only for whole-sheet problems.

    ``require_audio_key=False`` (the rights catalogue) accepts rows without file/ISRC, since a
    catalogue entry can be found by library + catalogue number or title instead.
    """
    p = Path(path)
    if not p.is_file():
        raise MetadataSheetError(f"{p}: metadata sheet not found")
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv" or suffix in (".tsv", ".txt"):
            table = _read_csv(p)
        elif suffix in (".xlsx", ".xlsm"):
            table = _read_xlsx(p)
        else:
            raise MetadataSheetError(f"{p}: metadata sheet must be .csv or .xlsx")
    except OSError as exc:
        raise MetadataSheetError(f"{p}: cannot read ({exc.strerror or exc})") from None
    header_at = next((i for i, r in enumerate(table) if any(_cell_text(c) for c in r)), None)
    if header_at is None:
        raise MetadataSheetError(f"{p}: the sheet is empty")
    header = [_cell_text(c) for c in table[header_at]]
    columns: dict[str, str] = {}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for i, name in enumerate(header):
        fieldname = COLUMN_ALIASES.get(normalize_header(name))
        if fieldname and fieldname not in positions:
            positions[fieldname] = i
            columns[name] = fieldname
        elif name:
            ignored.append(name)
    if require_audio_key and "file" not in positions and "isrc" not in positions:
        raise MetadataSheetError(f"{p}: needs a 'file' or 'isrc' column (found: {', '.join(h for h in header if h)})")
    rows: list[SheetRow] = []
    for offset, raw in enumerate(table[header_at + 1:], start=header_at + 2):
        cells = [_cell_text(c) for c in raw]
        if not any(cells):
            continue
        values = {f: cells[i].strip() for f, i in positions.items() if i < len(cells) and cells[i].strip()}
        errors, problems, notes = _check(values, require_audio_key)
        rows.append(SheetRow(row=offset, values=values, errors=errors, problems=problems, notes=notes))
    return MetadataSheet(path=p, rows=rows, columns=columns, ignored_columns=ignored)
