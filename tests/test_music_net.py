"""The music network's numpy inference (benchmarks/detection/music_net.py, measured against the
shipped feature classifier and not shipped): blocks equal one pass, bands land where the tone
is, weights round-trip and a damaged file is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.detection import music_net
from benchmarks.detection.music_net import (
    MEL_BANDS,
    STEP,
    MusicNet,
    load_net,
    mel_bands,
    mel_matrix,
    signal_bands,
)
from cuesheet_app.media.decode import ANALYSIS_RATE


def _random_net(seed: int = 0) -> MusicNet:
    rng = np.random.default_rng(seed)
    shapes = {"c1.w": (16, 1, 3, 3), "c1.b": (16,), "c2.w": (24, 16, 3, 3), "c2.b": (24,),
              "c3.w": (32, 24, 3, 3), "c3.b": (32,), "proj.w": (48, 32 * MEL_BANDS // 8, 1), "proj.b": (48,),
              "head.w": (1, 48, 1), "head.b": (1,)}
    for i in range(5):
        shapes[f"r{i}.w"], shapes[f"r{i}.b"] = (48, 48, 3), (48,)
    w = {k: (rng.normal(0, 0.3, s) / np.sqrt(np.prod(s[1:]) if len(s) > 1 else 1)).astype(np.float32)
         for k, s in shapes.items()}
    return MusicNet(-3.0, 2.0, w, threshold=0.8, low=0.5, bridge_s=2.5, smooth_s=2.0,
                    calibration=[(0.0, 0.0), (0.5, 0.4), (1.0, 1.0)])


def test_blocks_give_the_same_probabilities_as_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    net = _random_net()
    bands = np.random.default_rng(1).normal(-3, 2, (3000, MEL_BANDS)).astype(np.float32)
    whole = net.predict(bands)
    monkeypatch.setattr(music_net, "BLOCK", 512)
    blocked = net.predict(bands)
    np.testing.assert_allclose(blocked, whole, atol=1e-5)
    assert whole.shape == (3000,) and np.all((whole >= 0) & (whole <= 1))
    # a step's probability covers its STEP frames
    assert np.all(whole[:STEP] == whole[0])


def test_mel_bands_put_a_tone_in_its_band() -> None:
    t = np.arange(2 * ANALYSIS_RATE) / ANALYSIS_RATE
    m = mel_matrix()
    freqs = np.arange(m.shape[1]) * ANALYSIS_RATE / 512
    for hz in (110.0, 440.0, 2000.0):
        bands = signal_bands((0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32))
        loudest = int(np.median(bands[10:-10].argmax(axis=1)))
        centre = float((m[loudest] * freqs).sum())
        assert abs(np.log2(centre / hz)) < 0.25, (hz, centre)
    assert np.allclose(m.sum(axis=1), 1.0, atol=1e-5)
    assert mel_bands(np.full((257, 4), -9.0, np.float32)).shape == (4, MEL_BANDS)


def test_weights_round_trip_and_a_damaged_file_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    net = _random_net(2)
    path = tmp_path / "net.npz"
    path.write_bytes(net.save(path))
    again = load_net(path)
    assert again is not None and again.threshold == 0.8 and again.low == 0.5 and again.smooth_s == 2.0
    assert again.calibration == [(0.0, 0.0), (0.5, 0.4), (1.0, 1.0)]
    bands = np.random.default_rng(3).normal(-3, 2, (800, MEL_BANDS)).astype(np.float32)
    np.testing.assert_allclose(again.predict(bands), net.predict(bands), atol=1e-6)
    path.write_bytes(path.read_bytes()[:200])
    assert load_net(path) is None
    assert "unreadable" in caplog.text
    partial = tmp_path / "partial.npz"
    net.weights.pop("r3.w")
    partial.write_bytes(net.save(partial))
    assert load_net(partial) is None
    assert load_net(tmp_path / "missing.npz") is None
