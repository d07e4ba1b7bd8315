"""A new user's first session, by keyboard, on a shown window: the demo, an edit, undo and redo,
a split and its undo, and a PDF export. Every step is a key press or a click."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from cuesheet_app.settings.store import Settings
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.cue_table_model import COLUMN_INDEX
from cuesheet_app.ui.export_dialog import ExportDialog
from tests.key_helpers import focus, press, qt_messages, show_window  # noqa: F401
from tests.workspace_helpers import Answers

SB = QMessageBox.StandardButton


def _bin_status(window: mw.MainWindow) -> str:
    return window.bin.model.index(0, 1).data()


@pytest.mark.slow
def test_first_session_by_keyboard(qtbot, qt_messages, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setattr(mw, "ask", Answers(otherwise=SB.Discard))
    window = mw.MainWindow(settings=Settings())
    show_window(qtbot, window)

    # The demo, from the welcome panel's button.
    QTest.mouseClick(window.welcome.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.demo_running and window.is_idle(), timeout=120000)
    doc, editor = window.document, window.editor
    n = len(doc.sheet.cues)
    assert n >= 4 and window.central.currentWidget() is window.editor_page
    assert _bin_status(window) == f"Done: {n} cues"

    # A title, typed into its cell: first row, Title column, F2, type, Enter.
    table = editor.table
    focus(qtbot, table)
    table.setCurrentIndex(table.model().index(0, COLUMN_INDEX["seq"]))
    for _ in range(COLUMN_INDEX["title"]):
        press("Right")
    old_title = doc.sheet.cues[0].title
    press("F2")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not table, timeout=3000)
    editor_field = QApplication.focusWidget()
    press("Ctrl+A")
    QTest.keyClicks(editor_field, "Harbour Lights (Opening)")
    press("Return")
    qtbot.waitUntil(lambda: doc.sheet.cues[0].title == "Harbour Lights (Opening)", timeout=3000)
    undo = window.actions_by_id["edit.undo"]
    assert undo.text().replace("&", "").startswith("Undo ") and len(undo.text()) > len("&Undo ")

    # Undo and redo by keyboard, with the focus back in the table.
    focus(qtbot, table)
    press("Ctrl+Z")
    assert doc.sheet.cues[0].title == old_title
    press("Ctrl+Shift+Z")
    assert doc.sheet.cues[0].title == "Harbour Lights (Opening)"
    press("Ctrl+Z")
    press("Ctrl+Y")
    assert doc.sheet.cues[0].title == "Harbour Lights (Opening)"

    # Split the first cue at a playhead inside it, in the timeline; the Edit menu names the step.
    cue = doc.sheet.cues[0]
    doc.set_selection([cue.id])
    editor.set_playhead(float(doc.sheet.seconds((cue.start + cue.end) // 2)))
    focus(qtbot, editor.timeline)
    press("S")
    assert len(doc.sheet.cues) == n + 1
    assert undo.text().replace("&", "") == "Undo Split cue" or "Split" in undo.text()
    assert _bin_status(window).startswith(f"Done: {n + 1} cues")
    press("Ctrl+Z")
    assert len(doc.sheet.cues) == n
    assert _bin_status(window).startswith(f"Done: {n} cues")  # the list is not left stale

    # Export a PDF: Ctrl+E opens the dialog; choose PDF, a path, and press Export.
    target = tmp_path / "walkthrough.pdf"
    seen: list[str] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            QTimer.singleShot(50, drive)
            return
        dialog.format_box.setCurrentIndex(dialog.format_box.findData("pdf"))
        dialog.path_edit.setText(str(target))
        QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        seen.append(dialog.status.text())
        QTest.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(50, drive)
    press("Ctrl+E")
    assert seen and seen[0].startswith("Exported the cue sheet to"), seen
    assert target.exists() and target.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
        assert "Harbour Lights (Opening)" in text

    doc.undo_stack.setClean()
    window.close()
