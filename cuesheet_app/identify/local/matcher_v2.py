"""Triplet hits to track matches under speed and tempo changes: reference = a + ratio × episode.

Each hit pairs a query triplet with a reference triplet of the same hash. Its two spans give a
time ratio (reference span / episode span) and its two anchor bins a pitch factor; a speed
change makes them equal, a tempo change with the pitch kept leaves the pitch at 1, and hits
fitting neither are chance. Per 20 s slice the hits vote in a Hough space (track, log ratio,
reference frame at the slice centre); each voted cell's hits are fitted to a line
``reference frame = a + ratio × episode frame`` (robust: refit on the hits within 3 frames).
Lines of one track that agree across slices are joined and refitted on all their hits (a
minute of excerpt pins the ratio to ~0.1 %). Each line's hits then go through the same
window test as the pair matcher (``matcher._accept``: enough agreeing hashes *and* clearly
more than any other track in the window), so the rules that give zero wrong IDs are the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cuesheet_app.identify.base import CancelToken, Progress, ProgressCallback, ignore_progress
from cuesheet_app.identify.local.matcher import (
    MatchParams,
    TrackMatch,
    _accept,
    confidence_for,
    resolve_overlaps,
)
from cuesheet_app.identify.local.segment_index import SegmentedIndex
from cuesheet_app.identify.local.spectro import FRAME_S
from cuesheet_app.identify.local.triplets import MAX_CHANGE, Triplets, query_bands

RATIO_GRID = 0.008  # log-ratio step of the candidate ratios each hit votes for
VOTE_REACH = 5  # ... this many steps either side of the hit's own ratio (±4 %)
MAX_CANDIDATES = 150  # vote peaks per slice fitted, strongest first (the rest are chance)
HIT_RATIO_TOL = 0.05  # a hit's own ratio may be this far outside the range searched
REF_BIN = 4  # frames: reference-position cell width in the vote
FIT_TOL = 3.0  # frames: a hit within this of a line belongs to it
PITCH_TOL = 0.02  # relative: pitch within this of 1 (tempo) or of the ratio (speed)
_LR_TABLE = 64  # ratio steps tabulated either side of 1 (a hit's own ratio is within ±13.5 %: ±16 steps)


@dataclass
class _Line:
    track: int
    ratio: float
    a: float
    q: np.ndarray  # episode anchor frames of its hits
    r: np.ndarray  # reference anchor frames
    end: np.ndarray  # episode frame where each hit's triplet ends
    h: np.ndarray  # hash values (each counts once per line)
    pitch: np.ndarray


def _fit(q: np.ndarray, r: np.ndarray, ratio0: float) -> tuple[float, float, np.ndarray]:
    """(ratio, a, inliers) of r = a + ratio q, starting from ratio0 (robust to chance hits)."""
    ratio = ratio0
    a = float(np.median(r - ratio * q))
    inl = np.abs(r - a - ratio * q) <= FIT_TOL
    for _ in range(2):
        if inl.sum() < 3:
            break
        qi, ri = q[inl], r[inl]
        if qi.max() - qi.min() > 200:  # ~4.6 s: enough lever to fit the slope
            ratio_new, a_new = np.polyfit(qi, ri, 1)
            if abs(ratio_new - 1) <= MAX_CHANGE + 0.01:
                ratio, a = float(ratio_new), float(a_new)
        else:
            a = float(np.median(ri - ratio * qi))
        inl = np.abs(r - a - ratio * q) <= FIT_TOL
    return ratio, a, inl


def _dense_runs(key: np.ndarray, min_hits: int) -> np.ndarray:
    """The sorted vote keys that lie in a run of ``min_hits`` keys spanning at most three
    consecutive cells; the rest cannot matter to the vote, and they are most of it (chance).

    Why exact: a cell whose smoothed count (itself and its two neighbours) reaches ``min_hits``
    has that many keys within three consecutive values, and every one of them lies in such a
    run, so the counts and smoothed counts of every cell that can be a candidate, or beat one,
    come out as before; a cell left out, or counted short, stays under ``min_hits`` and can
    neither be a candidate nor beat one."""
    w = min_hits - 1
    if w <= 0:
        return key
    if key.size <= w:
        return key[:0]
    starts = np.flatnonzero(key[w:] - key[:-w] <= 2)
    cover = np.zeros(key.size + 1, np.int64)
    cover[starts] += 1  # (``starts`` are distinct, so are ``starts + w + 1``)
    cover[starts + w + 1] -= 1
    return key[np.cumsum(cover[:-1]) > 0]


def _slice_lines(index: SegmentedIndex, tr: Triplets, min_hits: int) -> list[_Line]:
    qh, qi = query_bands(tr.hashes, tr.f1)
    hits = index.lookup(qh, np.arange(qh.size))  # hits.query: the row of qh
    if hits.tracks.size == 0:
        return []
    row = hits.query
    query = qi[row]
    sq, fq = tr.span[query].astype(np.float64), tr.f1[query].astype(np.float64)
    ratio = hits.span / sq
    pitch = fq / np.maximum(hits.f1, 1e-3)
    # per hit, only what no change within range can give is chance: the hit's own time ratio is
    # too noisy to test more tightly (peak times interpolate to ~1/4 frame, and a tempo change
    # smears them), and the pitch test is made per line, where the ratio is known
    lim, plim = 1 + MAX_CHANGE + HIT_RATIO_TOL, 1 + MAX_CHANGE + PITCH_TOL
    ok = (ratio < lim) & (ratio > 1 / lim) & (pitch < plim) & (pitch > 1 / plim)
    if not ok.any():
        return []
    # (what only the hits that pass need is gathered after the test: ~70 % are chance)
    tq = tr.t1[query[ok]].astype(np.float64)
    ratio, pitch = ratio[ok], pitch[ok]
    track, r1 = hits.tracks[ok], hits.t1[ok]
    h = qh[row[ok]]
    end = tq + sq[ok]
    centre = float(np.median(tq))
    # each hit votes for the candidate ratios near its own (RATIO_GRID apart), at the reference
    # position each puts the slice centre: the true line's hits agree on one cell whatever
    # their own ratio's error
    # (one candidate ratio at a time, with the factors and the range test tabulated per ratio
    # step: the same numbers as over an 11-row matrix, at a fraction of the memory traffic)
    lr0 = np.rint(np.log(ratio) / RATIO_GRID).astype(np.int64)
    steps = np.arange(-_LR_TABLE, _LR_TABLE + 1)
    factor = np.exp(steps * RATIO_GRID)
    in_range = np.abs(steps * RATIO_GRID) <= np.log(1 + MAX_CHANGE) + RATIO_GRID
    to_centre = centre - tq
    track_bits = track << 30
    keys = []
    for k in range(-VOTE_REACH, VOTE_REACH + 1):
        lr = lr0 + k
        rcb = np.floor((r1 + factor[lr + _LR_TABLE] * to_centre) / REF_BIN).astype(np.int64) + 64
        valid = in_range[lr + _LR_TABLE] & (rcb >= 0)
        keys.append((track_bits | ((lr + 128) << 22) | rcb)[valid])  # the fields never overlap
    key = np.concatenate(keys)
    key.sort()
    key = _dense_runs(key, min_hits)
    if key.size == 0:
        return []

    # smoothed count over neighbouring positions (a hit near a cell edge)
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    uniq, counts = key[first], np.diff(first, append=key.size)
    adjacent = uniq[1:] == uniq[:-1] + 1  # the next sorted cell is the next position
    smooth = counts.copy()
    smooth[1:] += counts[:-1] * adjacent
    smooth[:-1] += counts[1:] * adjacent
    cand = np.flatnonzero(smooth >= min_hits)
    if cand.size == 0:
        return []
    # one candidate per peak of the vote: a cell beaten by a neighbour (ratio +-1 step,
    # position +-2 cells) is that neighbour's line seen slightly off
    best = smooth[cand]

    def at_cand(values: np.ndarray, d: int) -> np.ndarray:
        """values of the cell ``d`` positions along (same track and ratio) from each candidate,
        0 where absent; looked up for the candidates only (they are few, the cells millions)."""
        nb = uniq[cand] + d
        pos = np.minimum(np.searchsorted(uniq, nb), uniq.size - 1)
        return np.where(uniq[pos] == nb, values[pos], 0)

    for dr in (-2, -1, 1, 2):  # same ratio: neighbours in the sorted cells
        nb_smooth = at_cand(smooth, dr)
        best = np.where((nb_smooth > best) | ((nb_smooth == best) & (dr < 0) & (nb_smooth > 0)), -1, best)
    for dl in (-1, 1):
        for dr in (-2, -1, 0, 1, 2):
            nb = uniq[cand] + (dl << 22) + dr
            pos = np.searchsorted(uniq, nb)
            pos_c = np.minimum(pos, uniq.size - 1)
            hit_nb = uniq[pos_c] == nb
            nb_smooth = np.where(hit_nb, smooth[pos_c], 0)
            # ties: the lower ratio/position wins
            best = np.where((nb_smooth > best) | ((nb_smooth == best) & (dl * 8 + dr < 0) & hit_nb), -1, best)
    cand = cand[best >= 0]
    cand = cand[np.argsort(-smooth[cand], kind="stable")][:MAX_CANDIDATES]
    # (a stable sort of 16-bit ids is a radix sort: the same order, several times faster)
    order = np.argsort(track.astype(np.uint16) if track.max() < (1 << 16) else track, kind="stable")
    track, tq, r1, h, end, pitch = track[order], tq[order], r1[order], h[order], end[order], pitch[order]
    bounds = np.searchsorted(track, np.unique(track))
    first_of = dict(zip(np.unique(track).tolist(), bounds.tolist(), strict=True))
    lines: list[_Line] = []
    used = np.zeros(track.size, bool)
    for c in cand:
        k = uniq[c]
        t_id, l0 = int(k >> 30), int((k >> 22) & 255) - 128
        rho0 = float(np.exp(l0 * RATIO_GRID))
        lo = first_of[t_id]
        hi = int(np.searchsorted(track, t_id, side="right"))
        free = ~used[lo:hi]
        if free.sum() < min_hits:
            continue
        tq_t, r1_t = tq[lo:hi], r1[lo:hi]
        rc0 = (int(k & ((1 << 22) - 1)) - 64 + 0.5) * REF_BIN
        a0 = rc0 - rho0 * centre
        near = free & (np.abs(r1_t - a0 - rho0 * tq_t) <= REF_BIN + FIT_TOL)
        if near.sum() < min_hits:
            continue
        rho, a, _ = _fit(tq_t[near], r1_t[near], rho0)
        # every hit of this track on the fitted line joins it (not only the voting cell's)
        on = free & (np.abs(r1_t - a - rho * tq_t) <= FIT_TOL)
        pitch_t = pitch[lo:hi]
        # the pitch says which change it is (speed: pitch = ratio; tempo: pitch = 1); hits
        # fitting the other are chance
        as_speed = np.abs(pitch_t / rho - 1) <= PITCH_TOL
        as_tempo = np.abs(pitch_t - 1) <= PITCH_TOL
        on &= as_speed if (on & as_speed).sum() >= (on & as_tempo).sum() else as_tempo
        if on.sum() < min_hits:
            continue
        used[lo:hi] |= on
        sl = slice(lo, hi)
        lines.append(_Line(t_id, rho, a, tq[sl][on], r1[sl][on], end[sl][on], h[sl][on], pitch_t[on]))
    return lines


def _join(lines: list[_Line]) -> list[_Line]:
    """Lines of one track found in different slices that are the same line, joined and
    refitted on all their hits."""
    out: list[_Line] = []
    for ln in sorted(lines, key=lambda x: (x.track, float(x.q.min()))):
        for o in reversed(out):
            if o.track != ln.track:
                out.append(ln)
                break
            # the same line if the two agree within 2 * FIT_TOL wherever either has hits (short
            # pieces pin their own ratio poorly, so a ratio difference alone says little)
            ends = np.array([min(o.q.min(), ln.q.min()), max(o.q.max(), ln.q.max())])
            gap = np.abs(o.a + o.ratio * ends - ln.a - ln.ratio * ends).max()
            if abs(o.ratio - ln.ratio) <= 0.03 and gap <= 2 * FIT_TOL:
                q, r = np.r_[o.q, ln.q], np.r_[o.r, ln.r]
                rho, a, _ = _fit(q, r, (o.ratio * o.q.size + ln.ratio * ln.q.size) / q.size)
                o.q, o.r, o.end = q, r, np.r_[o.end, ln.end]
                o.h, o.pitch = np.r_[o.h, ln.h], np.r_[o.pitch, ln.pitch]
                o.ratio, o.a = rho, a
                break
        else:  # no earlier line at all, or none of this track that is the same line
            out.append(ln)
    return out


LINE_MIN_HITS = 12  # distinct hashes on one line within LINE_WINDOW_S: a match by itself ...
LINE_WINDOW_S = 15.0
LINE_RATIO = 3.0  # ... when this many times the best other track's line over the same stretch


def _line_test(lines: list[_Line], keys: list[tuple[int, int]], packed: list[np.ndarray],
               params: MatchParams, found: list[TrackMatch]) -> list[TrackMatch]:
    """Lines that the window test missed but that are matches by themselves.

    Why: the window test asks for ``min_window_hits`` in each of two 4 s windows, which suits
    landmark pairs (~120 per second of reference). Triplets are sparser (~30 per second), so a
    speed-changed excerpt under dialogue often leaves 10-30 agreeing hashes spread over its
    length: too few per window, yet many for one line, which has to agree on track, ratio,
    offset *and* pitch at once. Such a line counts when it holds LINE_MIN_HITS distinct hashes
    within LINE_WINDOW_S and LINE_RATIO times as many as any other track's line over that
    stretch (music resembling the library agrees a little with many tracks)."""
    win = int(round(LINE_WINDOW_S / FRAME_S))
    done = {int(m.offset_frames) for m in found}
    spans = [(int(p[0] >> 6), int(p[-1] >> 6)) for p in packed]
    out: list[TrackMatch] = []
    for (track, i), p in zip(keys, packed, strict=True):
        if i in done or p.size < LINE_MIN_HITS:
            continue
        q = p >> 6
        j = np.searchsorted(q, q + win, side="right") - np.arange(q.size)
        best = int(np.argmax(j))
        if j[best] < LINE_MIN_HITS:
            continue
        lo, hi = int(q[best]), int(q[best + j[best] - 1])
        rival = params.noise_floor
        for m, ((other, _), p2) in enumerate(zip(keys, packed, strict=True)):
            if other == track or spans[m][1] < lo or spans[m][0] > hi:
                continue
            q2 = p2 >> 6
            rival = max(rival, int(np.searchsorted(q2, hi, side="right") - np.searchsorted(q2, lo)))
        if j[best] < LINE_RATIO * rival:
            continue
        # the match runs from the window outwards while the line's hits stay dense (as in
        # the window test): stray chance hits joined far off do not stretch it
        gap = max(1, int(round(params.edge_gap_s / FRAME_S)))
        a, b = best, best + int(j[best]) - 1
        while a > 0 and q[a] - q[a - 1] <= gap:
            a -= 1
        while b + 1 < q.size and q[b + 1] - q[b] <= gap:
            b += 1
        start, end = int(q[a]), int((q[a:b + 1] + (p[a:b + 1] & 63)).max()) + 1
        if (end - start) * FRAME_S < params.min_match_s:
            continue
        out.append(TrackMatch(track, i, start, end, int(p.size), confidence_for(int(p.size), (end - start) * FRAME_S)))
    return out


def match_episode_v2(index: SegmentedIndex, triplets: Triplets, params: MatchParams | None = None,
                     progress: ProgressCallback = ignore_progress,
                     cancel: CancelToken | None = None) -> list[TrackMatch]:
    """Track matches (with ratio and pitch) in the episode, non-overlapping, in time order."""
    params = params or MatchParams()
    if triplets.size == 0 or index.size == 0:
        return []
    slice_frames = int(params.slice_s / FRAME_S)
    t1 = triplets.t1
    total = int(t1.max()) + 1
    edges = np.searchsorted(t1, np.arange(0, total + slice_frames, slice_frames))
    n_slices = max(1, len(edges) - 1)
    lines: list[_Line] = []
    for i in range(n_slices):
        if cancel is not None:
            cancel.raise_if_cancelled()
        a, b = int(edges[i]), int(edges[i + 1]) if i + 1 < len(edges) else triplets.size
        if b > a:
            part = Triplets(triplets.hashes[a:b], t1[a:b], triplets.span[a:b], triplets.f1[a:b])
            lines.extend(_slice_lines(index, part, params.min_slice_hits))
        progress(Progress("Identifying", (i + 1) / n_slices))
    lines = _join(lines)
    keys: list[tuple[int, int]] = []
    packed: list[np.ndarray] = []
    for i, ln in enumerate(lines):
        # each hash value counts once per line (a held chord repeats one hash)
        _, first = np.unique(ln.h, return_index=True)
        if first.size < params.min_window_hits:
            continue
        q = np.rint(ln.q[first]).astype(np.int64)
        dur = np.clip(np.rint(ln.end[first] - ln.q[first]), 1, 63).astype(np.int64)
        keys.append((ln.track, i))
        packed.append(np.sort((np.maximum(q, 0) << 6) | dur))
    found = _accept(keys, packed, params)  # offset_frames carries the line's number here
    found = resolve_overlaps(found + _line_test(lines, keys, packed, params, found),
                             int(round(params.min_piece_s / FRAME_S)))
    out: list[TrackMatch] = []
    for m in found:
        ln = lines[int(m.offset_frames)]
        speed = np.abs(ln.pitch / ln.ratio - 1) <= PITCH_TOL
        pitch = float(np.median(ln.pitch[speed])) if speed.mean() > 0.5 else 1.0
        out.append(replace(m, offset_frames=ln.a, ratio=round(ln.ratio, 5), pitch=round(pitch, 4),
                           source="triplets"))
    return out
