"""The Excel export, read back with openpyxl: what a PRO's importer would see."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from cuesheet_app.export import xlsx
from cuesheet_app.export.options import ExportOptions
from cuesheet_app.export.registry import export
from cuesheet_app.storage.atomic import WriteError
from tests.export_sample import sample_sheet

SEQ, TITLE, USAGE = 1, 2, 3
IN_H, IN_M, IN_S, OUT_H, OUT_M, OUT_S, DUR_M, DUR_S = range(4, 12)
ROLE, FIRST, LAST, PUBLISHER, IPI, PRO, SHARE = range(12, 19)


@pytest.fixture
def workbook(tmp_path: Path) -> openpyxl.Workbook:
    out = tmp_path / "sheet.xlsx"
    export(sample_sheet(), "xlsx", out, ExportOptions())
    return openpyxl.load_workbook(out)


def _grid(ws) -> tuple[int, list[tuple]]:
    """(row number of the first party row, the party rows up to the total line)."""
    header_row = next(r for r in range(1, 40) if ws.cell(r, SEQ).value == "Seq #")
    rows = []
    r = header_row + 2
    while ws.cell(r, TITLE).value is not None or ws.cell(r, ROLE).value is not None:
        rows.append(tuple(ws.cell(r, c) for c in range(1, 19)))
        r += 1
    return header_row, rows


def test_sheets_and_header_block(workbook) -> None:
    assert workbook.sheetnames == ["Cue Sheet", "Cues", "Summary"]
    ws = workbook["Cue Sheet"]
    values = {c.value for row in ws.iter_rows(min_row=1, max_row=14) for c in row if c.value}
    for expected in ("MUSIC CUE SHEET", "Program title", "Harbour Lights", "Episode title", "The Long Night",
                     "Production company", "Northlight Films Ltd", "Network / source", "BBC Two",
                     "Prepared by", "Jana Nováková", "Email", "jana@example.com", "Program AKAs",
                     "Les Feux du port", "Total music duration", "00:04:44", "Program duration", "00:44:00",
                     "Cue sheet classification", "Original", "Mailing address", "Initial air date"):
        assert expected in values, expected


def test_one_row_per_party_with_timings_on_the_first_row_only(workbook) -> None:
    ws = workbook["Cue Sheet"]
    _head, rows = _grid(ws)
    sheet = sample_sheet()
    active = [c for c in sheet.cues if c.active]
    assert len(rows) == sum(len(c.parties) for c in active)
    r = 0
    for cue in active:
        first = rows[r]
        assert first[TITLE - 1].value == cue.title
        assert first[DUR_M - 1].value is not None
        for extra in rows[r + 1:r + len(cue.parties)]:
            assert extra[TITLE - 1].value is None and extra[DUR_S - 1].value is None and extra[IN_H - 1].value is None
        names = []
        for row in rows[r:r + len(cue.parties)]:
            names.append(row[PUBLISHER - 1].value or f"{row[FIRST - 1].value} {row[LAST - 1].value}")
        assert sorted(names) == sorted(p.display_name for p in cue.parties)
        r += len(cue.parties)
    assert "Dropped Take" not in {row[TITLE - 1].value for row in rows}


def test_durations_add_up_to_the_total(workbook) -> None:
    ws = workbook["Cue Sheet"]
    _head, rows = _grid(ws)
    total = sum(row[DUR_M - 1].value * 60 + row[DUR_S - 1].value for row in rows if row[DUR_M - 1].value is not None)
    total_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, TITLE).value == "Total music duration")
    assert total == 284
    assert ws.cell(total_row, DUR_M).value * 60 + ws.cell(total_row, DUR_S).value == 284
    # time in / out as separate H/M/S numbers
    second = rows[1] if rows[0][TITLE - 1].value == "Schön Rosmarin" and rows[1][TITLE - 1].value else rows[2]
    assert (second[IN_H - 1].value, second[IN_M - 1].value, second[IN_S - 1].value) == (0, 1, 35)
    assert (second[OUT_H - 1].value, second[OUT_M - 1].value, second[OUT_S - 1].value) == (0, 2, 12)


def test_shares_are_fractions_in_percent_format_and_ipis_text(workbook) -> None:
    ws = workbook["Cue Sheet"]
    _head, rows = _grid(ws)
    shares = [row[SHARE - 1] for row in rows]
    assert all(c.number_format == "0.00%" for c in shares)
    assert any(c.value == pytest.approx(1 / 3) for c in shares)
    assert all(0 <= c.value <= 1 for c in shares)
    ipis = {row[IPI - 1].value: row[IPI - 1] for row in rows if row[IPI - 1].value}
    assert "00012345678" in ipis and "00000123456" in ipis
    assert all(c.data_type == "s" and c.number_format == "@" for c in ipis.values())
    roles = [row[ROLE - 1].value for row in rows]
    assert roles[:2] == ["C", "E"] and "CA" in roles and "A" in roles
    assert {"Łódź Music Publishing", "Κρήτη Εκδόσεις", "Издательство Калинка", "東京音楽出版"} <= {
        row[PUBLISHER - 1].value for row in rows}


def test_no_formulas_from_user_text(workbook) -> None:
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} became a formula: {cell.value}"
    ws = workbook["Cue Sheet"]
    evil = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert len(evil) == 1 and evil[0].quotePrefix
    plus = [c for row in ws.iter_rows() for c in row if c.value in ("+Plus", "-Minus", "@PRO")]
    assert len(plus) == 3 and all(c.data_type == "s" and c.quotePrefix for c in plus)
    notes = [c for row in workbook["Cues"].iter_rows() for c in row if c.value == "=1+1"]
    assert len(notes) == 1 and notes[0].data_type == "s"


def test_printable_and_filterable(workbook) -> None:
    ws = workbook["Cue Sheet"]
    head, _rows = _grid(ws)
    assert ws.freeze_panes == f"C{head + 2}"
    assert ws.auto_filter.ref.startswith(f"A{head + 1}:R")
    assert ws.print_title_rows == f"${head}:${head + 1}"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.column_dimensions["B"].width >= 30
    assert "Harbour Lights" in ws.oddFooter.center.text and "Page &P of &N" in ws.oddFooter.center.text
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "BI" in lists["C"] and "VV" in lists["C"]
    assert "CA" in lists["L"] and "AM" in lists["L"]


def test_letter_paper(tmp_path: Path) -> None:
    out = tmp_path / "l.xlsx"
    export(sample_sheet(), "xlsx", out, ExportOptions(paper_size="Letter"))
    ws = openpyxl.load_workbook(out)["Cue Sheet"]
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_LETTER)


def test_cues_and_summary_sheets(workbook) -> None:
    cues = workbook["Cues"]
    head = [c.value for c in cues[1]]
    assert {"Writers", "Publishers", "ISRC", "ISWC", "Library", "Catalogue #", "Label", "Status"} <= set(head)
    rows = list(cues.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 6
    by_title = {r[head.index("Title")]: dict(zip(head, r, strict=True)) for r in rows}
    dvorak = by_title["Slavonic Dance No. 2"]
    assert dvorak["Writers"] == "Antonín Dvořák (C, OSA, IPI 123456789, 100%)"
    assert dvorak["Library"] == "Prague Sounds" and dvorak["Catalogue #"] == "PS-017"
    assert by_title["Schön Rosmarin"]["ISRC"] == "DEF059503430"
    summary = [c for row in workbook["Summary"].iter_rows(values_only=True) for c in row if c is not None]
    assert "00:04:44" in summary and "Background Instrumental" in summary and "Commercial" in summary
    assert "no-writers" not in summary  # every active cue has writers
    assert "music-longer-than-program" not in summary


def test_inactive_cues_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "all.xlsx"
    export(sample_sheet(), "xlsx", out, ExportOptions(include_inactive=True))
    ws = openpyxl.load_workbook(out)["Cue Sheet"]
    titles = [c.value for c in ws["B"] if c.value]
    assert "Dropped Take (inactive)" in titles


def test_failed_write_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "sheet.xlsx"
    export(sample_sheet(), "xlsx", out, ExportOptions())
    before = out.read_bytes()

    def broken_save(self, filename):  # a disk that fills up halfway through
        Path(filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx.Workbook, "save", broken_save)
    with pytest.raises(WriteError, match="sheet.xlsx.*No space left"):
        export(sample_sheet(), "xlsx", out, ExportOptions())
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.xlsx"]


def test_unwritable_target_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="missing-dir"):
        export(sample_sheet(), "xlsx", tmp_path / "missing-dir" / "x.xlsx", ExportOptions())


def test_a_cue_before_the_program_start_keeps_its_sign(tmp_path: Path) -> None:
    from cuesheet_app.domain.model import MediaRef

    sheet = sample_sheet()
    sheet.media.append(MediaRef(path="ep.mov", start_timecode="00:59:50:00"))  # 10 s pre-roll
    out = tmp_path / "pre.xlsx"
    export(sheet, "xlsx", out, ExportOptions())
    ws = openpyxl.load_workbook(out)["Cue Sheet"]
    _head, rows = _grid(ws)
    assert (rows[0][IN_H - 1].value, rows[0][IN_M - 1].value, rows[0][IN_S - 1].value) == (0, 0, -10)
    assert (rows[0][OUT_H - 1].value, rows[0][OUT_M - 1].value, rows[0][OUT_S - 1].value) == (0, 0, 20)
