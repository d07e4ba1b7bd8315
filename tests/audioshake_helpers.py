"""Shared set-up for the AudioShake tests: a key, an episode, a fast engine, a leak check."""

from __future__ import annotations

from pathlib import Path

from cuesheet_app.identify.audioshake.engine import AudioShakeEngine
from cuesheet_app.identify.audioshake.poll import PollSchedule
from cuesheet_app.identify.audioshake.retry import RetryPolicy
from tests.audio_fixtures import chord_music, write_wav

# Distinctive so a leak anywhere is found by a plain substring search.
KEY = "ask_test_9Qv3Lw7Zp2Rt8Xc5"


class RecordingRetry(RetryPolicy):
    """Millisecond backoff that remembers what it was asked, to check Retry-After handling."""

    def __init__(self, **kw: float) -> None:
        super().__init__(base_delay_s=0.001, max_delay_s=0.005, **kw)  # type: ignore[arg-type]
        self.asked: list[tuple[int, float | None, float]] = []

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        d = super().delay(retry_number, retry_after)
        self.asked.append((retry_number, retry_after, d))
        return d


def make_episode(folder: Path, name: str = "episode.wav", seconds: float = 2.0) -> Path:
    return write_wav(folder / name, chord_music(seconds, seed=3))


def fast_engine(url: str, timeout_s: float = 10.0, api_key: str | None = KEY, **kw) -> AudioShakeEngine:
    kw.setdefault("retry", RecordingRetry(max_retry_after_s=0.01))
    return AudioShakeEngine(url, timeout_s, api_key=api_key, poll=PollSchedule(0.005, 0.02, 1.5),
                            http_timeout=(2.0, 5.0), **kw)


def files_containing(root: Path, needle: str) -> list[Path]:
    data = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]
