"""The export dialog: findings first, options from settings and project, export and its outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from PySide6.QtCore import Qt

from cuesheet_app.settings.store import Settings
from cuesheet_app.ui.export_dialog import ExportDialog
from tests.export_sample import sample_sheet

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "export"


def test_defaults_come_from_settings_then_from_the_project(qtbot) -> None:
    settings = Settings(rounding="up", validation_profile="ascap_bmi", paper_size="Letter", orientation="portrait")
    dialog = ExportDialog(sample_sheet(), settings)
    qtbot.addWidget(dialog)
    opts = dialog.export_options()
    assert (opts.rounding.value, opts.profile, opts.paper_size, opts.orientation) == ("up", "ascap_bmi", "Letter", "portrait")
    assert opts.include_inactive is False and opts.relative_to == "program"

    sheet = sample_sheet()
    sheet.export_options = {"rounding": "exact", "format": "pdf", "csv_variant": "parties", "include_inactive": True}
    dialog = ExportDialog(sheet, settings)
    qtbot.addWidget(dialog)
    opts = dialog.export_options()
    assert opts.rounding.value == "exact" and opts.include_inactive and opts.paper_size == "Letter"
    assert dialog.export_format() == "pdf" and dialog.target_path().suffix == ".pdf"
    assert "Harbour Lights #104 The Long Night" in dialog.target_path().name


def test_findings_come_first_and_go_fix_returns_the_cue(qtbot) -> None:
    sheet = sample_sheet()
    sheet.cues[1].parties[0].share = 60  # writer shares no longer add up
    dialog = ExportDialog(sheet, Settings())
    qtbot.addWidget(dialog)
    assert dialog.findings_list.count() >= 1
    assert "error" in dialog.summary.text()
    assert dialog.export_button.text() == "Export anyway"
    assert not dialog.fix_button.isEnabled()
    row = next(i for i, f in enumerate(dialog.findings()) if f.code == "writer-shares")
    dialog.findings_list.setCurrentRow(row)
    assert dialog.fix_button.isEnabled()
    with qtbot.waitSignal(dialog.findingActivated) as blocker:
        qtbot.mouseClick(dialog.fix_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [sheet.cues[1].id]
    assert dialog.chosen_cue_id == sheet.cues[1].id
    assert dialog.result() == ExportDialog.DialogCode.Rejected


def test_go_fix_on_a_header_finding_names_the_field(qtbot) -> None:
    sheet = sample_sheet()
    sheet.header.production_company = ""
    dialog = ExportDialog(sheet, Settings())
    qtbot.addWidget(dialog)
    row = next(i for i, f in enumerate(dialog.findings()) if f.field == "header.production_company")
    dialog.findings_list.setCurrentRow(row)
    with qtbot.waitSignal(dialog.headerFindingActivated) as blocker:
        dialog.findings_list.itemDoubleClicked.emit(dialog.findings_list.item(row))
    assert blocker.args == ["header.production_company"]
    assert dialog.chosen_cue_id is None and dialog.chosen_field == "header.production_company"


def test_profile_change_rechecks(qtbot) -> None:
    dialog = ExportDialog(sample_sheet(), Settings())
    qtbot.addWidget(dialog)
    generic = len(dialog.findings())
    dialog.profile_box.setCurrentIndex(dialog.profile_box.findData("apra"))
    assert len(dialog.findings()) > generic  # APRA also wants vocal/instrumental, air date, ...
    assert dialog.findings_list.count() == len(dialog.findings())


def test_export_writes_file_remembers_options_and_says_so(qtbot, tmp_path: Path) -> None:
    sheet = sample_sheet()
    remembered: list[dict[str, Any]] = []
    dialog = ExportDialog(sheet, Settings(), remember_options=remembered.append)
    qtbot.addWidget(dialog)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("xlsx"))
    dialog.rounding_box.setCurrentIndex(dialog.rounding_box.findData("up"))
    target = tmp_path / "out.xlsx"
    dialog.path_edit.setText(str(target))
    with qtbot.waitSignal(dialog.exported):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert target.exists()
    assert "Exported the cue sheet to" in dialog.status.text() and str(target) in dialog.status.text()
    values = {c.value for row in openpyxl.load_workbook(target)["Cue Sheet"].iter_rows() for c in row}
    assert "00:04:47" in values  # rounded up, as chosen
    assert remembered and remembered[-1]["rounding"] == "up" and remembered[-1]["format"] == "xlsx"
    assert sheet.export_options == {}  # the dialog never edits the sheet itself (undo stack does)
    assert dialog.close_button.text() == "Close"

    # switching format changes the file suffix
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("csv"))
    assert dialog.target_path() == tmp_path / "out.csv"
    assert dialog.csv_box.isEnabled() and not dialog.orientation_box.isEnabled()


def test_failure_is_reported_in_plain_words(qtbot, tmp_path: Path) -> None:
    dialog = ExportDialog(sample_sheet(), Settings())
    qtbot.addWidget(dialog)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("pdf"))
    dialog.path_edit.setText(str(tmp_path / "missing" / "out.pdf"))
    assert dialog.run_export() is False
    assert dialog.status.text().startswith("Export failed: Cannot write")
    assert "Nothing was overwritten" in dialog.status.text()
    assert dialog.exported_path is None
    assert not (tmp_path / "missing").exists()


def test_screenshot_for_review(qtbot) -> None:
    sheet = sample_sheet()
    sheet.header.production_company = ""
    sheet.cues[1].parties[0].share = 60
    dialog = ExportDialog(sheet, Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "export-dialog.png"))


def test_remembered_options_go_through_the_undo_stack(qtbot, tmp_path: Path) -> None:
    from cuesheet_app.domain import edits
    from cuesheet_app.ui import commands
    from cuesheet_app.ui.document import ProjectDocument

    document = ProjectDocument(sample_sheet())
    dialog = ExportDialog(document.sheet, Settings(), project_path=tmp_path / "ep.cuesheet",
                          remember_options=lambda opts: commands.push(
                              document, edits.set_export_options(document.sheet, opts)))
    qtbot.addWidget(dialog)
    assert dialog.target_path().parent == tmp_path
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("csv"))
    dialog.csv_box.setCurrentIndex(dialog.csv_box.findData("parties"))
    assert dialog.run_export()
    assert document.sheet.export_options["csv_variant"] == "parties"
    assert document.sheet.export_options["format"] == "csv"
    assert document.modified and document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.sheet.export_options == {}
    # exporting again with the same options adds no undo step
    document.undo_stack.redo()
    assert dialog.run_export() and document.undo_stack.count() == 1
    # the next dialog starts from what the project remembered
    again = ExportDialog(document.sheet, Settings())
    qtbot.addWidget(again)
    assert again.export_format() == "csv" and again.export_options().csv_variant == "parties"
