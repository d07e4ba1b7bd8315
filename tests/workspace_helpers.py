"""Test doubles and fixtures for the workspace tests: a real slow engine, small episodes, answers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from cuesheet_app.domain.events import EventsDocument, parse_events
from cuesheet_app.identify.base import CancelToken, IdentificationError, IdentifyRequest, Progress
from tests.audio_fixtures import chord_music, silence, write_wav


class SlowEngine:
    """Implements ``identify.base.Engine``: sleeps in small steps, reports progress, honours cancel."""

    name = "slow"

    def __init__(self, steps: int = 20, step_s: float = 0.02, fail: str = "", events: list | None = None,
                 progress_per_step: int = 1) -> None:
        self.steps = steps
        self.step_s = step_s
        self.fail = fail
        self.events = events if events is not None else [
            {"start_time_s": 1.0, "end_time_s": 3.0, "music_detected": True, "music_identified": True,
             "detection_confidence": 0.9, "identification_confidence": 0.8, "title": "Blue Harbour",
             "artists": ["Test Band"], "isrc": "GBABC2400001"},
            {"start_time_s": 4.0, "end_time_s": 5.5, "music_detected": True, "music_identified": False,
             "detection_confidence": 0.7},
        ]
        self.progress_per_step = progress_per_step
        self.steps_done = 0
        self.started = threading.Event()
        self.exited = threading.Event()
        self.thread_names: list[str] = []
        self.requests: list[IdentifyRequest] = []

    def identify(self, request: IdentifyRequest, progress=None, cancel: CancelToken | None = None) -> EventsDocument:
        self.requests.append(request)
        self.thread_names.append(threading.current_thread().name)
        self.started.set()
        try:
            for i in range(self.steps):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                for k in range(self.progress_per_step):
                    progress(Progress("Listening", (i + k / self.progress_per_step) / self.steps))
                time.sleep(self.step_s)
                self.steps_done += 1
            if self.fail:
                raise IdentificationError(self.fail)
            return parse_events({"events": self.events}, "slow engine")
        finally:
            self.exited.set()

    def describe(self) -> str:
        return "slow test engine 1.0"


def factory_for(engine: SlowEngine):
    return lambda _name, _settings: engine


def make_episode(path: Path, seconds: float = 6.0, seed: int = 1) -> Path:
    """A short WAV: silence, music, silence (probe-able by PyAV)."""
    rate = 8000
    samples = np.concatenate([silence(1.0, rate), chord_music(seconds - 2.0, seed=seed, rate=rate),
                              silence(1.0, rate)])
    return write_wav(path, samples, rate)


class Answers:
    """Replaces ``main_window.ask``: returns queued answers and records the questions."""

    def __init__(self, *answers, otherwise=None) -> None:  # type: ignore[no-untyped-def]
        self.answers = list(answers)
        self.otherwise = otherwise
        self.questions: list[str] = []

    def __call__(self, _parent, title, text, _buttons, default):  # type: ignore[no-untyped-def]
        self.questions.append(f"{title}: {text}")
        if self.answers:
            return self.answers.pop(0)
        return self.otherwise if self.otherwise is not None else default

