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
from scipy.ndimage import maximum_filter1d, median_filter, percentile_filter, uniform_filter1d

from cuesheet_app.identify.local.classifier import load_classifier
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
        return min(0.97, max(0.5, 0.85 - 0.25 * (self.sensitivity - 0.5)))

    @property
    def low(self) -> float:
        return self.high - 0.15


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


def _cfa(spec: np.ndarray, lo: int, hi: int, top: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean of the ``top`` most active bins, activation matrix) for bins lo..hi."""
    s = spec[lo:hi]
    local = uniform_filter1d(s, size=21, axis=0, mode="nearest")
    is_peak = (s > local + 0.8) & (s == maximum_filter1d(s, size=3, axis=0, mode="nearest"))
    # zeros beyond the file's ends: an edge frame must not count as "held" for 1.5 s
    activation = uniform_filter1d(is_peak.astype(np.float32), size=ACTIVATION_FRAMES, axis=1,
                                  mode="constant")
    return np.partition(activation, activation.shape[0] - top, axis=0)[-top:].mean(axis=0), activation


def chunk_activation(spec: np.ndarray) -> np.ndarray:
    """CFA value of every frame of ``spec`` (bins, frames); context frames included."""
    cfa, _ = _cfa(spec, LO_BIN, HI_BIN, TOP_BINS)
    loud = uniform_filter1d(spec[1:HI_BIN].max(axis=0), size=9, mode="nearest") > SILENCE_LOG
    return np.where(loud, cfa, 0.0).astype(np.float32)


FEATURES = ("cfa_high", "cfa_low", "cfa_high_3s", "held_bins", "pause_fill_2s", "pause_fill_4s",
            "flux", "flux_spread", "flatness")


def chunk_features(spec: np.ndarray) -> np.ndarray:
    """(frames, len(FEATURES)) detection features; needs ~2 s of context on each side.

    cfa_*: held spectral peaks (music holds notes); held_bins: how many bins hold one;
    pause_fill: quietest minus loudest frame energy around the frame (speech alone drops to
    silence between words, speech over music does not); flux / flux_spread: how much and how
    unevenly the spectrum changes (mains hum and steady noise do not change; music does);
    flatness: noise-like versus tonal spectrum.
    """
    cfa_hi, act_hi = _cfa(spec, 14, HI_BIN, TOP_BINS)  # from ~300 Hz: mains hum stays out
    cfa_lo, _ = _cfa(spec, LO_BIN, 14, 3)
    held = (act_hi > 0.5).sum(axis=0) / 10.0
    band = spec[1:HI_BIN]
    energy = np.log(np.exp(2 * band).sum(axis=0) + 1e-6)
    fill2 = percentile_filter(energy, 10, size=87, mode="nearest") - percentile_filter(energy, 90, size=87, mode="nearest")
    fill4 = percentile_filter(energy, 10, size=173, mode="nearest") - percentile_filter(energy, 90, size=173, mode="nearest")
    diff = np.diff(band, axis=1, prepend=band[:, :1])
    rise = np.maximum(diff, 0).mean(axis=0)
    flux = np.log(uniform_filter1d(rise, 43, mode="nearest") + 1e-3)
    flux_spread = np.log(np.sqrt(np.maximum(uniform_filter1d(rise**2, 87, mode="nearest")
                                            - uniform_filter1d(rise, 87, mode="nearest") ** 2, 0)) + 1e-3)
    flat = uniform_filter1d(band.mean(axis=0) - np.log(np.exp(band).mean(axis=0) + 1e-9), 43, mode="nearest")
    feats = np.stack([cfa_hi, cfa_lo, uniform_filter1d(cfa_hi, 129, mode="nearest"), held,
                      np.maximum(fill2, -15), np.maximum(fill4, -15), flux, flux_spread, flat], axis=1)
    return feats.astype(np.float32)


class MusicDetector:
    """Collects per-frame features chunk by chunk; ``segments()`` at the end.

    With the trained frame classifier (``classifier.py``) the score is its probability; without
    it, a logistic of the activation alone.
    """

    def __init__(self, params: DetectParams = DetectParams(), use_classifier: bool = True) -> None:
        self.params = params
        self.classifier = load_classifier() if use_classifier else None
        self._parts: list[np.ndarray] = []
        self._loud: list[np.ndarray] = []

    def add(self, chunk: SpecChunk) -> None:
        core = slice(chunk.before, chunk.before + chunk.core)
        loud = uniform_filter1d(chunk.spec[1:HI_BIN].max(axis=0), size=9, mode="nearest") > SILENCE_LOG
        self._loud.append(loud[core])
        if self.classifier is not None:
            self._parts.append(chunk_features(chunk.spec)[core])
        else:
            self._parts.append(chunk_activation(chunk.spec)[core])

    def frame_scores(self) -> np.ndarray:
        """Music probability per frame, 0..1, smoothed."""
        if not self._parts:
            return np.zeros(0, np.float32)
        p = self.params
        if self.classifier is not None:
            prob = self.classifier.predict(np.concatenate(self._parts))
        else:
            cfa = np.concatenate(self._parts)
            prob = 1.0 / (1.0 + np.exp(-p.slope * (cfa - p.centre)))
        prob = np.where(np.concatenate(self._loud), prob, 0.0)
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
