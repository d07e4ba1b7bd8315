"""Refining an identified excerpt's edges peak by peak against the reference track.

Why: a match's span runs from its first to its last agreeing *landmark pair*, and pairs are
sparse. Both peaks of a pair must survive the dialogue on top, the pair must fit the fan-out
of both sides, and each hash counts once per offset. Near an edge, under speech, the first
agreeing pair often comes a second or more after the music starts (and the last one before
it stops), while single spectral peaks of the reference are still visible in the episode.

How: the match fixes the track and the time offset, so every peak the reference stored
(both peaks of each of its landmark pairs, in ``fp/<id>.npz``) has a predicted place in the
episode. Around each edge we ask, frame by frame, which predicted peaks the episode actually
has (within one frame and one bin), and compare with the chance rate measured on the same
predicted peaks shifted in frequency (speech and other music give chance hits too). The edge
is the change point that best separates "reference peaks found" from "chance": a one-sided
CUSUM, cheap and vectorised over at most a few thousand peaks per edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cuesheet_app.identify.local.landmarks import DT_MAX, SHAPE_MASK
from cuesheet_app.identify.local.spectro import FRAME_S

_BIN_SPAN = 1 << 9  # episode peak key = frame * _BIN_SPAN + bin (bins < 256, shifts stay inside)
# (frames, bins): predicted peaks moved this far measure the chance rate. Moved in time, not in
# frequency: unrelated music in the same key has peaks on the same bins, just not at the same
# moments, so only a time shift gives its chance rate.
CONTROL_SHIFTS = ((-21, 0), (-9, 0), (9, 0), (21, 0))


@dataclass(frozen=True)
class EdgeParams:
    reach_s: float = 20.0  # how far outside the matched span an edge may move
    inside_s: float = 3.0  # how far inside (a stray chance hit can start a match early) ...
    inside_cost: float = 4.0  # ... given this much more evidence (agreeing landmarks count)
    core_s: float = 12.0  # the stretch inside the match that measures the in-music rate
    min_peaks: int = 30  # fewer reference peaks in the region: leave the edge alone
    min_lift: float = 0.12  # in-music rate must beat chance by this much to trust the profile
    threshold: float = 0.5  # share of the in-music lift a peak must beat to count for the music
    slack: float = 2.0  # evidence (in found peaks) an edge may give up to meet detection
    into_neighbour_s: float = 3.0  # how far into a neighbouring match's span an edge may move (a crossfade: tune split)
    handover_lift: float = 0.5  # ... when both tracks are this clearly there (masked pieces fade early: biased)
    handover_s: float = 3.0  # where two identified spans meet, both references place the cut this far around it (0: off)


def reference_peaks(hashes: np.ndarray, frames: np.ndarray, lo: int = 0,
                    hi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Both peaks of each stored landmark pair anchored in reference frames [lo - DT_MAX, hi),
    de-duplicated: (frames, bins) sorted by frame. ``frames`` must be sorted (they are stored
    so); only the frames an edge search needs are unpacked.

    The hash layout is ``landmarks.pair_hashes``': anchor bin << 12 | (df + 32) << 6 | dt, with
    the level class above ``SHAPE_BITS`` (masked off here).
    """
    a = int(np.searchsorted(frames, max(0, lo - DT_MAX)))
    b = frames.size if hi is None else int(np.searchsorted(frames, max(0, hi)))
    h = hashes[a:b].astype(np.int64) & SHAPE_MASK
    t = frames[a:b].astype(np.int64)
    b1 = h >> 12
    b2 = b1 + ((h >> 6) & 63) - 32
    t2 = t + (h & 63)
    key = np.unique(np.concatenate([t * _BIN_SPAN + b1, t2 * _BIN_SPAN + b2]))
    return key // _BIN_SPAN, key % _BIN_SPAN


class EpisodePeaks:
    """The episode's spectral peaks as sorted keys, for fast "is there a peak near here?" tests."""

    def __init__(self, frames: np.ndarray, bins: np.ndarray) -> None:
        key = frames.astype(np.int64) * _BIN_SPAN + bins.astype(np.int64)
        self.keys = np.unique(key)

    def frames_bins(self) -> tuple[np.ndarray, np.ndarray]:
        """The peaks again as (frames, bins), sorted by frame then bin."""
        return self.keys // _BIN_SPAN, self.keys % _BIN_SPAN

    def found(self, frames: np.ndarray, bins: np.ndarray) -> np.ndarray:
        """Whether the episode has a peak within one frame and one bin of each given point."""
        out = np.zeros(frames.size, bool)
        if self.keys.size == 0 or frames.size == 0:
            return out
        base = frames.astype(np.int64) * _BIN_SPAN + bins.astype(np.int64)
        for df in (-1, 0, 1):
            # bins -1..+1 of frame f+df are one contiguous key range
            lo = base + df * _BIN_SPAN - 1
            pos = np.searchsorted(self.keys, lo)
            pos = np.minimum(pos, self.keys.size - 1)
            out |= (self.keys[pos] >= lo) & (self.keys[pos] <= lo + 2)
        return out


def _profile(ep: EpisodePeaks, ref_f: np.ndarray, ref_b: np.ndarray, offset: int,
             lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per predicted peak in episode frames [lo, hi): (episode frame, found, chance found)."""
    a, b = np.searchsorted(ref_f, [lo + offset, hi + offset])
    f = ref_f[a:b] - offset
    bins = ref_b[a:b]
    found = ep.found(f, bins).astype(np.float64)
    chance = np.zeros(f.size)
    for dt, db in CONTROL_SHIFTS:
        chance += ep.found(f + dt, bins + db)
    return f, found, chance / len(CONTROL_SHIFTS)


@dataclass(frozen=True)
class Edges:
    """Refined edges in episode frames, and how far out each could still go: the outermost
    place whose evidence is within ``EdgeParams.slack`` of the best (quiet stretches of the
    reference give little evidence either way, so detection may widen the edge up to there)."""

    start: int
    end: int
    loose_start: int
    loose_end: int


def refine_edges(ep: EpisodePeaks, ref_f: np.ndarray, ref_b: np.ndarray, offset: int,
                 start: int, end: int, lo_limit: int, hi_limit: int,
                 params: EdgeParams = EdgeParams()) -> Edges:
    """The excerpt's edges in episode frames, moved to where the reference's peaks stop being
    found; ``lo_limit``/``hi_limit`` bound the search (neighbouring matches, the reference's
    own extent). Edges without enough evidence stay where they were, loose up to the limits."""
    reach = int(round(params.reach_s / FRAME_S))
    inside = int(round(params.inside_s / FRAME_S))
    core = int(round(params.core_s / FRAME_S))
    mid = (start + end) // 2
    new_start, loose_start = _edge(ep, ref_f, ref_b, offset, max(lo_limit, start - reach),
                                   min(mid, start + inside), (start, min(mid, start + core)),
                                   start, lo_limit, params, True)
    new_end, loose_end = _edge(ep, ref_f, ref_b, offset, max(mid, end - inside),
                               min(hi_limit, end + reach), (max(mid, end - core), end),
                               end, hi_limit, params, False)
    if new_end - new_start < (end - start) // 2:  # a refinement that eats the match is wrong
        return Edges(start, end, lo_limit, hi_limit)
    return Edges(new_start, new_end, min(new_start, loose_start), max(new_end, loose_end))


def _edge(ep: EpisodePeaks, ref_f: np.ndarray, ref_b: np.ndarray, offset: int, lo: int, hi: int,
          core: tuple[int, int], current: int, limit: int, params: EdgeParams,
          is_start: bool) -> tuple[int, int]:
    """(edge, loose edge) on one side."""
    if hi - lo < 2:
        return current, limit
    f, found, chance = _profile(ep, ref_f, ref_b, offset, lo, hi)
    if f.size < params.min_peaks:
        return current, limit
    cf, cfound, cchance = _profile(ep, ref_f, ref_b, offset, *core)
    if cf.size < params.min_peaks:
        return current, limit
    # the lift of "found" over chance inside the match; outside it the lift is about zero. The
    # chance rate is local (each predicted peak's own time-shifted controls), so dense clean
    # music or speech next to the excerpt does not look like the reference.
    lift = float(cfound.mean() - cchance.mean())
    if lift < params.min_lift:
        return current, limit
    s = found - chance - params.threshold * lift
    if is_start:
        # the edge maximises the evidence (sum of s) over the peaks at or after it
        score = np.cumsum(s[::-1])[::-1] - params.inside_cost * (f > current)
        best = int(np.argmax(score))
        if score[best] <= 0:
            return current, limit
        ok = np.flatnonzero(score >= score[best] - params.slack)
        # loose: just after the last predicted peak before the first acceptable one
        first = int(ok[0])
        loose = int(f[first - 1]) + 1 if first > 0 else lo
        return int(f[best]), loose
    score = np.cumsum(s) - params.inside_cost * (f + 1 < current)
    best = int(np.argmax(score))
    if score[best] <= 0:
        return current, limit
    ok = np.flatnonzero(score >= score[best] - params.slack)
    last = int(ok[-1])
    loose = int(f[last + 1]) if last + 1 < f.size else hi
    return int(f[best]) + 1, loose


def _evidence_curve(f: np.ndarray, found: np.ndarray, chance: np.ndarray, lift: float,
                    lo: int, hi: int, step: int) -> np.ndarray:
    """Per ``step`` frames of [lo, hi): the mean of (found - chance) / lift over the predicted
    peaks there (0 where the reference predicts none: no evidence either way)."""
    n = -(-(hi - lo) // step)
    cell = np.clip((f - lo) // step, 0, n - 1).astype(np.int64)
    total = np.bincount(cell, weights=(found - chance) / lift, minlength=n)
    count = np.bincount(cell, minlength=n)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def shared_boundary(ep: EpisodePeaks, left: tuple[np.ndarray, np.ndarray, int],
                    right: tuple[np.ndarray, np.ndarray, int], lo: int, hi: int,
                    left_core: tuple[int, int], right_core: tuple[int, int],
                    params: EdgeParams = EdgeParams()) -> int | None:
    """Where one identified track hands over to the next (episode frames), from both
    references at once: the frame in [lo, hi) where the left track's evidence stops beating
    the right track's. ``left``/``right`` are (reference peak frames, bins, offset) as for
    ``refine_edges``; the cores measure each track's in-music lift. None when either track
    gives too little evidence (too few predicted peaks, or a lift under ``min_lift``).

    Why both at once: each edge refined on its own stops where its own peaks fade, and over a
    crossfade the outgoing and the incoming track fade at different places (a quieter piece
    is masked sooner; a match cut short by a stronger neighbour's overlap is never widened
    again). Over a linear crossfade the two evidence curves cross at its middle (the written
    convention, docs/local-engine.md), at a hard cut they cross at the cut. The crossing is
    taken as the maximum of the running sum of (left - right) evidence, which a stray cell
    of chance hits does not move."""
    if hi - lo < 4:
        return None
    step = max(1, int(round(0.25 / FRAME_S)))
    curves = []
    for (ref_f, ref_b, offset), core in ((left, left_core), (right, right_core)):
        cf, cfound, cchance = _profile(ep, ref_f, ref_b, offset, *core)
        f, found, chance = _profile(ep, ref_f, ref_b, offset, lo, hi)
        if cf.size < params.min_peaks or f.size < params.min_peaks // 2:
            return None
        lift = float(cfound.mean() - cchance.mean())
        if lift < params.handover_lift:
            return None
        curves.append(_evidence_curve(f, found, chance, lift, lo, hi, step))
    diff = np.clip(curves[0], -1.0, 1.0) - np.clip(curves[1], -1.0, 1.0)
    run = np.cumsum(diff)
    best = int(np.argmax(run))
    if run[best] <= 0:  # the right track's evidence dominates throughout: cut at the start
        return lo
    return min(hi, lo + (best + 1) * step)
