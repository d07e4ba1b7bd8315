"""CSV export: UTF-8 with a BOM (so Excel reads accents), one row per cue or one row per party.

Text that a spreadsheet would run as a formula (starting with = + - @ tab CR) gets a
leading apostrophe; nothing else is changed. Durations are printed with the
rounding policy and a trailing total row, so the column adds up to the total.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.parties import format_parties, format_share
from cuesheet_app.domain.vocab import ORIGINS, label_of
from cuesheet_app.export import rows as rows_mod
from cuesheet_app.export.options import ExportOptions
from cuesheet_app.export.registry import ExportError
from cuesheet_app.export.rows import CueRow, ExportData, csv_safe
from cuesheet_app.storage.atomic import atomic_write_bytes

CUE_COLUMNS = [
    "Seq #", "Cue #", "Title", "Usage", "Time In", "Time Out", "Duration", "Duration (s)", "Origin",
    "Vocal", "Writers", "Publishers", "Artists", "Album", "Label", "Library", "Catalogue #",
    "Track #", "ISRC", "ISWC", "Status",
]
PARTY_COLUMNS = [
    "Seq #", "Cue #", "Title", "Usage", "Time In", "Time Out", "Duration", "Duration (s)", "Role",
    "Role name", "First Name", "Last Name", "Company", "PRO", "IPI", "Share %",
]
VARIANTS = ("cues", "parties")


class CsvVariantError(ExportError):
    """The project asks for a CSV layout we do not have."""


def write(sheet: CueSheet, path: Path, options: ExportOptions) -> None:
    """Atomic: the whole file is built in memory (cue sheets are small) and renamed into place."""
    data = rows_mod.build(sheet, options)
    atomic_write_bytes(path, render(data).encode("utf-8-sig"))


def render(data: ExportData) -> str:
    variant = data.options.csv_variant
    if variant not in VARIANTS:
        raise CsvVariantError(f"Unknown CSV variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    if variant == "cues":
        w.writerow(CUE_COLUMNS)
        for row in data.rows:
            w.writerow(_safe(_cue_cells(row)))
        total_row = [""] * len(CUE_COLUMNS)
    else:
        w.writerow(PARTY_COLUMNS)
        for row in data.rows:
            lead = _timing_cells(row)
            for i, p in enumerate(row.parties or [None]):
                # timings only on the cue's first row, so a sum never counts a cue twice
                cells = lead if i == 0 else lead[:4] + ["", "", "", ""]
                if p is None:
                    w.writerow(_safe(cells + [""] * 8))
                    continue
                w.writerow(_safe(cells + [
                    p.role, p.role_label, p.first_name, p.last_name, p.company, p.pro, p.ipi,
                    format_share(p.share) if p.share else "",
                ]))
        total_row = [""] * len(PARTY_COLUMNS)
    total_row[2] = "Total music duration"
    total_row[6] = data.format_total()
    total_row[7] = _seconds(data.total_music)
    w.writerow(total_row)
    return buf.getvalue()


def _safe(cells: list[str]) -> list[str]:
    return [csv_safe(c) for c in cells]


def _seconds(value: Fraction) -> str:
    v = Fraction(value)
    return str(v.numerator) if v.denominator == 1 else f"{float(v):.2f}"


def _timing_cells(row: CueRow) -> list[str]:
    title = row.title if row.active else f"{row.title} (inactive)"
    return [row.seq_text if row.seq else "", row.cue.cue_number, title, row.usage,
            row.time_in.text(), row.time_out.text(), row.duration_text(), _seconds(row.duration)]


def _cue_cells(row: CueRow) -> list[str]:
    cue = row.cue
    writers = [p for p in cue.parties if p.is_writer]
    publishers = [p for p in cue.parties if not p.is_writer]
    return _timing_cells(row) + [
        label_of(ORIGINS, cue.origin), cue.vocal, format_parties(writers), format_parties(publishers),
        "; ".join(cue.artists), cue.album, cue.label, cue.library, cue.catalogue_number,
        cue.track_number, cue.isrc, cue.iswc, "active" if cue.active else "inactive",
    ]
