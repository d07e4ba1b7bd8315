"""Versions in the window, used as a person would: the submitted lock and reopening it, the
compare view, and the episode bin's series header and season report."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu, QMessageBox

from cuesheet_app.settings.store import Settings
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.episode_bin import DONE
from tests.workspace_helpers import SlowEngine, factory_for, make_episode

SB = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot, answers, tmp_path):
    w = mw.MainWindow(settings=Settings(), engine_factory=factory_for(SlowEngine(steps=2)))
    w.show()
    (tmp_path / "media").mkdir()
    w.add_paths([make_episode(tmp_path / "media" / "Show_S01E07.wav"),
                 make_episode(tmp_path / "media" / "Show_S01E08.wav", seed=2)])
    qtbot.waitUntil(lambda: all(e.status == DONE for e in w.bin.model.episodes), timeout=15000)
    qtbot.waitUntil(w.is_idle, timeout=10000)
    yield w
    answers.answers.clear()
    w.close()


def _click_menu_item(qtbot, w: mw.MainWindow, menu_title: str, action_id: str) -> None:
    """Open a menu bar menu and click one of its items with the mouse."""
    menu = next(m for m in w.menuBar().findChildren(QMenu) if m.title().replace("&", "") == menu_title)
    menu.popup(w.mapToGlobal(w.rect().center()))
    qtbot.waitUntil(menu.isVisible, timeout=3000)
    action = next(a for a in menu.actions() if a.objectName() == action_id)
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=3000)


def test_submitted_sheet_is_read_only_until_reopened(qtbot, window) -> None:
    w = window
    doc = w.document
    table = w.editor.table
    assert doc.sheet.cues and not w.versions.banner.isVisible()
    _click_menu_item(qtbot, w, "Status", "sheet.status_submitted")
    assert doc.sheet.header.status == "submitted" and doc.sheet.header.status_date
    assert w.versions.banner.isVisible() and "read-only" in w.versions.banner.text.text()
    assert not w.header_form.isEnabled()
    # Delete on a selected cue (deactivate) is refused, and says why
    table.setFocus()
    table.selectRow(0)
    first = doc.sheet.cues[0].id
    QTest.keyClick(table, Qt.Key.Key_Delete)
    assert doc.sheet.cue_by_id(first).active
    assert "read-only" in w.statusBar().currentMessage()
    # the Reopen button on the banner starts revision 1; the submitted version is kept
    QTest.mouseClick(w.versions.banner.button, Qt.MouseButton.LeftButton)
    h = doc.sheet.header
    assert (h.status, h.classification, h.revision_number) == ("draft", "Revised", 1)
    assert doc.sheet.previous is not None and doc.sheet.previous.header.status == "submitted"
    assert not w.versions.banner.isVisible() and w.header_form.isEnabled()
    table.setFocus()
    table.selectRow(0)
    QTest.keyClick(table, Qt.Key.Key_Delete)
    assert not doc.sheet.cue_by_id(first).active
    # compare with the previous version (Ctrl+Alt+D): the deactivated cue is marked changed
    QTest.keyClick(table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    dialog = w.versions.last_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.marks().count("Changed") == 1 and "active" in dialog.table.item(0, 5).text()
    assert "1 changed" in dialog.findChild(type(w.versions.banner.text), "compareSummary").text()
    blocks = dialog.new_timeline.blocks()
    assert [m for _, _, m in blocks].count("changed") == 1
    dialog.table.selectRow(0)
    assert dialog.new_timeline.highlight == first and dialog.old_timeline.highlight == first
    dialog.close()
    # undo goes back through the reopening to the submitted, locked sheet
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.sheet.submitted and w.versions.banner.isVisible()


def test_bin_applies_series_header_and_exports_season_report(qtbot, window, tmp_path, monkeypatch) -> None:
    w = window
    header = tmp_path / "header.json"
    header.write_text(json.dumps({"program_title": "Show", "network": "NBS",
                                  "episode_number_pattern": r"S\d+E(\d+)"}))
    monkeypatch.setattr(mw, "choose_open", lambda *a: [header])
    w.bin.view.setFocus()
    w.bin.view.selectAll()
    _click_menu_item(qtbot, w, "Episodes", "episode.apply_header")
    sheets = [w.document.sheet if e is w.current else e.sheet for e in w.bin.model.episodes]
    assert [(s.header.program_title, s.header.network, s.header.episode_number) for s in sheets] == \
        [("Show", "NBS", "07"), ("Show", "NBS", "08")]
    assert "applied to 2 episode(s)" in w.statusBar().currentMessage()
    out = tmp_path / "report" / "season.xlsx"
    out.parent.mkdir()
    monkeypatch.setattr(mw, "choose_save", lambda *a: out)
    _click_menu_item(qtbot, w, "Episodes", "episode.season_report")
    assert out.exists() and (out.parent / "season.csv").exists()
    text = (out.parent / "season.csv").read_text(encoding="utf-8-sig")
    assert "Blue Harbour" in text and "By publisher" in text
    assert sum(1 for line in text.splitlines() if line.startswith(("07,", "08,"))) == 4
