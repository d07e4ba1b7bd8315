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

from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter, percentile_filter, uniform_filter1d

from cuesheet_app.identify.local.classifier import load_classifier
from cuesheet_app.identify.local.spectro import FRAME_S, SpecChunk, spectrogram_chunks

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
    base_high: float | None = None  # "on" threshold at sensitivity 0.5; None: the model's, else 0.85

    @property
    def high(self) -> float:
        base = 0.85 if self.base_high is None else self.base_high
        return min(0.97, max(0.3, base - 0.25 * (self.sensitivity - 0.5)))

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
            "flux", "flux_spread", "flatness", "syllable_mod", "fine_corr_1", "fine_corr_22",
            "fine_corr_22_4s", "level")
FINE_LO, FINE_HI = 8, 232  # ~170 Hz .. 5 kHz


def _fine_corr(fine: np.ndarray, lag: int) -> np.ndarray:
    """Correlation of the spectral fine structure (log spectrum minus its envelope) between frame
    t and frame t-lag: random for noise, ~1 for a held tone or hum, high for music's held notes,
    low for speech at 0.5 s since syllables move on."""
    a, b = fine[:, lag:], fine[:, :-lag]
    num = (a * b).sum(axis=0)
    den = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0)) + 1e-6
    return np.concatenate([np.zeros(lag, np.float32), num / den])


def chunk_features(spec: np.ndarray) -> np.ndarray:
    """(frames, len(FEATURES)) detection features; needs ~2 s of context on each side.

    cfa_*: held spectral peaks (music holds notes); held_bins: how many bins hold one;
    pause_fill: quietest minus loudest frame energy around the frame (speech alone drops to
    silence between words, speech over music does not); flux / flux_spread: how much and how
    unevenly the spectrum changes (mains hum and steady noise do not change; music does);
    flatness: noise-like versus tonal spectrum; syllable_mod: 2-8 Hz modulation of band
    energies (speech's syllable rate); fine_corr_*: how much of the spectrum's fine structure
    stays put over one frame and over 0.5 s (level-independent: noise beds and codec noise at
    any level stay near zero); level: frame energy, so the model can tell a -45 dBFS bed from
    programme.
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
    # syllable-rate modulation of six band energies
    edges = (4, 12, 24, 48, 96, 160, 232)
    lin = np.exp(2 * spec[4:232])
    cum = np.concatenate([np.zeros((1, lin.shape[1]), np.float32), np.cumsum(lin, axis=0)])
    bands = np.log(np.stack([(cum[b - 4] - cum[a - 4]) / (b - a) for a, b in zip(edges[:-1], edges[1:], strict=True)]) + 1e-6)
    hp = uniform_filter1d(bands, 5, axis=1, mode="nearest") - uniform_filter1d(bands, 25, axis=1, mode="nearest")
    mod = np.log(uniform_filter1d((hp**2).mean(axis=0), 43, mode="nearest") + 1e-4)
    fine = spec[FINE_LO:FINE_HI] - uniform_filter1d(spec[FINE_LO:FINE_HI], size=9, axis=0, mode="nearest")
    fine = fine - fine.mean(axis=0)
    c1 = uniform_filter1d(_fine_corr(fine, 1), 43, mode="nearest")
    c22 = _fine_corr(fine, 22)
    feats = np.stack([cfa_hi, cfa_lo, uniform_filter1d(cfa_hi, 129, mode="nearest"), held,
                      np.maximum(fill2, -15), np.maximum(fill4, -15), flux, flux_spread, flat, mod, c1,
                      uniform_filter1d(c22, 43, mode="nearest"), uniform_filter1d(c22, 173, mode="nearest"),
                      uniform_filter1d(energy, 43, mode="nearest")], axis=1)
    return feats.astype(np.float32)


class MusicDetector:
    """Collects per-frame features chunk by chunk; ``segments()`` at the end.

    With the trained frame classifier (``classifier.py``) the score is its probability; without
    it, a logistic of the activation alone.
    """

    def __init__(self, params: DetectParams = DetectParams(), use_classifier: bool = True) -> None:
        self.classifier = load_classifier() if use_classifier else None
        if self.classifier is not None and self.classifier.threshold is not None and params.base_high is None:
            # the threshold the training script chose on its validation split
            params = replace(params, base_high=self.classifier.threshold)
        self.params = params
        self._parts: list[np.ndarray] = []
        self._loud: list[np.ndarray] = []

    def add(self, chunk: SpecChunk) -> None:
        core = slice(chunk.before, chunk.before + chunk.core)
        self._loud.append(loud_frames(chunk.spec)[core])
        if self.classifier is not None:
            self._parts.append(chunk_features(chunk.spec)[core])
        else:
            self._parts.append(chunk_activation(chunk.spec)[core])

    def frame_scores(self) -> np.ndarray:
        """Music probability per frame, 0..1, smoothed (and calibrated when the model says how)."""
        if not self._parts:
            return np.zeros(0, np.float32)
        p = self.params
        if self.classifier is not None:
            prob = self.classifier.predict(np.concatenate(self._parts), FEATURES)
        else:
            cfa = np.concatenate(self._parts)
            prob = 1.0 / (1.0 + np.exp(-p.slope * (cfa - p.centre)))
        calibration = self.classifier.calibration if self.classifier is not None else None
        return smooth_scores(prob, np.concatenate(self._loud), p, calibration)

    def segments(self, scores: np.ndarray | None = None) -> list[Segment]:
        scores = self.frame_scores() if scores is None else scores
        return hysteresis_segments(scores, self.params)


def loud_frames(spec: np.ndarray) -> np.ndarray:
    """Frames with anything above digital silence / the quietest room tone."""
    return uniform_filter1d(spec[1:HI_BIN].max(axis=0), size=9, mode="nearest") > SILENCE_LOG


def smooth_scores(prob: np.ndarray, loud: np.ndarray, params: DetectParams,
                  calibration: list[tuple[float, float]] | None = None) -> np.ndarray:
    """Frame probabilities -> the scores hysteresis works on: silence zeroed, median then mean
    over ``smooth_s``, then (if given) the isotonic calibration map (knots ``(raw, music
    share)``) fitted by the training script on its validation split, so a score of 0.9 means
    music about 90 % of the time. One function for the engine and the benchmark, so both
    score the same way."""
    prob = np.where(loud, prob, 0.0)
    width = max(1, int(round(params.smooth_s / FRAME_S)))
    prob = median_filter(prob, size=width | 1, mode="nearest")
    prob = uniform_filter1d(prob, size=width, mode="nearest")
    if calibration:
        xs, ys = zip(*calibration, strict=True)
        prob = np.interp(prob, xs, ys)
    return prob.astype(np.float32)


def signal_features(signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(features, loud) of a whole analysis-rate signal, chunked exactly as the engine does:
    the training script and the benchmark call this, so they see the engine's features."""
    feats, loud = [], []
    for chunk in spectrogram_chunks([signal]):
        core = slice(chunk.before, chunk.before + chunk.core)
        feats.append(chunk_features(chunk.spec)[core])
        loud.append(loud_frames(chunk.spec)[core])
    if not feats:
        return np.zeros((0, len(FEATURES)), np.float32), np.zeros(0, bool)
    return np.concatenate(feats), np.concatenate(loud)


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
