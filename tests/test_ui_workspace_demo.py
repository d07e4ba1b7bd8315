"""The first-run demo: generated on the machine, indexed and identified by the local engine,
opened in the window from the welcome panel."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from cuesheet_app.services.demo import DEMO_PROJECT, TRACKS, build_demo
from cuesheet_app.settings import paths
from cuesheet_app.settings.store import Settings
from cuesheet_app.storage import project_file
from cuesheet_app.ui import main_window as mw
from tests.audio_fixtures import espeak_available
from tests.workspace_helpers import Answers

SB = QMessageBox.StandardButton


def test_build_demo_identifies_library_cues_with_their_rights(tmp_path):
    phases: list[str] = []
    result = build_demo(Settings(), lambda p: phases.append(p.phase), folder=tmp_path)
    assert result.project_path == tmp_path / DEMO_PROJECT and result.project_path.exists()
    sheet = project_file.load(result.project_path)
    titles = [c.title for c in sheet.cues if c.identified]
    # The three cues in the clear are named; the non-library piece never is.
    for expected in ("Harbour Lights (Main Title)", "Salt and Wire", "Lantern Walk"):
        assert expected in titles
    assert not any("stranger" in t.lower() for t in titles)
    assert any(not c.identified for c in sheet.cues)
    main = next(c for c in sheet.cues if c.title == "Harbour Lights (Main Title)")
    assert {p.display_name for p in main.parties} >= {"Jane Doe", "John Roe", "Tidewater Music"}
    assert sheet.header.program_title == "Harbour Lights" and sheet.header.program_start == "01:00:00:00"
    assert len(list((tmp_path / "library-music").glob("*.wav"))) == len(TRACKS)
    assert result.with_speech == espeak_available()
    assert "Indexing demo library" in phases and phases[-1] == "Demo ready"
    # Running it again reuses the index and gives the same cues.
    again = build_demo(Settings(), folder=tmp_path)
    assert [(c.title, c.start, c.end) for c in again.sheet.cues] == [(c.title, c.start, c.end) for c in sheet.cues]


@pytest.mark.slow
def test_welcome_panel_runs_the_demo_into_the_editor(qtbot, monkeypatch):
    monkeypatch.setattr(mw, "ask", Answers(otherwise=SB.Discard))
    w = mw.MainWindow(settings=Settings())
    w.show()
    assert w.central.currentWidget() is w.welcome
    w.welcome.demo_button.click()
    qtbot.waitUntil(lambda: not getattr(w, "demo_running", True), timeout=60000)
    qtbot.waitUntil(w.is_idle, timeout=30000)
    assert w.document.path == paths.demo_dir() / DEMO_PROJECT
    assert w.central.currentWidget() is w.editor_page
    assert len(w.document.sheet.cues) >= 4
    assert w.bin.model.episodes[0].path.name == "harbour_lights_101.wav"
    assert w.player.path is not None
    w.close()
