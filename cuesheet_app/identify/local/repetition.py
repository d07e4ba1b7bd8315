"""Whether the music on both sides of a moment is one piece: the piece's own repeats across it.

Why: the other change signals (changepoints.py) compare averages of timbre, harmony and rhythm
before and after a moment. Dialogue over the music, a new section of the same piece or a level
step move those averages as much as a change of piece does, so on their own they either miss
changes or cut inside pieces. Music repeats itself: a riff, a bar or a chord pattern comes back
within seconds, with the same notes at the same intervals. A piece's repeats span any moment
inside it; two different pieces share almost none of them. Speech rarely repeats a pitch
pattern exactly, and a level step or a new section of the same piece keeps the notes.

How: pairs of the episode's spectral peaks (the landmark peaks identification already
collects), each hashed exactly by (bin, bin difference, time difference). Two occurrences of
one hash within ``2 * window`` blocks are a *self-match*. For every block boundary ``t`` of a
stretch, count the self-matches that cross ``t`` with both ends within ``window`` of it, and the
ones inside the window before it and inside the window after it. ``log((cross + 1) /
(sqrt(before * after) + 1))`` is near 0 inside a repetitive piece and falls steeply at a change
of piece. Hashes that recur all the time (a held tone, mains hum) say nothing about which piece
plays and are dropped. Each self-match adds to a range of boundaries through a difference
array, so the work is linear in the number of self-matches.
"""

from __future__ import annotations

import numpy as np

PAIR_NEIGHBOURS = 11  # each peak pairs with up to this many next peaks (time, then bin order)
PAIR_MAX_DT = 40  # frames (~0.9 s)
PAIR_MAX_DBIN = 64
MAX_LAG = 64  # occurrences of one hash compared with up to this many later ones
COMMON_SHARE = 0.05  # a hash found in more than this share of the stretch's blocks is dropped


def _pair_hashes(frames: np.ndarray, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash, frame of the first peak) of every pair of nearby peaks."""
    order = np.lexsort((bins, frames))
    f, b = frames[order].astype(np.int64), bins[order].astype(np.int64)
    hashes, starts = [], []
    for k in range(1, min(PAIR_NEIGHBOURS, f.size - 1) + 1):
        dt, db = f[k:] - f[:-k], b[k:] - b[:-k]
        ok = (dt > 0) & (dt <= PAIR_MAX_DT) & (np.abs(db) <= PAIR_MAX_DBIN)
        hashes.append((b[:-k][ok] * (2 * PAIR_MAX_DBIN + 1) + db[ok] + PAIR_MAX_DBIN) * (PAIR_MAX_DT + 1) + dt[ok])
        starts.append(f[:-k][ok])
    if not hashes:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(hashes), np.concatenate(starts)


def _add_ranges(acc: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    """+1 on acc[lo..hi] (inclusive) for every pair of bounds, as a difference array."""
    keep = hi >= lo
    n = acc.size - 1
    np.add.at(acc, np.clip(lo[keep], 0, n), 1.0)
    np.add.at(acc, np.clip(hi[keep] + 1, 0, n), -1.0)


def repetition(frames: np.ndarray, bins: np.ndarray, n_blocks: int, block: int, window: int) -> np.ndarray:
    """(n_blocks - 1, 2) at every block boundary t = 1..n_blocks-1 of a stretch: the log ratio of
    self-matches across ``t`` to those on each side (about 0 inside one repetitive piece,
    negative at a change of piece), and the log of the self-matches on each side (how much the
    music repeats at all: where it does not, the ratio says little). ``frames`` (relative to the
    stretch's first frame) and ``bins``: its spectral peaks; ``block``: frames per block;
    ``window``: blocks on each side."""
    out = np.zeros((max(0, n_blocks - 1), 2))
    if n_blocks < 2 or frames.size < 2:
        return out
    h, f = _pair_hashes(frames, bins)
    blk = f // block
    order = np.lexsort((blk, h))
    h, blk = h[order], blk[order]
    if h.size:  # drop hashes that recur all the time
        first = np.r_[True, h[1:] != h[:-1]]
        group = np.cumsum(first) - 1
        counts = np.bincount(group)
        keep = counts[group] <= max(4, COMMON_SHARE * n_blocks)
        h, blk = h[keep], blk[keep]
    cross, before, after = (np.zeros(n_blocks + 1) for _ in range(3))
    for k in range(1, MAX_LAG + 1):
        if k >= h.size:
            break
        same = np.flatnonzero(h[:-k] == h[k:])
        if same.size == 0:
            break
        a, b = blk[same], blk[same + k]
        near = (b > a) & (b - a <= 2 * window)
        a, b = a[near], b[near]
        # across t: a < t <= b, both within the window: b - window < t <= a + window
        _add_ranges(cross, np.maximum(a + 1, b - window + 1), np.minimum(b, a + window))
        inside = b - a < window
        a, b = a[inside], b[inside]
        _add_ranges(before, b + 1, a + window)  # both in [t - window, t)
        _add_ranges(after, b - window + 1, a)  # both in [t, t + window)
    c, left, right = (np.cumsum(x)[1:n_blocks] for x in (cross, before, after))
    sides = np.sqrt(np.maximum(left, 0) * np.maximum(right, 0))
    out[:, 0] = np.log((np.maximum(c, 0) + 1.0) / (sides + 1.0))
    out[:, 1] = np.log1p(sides)
    return out
