"""Music detection: where does music play, including under dialogue?

The main feature is *continuous frequency activation* (Seyerlehner et al., 2007): music holds
notes, so narrow spectral peaks stay on the same frequency for a second or more; speech
glides between pitches and pauses between words, noise has no stable peaks at all. For each
frame we binarise the spectrum into "peak / no peak" per bin, average that over ~1.5 s per
bin, and take the mean of the most active bins. A second, cheaper cue rejects silence.
With the trained classifier, the score is its probability over ``FEATURES``: the per-chunk ones
(held peaks, pauses, flux, syllable-rate modulation, spectral fine structure) and long-context
ones computed over the whole episode from small per-frame summaries (peaks held for 8 s, which
mains hum and fan whine do and music's notes rarely do; whether those held peaks sit on the 50/60
Hz grid; a beat in the onsets; how much the band energies move), so steady tonal beds and dense
clicks, which look like music over 1.5 s, are told apart.

Frame scores are smoothed, turned into segments with hysteresis (on above ``high``, off below
``low``) and cleaned: gaps shorter than ``bridge_s`` are closed and segments shorter than
``min_segment_s`` dropped. ``sensitivity`` (0 strict .. 1 catch everything, from Settings)
moves both thresholds.
"""

from __future__ import annotations

from collections.abc import Callable
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
    # "off" threshold at sensitivity 0.5; None: the model's, else 0.15 under "on". A model may
    # store a lower one, chosen on validation scores: quiet music under dialogue dips between
    # phrases, and a segment that stays on through the dips is one event, not three
    base_low: float | None = None

    @property
    def high(self) -> float:
        base = 0.85 if self.base_high is None else self.base_high
        return min(0.97, max(0.3, base - 0.25 * (self.sensitivity - 0.5)))

    @property
    def edge(self) -> float:
        """Where a segment ends: its last frame at this level (0.15 under "on", the default
        "off"), however far under it ``low`` lets the segment run on."""
        return max(self.low, self.high - 0.15)

    @property
    def low(self) -> float:
        """The "off" level: the same distance under ``high`` as at sensitivity 0.5."""
        base = 0.85 if self.base_high is None else self.base_high
        gap = 0.15 if self.base_low is None else max(0.0, base - self.base_low)
        return max(0.02, self.high - gap)


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


CHUNK_FEATURES = ("cfa_high", "cfa_low", "cfa_high_3s", "held_bins", "pause_fill_2s", "pause_fill_4s",
                  "flux", "flux_spread", "flatness", "syllable_mod", "fine_corr_1", "fine_corr_22",
                  "fine_corr_22_4s", "level")
# computed over the whole episode from per-frame summaries (their windows are longer than a
# chunk's context): see long_features()
LONG_FEATURES = ("cfa_high_8s", "cfa_low_8s", "hold_change", "beat", "beat_contrast", "band_var_1s",
                 "band_var_4s", "shape_change_3s", "mains_comb")
FEATURES = CHUNK_FEATURES + LONG_FEATURES
N_BANDS = 12
FINE_LO, FINE_HI = 8, 232  # ~170 Hz .. 5 kHz


def _fine_corr(fine: np.ndarray, lag: int) -> np.ndarray:
    """Correlation of the spectral fine structure (log spectrum minus its envelope) between frame
    t and frame t-lag: random for noise, ~1 for a held tone or hum, high for music's held notes,
    low for speech at 0.5 s since syllables move on."""
    n = fine.shape[1]
    a, b = fine[:, lag:], fine[:, :max(0, n - lag)]  # (a chunk shorter than the lag: all zeros)
    num = (a * b).sum(axis=0)
    den = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0)) + 1e-6
    return np.concatenate([np.zeros(min(lag, n), np.float32), num / den])


@dataclass
class FrameSummary:
    """What the long-context features need of each frame, kept for the whole episode (small:
    about 30 MB for an hour, most of it the peak map as bits)."""

    peaks_hi: np.ndarray  # (frames, bins 14..HI_BIN) bool: a spectral peak in that bin
    peaks_lo: np.ndarray  # (frames, bins LO_BIN..14) bool
    bands: np.ndarray  # (frames, N_BANDS) log band energies
    onset: np.ndarray  # (frames,) positive spectral flux of the log spectrum
    comb: np.ndarray  # (frames, bins COMB_LO..HI_BIN) int8: peak on the 50 Hz grid 1, 60 Hz grid 2, else 0


COMB_LO = 2  # ~43 Hz
SUMMARY_FIELDS = ("peaks_hi", "peaks_lo", "bands", "onset", "comb")


def _mains_comb(s: np.ndarray, lo: int) -> np.ndarray:
    """(frames, bins) which spectral peaks of ``s`` (bins lo.., log magnitude) sit on a multiple
    of 50 Hz (1) or 60 Hz (2): the peak's frequency is interpolated to a fraction of a bin
    (parabola through the log magnitudes, exact for a Hann window's Gaussian-like main lobe), and
    it is "on the grid" within 2 Hz + 0.3 % (the grid drifts a little)."""
    from cuesheet_app.media.decode import ANALYSIS_RATE

    # only at the peaks (a few per cent of the cells): the first and last bin never count
    r, t = np.nonzero(_peaks(s))
    keep = (r > 0) & (r < s.shape[0] - 1)
    r, t = r[keep], t[keep]
    a, b, c = s[r - 1, t], s[r, t], s[r + 1, t]
    den = a - 2 * b + c
    bent = den < -1e-6
    delta = np.where(bent, 0.5 * (a - c) / np.where(bent, den, -1.0), 0.0)
    freq = (lo + r + np.clip(delta, -0.5, 0.5)) * (ANALYSIS_RATE / 512)
    tol = 3.0 + 0.003 * freq
    out = np.zeros(s.shape, np.int8)
    for code, grid in ((1, 50.0), (2, 60.0)):
        on = (np.abs(freq - grid * np.round(freq / grid)) < tol) & (freq > grid * 0.5)
        out[r[on], t[on]] = code
    return out.T


def _peaks(s: np.ndarray) -> np.ndarray:
    local = uniform_filter1d(s, size=21, axis=0, mode="nearest")
    return (s > local + 0.8) & (s == maximum_filter1d(s, size=3, axis=0, mode="nearest"))


_BAND_EDGES = np.unique(np.round(np.geomspace(4, 232, N_BANDS + 1)).astype(int))


def frame_summary(spec: np.ndarray) -> FrameSummary:
    """Per-frame summary of a chunk's spectrum (core frames are sliced by the caller)."""
    lin = np.exp(2 * spec[4:232])
    cum = np.concatenate([np.zeros((1, lin.shape[1]), np.float32), np.cumsum(lin, axis=0)])
    e = _BAND_EDGES - 4
    bands = np.log((cum[e[1:]] - cum[e[:-1]]) / (e[1:] - e[:-1])[:, None] + 1e-6)
    band = spec[1:HI_BIN]
    onset = np.maximum(np.diff(band, axis=1, prepend=band[:, :1]), 0).mean(axis=0)
    return FrameSummary(_peaks(spec[14:HI_BIN]).T, _peaks(spec[LO_BIN:14]).T, bands.T.astype(np.float32),
                        onset.astype(np.float32), _mains_comb(spec[COMB_LO:HI_BIN], COMB_LO))


_ROWS = 8192  # frames per block of the per-frame steps of long_features


def _by_rows(f: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """``f`` over blocks of ``_ROWS`` frames of ``arrays``, concatenated: for steps that treat
    each frame on its own (a partition along the bins), so their temporaries stay a block's size."""
    n = arrays[0].shape[0]
    if n == 0:
        return f(*arrays)
    return np.concatenate([f(*(x[a:a + _ROWS] for x in arrays)) for a in range(0, n, _ROWS)])


def _top_mean(act: np.ndarray, top: int) -> np.ndarray:
    return np.partition(act, act.shape[1] - top, axis=1)[:, -top:].mean(axis=1)


BEAT_LAGS = np.arange(12, 70, 2)  # 0.28-1.6 s: beat periods from 37 to 214 BPM


# long_features runs over blocks of this many frames (~6.3 min), each with LONG_MARGIN frames of
# context either side: its arrays are (frames x 184 bins) float32 and int64, ~1 GB for a 60-minute
# episode at once (2.4 GB for two hours), against ~40 MB a block. The widest window a feature
# reads is ~220 frames either side (the beat autocorrelation: 259-frame mean of a 68-frame lag of
# a 43-frame high-pass), so the margin leaves every frame's value as over the whole episode.
LONG_BLOCK = 8192
LONG_MARGIN = 512


def long_features(summary: FrameSummary, block: int = LONG_BLOCK, margin: int = LONG_MARGIN) -> np.ndarray:
    """(frames, len(LONG_FEATURES)) over the whole episode (``_long_features``), computed a
    block at a time so that memory stays bounded however long the episode is."""
    n = summary.onset.size
    if n <= block + 2 * margin:
        return _long_features(summary)
    out = np.empty((n, len(LONG_FEATURES)), np.float32)
    for a in range(0, n, block):
        b = min(n, a + block)
        lo, hi = max(0, a - margin), min(n, b + margin)
        part = FrameSummary(*(getattr(summary, f)[lo:hi] for f in SUMMARY_FIELDS))
        out[a:b] = _long_features(part)[a - lo:b - lo]
    return out


def _long_features(summary: FrameSummary) -> np.ndarray:
    """(frames, len(LONG_FEATURES)) of a stretch of summaries, why each:

    cfa_*_8s: peaks held on one bin for 8 s (mains hum, a fan's whine: tones that never move;
    music's notes move within a few seconds); hold_change: 1.5 s minus 8 s activation, large for
    notes that come and go; beat / beat_contrast: the best autocorrelation of the onset strength
    at beat periods over 6 s, and how much it stands out from the other lags (music has a
    pulse; applause, rain and speech do not repeat); band_var_*: how much the band energies
    move within 1 s and 4 s (steady beds barely move); shape_change_3s: how far the average
    spectrum of the last 3 s is from the next 3 s's (a steady bed stays the same).
    """
    n = summary.onset.size
    if n == 0:
        return np.zeros((0, len(LONG_FEATURES)), np.float32)
    # (frames x bins) arrays of an hour are ~110 MB each: the per-frame steps below run in blocks
    # of frames and the inputs are freed when done (the same numbers; peak memory of a 60-min
    # episode was ~1.1 GB here, and it grows with the episode)
    # (the filters read the boolean peak maps directly: scipy sums each line in double either way)
    act_hi = uniform_filter1d(summary.peaks_hi, size=65, axis=0, mode="constant", output=np.float32)
    act8_hi = uniform_filter1d(summary.peaks_hi, size=345, axis=0, mode="constant", output=np.float32)
    act8_lo = uniform_filter1d(summary.peaks_lo, size=345, axis=0, mode="constant", output=np.float32)
    cfa8_hi = _by_rows(lambda a: _top_mean(a, TOP_BINS), act8_hi)
    cfa8_lo = _top_mean(act8_lo, 3)
    hold_change = _by_rows(lambda a, b: _top_mean(np.maximum(a - b, 0), TOP_BINS), act_hi, act8_hi)
    del act_hi
    o = np.log(summary.onset + 1e-3)
    o = o - uniform_filter1d(o, 43, mode="nearest")
    energy = uniform_filter1d(o * o, 259, mode="nearest") + 1e-6
    ac = np.stack([uniform_filter1d(o * _delayed(o, lag), 259, mode="nearest") for lag in BEAT_LAGS]) / energy
    beat = ac.max(axis=0)
    contrast = beat - np.median(ac, axis=0)
    b = summary.bands
    var1 = np.sqrt(np.maximum(uniform_filter1d(b * b, 43, axis=0, mode="nearest")
                              - uniform_filter1d(b, 43, axis=0, mode="nearest") ** 2, 0)).mean(axis=1)
    var4 = np.sqrt(np.maximum(uniform_filter1d(b * b, 173, axis=0, mode="nearest")
                              - uniform_filter1d(b, 173, axis=0, mode="nearest") ** 2, 0)).mean(axis=1)
    m3 = uniform_filter1d(b, 129, axis=0, mode="nearest")
    shift = 65
    past = np.concatenate([np.repeat(m3[:1], shift, axis=0), m3[:-shift]])[:n]
    future = np.concatenate([m3[shift:], np.repeat(m3[-1:], shift, axis=0)])[:n]
    shape = past - past.mean(axis=1, keepdims=True) - (future - future.mean(axis=1, keepdims=True))
    change = np.sqrt((shape * shape).mean(axis=1))
    # mains_comb: of the peaks held over 8 s (the 8 strongest bins), the share on the 50 or the 60 Hz
    # grid (whichever is larger): ~1 for hum and buzz, ~0.1 for music whose notes fall anywhere
    # bins COMB_LO..HI_BIN: nothing below LO_BIN, then the 8 s activations computed above
    act8 = np.concatenate([np.zeros((n, LO_BIN - COMB_LO), np.float32), act8_lo, act8_hi], axis=1)
    del act8_hi
    top = _by_rows(lambda a: np.argpartition(a, a.shape[1] - 8, axis=1)[:, -8:], act8)
    held_act = np.take_along_axis(act8, top, axis=1).sum(axis=1) + 1e-3
    shares = []
    for code in (1, 2):
        on = uniform_filter1d(summary.comb == code, size=345, axis=0, mode="constant", output=np.float32)
        shares.append(np.take_along_axis(on, top, axis=1).sum(axis=1) / held_act)
    comb = np.maximum(*shares)
    return np.stack([cfa8_hi, cfa8_lo, hold_change, beat, contrast, np.log(var1 + 1e-3), np.log(var4 + 1e-3),
                     np.log(change + 1e-3), comb], axis=1).astype(np.float32)


def _delayed(x: np.ndarray, lag: int) -> np.ndarray:
    """``x`` delayed by ``lag`` frames, zeros first, the same length (shorter than the lag: zeros)."""
    return np.concatenate([np.zeros(min(lag, x.size), x.dtype), x[:max(0, x.size - lag)]])


def concat_summaries(parts: list[FrameSummary]) -> FrameSummary:
    return FrameSummary(*(np.concatenate([getattr(p, f) for p in parts]) for f in SUMMARY_FIELDS))


def chunk_features(spec: np.ndarray) -> np.ndarray:
    """(frames, len(CHUNK_FEATURES)) detection features; needs ~2 s of context on each side.

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

    def __init__(self, params: DetectParams = DetectParams(), use_classifier: bool = True,
                 features_only: bool = False) -> None:
        self.classifier = load_classifier() if use_classifier and not features_only else None
        self._with_features = self.classifier is not None or features_only
        # the long-context summaries cost a third of the detection time: only when the model uses them
        self._with_long = features_only or (self.classifier is not None
                                            and any(f in LONG_FEATURES for f in self.classifier.features))
        if self.classifier is not None and self.classifier.threshold is not None and params.base_high is None:
            # the thresholds the training script chose on its validation split
            params = replace(params, base_high=self.classifier.threshold,
                             base_low=self.classifier.low if params.base_low is None else params.base_low)
            if self.classifier.bridge_s is not None and params.bridge_s == DetectParams.bridge_s:
                params = replace(params, bridge_s=self.classifier.bridge_s)
            if self.classifier.smooth_s is not None and params.smooth_s == DetectParams.smooth_s:
                # the calibration was fitted on scores smoothed this wide
                params = replace(params, smooth_s=self.classifier.smooth_s)
        self.params = params
        self._parts: list[np.ndarray] = []
        self._summaries: list[FrameSummary] = []
        self._loud: list[np.ndarray] = []

    def add(self, chunk: SpecChunk) -> None:
        core = slice(chunk.before, chunk.before + chunk.core)
        self._loud.append(loud_frames(chunk.spec)[core])
        if self._with_features:
            self._parts.append(chunk_features(chunk.spec)[core])
        else:
            self._parts.append(chunk_activation(chunk.spec)[core])
        if self._with_long:
            summary = frame_summary(chunk.spec)
            self._summaries.append(FrameSummary(*(getattr(summary, f)[core] for f in SUMMARY_FIELDS)))

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the columns of ``features()``."""
        return FEATURES if self._with_long else CHUNK_FEATURES

    def features(self) -> np.ndarray:
        """(frames, len(feature_names)) of everything added so far (the classifier's input)."""
        if not self._parts:
            return np.zeros((0, len(self.feature_names)), np.float32)
        chunked = np.concatenate(self._parts)
        if not self._with_long:
            return chunked
        return np.concatenate([chunked, long_features(concat_summaries(self._summaries))], axis=1)

    def frame_scores(self) -> np.ndarray:
        """Music probability per frame, 0..1, smoothed (and calibrated when the model says how)."""
        if not self._parts:
            return np.zeros(0, np.float32)
        p = self.params
        if self.classifier is not None:
            prob = self.classifier.predict(self.features(), self.feature_names)
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
    det = MusicDetector(features_only=True)
    for chunk in spectrogram_chunks([signal]):
        det.add(chunk)
    if not det._parts:
        return np.zeros((0, len(FEATURES)), np.float32), np.zeros(0, bool)
    return det.features(), np.concatenate(det._loud)


def hysteresis_segments(scores: np.ndarray, params: DetectParams) -> list[Segment]:
    # the on/off state only changes at frames above "on" or under "off", and there it becomes
    # "above on": so it switches where that flag differs from the previous such frame's (the
    # state starts off). Vectorised because the training script's event search calls this for
    # every episode at each of ~150 settings per fold (a Python loop ran over most frames)
    above_high = scores >= params.high
    idx = np.flatnonzero(above_high | (scores < params.low))
    state = above_high[idx]
    switch = state != np.concatenate([[False], state[:-1]])
    starts, ends = idx[switch & state].tolist(), idx[switch & ~state].tolist()
    if len(ends) < len(starts):
        ends.append(int(scores.size))
    raw = [[a, b] for a, b in zip(starts, ends, strict=True)]
    # a segment stays on down to ``low``, but it ends where the score last stood at ``edge``: a
    # low "off" level bridges dips inside the music without running the tail on into what follows
    edge = params.edge
    for seg in raw:
        held = np.flatnonzero(scores[seg[0]:seg[1]] >= edge)
        seg[1] = seg[0] + int(held[-1]) + 1
    bridge = int(round(params.bridge_s / FRAME_S))
    merged: list[list[int]] = []
    for seg in raw:
        if merged and seg[0] - merged[-1][1] <= bridge:
            merged[-1][1] = seg[1]
        else:
            merged.append(seg)
    min_len = int(round(params.min_segment_s / FRAME_S))
    return [Segment(a, b, round(float(scores[a:b].mean()), 3)) for a, b in merged if b - a >= min_len]
