"""Landmark fingerprints (Wang 2003, as in Shazam and audfprint), on numpy/scipy.

A landmark is a pair of prominent spectral peaks: (frequency of the first, frequency step to
the second, time step between them). Pairs survive added speech and noise far better than
whole spectra because speech rarely hides *both* peaks, and a pair's time offset in the
episode minus its offset in the reference is the same for every pair of one excerpt: that
agreement, not any single hash, is what identifies a track.

Why two densities: reference tracks keep few, strong peaks (a small index); a query keeps
more peaks and more pairs per anchor, so that enough of the reference's pairs are still found
when dialogue sits on top of the music.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter

from cuesheet_app.identify.local.spectro import SpecChunk

MAX_BIN = 256  # bins 1..255 (up to ~5.5 kHz at 11.025 kHz)
DT_MAX = 63  # frames (~1.46 s)
DF_MAX = 31  # bins
SHAPE_BITS = 20  # anchor bin (8) | frequency step (6) | time step (6): where the two peaks are
SHAPE_MASK = (1 << SHAPE_BITS) - 1
HASH_BITS = 22  # the shape and the pair's level class (2 bits, above the shape)
# The level class: the anchor's log level minus its partner's (natural-log units of the
# spectrogram) cut at about -4, 0 and +4 dB. Why: with 2**20 shapes a large library puts hundreds
# of postings on every hash and the lookups' hits grow with it (issue 12); which peak of a pair
# is louder survives dialogue on top of the music and a gain change (measured on both
# library-scale episodes by benchmarks/local_engine/level_class_survival.py: a true pair keeps
# its class 82-90 % of the time, a chance hit from another track 30-34 %), so two more bits cut
# chance hits far more than true ones. The four classes are about equally full on real music
# (0.24 / 0.25 / 0.26 / 0.25).
LEVEL_CUTS = np.array([-0.5, 0.0, 0.5])
N_LEVEL_CLASSES = LEVEL_CUTS.size + 1
# A query pair within this of a cut is looked up in both classes (one duplicate hash): true
# pairs found rise to 93-97 %, chance hits to 40-48 % (same measurement).
LEVEL_SPREAD = 0.15


@dataclass(frozen=True)
class PeakParams:
    freq_radius: int  # neighbourhood half-size in bins
    time_radius: int  # and in frames
    per_frame: int  # at most this many peaks per frame
    margin: float  # natural-log units above the local mean
    fan_out: int  # pairs per anchor
    level_spread: float = 0.0  # pairs this near a level cut are hashed in both classes (queries)


REFERENCE = PeakParams(freq_radius=9, time_radius=4, per_frame=2, margin=1.2, fan_out=4)
QUERY = PeakParams(freq_radius=6, time_radius=3, per_frame=3, margin=0.9, fan_out=6, level_spread=LEVEL_SPREAD)
# Denser episode landmarks find more of the music under dialogue, but every query hash costs a
# lookup whose hits grow with the index: worth it for small libraries, too slow for 1,000 tracks
# (a 60-minute episode went from ~44 s to ~51 s). See query_params_for.
QUERY_DENSE = PeakParams(freq_radius=6, time_radius=3, per_frame=4, margin=0.9, fan_out=8,
                         level_spread=LEVEL_SPREAD)
DENSE_QUERY_MAX_POSTINGS = 5_000_000  # about 10 hours of reference audio


def query_params_for(index_postings: int) -> PeakParams:
    """The episode's landmark density for an index of this many postings."""
    return QUERY_DENSE if index_postings <= DENSE_QUERY_MAX_POSTINGS else QUERY


def same_peaks(a: PeakParams, b: PeakParams) -> bool:
    """Whether two parameter sets pick the same peaks (they may differ in ``fan_out`` only): the
    engine then finds the episode's peaks once per chunk for the pairs and the triplets."""
    return (a.freq_radius, a.time_radius, a.per_frame, a.margin) == (b.freq_radius, b.time_radius,
                                                                     b.per_frame, b.margin)


def find_peaks(spec: np.ndarray, params: PeakParams, lo: int = 0, hi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of ``spec[:, lo:hi]`` (frames relative to ``lo``) using the whole array as context.

    Returns (frames int64, bins int64), sorted by frame then bin.
    """
    hi = spec.shape[1] if hi is None else hi
    s = spec[1:MAX_BIN]
    if s.shape[1] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    local_max = maximum_filter(s, size=(2 * params.freq_radius + 1, 2 * params.time_radius + 1),
                               mode="nearest")
    local_mean = uniform_filter(s, size=(31, 2 * params.time_radius + 1), mode="nearest")
    prominence = s - local_mean
    cand = (s == local_max) & (prominence > params.margin)
    cand[:, :lo] = False
    cand[:, hi:] = False
    bins, frames = np.nonzero(cand)
    if bins.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    score = prominence[bins, frames]
    # keep the ``per_frame`` most prominent peaks of each frame
    order = np.lexsort((-score, frames))
    frames, bins = frames[order], bins[order]
    starts = np.r_[0, np.flatnonzero(np.diff(frames)) + 1]
    rank = np.arange(frames.size) - np.repeat(starts, np.diff(np.r_[starts, frames.size]))
    keep = rank < params.per_frame
    frames, bins = frames[keep], bins[keep] + 1
    order = np.lexsort((bins, frames))
    return (frames[order] - lo).astype(np.int64), bins[order].astype(np.int64)


def level_classes(diff: np.ndarray) -> np.ndarray:
    """The level class (0-3) of pairs whose anchor is ``diff`` log units louder than its partner."""
    return np.searchsorted(LEVEL_CUTS, diff, side="right").astype(np.int64)


def _other_class(diff: np.ndarray, spread: float) -> np.ndarray:
    """The class across the nearest cut for pairs within ``spread`` of it, else -1 (the cuts are
    further apart than twice any spread used, so at most one cut is that near)."""
    k = np.abs(diff[:, None] - LEVEL_CUTS[None, :]).argmin(axis=1)
    near = np.abs(diff - LEVEL_CUTS[k]) < spread
    return np.where(near, np.where(diff >= LEVEL_CUTS[k], k, k + 1), -1)


def pair_hashes(frames: np.ndarray, bins: np.ndarray, fan_out: int, levels: np.ndarray | None = None,
                spread: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Landmark hashes (uint32) and their anchor frames, from peaks sorted by frame.

    Without ``levels`` the hashes are the 20-bit shapes; with the peaks' log levels each hash
    also holds its level class above the shape (``HASH_BITS``), and with ``spread`` a pair near
    a cut comes out twice, once in each class (a query: its reference may sit across the cut)."""
    n = frames.size
    if n < 2:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    taken = np.zeros(n, dtype=np.int64)
    out_h: list[np.ndarray] = []
    out_t: list[np.ndarray] = []
    # anchors still looking for partners: one whose k-th successor is past the end or more than
    # DT_MAX frames later (peaks are sorted by frame), or that has its fan_out, is done for good,
    # so each step k works on the few anchors left instead of every peak
    active = np.arange(n)
    for k in range(1, 64):
        j = active + k
        live = j < n
        if not live.all():
            active, j = active[live], j[live]
        dt = frames[j] - frames[active]
        near = dt <= DT_MAX
        if not near.all():
            active, j, dt = active[near], j[near], dt[near]
        if active.size == 0:
            break
        df = bins[j] - bins[active]
        ok = (dt >= 1) & (np.abs(df) <= DF_MAX)
        a, dt, df = active[ok], dt[ok], df[ok]
        taken[a] += 1
        h = (bins[a] << 12) | ((df + 32) << 6) | dt
        if levels is not None:
            diff = levels[a] - levels[j[ok]]
            if spread > 0:
                other = _other_class(diff, spread)
                twice = other >= 0
                out_h.append((h[twice] | (other[twice] << SHAPE_BITS)).astype(np.uint32))
                out_t.append(frames[a[twice]])
            h = h | (level_classes(diff) << SHAPE_BITS)
        out_h.append(h.astype(np.uint32))
        out_t.append(frames[a])
        full = taken[active] >= fan_out
        if full.any():
            active = active[~full]
    if not out_h:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    hashes, times = np.concatenate(out_h), np.concatenate(out_t)
    order = np.argsort(times, kind="stable")
    return hashes[order], times[order]


class PeakCollector:
    """Peaks of a chunked spectrogram, in global frame numbers."""

    def __init__(self, params: PeakParams) -> None:
        self.params = params
        self.frames: list[np.ndarray] = []
        self.bins: list[np.ndarray] = []
        self._levels: list[np.ndarray] = []

    def add(self, chunk: SpecChunk) -> tuple[np.ndarray, np.ndarray]:
        """Collect the chunk's peaks; returns them as ``find_peaks`` did (frames relative to the
        chunk's core), for a ``TripletCollector`` with the same peak parameters to reuse."""
        f, b = find_peaks(chunk.spec, self.params, chunk.before, chunk.before + chunk.core)
        self.frames.append(f + chunk.first)
        self.bins.append(b)
        self._levels.append(chunk.spec[b, f + chunk.before].astype(np.float32))
        return f, b

    def peaks(self) -> tuple[np.ndarray, np.ndarray]:
        """(frames, bins) of every peak collected so far."""
        if not self.frames:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(self.frames), np.concatenate(self.bins)

    def levels(self) -> np.ndarray:
        """The log level of every peak collected so far (as ``peaks`` orders them)."""
        return np.concatenate(self._levels) if self._levels else np.zeros(0, np.float32)

    def hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """The level-classed pair hashes of every peak collected so far."""
        if not self.frames:
            return np.zeros(0, np.uint32), np.zeros(0, np.int64)
        return pair_hashes(np.concatenate(self.frames), np.concatenate(self.bins), self.params.fan_out,
                           self.levels(), self.params.level_spread)


def fingerprint_chunks(chunks: Iterable[SpecChunk], params: PeakParams = REFERENCE) -> tuple[np.ndarray, np.ndarray]:
    collector = PeakCollector(params)
    for chunk in chunks:
        collector.add(chunk)
    return collector.hashes()
