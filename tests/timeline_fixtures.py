"""Synthetic projects and peaks for timeline tests and benchmarks/bench_timeline.py."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np

from cuesheet_app.domain.model import Cue, CueSheet, Party


def large_sheet(n_cues: int = 2000, hours: float = 2.0, seed: int = 7) -> CueSheet:
    """``n_cues`` cues spread over an episode of ``hours`` (some overlapping, some inactive)."""
    rng = random.Random(seed)
    sheet = CueSheet()
    sheet.header.program_title = "Benchmark"
    sheet.header.frame_rate = "25"
    sheet.header.program_start = "01:00:00:00"
    total = int(hours * 3600 * 25)
    sheet.header.program_duration = total
    slot = total // n_cues
    for i in range(n_cues):
        start = i * slot + rng.randint(0, slot // 3)
        length = rng.randint(slot // 3, int(slot * 1.3))  # some run into the next slot: overlaps
        cue = Cue(title=f"Track {i}", cue_number=f"1M{i + 1:04d}", start=start, end=start + length)
        if i % 4 == 0:
            cue.title = f"Unidentified music {i}"
            cue.flags = ["unidentified"]
        else:
            cue.parties = [Party(role="C", first_name="Jane", last_name=f"Doe{i % 50}", share=Fraction(100)),
                           Party(role="E", company="Acme Music", share=Fraction(100))]
        cue.active = i % 17 != 0
        cue.provenance.engine = "local"
        cue.provenance.detection_confidence = rng.random()
        cue.provenance.source_events = [(str(Fraction(start, 25)), str(Fraction(start + length, 25)))]
        sheet.cues.append(cue)
    sheet.sort_and_renumber()
    return sheet


class SyntheticPeaks:
    """Duck-typed like media.peaks.Peaks: a pyramid of min/max levels (each 4x coarser)."""

    def __init__(self, duration_s: float, sample_rate: int = 22050, finest: int = 64, levels: int = 7) -> None:
        self.sample_rate = sample_rate
        self.duration_s = duration_s
        n = int(duration_s * sample_rate / finest)
        rng = np.random.default_rng(0)
        maxs = (0.2 + 0.7 * np.abs(np.sin(np.arange(n) / 3000.0)) * rng.random(n)).astype(np.float32)
        self.levels = [_Level(finest, -maxs, maxs)]
        for _ in range(levels - 1):
            last = self.levels[-1]
            m = len(last.mins) // 4 * 4
            self.levels.append(_Level(last.samples_per_bucket * 4, last.mins[:m].reshape(-1, 4).min(1),
                                      last.maxs[:m].reshape(-1, 4).max(1)))

    def level_for(self, seconds_per_pixel: float) -> _Level:
        best = self.levels[0]
        for level in self.levels:
            if level.samples_per_bucket / self.sample_rate <= seconds_per_pixel:
                best = level
        return best


class _Level:
    def __init__(self, samples_per_bucket: int, mins: np.ndarray, maxs: np.ndarray) -> None:
        self.samples_per_bucket = samples_per_bucket
        self.mins = mins
        self.maxs = maxs
