"""The workspace's look and feel: what fits at the default size, what shows when, and files the
desktop hands over (macOS QFileOpenEvent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QLabel

from cuesheet_app.settings.store import Settings
from cuesheet_app.ui import file_open
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.commands import HeaderEditCommand
from cuesheet_app.ui.cue_table_model import COLUMNS
from cuesheet_app.ui.episode_bin import DONE
from tests.audio_fixtures import chord_music
from tests.local_media import write_media
from tests.workspace_helpers import SlowEngine, factory_for, make_episode

LONG_ADDRESS = "1 Harbour Road, Port Example, Quayside County, QX1 2AB, United Kingdom"


@pytest.fixture
def window(qtbot, answers):
    w = mw.MainWindow(settings=Settings(), engine_factory=factory_for(SlowEngine(steps=2)))
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def _identify(qtbot, w: mw.MainWindow, path: Path) -> None:
    w.add_paths([path])
    qtbot.waitUntil(lambda: w.bin.model.episodes and w.bin.model.episodes[-1].status == DONE, timeout=10000)
    qtbot.waitUntil(w.is_idle, timeout=10000)


def test_viewer_dock_only_for_episodes_with_a_picture(qtbot, window, tmp_path):
    assert not window.viewer_dock.isVisible()  # nothing loaded: no empty panel
    _identify(qtbot, window, make_episode(tmp_path / "mix.wav"))
    assert window.player.path is not None
    assert not window.viewer_dock.isVisible()  # audio only
    movie = write_media(tmp_path / "reel.mp4", chord_music(3.0, seed=2, rate=22050), codec="aac", video=True)
    _identify(qtbot, window, movie)
    window.open_episode(window.bin.model.episodes[-1])
    qtbot.waitUntil(lambda: window.player.path == movie and window.is_idle(), timeout=10000)
    qtbot.waitUntil(window.viewer_dock.isVisible, timeout=5000)
    window.open_episode(window.bin.model.episodes[0])  # back to the audio-only mix
    qtbot.waitUntil(lambda: not window.viewer_dock.isVisible(), timeout=5000)


def test_cue_table_and_parties_fit_the_default_window(qtbot, window, tmp_path):
    _identify(qtbot, window, make_episode(tmp_path / "ep.wav"))
    table = window.editor.table
    visible = [i for i in range(len(COLUMNS)) if not table.isColumnHidden(i)]
    assert [COLUMNS[i].key for i in visible] == ["seq", "cue_number", "title", "usage", "start", "end",
                                                 "duration", "composers", "publishers", "status"]
    qtbot.waitUntil(lambda: sum(table.columnWidth(i) for i in visible) <= table.viewport().width())
    assert not table.horizontalScrollBar().isVisible()
    title = table.columnWidth(next(i for i, c in enumerate(COLUMNS) if c.key == "title"))
    assert title >= 110  # the stretching text columns still read
    parties = window.editor.parties.view
    assert sum(parties.columnWidth(i) for i in range(parties.model().columnCount())) <= parties.viewport().width()
    assert not table.wordWrap() and not parties.wordWrap()


def test_header_line_edits_show_the_start_of_long_text(qtbot, window):
    window.document.undo_stack.push(HeaderEditCommand(window.document, company_contact=LONG_ADDRESS))
    edit = window.header_form.editors["company_contact"]
    assert edit.text() == LONG_ADDRESS
    assert edit.cursorPosition() == 0
    form = window.header_form  # every field ends inside the dock: nothing cut off on the right
    assert all(e.mapTo(form, e.rect().topRight()).x() < form.width() for e in form.editors.values())


@pytest.mark.parametrize("size", [(1400, 900), (1000, 640)])
def test_welcome_text_sits_under_its_title(qtbot, window, size):
    window.resize(*size)
    qtbot.wait(50)
    labels = {lbl.text(): lbl for lbl in window.welcome.findChildren(QLabel)}
    title = next(lbl for text, lbl in labels.items() if "Music cue sheets" in text)
    intro = next(lbl for text, lbl in labels.items() if text.startswith("Drop episode files"))
    assert intro.geometry().top() >= title.geometry().bottom()
    for label in (title, intro):  # every wrapped line shows, nothing runs off the column
        assert label.height() >= label.heightForWidth(label.width())
        assert label.geometry().right() <= label.parentWidget().width()


def test_file_open_event_opens_the_project(qtbot, window, tmp_path):
    _identify(qtbot, window, make_episode(tmp_path / "ep9.wav"))
    window.document.undo_stack.push(HeaderEditCommand(window.document, program_title="Finder Test"))
    assert window.save_as(tmp_path / "finder", wait=True)
    project = tmp_path / "finder.cuesheet"
    window.new_project()
    assert window.document.sheet.header.program_title != "Finder Test"
    app = QApplication.instance()
    handler = file_open.install(app, window)
    try:
        QApplication.postEvent(app, QFileOpenEvent(str(project)))
        qtbot.waitUntil(lambda: window.document.sheet.header.program_title == "Finder Test", timeout=5000)
        assert window.header_form.editors["program_title"].text() == "Finder Test"
    finally:
        app.removeEventFilter(handler)


def test_file_open_event_for_media_adds_an_episode(qtbot, window, tmp_path):
    handler = file_open.FileOpenFilter(window)
    event = QFileOpenEvent(str(make_episode(tmp_path / "dropped.wav")))
    assert event.type() == QEvent.Type.FileOpen
    assert handler.eventFilter(QApplication.instance(), event)
    qtbot.waitUntil(lambda: [e.path.name for e in window.bin.model.episodes] == ["dropped.wav"], timeout=5000)
    assert not handler.eventFilter(window, QEvent(QEvent.Type.Show))  # other events pass through
