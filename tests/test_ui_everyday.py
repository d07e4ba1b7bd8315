"""Everyday things a new user meets: a file that cannot be read, cut-off text, the shortcut list,
the catalogue's empty and idle states, the episode list's menu, the export dialog's sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QToolTip

from cuesheet_app.domain import edits
from cuesheet_app.settings.store import Settings
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.catalogue_window import CatalogueWindow
from cuesheet_app.ui.cue_table_model import COLUMN_INDEX
from cuesheet_app.ui.episode_bin import FAILED
from cuesheet_app.ui.shortcuts import key_text
from cuesheet_app.ui.shortcuts_help import ShortcutsDialog
from tests.key_helpers import build_demo_project, focus, open_copy, press, qt_messages, show_window  # noqa: F401
from tests.workspace_helpers import Answers

SB = QMessageBox.StandardButton


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_project(tmp_path_factory.mktemp("everyday-demo"))


@pytest.fixture
def window(qtbot, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(mw, "ask", Answers(otherwise=SB.Discard))
    w = mw.MainWindow(settings=Settings())
    show_window(qtbot, w)
    yield w
    w.document.undo_stack.setClean()
    for ep in w.bin.model.episodes:
        ep.unsaved = False
    w.close()


def _tooltip_at(view, index) -> str:  # type: ignore[no-untyped-def]
    """Hover a cell as the mouse would (a ToolTip help event) and read the tooltip shown."""
    QToolTip.hideText()
    rect = view.visualRect(index)
    pos = rect.center()
    event = QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    return QToolTip.text() if QToolTip.isVisible() else ""


def test_an_unreadable_file_is_refused_where_the_user_looks(qtbot, window, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    window.add_paths([bad])
    ep = window.bin.model.episodes[0]
    qtbot.waitUntil(lambda: ep.status == FAILED, timeout=20000)
    assert window.message_bar.isVisible()
    assert "bad.mp4" in window.message_bar.text() and "cannot read" in window.message_bar.text().lower() \
        or "FFmpeg" in window.message_bar.text()
    status = window.bin.model.index(0, 1)
    assert status.data().startswith("Cannot read: ")
    assert ep.unreadable in status.data(Qt.ItemDataRole.ToolTipRole)
    window.bin.select(ep)
    assert not window.actions_by_id["episode.retry"].isEnabled()
    assert not window.actions_by_id["episode.identify"].isEnabled()
    assert "bad" not in window.windowTitle() and window.current is None
    assert window.central.currentWidget() is window.welcome


def test_cut_off_cells_show_their_full_text_on_hover(qtbot, window, demo_project, tmp_path):
    open_copy(qtbot, window, demo_project, tmp_path)
    doc = window.document
    long_title = "Harbour Lights (Main Title) — extended version with the long choral ending"
    doc.push_edit(edits.set_fields(doc.sheet, doc.sheet.cues[0].id, title=long_title))
    table = window.editor.table
    column = COLUMN_INDEX["title"]
    table.setColumnWidth(column, 60)
    index = table.model().index(0, column)
    assert _tooltip_at(table, index).startswith(long_title)
    doc.push_edit(edits.set_fields(doc.sheet, doc.sheet.cues[0].id, title="Dawn"))
    assert "Dawn" not in _tooltip_at(table, index)  # fits: no tooltip needed


def test_the_episode_status_is_whole_in_its_tooltip_and_follows_undo(qtbot, window, demo_project, tmp_path):
    open_copy(qtbot, window, demo_project, tmp_path)
    doc = window.document
    n = len(doc.sheet.cues)
    status = window.bin.model.index(0, 1)
    assert status.data() == f"Done: {n} cues"
    doc.push_edit(edits.remove_cues(doc.sheet, [doc.sheet.cues[0].id]))
    assert status.data().startswith(f"Done: {n - 1} cues")
    doc.undo_stack.undo()
    assert status.data().startswith(f"Done: {n} cues")
    assert status.data(Qt.ItemDataRole.ToolTipRole).startswith(status.data())


def test_the_episode_list_has_a_context_menu_with_remove_and_reveal(qtbot, window, demo_project, tmp_path):
    open_copy(qtbot, window, demo_project, tmp_path)
    menu = window.bin.context_menu()
    names = [a.objectName() for a in menu.actions() if not a.isSeparator()]
    assert {"episode.remove", "episode.reveal", "episode.open", "episode.identify"} <= set(names)


def test_shortcut_list_reads_well_and_can_be_searched(qtbot):
    assert key_text(("Shift+,", "<", "Shift+<"), native=False) == "Shift+, or <"
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    rows = dialog.visible_rows()
    assert not any(",," in keys for _m, _l, keys in rows)
    QTest.keyClicks(dialog.search, "undo")
    labels = [label for _m, label, _k in dialog.visible_rows()]
    assert labels and all("undo" in (label + " ".join(r)).lower() for label, r in zip(labels, dialog.visible_rows(),
                                                                                       strict=True))
    assert "Undo" in labels and "Split at Playhead" not in labels
    dialog.search.clear()
    QTest.keyClicks(dialog.search, "ctrl+e")
    assert [label for _m, label, _k in dialog.visible_rows()] == ["Export…"]


def test_save_as_uses_the_platform_key(qtbot, window):
    from PySide6.QtGui import QKeySequence

    standard = QKeySequence.keyBindings(QKeySequence.StandardKey.SaveAs)
    keys = window.actions_by_id["file.save_as"].shortcuts()
    if standard:
        assert keys[0] == standard[0]
    assert keys and keys[0].toString() != "Ctrl+Alt+S"


def test_catalogue_window_empty_hint_idle_merge_no_id_and_escape(qtbot, tmp_path, qt_messages):  # noqa: F811
    window = CatalogueWindow(tmp_path / "catalogue.sqlite")
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    QTest.qWaitForWindowExposed(window)
    assert "empty" in window.count_label.text() and "Import" in window.count_label.text()
    directory = window.directory
    assert not directory.merge_button.isEnabled()
    assert directory.table.isColumnHidden(directory.COLUMNS.index("Id"))
    assert window.close_buttons.isVisible()
    focus(qtbot, window.search)
    press("Escape")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)


def test_export_dialog_sentence_starts_with_a_capital(qtbot, demo_project):
    from cuesheet_app.storage import project_file
    from cuesheet_app.ui.export_dialog import ExportDialog

    sheet = project_file.load(demo_project)
    for cue in sheet.cues:  # warnings only: the count starts "No errors and …"
        cue.usage = cue.usage or "BI"
    dialog = ExportDialog(sheet, Settings())
    qtbot.addWidget(dialog)
    text = dialog.summary.text()
    assert not text[:1].islower(), text


def test_a_timeline_block_keeps_its_cue_number_before_its_title(qapp):
    from PySide6.QtGui import QFont, QFontMetrics

    from cuesheet_app.ui.timeline.widget import block_label

    fm = QFontMetrics(QFont())
    number = fm.horizontalAdvance("1M01a")
    assert block_label(fm, "1M01a", "Harbour Lights", 400) == "1M01a Harbour Lights"
    assert block_label(fm, "1M01a", "Harbour Lights", number + 4) == "1M01a"  # the title gives way first
    part = block_label(fm, "1M01a", "Harbour Lights (Main Title)", number + fm.horizontalAdvance(" Harbou…") + 2)
    assert part.startswith("1M01a H") and part.endswith("…")
    tight = block_label(fm, "1M01a", "Harbour Lights", number // 2)
    assert tight.startswith("…") and tight.endswith("a")  # too narrow: the end (a, b of a split) shows
