"""Back up the catalogue to a CSV/XLSX metadata sheet, and restore it by importing that sheet.

The backup is the same sheet format users import (plus a few optional columns the reader
knows: alternative titles, duration, and one column per party role), so a backup is also
something a person can read, fix in a spreadsheet and import again.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cuesheet_app.domain.identifiers import format_iswc
from cuesheet_app.domain.parties import format_parties
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.importer import PARTY_COLUMNS, ImportReport, import_file
from cuesheet_app.rights.records import Recording, Work
from cuesheet_app.storage.atomic import atomic_write_bytes, atomic_write_with

COLUMNS = ("file", "title", "alt_titles", "artists", "album", "label", "release_date", "isrc", "iswc",
           "library", "catalogue_number", "track_number", "duration", *PARTY_COLUMNS)


class BackupError(ValueError):
    """The backup cannot be written in that format; the message names the file."""


def catalogue_rows(cat: Catalogue) -> list[dict[str, str]]:
    """One row per recording (with its work's rights), then one per work without recordings."""
    works = {w.id: w for w in cat.all_works()}
    used: set[int] = set()
    rows = []
    for rec in cat.all_recordings():
        work = works.get(rec.work_id) if rec.work_id is not None else None
        if work:
            used.add(work.id)
        rows.append(_row(work, rec))
    rows += [_row(w, None) for wid, w in works.items() if wid not in used]
    return rows


def _row(work: Work | None, rec: Recording | None) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    if work is not None:
        row["title"] = work.title
        row["alt_titles"] = "; ".join(work.alt_titles)
        row["iswc"] = format_iswc(work.iswc) if work.iswc else ""
        for column, role in PARTY_COLUMNS.items():
            row[column] = format_parties([p for p in work.parties if p.role == role])
    if rec is not None:
        if rec.title and work is not None and rec.title != work.title:
            # The recording's title is what engines report; the work's becomes an alternative.
            row["alt_titles"] = "; ".join(t for t in [work.title, *work.alt_titles] if t != rec.title)
        row.update(file=rec.source_file, title=rec.title or row["title"], artists="; ".join(rec.artists),
                   album=rec.album, label=rec.label, release_date=rec.release_date, isrc=rec.isrc,
                   library=rec.library, catalogue_number=rec.catalogue_number,
                   track_number=rec.track_number, duration=rec.duration_s)
    return row


def export_catalogue(cat: Catalogue, path: str | Path) -> int:
    """Write the backup atomically (.csv or .xlsx by suffix); returns the number of rows."""
    target = Path(path)
    rows = catalogue_rows(cat)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_bytes(target, buf.getvalue().encode("utf-8"))
    elif suffix == ".xlsx":
        atomic_write_with(target, lambda tmp: _write_xlsx(tmp, rows))
    else:
        raise BackupError(f"{target}: back up to a .csv or .xlsx file")
    return len(rows)


def _write_xlsx(path: Path, rows: list[dict[str, str]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Catalogue"
    ws.append(list(COLUMNS))
    for row in rows:
        ws.append([row[c] for c in COLUMNS])
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            cell.number_format = "@"  # text: IPIs, track numbers and codes keep their zeros
    ws.freeze_panes = "A2"
    wb.save(path)


def restore_catalogue(cat: Catalogue, path: str | Path, dry_run: bool = False) -> ImportReport:
    """Restoring is importing the backup: existing entries are updated, missing ones added."""
    return import_file(cat, path, dry_run=dry_run)
