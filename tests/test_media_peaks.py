"""Waveform peaks: one pass, every zoom level consistent, cached by file identity."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cuesheet_app.media import peaks as peaks_mod
from cuesheet_app.media.peaks import compute_peaks, load_or_compute_peaks
from cuesheet_app.settings import paths
from tests.audio_fixtures import chord_music, silence, write_wav


def test_levels_are_consistent_min_max_pyramids(tmp_path: Path) -> None:
    signal = np.concatenate([silence(2.0), chord_music(3.0, seed=1)])
    path = write_wav(tmp_path / "x.wav", signal)
    p = compute_peaks(path)
    assert abs(p.duration_s - 5.0) < 0.05
    sizes = [lv.samples_per_bucket for lv in p.levels]
    assert sizes == sorted(sizes) and len(sizes) >= 4
    fine = p.levels[0]
    assert fine.mins.dtype == np.float32 and fine.mins.size == fine.maxs.size
    assert np.all(fine.mins <= fine.maxs)
    # silent first two seconds, loud afterwards
    quiet = int(1.5 * p.sample_rate / fine.samples_per_bucket)
    assert np.abs(fine.maxs[:quiet]).max() < 1e-3 and fine.maxs.max() > 0.3
    for coarse in p.levels[1:]:
        assert np.isclose(coarse.maxs.max(), fine.maxs.max()) and np.isclose(coarse.mins.min(), fine.mins.min())


def test_level_for_picks_coarsest_level_finer_than_a_pixel(tmp_path: Path) -> None:
    p = compute_peaks(write_wav(tmp_path / "y.wav", chord_music(2.0)))
    assert p.level_for(1e-6) is p.levels[0]
    level = p.level_for(0.1)
    assert level.samples_per_bucket / p.sample_rate <= 0.1
    nxt = p.levels[p.levels.index(level) + 1]
    assert nxt.samples_per_bucket / p.sample_rate > 0.1


def test_cache_is_used_and_invalidated_by_a_change(tmp_path: Path, monkeypatch) -> None:
    path = write_wav(tmp_path / "z.wav", chord_music(2.0, seed=2))
    first = load_or_compute_peaks(path)
    assert list(paths.peaks_cache_dir().glob("*.npz"))
    calls = []
    real = peaks_mod.compute_peaks
    monkeypatch.setattr(peaks_mod, "compute_peaks", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = load_or_compute_peaks(path)
    assert calls == [] and np.array_equal(again.levels[0].maxs, first.levels[0].maxs)
    write_wav(path, chord_music(3.0, seed=2))
    os.utime(path, ns=(1, 10**18))
    changed = load_or_compute_peaks(path)
    assert calls == [1] and abs(changed.duration_s - 3.0) < 0.05
