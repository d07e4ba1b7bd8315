"""Music detection: where does music play, including under dialogue?

The main feature is *continuous frequency activation* (Seyerlehner et al., 2007): music holds
notes, so narrow spectral peaks stay on the same frequency for a second or more; speech
glides between pitches and pauses between words, noise has no stable peaks at all. For each
frame we binarise the spectrum into "peak / no peak" per bin, average that over ~1.5 s per
bin, and take the mean of the most active bins. A second, cheaper cue rejects silence.

Frame scores are smoothed, turned into segments with hysteresis (on above ``high``, off below
``low``) and cleaned: gaps shorter than ``bridge_s`` are closed and segments shorter than
``min_segment_s`` dropped. ``sensitivity`` (0 strict .. 1 catch everything, from Settings)
moves both thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter, uniform_filter1d

from cuesheet_app.identify.local.spectro import FRAME_S, SpecChunk

LO_BIN, HI_BIN = 4, 186  # ~86 Hz .. 4 kHz
ACTIVATION_FRAMES = 65  # ~1.5 s
TOP_BINS = 5
SILENCE_LOG = -3.5  # peak log-magnitude below this: digital silence / room tone


@dataclass(frozen=True)
class DetectParams:
    sensitivity: float = 0.5
    smooth_s: float = 1.0
    min_segment_s: float = 2.0
    bridge_s: float = 1.5
    centre: float = 0.42  # CFA level that means "even odds"
    slope: float = 18.0

    @property
    def high(self) -> float:
        return 0.65 - 0.3 * (self.sensitivity - 0.5)

    @property
    def low(self) -> float:
        return self.high - 0.2


@dataclass
class Segment:
    start_frame: int
    end_frame: int  # exclusive
    confidence: float

    @property
    def start_s(self) -> float:
        return self.start_frame * FRAME_S

    @property
    def end_s(self) -> float:
        return self.end_frame * FRAME_S


def chunk_activation(spec: np.ndarray) -> np.ndarray:
    """CFA value of every frame of ``spec`` (bins, frames); context frames included."""
    s = spec[LO_BIN:HI_BIN]
    local = uniform_filter1d(s, size=21, axis=0, mode="nearest")
    is_peak = (s > local + 0.8) & (s == maximum_filter1d(s, size=3, axis=0, mode="nearest"))
    # zeros beyond the file's ends: an edge frame must not count as "held" for 1.5 s
    activation = uniform_filter1d(is_peak.astype(np.float32), size=ACTIVATION_FRAMES, axis=1,
                                  mode="constant")
    top = np.partition(activation, activation.shape[0] - TOP_BINS, axis=0)[-TOP_BINS:]
    cfa = top.mean(axis=0)
    loud = uniform_filter1d(spec[1:HI_BIN].max(axis=0), size=9, mode="nearest") > SILENCE_LOG
    return np.where(loud, cfa, 0.0).astype(np.float32)


class MusicDetector:
    """Collects per-frame features chunk by chunk; ``segments()`` at the end."""

    def __init__(self, params: DetectParams = DetectParams()) -> None:
        self.params = params
        self._parts: list[np.ndarray] = []

    def add(self, chunk: SpecChunk) -> None:
        cfa = chunk_activation(chunk.spec)
        self._parts.append(cfa[chunk.before:chunk.before + chunk.core])

    def frame_scores(self) -> np.ndarray:
        """Music probability per frame, 0..1, smoothed."""
        if not self._parts:
            return np.zeros(0, np.float32)
        cfa = np.concatenate(self._parts)
        p = self.params
        prob = 1.0 / (1.0 + np.exp(-p.slope * (cfa - p.centre)))
        width = max(1, int(round(p.smooth_s / FRAME_S)))
        prob = median_filter(prob, size=width | 1, mode="nearest")
        return uniform_filter1d(prob, size=width, mode="nearest").astype(np.float32)

    def segments(self, scores: np.ndarray | None = None) -> list[Segment]:
        scores = self.frame_scores() if scores is None else scores
        return hysteresis_segments(scores, self.params)


def hysteresis_segments(scores: np.ndarray, params: DetectParams) -> list[Segment]:
    raw: list[list[int]] = []
    on = False
    start = 0
    above_high = scores >= params.high
    below_low = scores < params.low
    for i in np.flatnonzero(above_high | below_low):
        if not on and above_high[i]:
            on, start = True, int(i)
        elif on and below_low[i]:
            raw.append([start, int(i)])
            on = False
    if on:
        raw.append([start, int(scores.size)])
    bridge = int(round(params.bridge_s / FRAME_S))
    merged: list[list[int]] = []
    for seg in raw:
        if merged and seg[0] - merged[-1][1] <= bridge:
            merged[-1][1] = seg[1]
        else:
            merged.append(seg)
    min_len = int(round(params.min_segment_s / FRAME_S))
    return [Segment(a, b, round(float(scores[a:b].mean()), 3)) for a, b in merged if b - a >= min_len]
