"""Edit lists in the GUI, as a user does it: drop the file on the window (onto the open episode,
or together with its episode), read the preview, flip a rule, press Enter; Ctrl+Z undoes it all."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cuesheet_app.settings.store import Settings
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.episode_bin import DONE
from tests.workspace_helpers import SlowEngine, factory_for, make_episode

# A 6 s episode at 25 fps (no timecode: its first frame is the sequence start, 01:00:00:00).
EDL = """TITLE: EP7 CUT
FCM: NON-DROP FRAME
001  AX  A   C  00:00:10:00 00:00:12:00 01:00:01:00 01:00:03:00
* FROM CLIP NAME: APM_ABC123_01 Dawn.wav
002  AX  A   C  00:00:12:00 00:00:13:00 01:00:03:00 01:00:04:00
* FROM CLIP NAME: APM_ABC123_01 Dawn.wav
003  AX  A2  C  00:00:00:00 00:00:02:00 01:00:00:10 01:00:02:10
* FROM CLIP NAME: SFX_door.wav
004  AX  A3  C  00:00:00:00 00:00:01:00 01:00:04:10 01:00:05:10
* FROM CLIP NAME: room tone.wav
"""


def _window() -> mw.MainWindow:
    w = mw.MainWindow(settings=Settings(), engine_factory=factory_for(SlowEngine(steps=2, events=[])))
    w.show()
    return w


def _drop(w: mw.MainWindow, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    target = w.centralWidget()
    pos = QPoint(target.width() // 2, target.height() // 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)


def _key(qtbot, w: mw.MainWindow, key: Qt.Key, mods: Qt.KeyboardModifier) -> None:  # type: ignore[no-untyped-def]
    """A key press on the focused widget of the active main window (window shortcuts need both)."""
    w.activateWindow()
    QApplication.setActiveWindow(w)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=3000)
    QTest.keyClick(QApplication.focusWidget() or w, key, mods)


@pytest.fixture
def informed(monkeypatch):  # type: ignore[no-untyped-def]
    seen: list[str] = []
    monkeypatch.setattr(mw, "inform", lambda _parent, title, text: seen.append(f"{title}: {text}"))
    return seen


@pytest.fixture
def open_episode(qtbot, answers, tmp_path):  # type: ignore[no-untyped-def]
    w = _window()
    w.add_paths([make_episode(tmp_path / "ep7.wav")])
    qtbot.waitUntil(lambda: w.bin.model.episodes[0].status == DONE, timeout=10000)
    qtbot.waitUntil(w.is_idle, timeout=10000)
    yield w
    w.close()


def _edl(tmp_path: Path, text: str = EDL, name: str = "ep7.edl") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_drop_onto_open_episode_preview_then_enter_applies_one_undo_step(qtbot, open_episode, tmp_path):
    w = open_episode
    before = [c.title for c in w.document.sheet.cues]
    _drop(w, [_edl(tmp_path)])
    qtbot.waitUntil(lambda: w.edit_import.dialog is not None and w.edit_import.dialog.isVisible(), timeout=5000)
    dlg = w.edit_import.dialog
    rows = dlg.rows()
    assert ("APM_ABC123_01 Dawn.wav", "Included", "source found: catalogue code APM_ABC123_01 (APM)") in rows
    assert ("SFX_door.wav", "Excluded", "clip name starts with SFX: never a cue") in rows
    assert ("room tone.wav", "Included", "music-only edit list: every clip is a cue") in rows
    assert "2 cues" in dlg.summary.text()
    # Not a music-only edit after all: click the box; room tone drops out, Dawn stays (its code).
    QTest.mouseClick(dlg.music_only, Qt.MouseButton.LeftButton, pos=QPoint(8, dlg.music_only.height() // 2))
    assert not dlg.music_only.isChecked()
    assert ("room tone.wav", "Excluded",
            "not music: not a music track and the source is not in the library or catalogue") in dlg.rows()
    assert "1 cue " in dlg.summary.text()
    assert dlg.cue_list.topLevelItemCount() == 1 and dlg.cue_list.topLevelItem(0).text(1) == "01:00:01:00"
    # Enter on the focused list presses the default button (Apply).
    dlg.tree.setFocus()
    QTest.keyClick(QApplication.focusWidget() or dlg, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=5000)
    cues = w.document.sheet.cues
    assert [(c.title, c.start, c.end) for c in cues] == [("Dawn", 25, 100)]
    assert cues[0].library == "APM" and "rights-needed" in cues[0].flags
    assert w.document.undo_stack.undoText() == "Import edit list"
    # One step: Ctrl+Z brings back exactly what was there.
    _key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [c.title for c in w.document.sheet.cues] == before
    _key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert [c.title for c in w.document.sheet.cues] == ["Dawn"]


def test_escape_cancels_and_changes_nothing(qtbot, open_episode, tmp_path):
    w = open_episode
    before, steps = w.document.sheet.to_dict(), w.document.undo_stack.count()
    _drop(w, [_edl(tmp_path)])
    qtbot.waitUntil(lambda: w.edit_import.dialog is not None and w.edit_import.dialog.isVisible(), timeout=5000)
    dlg = w.edit_import.dialog
    QTest.keyClick(dlg.tree, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=5000)
    assert w.document.sheet.to_dict() == before and w.document.undo_stack.count() == steps


def test_drop_edit_list_with_its_episode(qtbot, answers, tmp_path):
    w = _window()
    episode = make_episode(tmp_path / "ep8.wav")
    _drop(w, [_edl(tmp_path), episode])
    qtbot.waitUntil(lambda: w.edit_import.dialog is not None and w.edit_import.dialog.isVisible(), timeout=5000)
    QTest.mouseClick(w.edit_import.dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(w.document.sheet.cues), timeout=5000)
    sheet = w.document.sheet
    assert Path(sheet.media[0].path) == episode.resolve()
    assert [(c.title, c.start, c.end) for c in sheet.cues] == [("Dawn", 25, 100), ("room tone", 110, 135)]
    assert w.current is not None and w.current.path == episode
    assert w.bin.model.find(episode) is not None
    assert w.isWindowModified()
    w.close()


def test_bad_edit_lists_say_why_and_change_nothing(qtbot, open_episode, informed, tmp_path):
    w = open_episode
    before = w.document.sheet.to_dict()
    malformed = EDL.replace("01:00:03:00 01:00:04:00", "01:00:03:00")
    past = EDL.replace("01:00:04:10 01:00:05:10", "01:00:04:10 01:00:09:10")
    for path, message in ((_edl(tmp_path, malformed, "bad.edl"), "line 5: event 002 is truncated or malformed"),
                          (_edl(tmp_path, "<?xml version='1.0'?><rss/>", "feed.xml"), "not Final Cut Pro XML"),
                          (_edl(tmp_path, past, "long.edl"), "outside the media")):
        seen = len(informed)
        _drop(w, [path])
        qtbot.waitUntil(lambda seen=seen: len(informed) > seen, timeout=5000)
        assert message in informed[-1] and "Nothing was changed" in informed[-1]
        assert w.document.sheet.to_dict() == before
    assert len(informed) == 3


def test_menu_entry_and_no_episode(qtbot, answers, informed, monkeypatch, tmp_path):
    w = _window()
    path = _edl(tmp_path)
    monkeypatch.setattr(mw, "choose_open", lambda *_a: [path])
    _key(qtbot, w, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert informed and "open the episode first" in informed[-1]
    assert w.actions_by_id["file.import_edit"].text() == "Import &Edit List…"
    w.close()


def test_rules_are_settings_edited_by_typing(qtbot, memory_keyring):
    from PySide6.QtWidgets import QDialogButtonBox

    from cuesheet_app.services.edit_import import rules_from_settings
    from cuesheet_app.settings.store import load_settings
    from cuesheet_app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), tab="edit lists")
    qtbot.addWidget(dialog)
    dialog.show()
    form = dialog.edit_rules
    assert dialog.tabs.currentWidget() is form
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    # A broken pattern is named and the dialog stays open.
    form.patterns.setFocus()
    QTest.keyClick(form.patterns, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(form.patterns, Qt.Key.Key_Return)
    QTest.keyClicks(form.patterns, "Broken = (?P<library>HL")
    QTest.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "Broken" in dialog.error.text()
    # Fixed: saved, and the import uses it.
    for _ in range(len("(?P<library>HL")):
        QTest.keyClick(form.patterns, Qt.Key.Key_Backspace)
    QTest.keyClicks(form.patterns, r"(?P<library>HL)-(?P<catalogue>\d{4})-(?P<track>\d+)")
    form.bridge.setFocus()
    form.bridge.selectAll()
    QTest.keyClicks(form.bridge, "5")
    QTest.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    rules = rules_from_settings(load_settings())
    assert rules.bridge_gap_frames == 5
    assert rules.catalogue_code("HL-0042-7 Ocean").catalogue == "0042"
    assert rules.catalogue_code("APM_ABC123_01") is not None  # the defaults are still there


def test_a_submitted_sheet_refuses_the_edit_list(qtbot, open_episode, informed, tmp_path):
    w = open_episode
    w.document.sheet.header.status = "submitted"
    before = w.document.sheet.to_dict()
    _drop(w, [_edl(tmp_path)])
    qtbot.waitUntil(lambda: bool(informed), timeout=5000)
    assert "read-only" in informed[-1] and w.edit_import.dialog is None
    assert w.document.sheet.to_dict() == before
