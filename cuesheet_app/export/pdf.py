"""PDF export (reportlab platypus): the cue sheet a network or PRO reads and files.

Layout: a title block with the production header, then the cue table with its
column headers repeated on every page; long titles and party lists wrap (never
cut); writers and publishers carry role, PRO, IPI and share; then the total music
duration and a legend of the usage codes. Every page has the production title and
"Page N of M" in its footer, and a revised sheet says "REVISED (n)" on every page.

Text goes through :func:`fonts.markup`, so any script DejaVu Sans lacks (Japanese,
Chinese, Korean) is set in the system CJK fallback font instead of empty boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape, letter, portrait
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.timecode import Rounding
from cuesheet_app.export import rows as rows_mod
from cuesheet_app.export.fonts import FontSet, fonts, markup
from cuesheet_app.export.options import ExportOptions
from cuesheet_app.export.rows import CueRow, ExportData
from cuesheet_app.storage.atomic import atomic_write_with

MARGIN = 12 * mm
FOOTER_GAP = 7 * mm
# Cue table columns. The narrow ones are sized to their widest text; the rest of the
# width goes to title, writers and publishers in these proportions.
COLUMNS: list[str] = [
    "#", "Cue title", "Usage", "Time in", "Time out", "Duration",
    "Writers (role, PRO, IPI, share)", "Publishers (role, PRO, IPI, share)",
]
FLEX_SHARES = {1: 0.28, 6: 0.36, 7: 0.36}
HEAD_BG = colors.HexColor("#D9E1F2")
RULE = colors.HexColor("#808080")
REVISED_RED = colors.HexColor("#C00000")


def page_size(options: ExportOptions) -> tuple[float, float]:
    base = letter if options.paper_size == "Letter" else A4
    return portrait(base) if options.orientation == "portrait" else landscape(base)


def write(sheet: CueSheet, path: Path, options: ExportOptions) -> None:
    """Write the PDF atomically: a failed export leaves any previous file intact."""
    data = rows_mod.build(sheet, options)
    atomic_write_with(path, lambda tmp: render(data, tmp))


class _Styles:
    def __init__(self, fs: FontSet, width: float) -> None:
        self.fs = fs
        small = 7.5 if width > 600 else 7
        self.cell = ParagraphStyle("cell", fontName=fs.regular, fontSize=small, leading=small + 1.6)
        self.cell_bold = ParagraphStyle("cellb", parent=self.cell, fontName=fs.bold)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=fs.bold)
        self.title = ParagraphStyle("title", fontName=fs.bold, fontSize=15, leading=18)
        self.revised = ParagraphStyle("revised", fontName=fs.bold, fontSize=15, leading=18,
                                      textColor=REVISED_RED, alignment=TA_RIGHT)
        self.label = ParagraphStyle("label", fontName=fs.bold, fontSize=8, leading=10)
        self.value = ParagraphStyle("value", fontName=fs.regular, fontSize=8, leading=10)
        self.body = ParagraphStyle("body", fontName=fs.regular, fontSize=8, leading=10.5)
        self.total = ParagraphStyle("total", fontName=fs.bold, fontSize=9.5, leading=12)


def render(data: ExportData, target: Path | str) -> None:
    """Lay the sheet out into ``target`` (a path reportlab writes directly)."""
    fs = fonts()
    size = page_size(data.options)
    width = size[0] - 2 * MARGIN
    st = _Styles(fs, width)
    doc = SimpleDocTemplate(
        str(target), pagesize=size, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER_GAP, title=f"Music cue sheet – {data.title_line}",
        author=data.header.prepared_by or data.header.production_company, subject="Music cue sheet",
        creator="Cue Sheet",
    )
    story: list[Any] = []
    story += _title_block(data, st, width)
    story.append(Spacer(1, 4 * mm))
    story.append(_cue_table(data, st, width, size[1] - 2 * MARGIN - FOOTER_GAP))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(markup(f"Total music duration: {data.format_total()}", fs)
                           + markup(f"   ({sum(1 for r in data.rows if r.active)} cues)", fs), st.total))
    story.append(Spacer(1, 2 * mm))
    legend = "   ".join(f"<b>{markup(code, fs)}</b> = {markup(label, fs)}" for code, label in data.usage_legend)
    if legend:
        story.append(Paragraph(f"<b>Usage codes:</b> {legend}", st.body))
    roles = sorted({(p.role, p.role_label) for r in data.rows for p in r.parties})
    if roles:
        story.append(Paragraph("<b>Roles:</b> " + "   ".join(
            f"<b>{markup(c, fs)}</b> = {markup(label, fs)}" for c, label in roles), st.body))
    story.append(Paragraph(markup(_time_note(data), fs), st.body))
    if data.changes:
        story += _changes_page(data, st)
    footer = _footer(data, fs)
    doc.build(story, canvasmaker=footer)


def _changes_page(data: ExportData, st: _Styles) -> list[Any]:
    """A revised sheet's last page: what changed since the version it revises."""
    fs = st.fs
    out: list[Any] = [PageBreak(), Paragraph(markup(data.changes[0], fs), st.title), Spacer(1, 3 * mm)]
    for line in data.changes[1:]:
        text = markup(line.strip(), fs)
        out.append(Paragraph(f"<b>{text}</b>" if not line.startswith(" ") else text, st.body))
    return out


def _time_note(data: ExportData) -> str:
    base = "the program start" if data.options.relative_to != "media" else "the start of the media file"
    rounding = Rounding(data.options.rounding).label.lower()
    return f"Times are relative to {base}. Durations: {rounding}; the total is the sum of the durations shown."


def _title_block(data: ExportData, st: _Styles, width: float) -> list[Any]:
    fs = st.fs
    top = Table(
        [[Paragraph("MUSIC CUE SHEET", st.title),
          Paragraph(markup(data.revised_label, fs), st.revised) if data.revised_label else ""]],
        colWidths=[width * 0.6, width * 0.4],
    )
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    fields = [(label, value) for label, value in data.header_fields()]
    if data.header.notes:
        fields.append(("Notes", data.header.notes))
    per_row = 2
    cells: list[list[Any]] = []
    for i in range(0, len(fields), per_row):
        line: list[Any] = []
        for label, value in fields[i:i + per_row]:
            line += [Paragraph(markup(label, fs), st.label), Paragraph(markup(value or "—", fs), st.value)]
        while len(line) < per_row * 2:
            line.append("")
        cells.append(line)
    pair = width / per_row
    label_share = 0.3 if width > 600 else 0.38  # portrait: keep labels on one line
    block = Table(cells, colWidths=[pair * label_share, pair * (1 - label_share)] * per_row)
    block.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#C8C8C8")),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return [top, Spacer(1, 2 * mm), block]


PAD = 2.5


def _fits_main_font(text: str, fs: FontSet) -> bool:
    return all(ord(ch) in fs.covered or ch == "\n" for ch in text)


def _text_cell(lines: list[str], st: _Styles, width: float, markup_text: str | None = None,
               indent: str = "") -> Any:
    """Plain text pre-wrapped to the column when the main font has every glyph (fast: wrapped once);
    a Paragraph with per-character font fallback otherwise (CJK, special markup)."""
    text = "\n".join(lines)
    if not text:
        return ""
    if markup_text is None and _fits_main_font(text, st.fs):
        out: list[str] = []
        room = width - 2 * PAD
        for line in lines:
            parts = simpleSplit(line, st.fs.regular, st.cell.fontSize, room) or [""]
            if indent and len(parts) > 1:  # continuation lines indented: one party = one block
                rest = simpleSplit(" ".join(parts[1:]), st.fs.regular, st.cell.fontSize,
                                   room - stringWidth(indent, st.fs.regular, st.cell.fontSize))
                parts = parts[:1] + [indent + r for r in rest]
            out += parts
        size = st.cell.fontSize
        if all(stringWidth(line, st.fs.regular, size) <= room for line in out):
            return "\n".join(out)
        # a word wider than the column (a long URL, a code): let Paragraph break inside it
    return Paragraph(markup_text if markup_text is not None else markup(text, st.fs), st.cell)


def _cue_cells(row: CueRow, st: _Styles, widths: list[float]) -> list[Any]:
    fs = st.fs
    title_lines = [f"{row.cue.cue_number} {row.title}".strip() if row.cue.cue_number else (row.title or "—")]
    extra = [x for x in (row.cue.library, row.cue.catalogue_number) if x]
    if extra:
        title_lines.append(" · ".join(extra))
    title_markup = None
    if not row.active:
        title_markup = f"<strike>{'<br/>'.join(markup(t, fs) for t in title_lines)}</strike> <i>(inactive, not counted)</i>"
    return [
        row.seq_text,
        _text_cell(title_lines, st, widths[1], title_markup),
        _text_cell([row.usage], st, widths[2]),
        row.time_in.text(),
        row.time_out.text(),
        row.duration_text(),
        _text_cell([p.describe() for p in row.writers], st, widths[6], indent="    "),
        _text_cell([p.describe() for p in row.publishers], st, widths[7], indent="    "),
    ]


def column_widths(data: ExportData, st: _Styles, width: float) -> list[float]:
    """Fixed columns fit their widest content; title and parties share what is left."""
    pad = 5.5
    size = st.cell.fontSize

    def fit(texts: list[str], bold_head: str) -> float:
        widest = max([stringWidth(t, st.fs.regular, size) for t in texts] + [stringWidth(bold_head, st.fs.bold, size)])
        return widest + pad

    times = [r.time_in.text() for r in data.rows] + [r.time_out.text() for r in data.rows] or ["00:00:00"]
    fixed = {
        0: fit([r.seq_text for r in data.rows] or ["0"], "#"),
        2: min(fit([r.usage for r in data.rows if len(r.usage) <= 4] or ["BI"], "Usage"), width * 0.08),
        3: fit(times, "Time in"),
        4: fit(times, "Time out"),
        5: fit([r.duration_text() for r in data.rows] or ["00:00"], "Duration"),
    }
    rest = width - sum(fixed.values())
    return [fixed[i] if i in fixed else rest * FLEX_SHARES[i] for i in range(len(COLUMNS))]


def _row_height(cells: list[Any], widths: list[float], st: _Styles) -> float:
    tallest = 0.0
    for cell, w in zip(cells, widths, strict=True):
        if isinstance(cell, Paragraph):
            h = cell.wrap(w - 2 * PAD, 1e6)[1]
        else:
            h = (str(cell).count("\n") + 1) * st.cell.leading
        tallest = max(tallest, h)
    return tallest + 4


def _cue_table(data: ExportData, st: _Styles, width: float, page_height: float) -> Table:
    widths = column_widths(data, st, width)
    header = [Paragraph(markup(h, st.fs), st.head) for h in COLUMNS]
    body = [_cue_cells(r, st, widths) for r in data.rows]
    if not body:
        body = [["", Paragraph("No music cues", st.cell), "", "", "", "", "", ""]]
    # Rows move whole to the next page; only a row taller than a page (a cue with dozens of
    # parties) is allowed to split inside, since reportlab cannot place it otherwise.
    giant = any(_row_height(cells, widths, st) > page_height * 0.85 for cells in body)
    table = LongTable([header, *body], colWidths=widths, repeatRows=1, splitByRow=1,
                      splitInRow=1 if giant else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), st.fs.regular, st.cell.fontSize, st.cell.leading),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("BOX", (0, 0), (-1, -1), 0.5, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD), ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
    ]
    for i, r in enumerate(data.rows, start=1):
        if not r.active:
            style.append(("TEXTCOLOR", (0, i), (-1, i), colors.HexColor("#808080")))
    table.setStyle(TableStyle(style))
    return table


def _footer(data: ExportData, fs: FontSet) -> type[Canvas]:
    """A canvas class that holds pages back until the end, so each footer can say 'of M'."""
    title = data.title_line
    revised = data.revised_label

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._draw_footer(number, total)
                super().showPage()
            super().save()

        def _draw_footer(self, number: int, total: int) -> None:
            w, _h = self._pagesize
            y = MARGIN
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.4)
            self.line(MARGIN, y + 9, w - MARGIN, y + 9)
            self.setFont(fs.regular, 7.5)
            right = f"Page {number} of {total}"
            self.drawRightString(w - MARGIN, y, right)
            # the title must not run into the centred REVISED mark or the page number
            room = (w / 2 - MARGIN - 50) if revised else (w - 2 * MARGIN - stringWidth(right, fs.regular, 7.5) - 20)
            _draw_mixed(self, fs, MARGIN, y, _fit(title, fs, room))
            if revised:
                self.setFont(fs.bold, 8)
                self.setFillColor(REVISED_RED)
                self.drawCentredString(w / 2, y, revised)
            self.restoreState()

    return FooterCanvas


def _fit(text: str, fs: FontSet, room: float, size: float = 7.5) -> str:
    """``text`` cut with an ellipsis to ``room`` points (CJK measured as one em)."""
    def width(t: str) -> float:
        return sum(stringWidth(ch, fs.regular, size) if ord(ch) in fs.covered else size for ch in t)

    if width(text) <= room:
        return text
    while text and width(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _draw_mixed(canvas: Canvas, fs: FontSet, x: float, y: float, text: str) -> None:
    """drawString with the CJK fallback for characters the main font lacks."""
    size = 7.5
    run = ""
    run_fb = False
    for ch in text + "\0":
        fb = ch != "\0" and ord(ch) not in fs.covered and fs.fallback is not None and ord(ch) in fs.fallback_covered
        if (fb != run_fb or ch == "\0") and run:
            font = fs.fallback if run_fb and fs.fallback else fs.regular
            canvas.setFont(font, size)
            canvas.drawString(x, y, run)
            x += canvas.stringWidth(run, font, size)
            run = ""
        run_fb = fb
        if ch != "\0":
            run += ch
