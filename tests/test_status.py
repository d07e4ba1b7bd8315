"""A sheet's status (draft / ready for review / submitted), reopening as a revision, and what
the PDF and the xlsx print of both."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from cuesheet_app.domain.model import Cue
from cuesheet_app.domain.status import StatusError, reopen, set_status
from cuesheet_app.export.registry import export
from tests.export_sample import sample_sheet

DAY = dt.date(2026, 11, 30)


def test_status_moves_and_submitted_is_locked_until_reopened() -> None:
    sheet = sample_sheet()
    assert sheet.header.status == "draft"
    set_status(sheet, "ready_for_review", DAY)
    assert (sheet.header.status, sheet.header.status_date) == ("ready_for_review", "2026-11-30")
    with pytest.raises(StatusError, match="Unknown status"):
        set_status(sheet, "approved")
    with pytest.raises(StatusError, match="can be edited"):
        reopen(sheet)
    set_status(sheet, "submitted", DAY)
    assert sheet.submitted
    with pytest.raises(StatusError, match="reopen it"):
        set_status(sheet, "draft")
    number = sheet.header.revision_number
    ids = [c.id for c in sheet.cues]
    reopen(sheet, dt.date(2026, 12, 1))
    assert not sheet.submitted and sheet.header.status == "draft"
    assert sheet.header.classification == "Revised" and sheet.header.revision_number == number + 1
    assert sheet.header.status_date == "2026-12-01"
    assert sheet.previous is not None and [c.id for c in sheet.previous.cues] == ids
    assert sheet.previous.header.status == "submitted"


def test_pdf_and_xlsx_print_status_and_a_revised_pdf_lists_changes_last(tmp_path: Path) -> None:
    sheet = sample_sheet()
    set_status(sheet, "submitted", DAY)
    pdf = tmp_path / "v1.pdf"
    export(sheet, "pdf", pdf)
    pages = [p.extract_text() or "" for p in PdfReader(pdf).pages]
    assert "Submitted 2026-11-30" in pages[0]
    assert not any("Changes since" in p for p in pages)
    xlsx = tmp_path / "v1.xlsx"
    export(sheet, "xlsx", xlsx)
    cells = [str(c.value) for row in load_workbook(xlsx).worksheets[0].iter_rows() for c in row if c.value]
    assert "Status" in cells and "Submitted 2026-11-30" in cells

    reopen(sheet, dt.date(2026, 12, 1))
    first = sheet.cues[0]
    first.usage = "VV" if first.usage != "VV" else "BI"
    sheet.cues.append(Cue(title="Added Sting", start=sheet.cues[-1].end + 50, end=sheet.cues[-1].end + 150))
    removed = sheet.cues.pop(1)
    export(sheet, "pdf", pdf)
    pages = [p.extract_text() or "" for p in PdfReader(pdf).pages]
    last = pages[-1]
    assert "Changes since the original" in last
    assert "Added Sting" in last and removed.title in last and "usage" in last
    assert "Draft 2026-12-01" in pages[0] and "REVISED (1)" in pages[0]
