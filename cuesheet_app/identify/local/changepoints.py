"""Where detected music changes from one piece to the next: change points inside a music segment.

Why: detection says *whether* music plays, not *which* music. When one piece follows another
directly (a hard cut, a crossfade, a level step) the detector sees one long segment, and the
supervisor has to find and cut every change by hand. Identified spans already cut their own
stretch out (the engine bounds unidentified neighbours by them exactly); what is left is
non-library music, or library music too buried to identify, back to back.

How: while the episode streams, a compact summary of every block of 4 frames (~93 ms) is
kept (``ChangeFeatures``, ~100 bytes a block, ~4 MB an hour):

* timbre: log energy in 16 log-spaced bands, 86 Hz - 5 kHz (instrumentation, brightness);
* level: the log energy of the whole band (a level step);
* rhythm: the log of the positive spectral flux (onset density: a change of tempo or groove);
* harmony: the pitch classes of the episode's landmark peaks (they are already collected for
  identification), as a 12-bin histogram per block. Held notes dominate it; speech glides and
  spreads over all classes.

Inside a segment, every block boundary ``t`` compares the window before it with the window
after it (``window_s`` each, cut short at the segment's ends): a standardised difference of
the means of the timbre/level/rhythm features (the difference in units of their spread inside
the two windows, so dialogue that keeps changing the spectrum counts for less), plus the
cosine distance of the two pitch-class histograms. This is the classic two-window novelty
curve; its peaks above ``threshold``, at least ``min_piece_s`` from each other and from the
segment's ends, are the change points. Everything is cumulative sums over the segment: linear
in its length.

Crossfades: the two windows are symmetric, so over a crossfade between pieces of similar
loudness and brightness the curve peaks at the crossfade's midpoint, the engine's written
convention for a crossfade's boundary (docs/local-engine.md). A much brighter incoming piece
pulls the peak towards the crossfade's start (log energies rise as soon as it comes in).
Where an identified span meets unidentified music, ``crossfade_boundary`` moves the span's
edge (where the reference's peaks stop being found: near a crossfade's far end) to the
novelty peak nearby.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cuesheet_app.identify.local.repetition import repetition
from cuesheet_app.identify.local.spectro import FRAME_S, N_FFT, SpecChunk
from cuesheet_app.media.decode import ANALYSIS_RATE

BLOCK = 4  # frames per block (~93 ms)
BLOCK_S = BLOCK * FRAME_S
N_BANDS = 16
_BIN_HZ = ANALYSIS_RATE / N_FFT
_EDGES = np.unique(np.round(np.geomspace(86.0, 5000.0, N_BANDS + 1) / _BIN_HZ).astype(int))
_CHROMA_LO = 12
RHYTHM_LAGS = (10, 90)  # frames: 0.23-2.1 s, beat to bar  # ~260 Hz: below, one bin spans more than a semitone


N_MEL, N_MFCC = 32, 13  # piece-identity timbre: cepstrum c1..c13 of 32 log-spaced bands


def _mel_matrix() -> np.ndarray:
    """Triangular filters on a log frequency axis, 60 Hz - 5 kHz, each summing to 1."""
    edges = np.geomspace(60.0, 5000.0, N_MEL + 2) / _BIN_HZ
    k = np.arange(N_FFT // 2 + 1)
    m = np.zeros((N_MEL, k.size))
    for i in range(N_MEL):
        a, c, b = edges[i:i + 3]
        m[i] = np.clip(np.minimum((k - a) / (c - a), (b - k) / (b - c)), 0, None)
    return (m / (m.sum(axis=1, keepdims=True) + 1e-9)).astype(np.float32)


def _chroma_matrix(lo_hz: float = 130.0, hi_hz: float = 2000.0) -> np.ndarray:
    """Every bin from ~C3 to ~B6 to its nearest pitch class."""
    f = np.arange(N_FFT // 2 + 1) * _BIN_HZ
    keep = (f >= lo_hz) & (f <= hi_hz)
    pc = np.round(69 + 12 * np.log2(np.maximum(f, 1.0) / 440.0)).astype(int) % 12
    m = np.zeros((12, f.size), np.float32)
    m[pc[keep], np.flatnonzero(keep)] = 1.0
    return m


_MEL = _mel_matrix()
_DCT = np.cos(np.pi / N_MEL * (np.arange(N_MEL)[None] + 0.5)
              * np.arange(1, N_MFCC + 1)[:, None]).astype(np.float32)
_CHROMA = _chroma_matrix()


def identity_frames(spec: np.ndarray) -> np.ndarray:
    """(frames, N_MFCC + 12) per-frame piece-identity features of a log spectrogram (bins, frames):
    the cepstrum of 32 log-spaced bands without its level term (timbre, not loudness: a ducked
    or level-stepped piece keeps it), and the pitch classes of the spectrum's tonal part (the log
    spectrum above its own 9-bin running mean, so flat noise and speech's spread add little)."""
    from scipy.ndimage import uniform_filter1d

    power = np.exp(2.0 * spec.astype(np.float32))
    mfcc = _DCT @ np.log(_MEL[:, :power.shape[0]] @ power + 1e-6)
    lg = spec.astype(np.float32)
    tonal = np.maximum(lg - uniform_filter1d(lg, 9, axis=0) - 0.3, 0.0)
    chroma = _CHROMA[:, :tonal.shape[0]] @ tonal
    chroma /= chroma.sum(axis=0, keepdims=True) + 1e-6
    return np.vstack([mfcc, chroma]).T


def _band_matrix() -> np.ndarray:
    m = np.zeros((len(_EDGES) - 1, N_FFT // 2 + 1), np.float32)
    for i in range(len(_EDGES) - 1):
        m[i, _EDGES[i]:_EDGES[i + 1]] = 1.0
    return m


_BANDS = _band_matrix()


@dataclass(frozen=True)
class ChangeParams:
    # defaults chosen on the tune split of benchmarks/edits_per_cue.py (--tune, 8 episodes)
    window_s: float = 8.0  # each side of a candidate boundary
    min_piece_s: float = 6.0  # no piece shorter than this (nor closer to a segment's end)
    threshold: float = 2.0  # novelty a change point must reach
    chroma_weight: float = 2.0  # weight of the pitch-class distance against the timbre score
    rhythm_weight: float = 2.0  # weight of the rhythm change at a novelty peak
    crest: float = 0.85  # a change point sits mid-way along the stretch above this share of its peak
    spread_floor: float = 0.25  # log units: a quiet, steady window is not infinitely certain
    crossfade_reach_s: float = 2.5  # a boundary is placed at most this far from the novelty peak
    # an identified span's edge that meets unidentified music moves to the midpoint of a
    # crossfade around it (at most crossfade_reach_s)
    place_crossfades: bool = True
    # with the piece-identity features (ChangeFeatures.identity): cut where ``identity_score``
    # (a logistic over ``identity_signals``, these weights) reaches ``identity_threshold``,
    # instead of the novelty (+ rhythm) reaching ``threshold``; None: the novelty alone
    identity_weights: tuple[float, ...] | None = None
    identity_threshold: float = 0.9
    # with the episode's peaks: the piece's own repeats across a boundary (repetition.py) over
    # windows of these lengths (seconds each side) are signals of the identity score too
    repetition_windows_s: tuple[float, ...] = ()


# What the engine uses by default: only cuts whose novelty (with the rhythm change) reaches 3.5.
# On the tune split of benchmarks/edits_per_cue.py the highest threshold that still removed adds
# at no cost (no retime or extra more: 31 -> 28 adds); the eager default above (2.0) removed more
# there (25) but cut inside pieces of held-out packages.
STRONG_CHANGES = ChangeParams(threshold=3.5)


# Opt-in (LocalEngine(identity_changes=True)): cut where the piece-identity score reaches 0.3.
# Weights fitted on the unidentified pieces of the tune split of benchmarks/edits_per_cue.py
# (26 true boundaries in 45 pieces; ``--replay DIR --fit``), threshold chosen there (0.2 / 0.3 /
# 0.4 / 0.5 / 0.7 / 0.9: 3.92 / 4.05 / 4.30 / 4.49 / 4.62 / 4.87 edits per 10 cues from 5.06;
# weights fitted leaving each episode out: 4.37 / 4.11 / 4.43 / 4.62 / 4.75 / 5.06). Held out it
# added false cuts (docs/local-engine.md), so it is not the default.
IDENTITY_CHANGES = ChangeParams(threshold=3.5, identity_weights=(-1.457, 19.93, -10.194, 6.115, 2.712, -9.791),
                                identity_threshold=0.3)


class _BlockMeans:
    """Per-frame rows fed chunk by chunk, averaged over every ``BLOCK`` frames (a block may
    straddle two chunks: its first frames wait in the tail); a last partial block counts."""

    def __init__(self, width: int) -> None:
        self._parts: list[np.ndarray] = []
        self._tail = np.zeros((0, width), np.float32)

    def add(self, frames: np.ndarray) -> None:
        frames = np.concatenate([self._tail, frames])
        whole = frames.shape[0] // BLOCK * BLOCK
        if whole:
            self._parts.append(frames[:whole].reshape(-1, BLOCK, frames.shape[1]).mean(axis=1))
        self._tail = frames[whole:]

    def result(self) -> np.ndarray:
        parts = list(self._parts)
        if self._tail.shape[0]:
            parts.append(self._tail.mean(axis=0, keepdims=True))
        if not parts:
            return np.zeros((0, self._tail.shape[1]), np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)


class ChangeFeatures:
    """Timbre, level and onset-density summary of every ``BLOCK`` frames, fed chunk by chunk
    (the same chunks as the detector). Pitch classes come later from the landmark peaks. With
    ``identity``, also the piece-identity features (``identity_frames``) per block."""

    def __init__(self, identity: bool = False) -> None:
        self.with_identity = identity
        self._blocks = _BlockMeans(N_BANDS + 2)
        self._onsets: list[np.ndarray] = []
        self._ident = _BlockMeans(N_MFCC + 12)

    def add(self, chunk: SpecChunk) -> None:
        core = slice(chunk.before, chunk.before + chunk.core)
        spec = chunk.spec
        power = np.exp(2.0 * spec[:, core])
        bands = np.log(_BANDS[:, :power.shape[0]] @ power + 1e-6)
        level = np.log(power[_EDGES[0]:_EDGES[-1]].sum(axis=0) + 1e-6)
        lo = max(0, chunk.before - 1)
        diff = np.diff(spec[_EDGES[0]:_EDGES[-1], lo:chunk.before + chunk.core], axis=1)
        rise = np.maximum(diff, 0).mean(axis=0)
        if chunk.before == 0:
            rise = np.r_[0.0, rise]
        self._onsets.append(rise[-chunk.core:].astype(np.float32))
        flux = np.log(rise[-chunk.core:] + 1e-3)
        self._blocks.add(np.vstack([bands, level[None], flux[None]]).T.astype(np.float32))
        if self.with_identity:
            self._ident.add(identity_frames(spec[:, core]))

    def identity(self) -> np.ndarray | None:
        """(blocks, N_MFCC + 12) piece-identity features (``identity_frames``) per block, the
        same blocks as ``blocks()``; None when not collected."""
        return self._ident.result() if self.with_identity else None

    def onsets(self) -> np.ndarray:
        """Onset strength (mean positive spectral change) of every frame, for rhythm."""
        return np.concatenate(self._onsets) if self._onsets else np.zeros(0, np.float32)

    def blocks(self) -> np.ndarray:
        """(blocks, N_BANDS + 2) features; a last partial block counts as a block."""
        return self._blocks.result()


def pitch_classes(frames: np.ndarray, bins: np.ndarray, n_blocks: int) -> np.ndarray:
    """(n_blocks, 12) histogram of the pitch classes of spectral peaks (frames, bins)."""
    out = np.zeros((n_blocks, 12), np.float32)
    keep = (bins >= _CHROMA_LO) & (frames // BLOCK < n_blocks)
    if not keep.any():
        return out
    f, b = frames[keep] // BLOCK, bins[keep]
    midi = 69 + 12 * np.log2(b * _BIN_HZ / 440.0)
    pc = np.round(midi).astype(np.int64) % 12
    np.add.at(out, (f, pc), 1.0)
    return out


def _window_sums(x: np.ndarray, t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sum of rows lo..hi-1 of x for each t (cumulative sums); lo/hi per t."""
    c = np.vstack([np.zeros((1, x.shape[1]), np.float64), np.cumsum(x, axis=0, dtype=np.float64)])
    return c[hi] - c[lo]


def _chroma_profile(chroma: np.ndarray, smooth: int = 5) -> np.ndarray:
    """Per-block pitch-class shares, pooled over ``smooth`` blocks (a few peaks a block)."""
    c = np.cumsum(np.vstack([np.zeros((1, 12)), chroma.astype(np.float64)]), axis=0)
    n = chroma.shape[0]
    i = np.arange(n)
    lo, hi = np.maximum(0, i - smooth // 2), np.minimum(n, i + smooth // 2 + 1)
    pooled = c[hi] - c[lo]
    return pooled / (pooled.sum(axis=1, keepdims=True) + 1.0)


def _amplitudes(feats: np.ndarray) -> np.ndarray:
    """Band and overall amplitudes (not logs), each in units of its spread over the segment.

    Why amplitudes for placing a crossfade: a linear crossfade ramps each band's amplitude
    linearly where one piece dominates the band, over the whole crossfade; its log rises
    steeply at the start (or falls late), which would pull the fitted ramp to one end."""
    amp = np.exp(0.5 * (feats[:, :N_BANDS + 1].astype(np.float64)
                        - feats[:, :N_BANDS + 1].max(axis=0)))
    return (amp - amp.mean(axis=0)) / (amp.std(axis=0) + 1e-6)


def novelty(feats: np.ndarray, chroma: np.ndarray, params: ChangeParams = ChangeParams()) -> np.ndarray:
    """Novelty at every block boundary t = 1..n-1 of one segment (index t-1), from windows of
    ``window_s`` on each side (shorter near the ends, never under a quarter of it)."""
    n = feats.shape[0]
    if n < 2:
        return np.zeros(0)
    w = max(2, int(round(params.window_s / BLOCK_S)))
    t = np.arange(1, n)
    lo, hi = np.maximum(0, t - w), np.minimum(n, t + w)
    nl, nr = (t - lo)[:, None].astype(np.float64), (hi - t)[:, None].astype(np.float64)
    x = np.hstack([feats.astype(np.float64), params.chroma_weight * _chroma_profile(chroma)])
    sl, sr = _window_sums(x, t, lo, t), _window_sums(x, t, t, hi)
    ql, qr = _window_sums(x * x, t, lo, t), _window_sums(x * x, t, t, hi)
    ml, mr = sl / nl, sr / nr
    var = (np.maximum(ql / nl - ml**2, 0) + np.maximum(qr / nr - mr**2, 0)) / 2
    spread = np.sqrt(var) + params.spread_floor
    nov = np.sqrt(np.mean(((mr - ml) / spread) ** 2, axis=1))
    # short windows near the ends are noisy: scale down until both sides are full
    full = np.minimum(nl, nr)[:, 0] / w
    return nov * np.clip(full * 2, 0, 1)


def rhythm_change(onsets: np.ndarray, frame: int, window: int) -> float:
    """1 - correlation of the onset autocorrelations (lags 0.23-2 s) of the ``window`` frames
    before and after ``frame``: about 0 inside one piece (its tempo and groove hold, even
    across a new section), towards 1 or more where another piece with another tempo starts."""
    def profile(a: int, b: int) -> np.ndarray | None:
        x = onsets[max(0, a):max(0, b)].astype(np.float64)
        if x.size < 2 * RHYTHM_LAGS[1]:
            return None
        x = x - x.mean()
        f = np.fft.rfft(x, 2 * x.size)
        ac = np.fft.irfft(f * np.conj(f))[:x.size]
        return ac[RHYTHM_LAGS[0]:RHYTHM_LAGS[1]] / (ac[0] + 1e-9)

    left, right = profile(frame - window, frame), profile(frame, frame + window)
    if left is None or right is None or left.std() < 1e-9 or right.std() < 1e-9:
        return 0.0
    return float(1.0 - np.corrcoef(left, right)[0, 1])


def _acf_profiles(x: np.ndarray) -> np.ndarray:
    """Rows of x (windows of an onset envelope): autocorrelation at lags RHYTHM_LAGS over lag 0."""
    x = x - x.mean(axis=1, keepdims=True)
    f = np.fft.rfft(x, 2 * x.shape[1], axis=1)
    ac = np.fft.irfft(f * np.conj(f), axis=1)[:, :x.shape[1]]
    return ac[:, RHYTHM_LAGS[0]:RHYTHM_LAGS[1]] / (ac[:, :1] + 1e-9)


def rhythm_curve(onsets: np.ndarray, n_blocks: int, window: int) -> np.ndarray:
    """``rhythm_change`` at every block boundary t = 1..n_blocks-1 of one segment (``onsets``
    per frame from its first block on; windows of ``window`` frames, cut at its ends, 0 where
    a side is too short for the longest lag twice)."""
    x = onsets[:n_blocks * BLOCK].astype(np.float64)
    frames = np.arange(1, n_blocks) * BLOCK
    out = np.zeros(frames.size)
    full = (frames >= window) & (frames + window <= x.size)
    if full.any() and x.size >= window:
        win = np.lib.stride_tricks.sliding_window_view(x, window)
        left, right = _acf_profiles(win[frames[full] - window]), _acf_profiles(win[frames[full]])
        left -= left.mean(axis=1, keepdims=True)
        right -= right.mean(axis=1, keepdims=True)
        den = np.sqrt((left * left).sum(axis=1) * (right * right).sum(axis=1))
        out[full] = np.where(den > 1e-12, 1.0 - (left * right).sum(axis=1) / np.maximum(den, 1e-12), 0.0)
    for i in np.flatnonzero(~full).tolist():
        out[i] = rhythm_change(x, int(frames[i]), window)
    return out


def _window_means(x: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Means of the rows of x over [t-w, t) and [t, t+w) (cut at the ends), t = 1..n-1."""
    n = x.shape[0]
    c = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0, dtype=np.float64)])
    t = np.arange(1, n)
    lo, hi = np.maximum(0, t - w), np.minimum(n, t + w)
    return (c[t] - c[lo]) / (t - lo)[:, None], (c[hi] - c[t]) / (hi - t)[:, None]


def identity_signals(feats: np.ndarray, chroma: np.ndarray, ident: np.ndarray, onsets: np.ndarray | None,
                     params: ChangeParams = ChangeParams(),
                     peaks: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(n-1, 5) piece-identity evidence at every block boundary of one segment: the novelty
    above; the timbre change (half the squared distance between the mean unit cepstra of the
    windows before and after, centred on the segment: Foote's checkerboard kernel over cosine
    self-similarity, in closed form) over ``window_s`` and over 11 s; the distance between the
    two windows' tonal pitch classes (centred cosine; another key or harmony); the rhythm change
    (``rhythm_curve``). Each says little alone (inside a piece a new section, a fill, a line of
    dialogue move them all); ``identity_score`` weighs them. With ``peaks`` (the segment's
    spectral peaks: frames from its first block's first frame, bins) and
    ``params.repetition_windows_s``, two more columns per window: the piece's own repeats across
    the boundary (``repetition.repetition``)."""
    n = feats.shape[0]
    windows = params.repetition_windows_s if peaks is not None else ()
    out = np.zeros((max(0, n - 1), 5 + 2 * len(windows)))
    if n < 2:
        return out
    for j, seconds in enumerate(windows):
        out[:, 5 + 2 * j:7 + 2 * j] = repetition(peaks[0], peaks[1], n, BLOCK,  # type: ignore[index]
                                                 max(2, int(round(seconds / BLOCK_S))))
    out[:, 0] = novelty(feats, chroma, params)
    mf = ident[:, :N_MFCC].astype(np.float64)
    mf = mf - mf.mean(axis=0)
    mf /= np.linalg.norm(mf, axis=1, keepdims=True) + 1e-9
    full = np.clip(np.minimum(np.arange(1, n), n - np.arange(1, n)) / max(1, round(params.window_s / BLOCK_S)) * 2, 0, 1)
    for j, seconds in ((1, params.window_s), (2, 11.0)):
        ml, mr = _window_means(mf, max(2, int(round(seconds / BLOCK_S))))
        out[:, j] = 0.5 * ((ml - mr) ** 2).sum(axis=1) * full
    ch = ident[:, N_MFCC:].astype(np.float64)
    ml, mr = _window_means(ch, max(2, int(round(params.window_s / BLOCK_S))))
    ml -= ml.mean(axis=1, keepdims=True)
    mr -= mr.mean(axis=1, keepdims=True)
    cos = (ml * mr).sum(axis=1) / (np.linalg.norm(ml, axis=1) * np.linalg.norm(mr, axis=1) + 1e-9)
    out[:, 3] = (1.0 - cos) * full
    if onsets is not None:
        out[:, 4] = np.minimum(1.5, rhythm_curve(onsets, n, int(round(params.window_s / FRAME_S))))
    return out


def identity_score(signals: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    """Probability-like score of a change of piece: a logistic over ``identity_signals``
    (``weights``: one per column, then the intercept; fitted on the tune split by
    ``benchmarks/edits_per_cue.py --fit``)."""
    w = np.asarray(weights, np.float64)
    return 1.0 / (1.0 + np.exp(-(signals @ w[:-1] + w[-1])))


def change_points(feats: np.ndarray, chroma: np.ndarray, params: ChangeParams = ChangeParams(),
                  onsets: np.ndarray | None = None, ident: np.ndarray | None = None,
                  peaks: tuple[np.ndarray, np.ndarray] | None = None) -> list[int]:
    """Block indices (1..n-1) where one segment's music changes, in order. With ``onsets``
    (per frame, from the segment's first block on), each novelty peak also gets the rhythm
    change across it (``rhythm_weight``): a new section of one piece keeps its tempo. With
    ``ident`` (``ChangeFeatures.identity`` rows of the segment) and ``params.identity_weights``,
    the curve is ``identity_score`` and the threshold ``identity_threshold``."""
    threshold = params.threshold
    by_identity = ident is not None and params.identity_weights is not None
    if by_identity:
        raw = nov = identity_score(identity_signals(feats, chroma, ident, onsets, params, peaks),
                                   params.identity_weights or ())
        threshold = params.identity_threshold
    else:
        raw = nov = novelty(feats, chroma, params)
    if not by_identity and onsets is not None and params.rhythm_weight and nov.size > 2:  # (in the score)
        peaks = np.flatnonzero((nov[1:-1] >= nov[:-2]) & (nov[1:-1] >= nov[2:])
                               & (nov[1:-1] >= params.threshold / 2)) + 1
        w = int(round(params.window_s / FRAME_S))
        nov = nov.copy()
        for i in peaks.tolist():
            nov[i] += params.rhythm_weight * min(1.0, rhythm_change(onsets, (i + 1) * BLOCK, w))
    n = feats.shape[0]
    min_piece = max(1, int(round(params.min_piece_s / BLOCK_S)))
    if nov.size == 0 or n < 2 * min_piece:
        return []
    order = np.argsort(-nov, kind="stable")
    chosen: list[int] = []
    for i in order.tolist():
        if nov[i] < threshold:
            break
        t = i + 1
        if t < min_piece or n - t < min_piece:
            continue
        if any(abs(t - c) < min_piece for c in chosen):
            continue
        chosen.append(t)
    # the middle of the peak's crest, not its highest block: over a crossfade the curve is a
    # broad plateau whose top wanders with the music; its middle is the crossfade's middle
    out = []
    for t in sorted(chosen):
        i = t - 1
        level = params.crest * raw[i]
        a = b = i
        while a > 0 and raw[a - 1] >= level:
            a -= 1
        while b + 1 < raw.size and raw[b + 1] >= level:
            b += 1
        centre = (a + b) // 2 + 1
        out.append(min(max(centre, min_piece), n - min_piece))
    return out


def segment_peaks(peaks: tuple[np.ndarray, np.ndarray], a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """The peaks (frames sorted, bins) of blocks [a, b), frames from block ``a``'s first frame:
    what ``identity_signals`` takes for the repetition signals of one segment."""
    i, j = np.searchsorted(peaks[0], [a * BLOCK, b * BLOCK])
    return peaks[0][i:j] - a * BLOCK, peaks[1][i:j]


def split_segment(feats: np.ndarray, chroma: np.ndarray, start_frame: int, end_frame: int,
                  params: ChangeParams = ChangeParams(),
                  onsets: np.ndarray | None = None, ident: np.ndarray | None = None,
                  peaks: tuple[np.ndarray, np.ndarray] | None = None) -> list[tuple[int, int]]:
    """One detected segment [start_frame, end_frame) cut at its change points, in frames.
    ``peaks``: the episode's spectral peaks (frames sorted, bins), for the repetition signals."""
    a = start_frame // BLOCK
    b = min(feats.shape[0], -(-end_frame // BLOCK))
    if b - a < 2:
        return [(start_frame, end_frame)]
    cuts = [start_frame]
    seg_onsets = None if onsets is None else onsets[a * BLOCK:b * BLOCK]
    seg_ident = None if ident is None else ident[a:b]
    seg_peaks = segment_peaks(peaks, a, b) if peaks is not None and params.repetition_windows_s else None
    for t in change_points(feats[a:b], chroma[a:b], params, seg_onsets, seg_ident, seg_peaks):
        frame = (a + t) * BLOCK
        if cuts[-1] < frame < end_frame:
            cuts.append(frame)
    cuts.append(end_frame)
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def crossfade_boundary(feats: np.ndarray, chroma: np.ndarray, boundary: int, lo: int, hi: int,
                       params: ChangeParams = ChangeParams()) -> int:
    """Where a boundary between two pieces (frames; ``lo``..``hi`` the two pieces' outer
    edges) goes: the novelty peak within ``crossfade_reach_s`` of it, when that peak is a
    change point (over a crossfade, near its midpoint); otherwise the boundary stays.

    Used where an identified span meets unidentified music: the span's edge is where the
    reference's peaks stop being found, which over a crossfade is near its far end."""
    a, b = max(0, lo // BLOCK), min(feats.shape[0], -(-hi // BLOCK))
    t = boundary // BLOCK - a
    if t < 2 or b - a - t < 2:
        return boundary
    nov = novelty(feats[a:b], chroma[a:b], params)
    reach = max(1, int(round(params.crossfade_reach_s / BLOCK_S)))
    i0, i1 = max(0, t - 1 - reach), min(nov.size, t + reach)
    if i1 <= i0:
        return boundary
    i = i0 + int(np.argmax(nov[i0:i1]))
    if nov[i] < params.threshold:
        return boundary
    frame = (a + i + 1) * BLOCK
    return min(max(frame, lo + 1), hi - 1)
