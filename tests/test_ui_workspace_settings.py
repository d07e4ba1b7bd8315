"""Settings dialog persistence (the key goes to the keyring, never to the file), playback
basics, About, and the ``cuesheet gui --screenshot`` run."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.settings import secrets
from cuesheet_app.settings.store import Settings, load_settings, settings_path
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.playback import Player, program_timecode
from cuesheet_app.ui.settings_dialog import SettingsDialog
from tests.cli_helpers import run_cli
from tests.workspace_helpers import Answers

SB = QMessageBox.StandardButton
KEY = "ask-test-5f0c1d2e3b4a"


def test_settings_persist_and_the_key_goes_to_the_keyring(qtbot, memory_keyring, tmp_path):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.engine.setCurrentIndex(dialog.engine.findData("audioshake"))
    dialog.jobs.setValue(3)
    dialog.prepared_by.setText("Ana Music Supervisor")
    dialog.api_key.setText(KEY)
    dialog.base_url.setText("http://127.0.0.1:9/")
    dialog.folders.addItem(str(tmp_path / "music"))
    dialog.frame_rate.setCurrentIndex(dialog.frame_rate.findData("29.97DF"))
    dialog.program_start.setText("00:59:59;28")
    dialog.rounding.setCurrentIndex(dialog.rounding.findData("up"))
    dialog.merge_gap.setValue(4.5)
    dialog.min_len.setValue(1.5)
    dialog.sensitivity.setValue(80)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    s = load_settings()
    assert (s.default_engine, s.jobs_at_once, s.prepared_by) == ("audioshake", 3, "Ana Music Supervisor")
    assert s.audioshake_base_url == "http://127.0.0.1:9/"
    assert s.library_sources == [str(tmp_path / "music")]
    assert (s.default_frame_rate, s.default_program_start, s.rounding) == ("29.97DF", "00:59:59;28", "up")
    assert (s.merge_gap_s, s.min_cue_length_s, s.detection_sensitivity) == (4.5, 1.5, 0.8)
    assert memory_keyring.store[(secrets.SERVICE, secrets.ACCOUNT)] == KEY
    text = settings_path().read_text()
    assert KEY not in text and json.loads(text)["settings_version"] >= 1
    # Shown masked next time.
    again = SettingsDialog(s)
    qtbot.addWidget(again)
    assert again.api_key.text() == KEY and again.api_key.echoMode() == again.api_key.EchoMode.Password
    # Clearing the field deletes the key.
    again.api_key.setText("")
    again.accept()
    assert (secrets.SERVICE, secrets.ACCOUNT) not in memory_keyring.store


def test_bad_program_start_keeps_the_dialog_open(qtbot, memory_keyring):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.program_start.setText("01:00:00:25")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "Program start" in dialog.error.text()
    assert not settings_path().exists()


def test_no_keyring_backend_is_reported_not_crashed(qtbot):
    dialog = SettingsDialog(Settings())  # conftest installs keyring's fail backend
    qtbot.addWidget(dialog)
    dialog.api_key.setText(KEY)
    dialog.accept()
    assert "keyring" in dialog.error.text() and KEY not in dialog.error.text()
    assert dialog.result() != dialog.DialogCode.Accepted


def test_test_connection_runs_off_the_gui_thread_and_never_shows_the_key(qtbot, memory_keyring):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.api_key.setText(KEY)
    dialog.base_url.setText("http://127.0.0.1:9")  # nothing listens on port 9
    dialog.test_connection()
    assert dialog.test_result.text() == "Checking…"
    qtbot.waitUntil(lambda: dialog.test_result.text() != "Checking…", timeout=30000)
    assert "127.0.0.1:9" in dialog.test_result.text() and KEY not in dialog.test_result.text()


def test_player_steps_on_frames_and_shows_program_timecode(qtbot):
    player = Player()
    sheet = CueSheet()
    sheet.header.frame_rate = "25"
    sheet.header.program_start = "01:00:00:00"
    from cuesheet_app.domain import timecode as tc

    player.load(None, tc.frame_rate("25"), duration_s=60.0)
    seen: list[float] = []
    player.positionChanged.connect(seen.append)
    player.seek(10.0)
    for _ in range(3):
        player.step_frames(1)
    assert player.position() == pytest.approx(10.12)
    player.step(-1.0)
    assert player.position() == pytest.approx(9.12)
    player.seek(-5)
    assert player.position() == 0.0
    player.seek(1e9)
    assert player.position() == 60.0
    assert seen[0] == 10.0
    assert program_timecode(sheet, float(Fraction(3725, 1) + Fraction(12, 25))) == "02:02:05:12"


def test_about_lists_versions_and_engines(qtbot, monkeypatch):
    monkeypatch.setattr(mw, "ask", Answers(otherwise=SB.Discard))
    w = mw.MainWindow(settings=Settings())
    from cuesheet_app.ui.about import show_about

    box = show_about(w, w.settings, w.tasks)
    qtbot.waitUntil(lambda: "checking" not in box.text(), timeout=20000)
    text = box.text()
    assert "Cue Sheet 0." in text and "Qt 6." in text and "PySide6" in text
    assert "Local" in text and "AudioShake" in text
    box.close()
    w.close()


@pytest.mark.parametrize("size", ["900x640"])
def test_screenshot_run_writes_a_png_of_the_requested_size(tmp_path, size):
    out = tmp_path / "shot.png"
    result = run_cli("gui", "--screenshot", str(out), "--size", size, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    image = QImage(str(out))
    assert not image.isNull()
    assert f"{image.width()}x{image.height()}" == size
    # Not a blank picture: the welcome panel and docks draw many colours.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 5


def test_index_now_indexes_the_library_folders_with_progress(qtbot, tmp_path):
    from tests.workspace_helpers import make_episode

    music = tmp_path / "music"
    music.mkdir()
    make_episode(music / "track_one.wav", seconds=8.0, seed=4)
    make_episode(music / "track_two.wav", seconds=8.0, seed=5)
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.folders.addItem(str(music))
    assert dialog.index_button.isEnabled()
    dialog.index_now()
    assert not dialog.index_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.index_button.isEnabled(), timeout=60000)
    assert dialog.index_result.text().startswith("Indexed: 2 added"), dialog.index_result.text()
    from cuesheet_app.identify.local.library import Library

    assert len(Library(Settings().library_dir()).tracks()) == 2


def test_player_plays_a_range_and_shuttles(qtbot, tmp_path):
    from tests.workspace_helpers import make_episode

    player = Player()
    if not player.available:
        pytest.skip(f"Qt Multimedia unavailable here: {player.reason}")
    player.load(make_episode(tmp_path / "p.wav", seconds=6.0))
    qtbot.waitUntil(lambda: player.duration() > 5.0, timeout=5000)
    player.play_range(1.0, 1.4)
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=5000)
    assert player.position() == pytest.approx(1.4)
    player.seek(3.0)
    player.shuttle_reverse()  # J
    assert player.is_playing()
    qtbot.wait(300)
    player.shuttle_stop()  # K
    assert 2.0 < player.position() < 3.0
    assert not player.is_playing()


def test_without_qt_multimedia_the_app_runs_with_playback_disabled_and_says_why(qtbot, monkeypatch):
    from PySide6.QtMultimedia import QMediaPlayer

    monkeypatch.setattr(QMediaPlayer, "isAvailable", lambda _self: False)
    monkeypatch.setattr(mw, "ask", Answers(otherwise=SB.Discard))
    w = mw.MainWindow(settings=Settings())
    assert not w.player.available
    assert "no playback backend" in w.player.reason
    assert not w.actions_by_id["transport.play_pause"].isEnabled()
    assert "Playback disabled" in w.viewer_message.text()
    assert w.transport.status.text() == w.player.reason
    w.player.seek(3.0)  # the playhead still moves (the timeline can still seek)
    assert w.player.position() == 3.0
    w.close()
