"""Speed- and tempo-invariant fingerprints: hashes of spectral-peak triplets (after Panako 2.0).

Why triplets: a broadcast speed change (25/24, 24/25, +2 %) scales time *and* frequency by one
factor; an editor's tempo change (pitch kept) scales time only. A landmark pair's hash holds an
absolute frequency, a frequency step and a time step, so both changes move it to another hash
and identification collapses (0 of 12 excerpts at 25/24). Three peaks give quantities that
neither change moves:

- the time ratio ``(t2 - t1) / (t3 - t1)``;
- the log-frequency steps ``ln(f2 / f1)`` and ``ln(f3 / f1)`` (a speed change multiplies every
  frequency by one factor, i.e. shifts log-frequency; a tempo change leaves frequency alone).

The hash also holds the anchor's log-frequency *band* (bands 0.2 wide in natural-log units,
about 22 %): it moves by at most one band under a change of ±8 %, so the query looks up the
band its anchor falls in and, near a band edge, the neighbouring one (``query_bands``).

Peaks are located to a fraction of a bin and of a frame (parabolic interpolation of the log
spectrum): ratios of integer positions would be too coarse at low frequencies and short
spans to quantise stably.

Each posting keeps what the matcher needs to recover the change: the anchor frame, the
triplet's span (to a quarter frame) and the anchor's frequency (to a quarter bin). Matching
then fits ``reference frame = a + ratio × episode frame`` (``matcher_v2.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from cuesheet_app.identify.local.landmarks import PeakParams, find_peaks
from cuesheet_app.identify.local.spectro import SpecChunk

FORMAT = 2  # the fingerprint format; library.json and the index record it

MIN_BIN = 6  # ~130 Hz: lower peaks are too coarse in log-frequency
SPAN_MIN = 12  # frames between the first and the third peak (~0.28 s) ...
SPAN_MAX = 64  # ... up to ~1.5 s
STEP_MIN = 2  # frames between consecutive peaks of a triplet
DLOG_MAX = 1.6  # |ln(f2/f1)|, |ln(f3/f1)| at most this (about ±2.3 octaves)
DLOG_LEVELS = 64  # 6 bits each: steps of 0.05
RATIO_LEVELS = 32  # 5 bits
BAND_W = 0.2  # anchor band width in ln(bin)
N_BANDS = 32  # 5 bits; ln(255 / 6) / 0.2 = 19 bands used
HASH_BITS = 22
MAX_CHANGE = 0.085  # speed/tempo factors 1/1.085 .. 1.085 are searched

# Reference tracks: few strong peaks (a small index). The query keeps more peaks and more
# triplets per anchor, so that the reference's triplets survive dialogue on top of the music.
REFERENCE = PeakParams(freq_radius=9, time_radius=5, per_frame=1, margin=1.2, fan_out=2)
QUERY = PeakParams(freq_radius=6, time_radius=3, per_frame=3, margin=0.9, fan_out=36)
REF_PARTNERS = 2  # middle and last peak each among the first this many candidates
QUERY_PARTNERS = 6


@dataclass(frozen=True)
class Triplets:
    """Triplet hashes with what each needs for the offset model, sorted by anchor time."""

    hashes: np.ndarray  # uint32, HASH_BITS
    t1: np.ndarray  # float32 anchor frame (sub-frame)
    span: np.ndarray  # float32 t3 - t1 in frames
    f1: np.ndarray  # float32 anchor bin (sub-bin)

    @classmethod
    def empty(cls) -> Triplets:
        z = np.zeros(0, np.float32)
        return cls(np.zeros(0, np.uint32), z, z, z)

    @property
    def size(self) -> int:
        return int(self.hashes.size)


def fine_peaks(spec: np.ndarray, params: PeakParams, lo: int = 0, hi: int | None = None,
               peaks: tuple[np.ndarray, np.ndarray] | None = None,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``find_peaks`` refined by parabolic interpolation: (frames, bins) as float64, frames
    relative to ``lo``, and each peak's log level (float32, at its spectrogram cell: the level
    ``landmarks.PeakCollector`` keeps, for the level classes of pairs made at other speeds).
    ``spec`` needs one frame of context on each side of [lo, hi). ``peaks``: ``find_peaks(spec,
    params, lo, hi)`` already computed (the pair collector's)."""
    f, b = find_peaks(spec, params, lo, hi) if peaks is None else peaks
    keep = (b >= MIN_BIN) & (b < spec.shape[0] - 1)
    f, b = f[keep], b[keep]
    if f.size == 0:
        return f.astype(np.float64), b.astype(np.float64), np.zeros(0, np.float32)
    col = f + lo
    y0 = spec[b, col]
    yb1, yb2 = spec[b - 1, col], spec[b + 1, col]
    c_prev = np.clip(col - 1, 0, spec.shape[1] - 1)
    c_next = np.clip(col + 1, 0, spec.shape[1] - 1)
    yt1, yt2 = spec[b, c_prev], spec[b, c_next]

    def vertex(ym: np.ndarray, yp: np.ndarray) -> np.ndarray:
        den = ym - 2 * y0 + yp
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(den < 0, 0.5 * (ym - yp) / den, 0.0)
        return np.clip(d, -0.5, 0.5)

    return f + vertex(yt1, yt2), b + vertex(yb1, yb2), y0.astype(np.float32)


def _quantise(x: np.ndarray, lo: float, hi: float, levels: int) -> np.ndarray:
    q = np.floor((x - lo) / (hi - lo) * levels).astype(np.int64)
    return np.clip(q, 0, levels - 1)


def band_of(f1: np.ndarray) -> np.ndarray:
    """The anchor's log-frequency band (float, before flooring)."""
    return (np.log(np.maximum(f1, 1.0)) - np.log(MIN_BIN)) / BAND_W


def triplet_hashes(frames: np.ndarray, bins: np.ndarray, partners: int, fan_out: int) -> Triplets:
    """Triplets from peaks: each anchor with a middle peak among the first ``partners`` peaks
    at least STEP_MIN frames later and a last peak among the first ``partners`` at least
    SPAN_MIN later (a long span pins the time ratio); at most ``fan_out`` per anchor."""
    n = frames.size
    if n < 3:
        return Triplets.empty()
    order = np.argsort(frames, kind="stable")
    t, f = frames[order].astype(np.float64), bins[order].astype(np.float64)
    logf = np.log(f)
    j0 = np.searchsorted(t, t + STEP_MIN)
    k0 = np.searchsorted(t, t + SPAN_MIN)
    hs, t1s, spans, f1s = [], [], [], []
    taken = np.zeros(n, np.int64)
    anchors = np.arange(n)
    for dk in range(partners):
        for dj in range(partners):
            jj, kk = j0 + dj, k0 + dk
            live = (kk < n) & (jj < n)
            a, jj, kk = anchors[live], jj[live], kk[live]
            d12, d13 = t[jj] - t[a], t[kk] - t[a]
            l2, l3 = logf[jj] - logf[a], logf[kk] - logf[a]
            ok = ((t[kk] - t[jj] >= STEP_MIN) & (d13 <= SPAN_MAX) & (np.abs(l2) <= DLOG_MAX)
                  & (np.abs(l3) <= DLOG_MAX) & (taken[a] < fan_out))
            if not ok.any():
                continue
            a, d12, d13, l2, l3 = a[ok], d12[ok], d13[ok], l2[ok], l3[ok]
            taken[a] += 1
            band = np.clip(np.floor(band_of(f[a])).astype(np.int64), 0, N_BANDS - 1)
            h = ((band << 17) | (_quantise(d12 / d13, 0.0, 1.0, RATIO_LEVELS) << 12)
                 | (_quantise(l2, -DLOG_MAX, DLOG_MAX, DLOG_LEVELS) << 6)
                 | _quantise(l3, -DLOG_MAX, DLOG_MAX, DLOG_LEVELS))
            hs.append(h.astype(np.uint32))
            t1s.append(t[a])
            spans.append(d13)
            f1s.append(f[a])
    if not hs:
        return Triplets.empty()
    t1 = np.concatenate(t1s)
    o = np.argsort(t1, kind="stable")
    return Triplets(np.concatenate(hs)[o], t1[o].astype(np.float32),
                    np.concatenate(spans)[o].astype(np.float32),
                    np.concatenate(f1s)[o].astype(np.float32))


def query_bands(hashes: np.ndarray, f1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hashes to look up for query triplets: each in its own band, plus the neighbouring
    band when a change of up to ±MAX_CHANGE could have moved the anchor across the edge.
    Returns (hashes, index of the query triplet each came from)."""
    pos = band_of(f1.astype(np.float64))
    band = np.floor(pos).astype(np.int64)
    frac = pos - band
    reach = np.log1p(MAX_CHANGE) / BAND_W
    idx = np.arange(hashes.size)
    low = frac < reach
    high = frac > 1 - reach
    base = hashes.astype(np.int64) & ((1 << 17) - 1)
    hs = [hashes.astype(np.int64), ((band[low] - 1) << 17) | base[low],
          ((band[high] + 1) << 17) | base[high]]
    ids = [idx, idx[low], idx[high]]
    h, i = np.concatenate(hs), np.concatenate(ids)
    ok = (h >= 0) & ((h >> 17) < N_BANDS)
    return h[ok], i[ok]


class TripletCollector:
    """Fine peaks of a chunked spectrogram, in global frame numbers, then their triplets."""

    def __init__(self, params: PeakParams, partners: int) -> None:
        self.params, self.partners = params, partners
        self.frames: list[np.ndarray] = []
        self.bins: list[np.ndarray] = []
        self._levels: list[np.ndarray] = []

    def add(self, chunk: SpecChunk, peaks: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """``peaks``: this chunk's ``find_peaks`` with the same peak parameters, when known."""
        f, b, y = fine_peaks(chunk.spec, self.params, chunk.before, chunk.before + chunk.core, peaks)
        self.frames.append(f + chunk.first)
        self.bins.append(b)
        self._levels.append(y)

    def peaks(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.frames:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self.frames), np.concatenate(self.bins)

    def levels(self) -> np.ndarray:
        """Each peak's log level, in the order of ``peaks``."""
        return np.concatenate(self._levels) if self._levels else np.zeros(0, np.float32)

    def triplets(self) -> Triplets:
        f, b = self.peaks()
        return triplet_hashes(f, b, self.partners, self.params.fan_out)


def reference_fingerprint(chunks: Iterable[SpecChunk]) -> tuple[Triplets, np.ndarray, np.ndarray]:
    """(triplets, peak frames, peak bins) of a reference track: the triplets are indexed, the
    peaks kept for edge refinement."""
    c = TripletCollector(REFERENCE, REF_PARTNERS)
    for chunk in chunks:
        c.add(chunk)
    f, b = c.peaks()
    return c.triplets(), f.astype(np.float32), b.astype(np.float32)
