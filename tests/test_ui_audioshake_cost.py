"""The GUI asks about AudioShake's cost once per batch, before anything is uploaded."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from cuesheet_app.settings.store import Settings
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.episode_bin import CANCELLED, DONE, FAILED
from tests.audioshake_helpers import KEY, fast_engine
from tests.fake_audioshake import FakeAudioShake
from tests.workspace_helpers import Answers, make_episode

SB = QMessageBox.StandardButton


@pytest.fixture
def fake():
    with FakeAudioShake(KEY, polls_until_done=0, credits_per_minute=3) as server:
        yield server


@pytest.fixture
def window(qtbot, fake, monkeypatch):
    w = mw.MainWindow(settings=Settings(default_engine="audioshake"),
                      engine_factory=lambda _name, _settings: fast_engine(fake.url))
    w.show()
    yield w
    monkeypatch.setattr(mw, "ask", Answers(otherwise=SB.Discard))
    w.jobs.cancel_all()
    w.tasks.cancel_all()
    w.close()


def test_one_question_for_a_batch_and_no_upload_when_declined(qtbot, window, fake, tmp_path, monkeypatch):
    answers = Answers(SB.No)
    monkeypatch.setattr(mw, "ask", answers)
    paths = [make_episode(tmp_path / f"ep{i}.wav", seconds=6.0, seed=i) for i in range(2)]
    window.add_paths(paths)
    episodes = window.bin.model.episodes
    qtbot.waitUntil(lambda: all(ep.status == CANCELLED for ep in episodes), timeout=10000)
    assert len(answers.questions) == 1
    assert answers.questions[0].startswith("Upload to AudioShake?: Estimated cost: 0.6 credits for 2 file(s), "
                                           "0:12 of audio at 3 credit(s) per minute")
    assert all(ep.message == "Not sent: the estimated cost was declined" for ep in episodes)
    assert fake.count("POST /assets") == 0 and fake.count("POST /tasks") == 0

    answers = Answers(SB.Yes)
    monkeypatch.setattr(mw, "ask", answers)
    window.episodes.retry(episodes)
    qtbot.waitUntil(lambda: all(ep.status == DONE for ep in episodes), timeout=20000)
    assert len(answers.questions) == 1  # once for the batch, not once per episode
    assert fake.count("POST /assets") == 2 and fake.count("POST /tasks") == 2


def test_a_failed_estimate_shows_its_reason_in_the_rows(qtbot, fake, tmp_path, monkeypatch):
    monkeypatch.setattr(mw, "ask", Answers(otherwise=SB.Discard))
    fake.access = "request_access"
    w = mw.MainWindow(settings=Settings(default_engine="audioshake"),
                      engine_factory=lambda _name, _settings: fast_engine(fake.url))
    w.show()
    try:
        w.add_paths([make_episode(tmp_path / "ep.wav")])
        ep = w.bin.model.episodes[0]
        qtbot.waitUntil(lambda: ep.status == FAILED, timeout=10000)
        assert "cannot use music_identification yet" in ep.message
        assert fake.count("POST /assets") == 0
    finally:
        w.tasks.cancel_all()
        w.close()
