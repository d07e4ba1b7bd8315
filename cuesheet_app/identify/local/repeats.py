"""Music the episode plays more than once: where its repeats start and stop, cut unidentified music.

Why: detection says *whether* music plays, not *which*; two unidentified pieces back to back
are one detected segment, and the timbre/level/rhythm novelty (changepoints.py) does not
separate their boundary from the changes inside one piece (docs/local-engine.md, "Back-to-back
music"). But an episode reuses its music (a theme, a sting, an underscore cue comes back: the
same recording, at the same or another point of the track), and music loops. Wherever the same
audio plays twice, the episode's own landmark pairs agree at one time lag, exactly as an
excerpt agrees with its reference (matcher.py), and that agreement starts and stops where the
shared stretch does: at a piece's edges (or the edges of the stretch both uses share), not at
a new section or where dialogue comes in (the pairs survive speech, as identification does).

How: the landmark pairs of the episode's peaks (``landmarks.pair_hashes``) that lie in detected
music are joined with themselves by hash; every two occurrences at least ``min_lag_s`` apart
vote for their lag (generated twice, never all kept: a long episode has millions). A lag with
enough votes in a run of frames (gaps under ``max_gap_s``, at least ``min_hits`` and
``min_density`` a second, at least ``min_run_s`` long) is a *repeat*: frames [start, end)
play again at [start + lag, end + lag). ``repeat_cuts`` cuts a stretch of unidentified music
at a repeat's edge that no other repeat runs across, where the novelty curve also peaks
(``novelty``, well under the change points' own threshold: the repeat says where, the
novelty that the music changes there), at the middle of the peak's crest (over a crossfade,
its middle: the written convention).

Status: **off by default** (``LocalEngine(..., repeat_cuts=True)``). On the edits benchmark
(edits_per_cue.py; 4 tune and 4 held-out episodes measured) it took the tune episodes from 53
to 51 edits but the held-out ones from 45 to 51 (extras 6 -> 11: false cuts). The held-out cuts
were not taken apart (held-out episodes are not for design). Likely causes, seen on the tune
split: the benchmark draws each episode's dialogue from one 150 s pool, so a stretch of dialogue
heard twice over different music is a repeat too (8.5 agreeing pairs a second there, under
``min_density``), and the novelty needed at a repeat's edge (0.5) is reached inside pieces too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from cuesheet_app.identify.local.hash_index import expand_ranges
from cuesheet_app.identify.local.landmarks import DT_MAX, pair_hashes
from cuesheet_app.identify.local.spectro import FRAME_S


@dataclass(frozen=True)
class RepeatParams:
    min_lag_s: float = 3.0  # two occurrences closer than this are one sustained sound, not a repeat
    max_postings: int = 40  # a hash that occurs more often than this says little (drones, noise)
    fan_out: int = 6  # landmark pairs per anchor peak (the query's)
    max_gap_s: float = 3.0  # a repeat's agreeing pairs are at most this far apart
    min_hits: int = 100  # agreeing pairs a repeat needs to cut
    min_density: float = 15.0  # ... and agreeing pairs per second (a stretch of dialogue heard
    # twice over different music agreed at 8.5 a second on the tune split; the music at 29-147)
    min_run_s: float = 4.0  # and its length
    clear_s: float = 1.5  # no copy may run this far across a cut on both sides
    reach_s: float = 2.5  # the novelty peak is looked for this far from a repeat's edge
    novelty: float = 0.5  # ... and must reach this (changepoints.novelty)
    crest: float = 0.85  # the cut is the middle of the stretch above this share of the peak
    min_piece_s: float = 6.0  # no piece shorter than this


@dataclass(frozen=True)
class Repeat:
    """Frames [start, end) of the episode play again at [start + lag, end + lag)."""

    start: int
    end: int
    lag: int
    hits: int


def find_repeats(frames: np.ndarray, bins: np.ndarray, music: np.ndarray,
                 params: RepeatParams = RepeatParams()) -> list[Repeat]:
    """The repeats among the episode's peaks (frames, bins sorted by frame) in ``music``
    (per-frame boolean mask)."""
    hashes, times = pair_hashes(frames, bins, params.fan_out)
    if hashes.size == 0:
        return []
    inside = music[np.clip(times, 0, music.size - 1)] & (times < music.size)
    hashes, times = hashes[inside], times[inside]
    order = np.lexsort((times, hashes))
    hashes, times = hashes[order], times[order]
    bounds = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1], True])
    sizes = np.diff(bounds)
    min_lag = int(round(params.min_lag_s / FRAME_S))
    ok = (sizes >= 2) & (sizes <= params.max_postings)
    starts, sizes = bounds[:-1][ok], sizes[ok]

    def pairs() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(first time, lag) of every two occurrences of one hash, by the distance k between
        their ranks: generated twice rather than kept (a long episode has millions)."""
        for k in range(1, int(sizes.max(initial=1))):
            live = sizes > k
            if not live.any():
                return
            _, idx = expand_ranges(starts[live], sizes[live] - k)  # every first of a pair k apart
            lag = times[idx + k] - times[idx]
            keep = lag >= min_lag
            yield times[idx][keep], lag[keep]

    # votes per lag; a lag and its neighbours (+-1 frame: the frame grid) are one lag
    counts = np.zeros(int(times.max(initial=0)) + 2, np.int64)
    for _, lag in pairs():
        counts += np.bincount(lag, minlength=counts.size)
    smooth = counts.copy()
    smooth[1:] += counts[:-1]
    smooth[:-1] += counts[1:]
    least = params.min_hits
    peak = (smooth >= least) & (smooth > np.r_[-1, smooth[:-1]]) & (smooth >= np.r_[smooth[1:], -1])
    if not peak.any():
        return []
    wanted = peak.copy()  # (local maxima; of a plateau, its first lag) and their neighbours
    wanted[1:] |= peak[:-1]
    wanted[:-1] |= peak[1:]
    kept = [(t[wanted[lag]], lag[wanted[lag]]) for t, lag in pairs()]
    t, lag = np.concatenate([k[0] for k in kept]), np.concatenate([k[1] for k in kept])
    order = np.argsort(lag, kind="stable")
    t, lag = t[order], lag[order]
    max_gap = int(round(params.max_gap_s / FRAME_S))
    min_run = int(round(params.min_run_s / FRAME_S))
    out: list[Repeat] = []
    for L in np.flatnonzero(peak).tolist():
        a, b = np.searchsorted(lag, [L - 1, L + 2])
        sel = np.sort(t[a:b])
        if sel.size < least:
            continue
        breaks = np.flatnonzero(np.diff(sel) > max_gap)
        for a, b in zip(np.r_[0, breaks + 1], np.r_[breaks + 1, sel.size], strict=True):
            if b - a < least:
                continue
            start, end = int(sel[a]), int(sel[b - 1]) + DT_MAX // 2
            if end - start >= min_run:
                out.append(Repeat(start, end, L, int(b - a)))
    return out


def copies(repeats: list[Repeat], lo: int, hi: int) -> list[tuple[int, int]]:
    """Both copies of every repeat, clipped to [lo, hi) (those that reach into it)."""
    out = []
    for r in repeats:
        for s, e in ((r.start, r.end), (r.start + r.lag, r.end + r.lag)):
            if e > lo and s < hi:
                out.append((max(s, lo), min(e, hi)))
    return out


def repeat_cuts(repeats: list[Repeat], lo: int, hi: int, nov: np.ndarray, block: int,
                params: RepeatParams = RepeatParams()) -> list[int]:
    """Frames inside [lo, hi) (one stretch of unidentified music) where a repeat starts or ends
    with no other repeat running across it *and* the music changes there: the novelty curve
    (``nov``, changepoints.novelty over the stretch's blocks of ``block`` frames, index t-1 for
    the boundary before block t) peaks within ``reach_s`` at ``novelty`` or more. The cut is
    the middle of that peak's crest (over a crossfade: its middle)."""
    strong = [r for r in repeats if r.hits >= params.min_hits
              and r.hits >= params.min_density * (r.end - r.start) * FRAME_S]
    spans = copies(strong, lo, hi)
    if not spans or nov.size == 0:
        return []
    clear = int(round(params.clear_s / FRAME_S))
    shortest = int(round(params.min_piece_s / FRAME_S))
    reach = max(1, int(round(params.reach_s / (block * FRAME_S))))
    edges = sorted({e for _, e in spans if e < hi} | {s for s, _ in spans if s > lo})
    found: list[tuple[float, int]] = []
    for x in edges:
        if x - lo < shortest or hi - x < shortest:
            continue
        if any(a < x - clear and b > x + clear for a, b in spans):
            continue  # a repeat runs across: the same piece plays on
        t = (x - lo) // block
        i0, i1 = max(0, t - 1 - reach), min(nov.size, t + reach)
        if i1 <= i0:
            continue
        i = i0 + int(np.argmax(nov[i0:i1]))
        if nov[i] < params.novelty:
            continue
        a = b = i
        while a > 0 and nov[a - 1] >= params.crest * nov[i]:
            a -= 1
        while b + 1 < nov.size and nov[b + 1] >= params.crest * nov[i]:
            b += 1
        cut = lo + ((a + b) // 2 + 1) * block
        if shortest <= cut - lo and hi - cut >= shortest:
            found.append((float(nov[i]), cut))
    cuts: list[int] = []
    for _, c in sorted(found, reverse=True):  # strongest first, no two closer than a piece
        if all(abs(c - d) >= shortest for d in cuts):
            cuts.append(c)
    return sorted(cuts)

