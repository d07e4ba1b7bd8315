"""Excel export laid out like the ASCAP/BMI standardised cue sheet template (2016).

Three sheets:
- **Cue Sheet**: the production header block, then one row per interested party.
  A cue's title, usage and timings stand on its first row only, so a PRO summing
  the duration column never counts a cue twice. IPIs are text (leading zeros
  survive), shares are fractions formatted ``0.00%``.
- **Cues**: one row per cue with every cue field, for the network and for filtering.
- **Summary**: total music, totals by usage and by origin, validation findings.

User text is always stored as text: a title such as ``=HYPERLINK(...)`` must
never become a live formula in someone's spreadsheet (openpyxl would write any
string starting with ``=`` as one).
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from fractions import Fraction
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.vocab import ORIGINS, label_of
from cuesheet_app.export import rows as rows_mod
from cuesheet_app.export.options import ExportOptions
from cuesheet_app.export.rows import ExportData, Time, needs_guard
from cuesheet_app.storage.atomic import atomic_write_with

# The grid of the Cue Sheet sheet: (header, sub-header, width)
GRID: list[tuple[str, str, float]] = [
    ("Seq #", "", 6),
    ("Cue Title", "", 36),
    ("Usage", "", 8),
    ("Time In", "H", 4),
    ("", "M", 4),
    ("", "S", 6),
    ("Time Out", "H", 4),
    ("", "M", 4),
    ("", "S", 6),
    ("Duration", "M", 5),
    ("", "S", 6),
    ("Role", "", 6),
    ("Composer First Name", "", 16),
    ("Composer Last Name", "", 18),
    ("Publisher Name", "", 28),
    ("IPI #", "", 14),
    ("PRO / Affiliation", "", 11),
    ("Share", "", 9),
]
COL = {name: i + 1 for i, name in enumerate(
    ["seq", "title", "usage", "in_h", "in_m", "in_s", "out_h", "out_m", "out_s", "dur_m", "dur_s",
     "role", "first", "last", "publisher", "ipi", "pro", "share"])}

CUES_COLUMNS: list[tuple[str, float]] = [
    ("Seq #", 6), ("Cue #", 8), ("Title", 36), ("Usage", 7), ("Time In", 10), ("Time Out", 10),
    ("Duration", 9), ("Duration (s)", 10), ("Origin", 14), ("Vocal", 11), ("Writers", 44),
    ("Publishers", 40), ("Artists", 24), ("Album", 20), ("Label", 18), ("Library", 18),
    ("Catalogue #", 12), ("Track #", 8), ("ISRC", 16), ("ISWC", 16), ("Release date", 11),
    ("Detection confidence", 11), ("Identification confidence", 11), ("Engine", 10),
    ("Status", 9), ("Flags", 12), ("Notes", 30),
]

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
REVISED = Font(bold=True, size=14, color="C00000")
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
THIN = Side(style="thin", color="808080")
CUE_TOP_BORDER = Border(top=THIN)


def write(sheet: CueSheet, path: Path, options: ExportOptions) -> None:
    """Write the workbook atomically: a failed export leaves any previous file intact."""
    data = rows_mod.build(sheet, options)
    wb = build_workbook(data)
    atomic_write_with(path, wb.save)


def build_workbook(data: ExportData) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Cue Sheet"
    _cue_sheet(ws, data)
    _cues(wb.create_sheet("Cues"), data)
    _summary(wb.create_sheet("Summary"), data)
    wb.properties.title = f"Music cue sheet – {data.title_line}"
    wb.properties.creator = "Cue Sheet"
    return wb


# --- helpers ----------------------------------------------------------------------------------------

# Per workbook (style indices point into that workbook's tables): combination -> StyleArray.
_STYLE_CACHE: WeakKeyDictionary[Workbook, dict[tuple[Any, ...], Any]] = WeakKeyDictionary()


def _put(ws: Worksheet, row: int, col: int, value: Any, font: Font | None = None,
         align: Alignment | None = None, fmt: str | None = None, border: Border | None = None) -> Any:
    """Set a cell; strings are always literal text (formula-injection guard).

    openpyxl re-hashes a style object on every assignment, which dominated the export of
    a long sheet; a combination already built is copied from the cache instead.
    """
    if isinstance(value, Fraction):
        value = float(value)
    cell = ws.cell(row=row, column=col)
    guard = False
    if isinstance(value, str):
        if value:
            cell.value = value
            cell.data_type = "s"  # never 'f', whatever the text starts with
            guard = needs_guard(value)
    elif value is not None:
        cell.value = value
    if font is None and align is None and fmt is None and border is None and not guard:
        return cell
    cache = _STYLE_CACHE.setdefault(ws.parent, {})
    key = (id(font), id(align), fmt, id(border), guard)
    cached = cache.get(key)
    if cached is not None:
        cell._style = copy(cached)
        return cell
    if font is not None:
        cell.font = font
    if align is not None:
        cell.alignment = align
    if fmt is not None:
        cell.number_format = fmt
    if border is not None:
        cell.border = border
    if guard:
        cell.quotePrefix = True  # Excel keeps it text when the user edits the cell
    cache[key] = copy(cell._style)
    return cell


def _signed_hms(t: Time) -> tuple[int, int, Fraction]:
    """H/M/S cells; a time before the program start carries its sign on the first non-zero cell."""
    h, m, sec = t.hms()
    if t.negative:
        if h:
            h = -h
        elif m:
            m = -m
        else:
            sec = -sec
    return h, m, sec


def _seconds_format(value: Fraction) -> str:
    return "0" if Fraction(value).denominator == 1 else "0.00"


def _widths(ws: Worksheet, widths: Iterable[float]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _print_setup(ws: Worksheet, data: ExportData, title_rows: str | None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER if data.options.paper_size == "Letter" else ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = f"{data.title_line[:200].replace('&', '&&')} – Page &P of &N"
    ws.oddFooter.center.size = 8


# --- Cue Sheet ------------------------------------------------------------------------------------

def _cue_sheet(ws: Worksheet, data: ExportData) -> None:
    ncols = len(GRID)
    _widths(ws, (w for _, _, w in GRID))
    _put(ws, 1, 1, "MUSIC CUE SHEET", TITLE)
    if data.revised_label:
        _put(ws, 1, COL["role"], data.revised_label, REVISED)
    # Header block: two label/value columns side by side, as on the template.
    fields = data.header_fields()
    half = (len(fields) + 1) // 2
    left, right = fields[:half], fields[half:]
    for i, (label, value) in enumerate(left):
        r = 3 + i
        _put(ws, r, 1, label, BOLD)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        _put(ws, r, 3, value, align=Alignment(horizontal="left", vertical="top"))
        ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=COL["dur_s"])
    for i, (label, value) in enumerate(right):
        r = 3 + i
        _put(ws, r, COL["role"], label, BOLD)
        ws.merge_cells(start_row=r, start_column=COL["role"], end_row=r, end_column=COL["last"])
        _put(ws, r, COL["publisher"], value, align=Alignment(horizontal="left", vertical="top"))
        ws.merge_cells(start_row=r, start_column=COL["publisher"], end_row=r, end_column=ncols)
    if data.header.notes:
        r = 3 + half
        _put(ws, r, 1, "Notes", BOLD)
        _put(ws, r, 3, data.header.notes, align=WRAP_TOP)
        ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=ncols)
    top = 3 + half + 2  # first grid header row
    sub = top + 1
    for c, (head, subhead, _w) in enumerate(GRID, start=1):
        for r, text in ((top, head), (sub, subhead)):
            cell = _put(ws, r, c, text, BOLD, CENTER)
            cell.fill = HEAD_FILL
            cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
    for first, last in ((COL["in_h"], COL["in_s"]), (COL["out_h"], COL["out_s"]), (COL["dur_m"], COL["dur_s"])):
        ws.merge_cells(start_row=top, start_column=first, end_row=top, end_column=last)
    for c, (_h, subhead, _w) in enumerate(GRID, start=1):
        if not subhead:
            ws.merge_cells(start_row=top, start_column=c, end_row=sub, end_column=c)

    r = sub + 1
    first_data = r
    for row in data.rows:
        h_in, m_in, s_in = _signed_hms(row.time_in)
        h_out, m_out, s_out = _signed_hms(row.time_out)
        dm, ds = row.duration_ms()
        title = row.title if row.active else f"{row.title} (inactive)"
        if row.cue.cue_number:
            title = f"{row.cue.cue_number} {title}"
        first: dict[int, tuple[Any, Alignment, str | None]] = {
            COL["seq"]: (row.seq if row.seq else "—", TOP, None),
            COL["title"]: (title, WRAP_TOP, None),
            COL["usage"]: (row.usage, TOP, None),
            COL["in_h"]: (h_in, TOP, None),
            COL["in_m"]: (m_in, TOP, None),
            COL["in_s"]: (s_in, TOP, _seconds_format(s_in)),
            COL["out_h"]: (h_out, TOP, None),
            COL["out_m"]: (m_out, TOP, None),
            COL["out_s"]: (s_out, TOP, _seconds_format(s_out)),
            COL["dur_m"]: (dm, TOP, None),
            COL["dur_s"]: (ds, TOP, _seconds_format(ds)),
        }
        for i, p in enumerate(row.parties or [None]):
            cells: dict[int, tuple[Any, Alignment, str | None]] = dict(first) if i == 0 else {}
            if p is not None:
                cells[COL["role"]] = (p.role, TOP, None)
                if p.is_writer:
                    if p.company and not (p.first_name or p.last_name):
                        cells[COL["last"]] = (p.company, WRAP_TOP, None)
                    else:
                        cells[COL["first"]] = (p.first_name, WRAP_TOP, None)
                        cells[COL["last"]] = (p.last_name, WRAP_TOP, None)
                else:
                    cells[COL["publisher"]] = (p.name, WRAP_TOP, None)
                cells[COL["ipi"]] = (p.ipi, TOP, "@")
                cells[COL["pro"]] = (p.pro, TOP, None)
                cells[COL["share"]] = (p.share_fraction, TOP, "0.00%")
            if i == 0:  # a rule above each cue's first row, across the grid
                for c in range(1, ncols + 1):
                    value, align, fmt = cells.get(c, (None, None, None))
                    _put(ws, r, c, value, align=align, fmt=fmt, border=CUE_TOP_BORDER)
            else:
                for c, (value, align, fmt) in cells.items():
                    _put(ws, r, c, value, align=align, fmt=fmt)
            r += 1
    last_data = r - 1
    # Total music duration under the duration column, as the sum of the printed durations.
    r += 1
    _put(ws, r, COL["title"], "Total music duration", BOLD)
    total_m, total_s = divmod(data.total_music, 60)
    _put(ws, r, COL["dur_m"], int(total_m), BOLD)
    _put(ws, r, COL["dur_s"], total_s, BOLD, fmt=_seconds_format(total_s))
    _put(ws, r, COL["publisher"], data.format_total(), BOLD)
    r += 2
    _put(ws, r, COL["title"], "Usage codes", BOLD)
    for code, label in data.usage_legend:
        r += 1
        _put(ws, r, COL["title"], f"{code} = {label}")

    ws.freeze_panes = ws.cell(row=first_data, column=COL["usage"])
    ws.auto_filter.ref = f"A{sub}:{get_column_letter(ncols)}{max(last_data, sub)}"
    _validation_lists(ws, data, first_data, max(last_data, first_data) + 200)
    _print_setup(ws, data, f"{top}:{sub}")


def _validation_lists(ws: Worksheet, data: ExportData, first: int, last: int) -> None:
    """Drop-down lists for usage and role, so edits in Excel stay within the vocabulary."""
    usages = ",".join(code for code, _ in data.usage_vocabulary)
    roles = ",".join(rows_mod.role_codes())
    for col, values, name in ((COL["usage"], usages, "usage"), (COL["role"], roles, "role")):
        if len(values) > 250:  # Excel's limit for an inline list
            continue
        dv = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True,
                            errorTitle=f"Unknown {name}", error=f"Choose a {name} code from the list",
                            showErrorMessage=True)
        letter = get_column_letter(col)
        dv.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(dv)


# --- Cues -------------------------------------------------------------------------------------------

def _cues(ws: Worksheet, data: ExportData) -> None:
    _widths(ws, (w for _, w in CUES_COLUMNS))
    for c, (head, _w) in enumerate(CUES_COLUMNS, start=1):
        cell = _put(ws, 1, c, head, BOLD, CENTER)
        cell.fill = HEAD_FILL
    for r, row in enumerate(data.rows, start=2):
        cue = row.cue
        prov = cue.provenance
        values: list[Any] = [
            row.seq if row.seq else "—", cue.cue_number, cue.title, row.usage,
            row.time_in.text(), row.time_out.text(), row.duration_text(), row.duration,
            label_of(ORIGINS, cue.origin), cue.vocal.capitalize(),
            "\n".join(p.describe() for p in row.writers),
            "\n".join(p.describe() for p in row.publishers),
            "; ".join(cue.artists), cue.album, cue.label, cue.library, cue.catalogue_number,
            cue.track_number, cue.isrc, cue.iswc, cue.release_date,
            prov.detection_confidence, prov.identification_confidence, prov.engine,
            "active" if cue.active else "inactive", ", ".join(cue.flags), cue.notes,
        ]
        for c, v in enumerate(values, start=1):
            fmt = None
            if c == 8:
                fmt = _seconds_format(row.duration)
            elif c in (22, 23) and v is not None:
                fmt = "0%"
            elif c in (18, 19, 20):
                fmt = "@"
            _put(ws, r, c, v, align=WRAP_TOP, fmt=fmt)
    last = len(data.rows) + 1
    ws.freeze_panes = "D2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(CUES_COLUMNS))}{last}"
    _print_setup(ws, data, "1:1")


# --- Summary ----------------------------------------------------------------------------------------

def _summary(ws: Worksheet, data: ExportData) -> None:
    _widths(ws, (28, 30, 10, 14, 60))
    _put(ws, 1, 1, "Summary", TITLE)
    if data.revised_label:
        _put(ws, 1, 2, data.revised_label, REVISED)
    r = 3
    for label, value in (
        ("Program title", data.header.program_title),
        ("Episode", data.title_line),
        ("Program duration", dict(data.header_fields())["Program duration"]),
        ("Total music duration", data.format_total()),
        ("Total music (seconds)", data.total_music),
        ("Cues", sum(1 for row in data.rows if row.active)),
        ("Duration rounding", data.rows[0].rounding.label if data.rows else data.options.rounding),
        ("Times relative to", "program start" if data.options.relative_to != "media" else "media file"),
        ("Validation profile", data.options.profile),
    ):
        _put(ws, r, 1, label, BOLD)
        _put(ws, r, 2, value, align=Alignment(horizontal="left"),
             fmt=_seconds_format(value) if isinstance(value, Fraction) else None)
        r += 1
    for title, totals in (("By usage", data.by_usage), ("By origin", data.by_origin)):
        r += 1
        for c, head in enumerate((title, "", "Cues", "Duration"), start=1):
            cell = _put(ws, r, c, head, BOLD)
            cell.fill = HEAD_FILL
        for t in totals:
            r += 1
            _put(ws, r, 1, t.label)
            _put(ws, r, 3, t.count)
            _put(ws, r, 4, data.format_total(t.seconds))
        r += 1
    r += 1
    for c, head in enumerate(("Validation findings", "Severity", "Seq #", "Field", "Message"), start=1):
        cell = _put(ws, r, c, head, BOLD)
        cell.fill = HEAD_FILL
    seq_of = {row.cue.id: row.seq for row in data.rows}
    if not data.findings:
        r += 1
        _put(ws, r, 1, "No problems found")
    for f in data.findings:
        r += 1
        _put(ws, r, 1, f.code)
        _put(ws, r, 2, f.severity.value)
        if f.cue_id:
            _put(ws, r, 3, seq_of.get(f.cue_id) or "")
        _put(ws, r, 4, f.field or "")
        _put(ws, r, 5, f.message, align=WRAP_TOP)
    _print_setup(ws, data, None)
