"""Typing into a cue cell survives the window's own refreshes.

Validation runs on a timer and announces its findings with a whole-table ``dataChanged``; Qt
then refills every open editor from the model. A refresh landing between two key presses used
to put the old title back under the cursor, and the rest of the typing went after it (found as
a flaky keyboard walkthrough). Real keys on a shown window, as a person types.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from cuesheet_app.settings.store import Settings
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.cue_table_model import COLUMN_INDEX
from tests.key_helpers import focus, press, qt_messages, show_window  # noqa: F401
from tests.workspace_helpers import Answers


@pytest.fixture
def demo_window(qtbot, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(mw, "ask", Answers(otherwise=QMessageBox.StandardButton.Discard))
    window = mw.MainWindow(settings=Settings())
    show_window(qtbot, window)
    QTest.mouseClick(window.welcome.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.demo_running and window.is_idle(), timeout=120000)
    return window


def _edit_first_title(qtbot, window):  # type: ignore[no-untyped-def]
    table = window.editor.table
    focus(qtbot, table)
    table.setCurrentIndex(table.model().index(0, COLUMN_INDEX["title"]))
    press("F2")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not table, timeout=3000)
    return QApplication.focusWidget()


def _commit_title(qtbot, doc) -> str:  # type: ignore[no-untyped-def]
    """Return ends the edit; the first cue's title once the model has it."""
    press("Return")
    qtbot.waitUntil(lambda: doc.sheet.cues[0].title != "Harbour Lights (Main Title)", timeout=3000)
    return doc.sheet.cues[0].title


@pytest.mark.slow
def test_a_findings_refresh_mid_word_keeps_what_was_typed(qtbot, demo_window):  # noqa: F811
    doc = demo_window.document
    field = _edit_first_title(qtbot, demo_window)
    QTest.keyClicks(field, "Harbour")
    doc.flush_findings()  # what the validation timer does, between two key presses
    QTest.keyClicks(field, " Lights")
    assert _commit_title(qtbot, doc) == "Harbour Lights"


@pytest.mark.slow
def test_a_refresh_after_select_all_keeps_the_selection(qtbot, demo_window):  # noqa: F811
    doc = demo_window.document
    field = _edit_first_title(qtbot, demo_window)
    press("Ctrl+A")
    doc.flush_findings()
    QTest.keyClicks(field, "Night Crossing")
    assert _commit_title(qtbot, doc) == "Night Crossing"


@pytest.mark.slow
def test_a_real_change_of_value_still_reaches_an_untouched_editor(qtbot, demo_window):  # noqa: F811
    field = _edit_first_title(qtbot, demo_window)  # opened, nothing typed yet
    before = field.text()
    model = demo_window.editor.table.model()
    model.setData(model.index(0, COLUMN_INDEX["title"]), "Changed Elsewhere", Qt.ItemDataRole.EditRole)
    qtbot.waitUntil(lambda: field.text() == "Changed Elsewhere", timeout=3000)
    assert before != field.text()
