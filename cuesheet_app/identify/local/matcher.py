"""Turning landmark hits into track matches: the time-offset agreement test.

For every query hash found in the index we get (episode frame, track, reference frame). A true
excerpt makes many hits share one *offset* (reference frame - episode frame, give or take one
frame of grid jitter) for one track; chance hits scatter over millions of (track, offset)
cells. We count hits per (track, offset) in overlapping windows of the episode and accept a
match only when enough hashes agree on one offset in at least two consecutive windows. The
matched span runs from the first to the last agreeing hit (the engine then refines the edges).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cuesheet_app.identify.base import CancelToken, Progress, ProgressCallback, ignore_progress
from cuesheet_app.identify.local.hash_index import HashIndex
from cuesheet_app.identify.local.spectro import FRAME_S

_OFF_BIAS = 1 << 21  # offsets are within +-2**21 frames (13 h)


@dataclass(frozen=True)
class MatchParams:
    window_s: float = 4.0  # query window
    hop_s: float = 2.0  # windows overlap by half
    min_window_hits: int = 6  # hits on one offset in a window for it to count
    ratio: float = 2.5  # ... and this many times the best other (track, offset) in the window
    noise_floor: int = 3  # rival count assumed at least this (chance agreement)
    min_windows: int = 2  # consecutive qualifying windows
    strong_hits: int = 40  # or this many hits in one window (short, clean excerpts)
    bridge_windows: int = 2  # dialogue may mask the music this many windows inside one match
    slice_s: float = 60.0  # episode processed in slices of this length (bounded memory)


@dataclass
class TrackMatch:
    track_id: int
    offset_frames: int  # reference frame = episode frame + offset
    start_frame: int  # episode frames, end exclusive
    end_frame: int
    hits: int
    confidence: float

    @property
    def start_s(self) -> float:
        return self.start_frame * FRAME_S

    @property
    def end_s(self) -> float:
        return self.end_frame * FRAME_S

    @property
    def track_offset_s(self) -> float:
        """Where in the reference track the matched span starts."""
        return (self.start_frame + self.offset_frames) * FRAME_S


def _candidates(index: HashIndex, hashes: np.ndarray, frames: np.ndarray,
                min_hits: int) -> dict[tuple[int, int], list[np.ndarray]]:
    """(track, offset) -> episode frames of agreeing hits, for offsets with >= min_hits."""
    m = index.lookup(hashes, frames)
    out: dict[tuple[int, int], list[np.ndarray]] = {}
    if m.tracks.size == 0:
        return out
    offsets = m.ref_frames - m.query_frames + _OFF_BIAS
    # Count each hash value once per (track, offset): a chord held in both the episode and a
    # reference repeats one hash at every frame and would otherwise fake a dense agreement.
    triple = (m.tracks << 42) | (offsets << 20) | m.hashes
    _, first = np.unique(triple, return_index=True)
    qf_all = m.query_frames[first]
    key = (m.tracks[first] << 32) | offsets[first]
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    # count each offset together with its two neighbours (frame-grid jitter)
    smooth = counts.copy()
    for d in (-1, 1):
        pos = np.searchsorted(uniq, uniq + d)
        pos_ok = pos < uniq.size
        hit = np.zeros(uniq.size, bool)
        hit[pos_ok] = uniq[pos[pos_ok]] == uniq[pos_ok] + d
        smooth[hit] += counts[pos[hit]]
    keep = np.flatnonzero(smooth >= min_hits)
    if keep.size == 0:
        return out
    # one representative per cluster: the local maximum of the smoothed count
    chosen: list[int] = []
    chosen_keys: set[int] = set()
    for k in keep[np.argsort(-smooth[keep], kind="stable")]:
        v = int(uniq[k])
        if any(v + d in chosen_keys for d in (-2, -1, 1, 2)):
            continue
        chosen.append(int(k))
        chosen_keys.add(v)
    cluster_of = np.full(uniq.size, -1, np.int64)
    for c in chosen:
        lo, hi = np.searchsorted(uniq, [uniq[c] - 1, uniq[c] + 2])
        cluster_of[lo:hi] = np.where(cluster_of[lo:hi] < 0, c, cluster_of[lo:hi])
    owner = cluster_of[inverse]
    sel = owner >= 0
    owners, qf = owner[sel], qf_all[sel]
    order = np.argsort(owners, kind="stable")
    owners, qf = owners[order], qf[order]
    bounds = np.flatnonzero(np.diff(owners)) + 1
    for group_owner, group_frames in zip(owners[np.r_[0, bounds]], np.split(qf, bounds), strict=True):
        k = int(uniq[group_owner])
        track, offset = k >> 32, (k & 0xFFFFFFFF) - _OFF_BIAS
        out.setdefault((track, offset), []).append(np.sort(group_frames))
    return out


def confidence_for(hits: int, seconds: float) -> float:
    """Saturating in the number of agreeing hashes, discounted when they are sparse."""
    density = hits / max(seconds, 1.0)
    c = (1.0 - np.exp(-hits / 30.0)) * min(1.0, 0.5 + density / 10.0)
    return round(float(min(0.999, max(0.0, c))), 3)


def match_episode(index: HashIndex, hashes: np.ndarray, frames: np.ndarray,
                  params: MatchParams = MatchParams(), progress: ProgressCallback = ignore_progress,
                  cancel: CancelToken | None = None) -> list[TrackMatch]:
    """Track matches in the episode, non-overlapping, in time order."""
    if hashes.size == 0 or index.size == 0:
        return []
    slice_frames = int(params.slice_s / FRAME_S)
    total = int(frames.max()) + 1
    collected: dict[tuple[int, int], list[np.ndarray]] = {}
    edges = np.searchsorted(frames, np.arange(0, total + slice_frames, slice_frames))
    n_slices = max(1, len(edges) - 1)
    for i in range(n_slices):
        if cancel is not None:
            cancel.raise_if_cancelled()
        a, b = edges[i], edges[i + 1] if i + 1 < len(edges) else hashes.size
        if b > a:
            for key, parts in _candidates(index, hashes[a:b], frames[a:b], 3).items():
                collected.setdefault(key, []).extend(parts)
        progress(Progress("Identifying", (i + 1) / n_slices))
    # offsets found one frame apart in different slices are one match
    merged: dict[tuple[int, int], list[np.ndarray]] = {}
    for (track, offset) in sorted(collected):
        target = next(((track, o) for o in (offset - 1, offset - 2) if (track, o) in merged), (track, offset))
        merged.setdefault(target, []).extend(collected[(track, offset)])
    return _accept(list(merged), [np.sort(np.concatenate(v)) for v in merged.values()], params)


def _accept(keys: list[tuple[int, int]], hits: list[np.ndarray], params: MatchParams) -> list[TrackMatch]:
    """The window test: in each window, a (track, offset) counts only when it has enough hits
    AND clearly beats every other (track, offset) in that window (``ratio``). Music that merely
    resembles library tracks agrees a little with many of them; a true excerpt agrees a lot
    with one."""
    if not keys:
        return []
    hop = max(1, int(round(params.hop_s / FRAME_S)))
    span = max(1, int(round(params.window_s / params.hop_s)))  # hops per window
    cluster = np.concatenate([np.full(h.size, i, np.int64) for i, h in enumerate(hits)])
    frames = np.concatenate(hits)
    slot = frames // hop
    # a hit in slot s is in windows s-span+1 .. s
    cw = np.concatenate([cluster * (1 << 24) + (slot - k + span) for k in range(span)])
    uniq, counts = np.unique(cw, return_counts=True)
    c_of, w_of = uniq >> 24, (uniq & ((1 << 24) - 1)) - span
    # best and runner-up count per window
    order = np.lexsort((-counts, w_of))
    w_sorted, c_sorted = w_of[order], counts[order]
    first = np.r_[True, w_sorted[1:] != w_sorted[:-1]]
    starts = np.flatnonzero(first)
    best = np.repeat(c_sorted[starts], np.diff(np.r_[starts, w_sorted.size]))
    second_idx = starts + 1
    has_second = (second_idx < w_sorted.size) & ~np.r_[first[1:], True][starts]
    second = np.where(has_second, c_sorted[np.minimum(second_idx, w_sorted.size - 1)], 0)
    second = np.repeat(second, np.diff(np.r_[starts, w_sorted.size]))
    rank0 = np.r_[first]
    rival = np.where(rank0, second, best)
    rival = np.maximum(rival, params.noise_floor)
    ok_sorted = (c_sorted >= params.min_window_hits) & (c_sorted >= params.ratio * rival)
    strong_sorted = ok_sorted & (c_sorted >= params.strong_hits)
    ok = np.zeros(uniq.size, bool)
    strong = np.zeros(uniq.size, bool)
    ok[order], strong[order] = ok_sorted, strong_sorted
    found: list[TrackMatch] = []
    for ci in np.unique(c_of[ok]):
        sel = (c_of == ci) & ok
        wins = np.sort(w_of[sel])
        is_strong = dict(zip(w_of[sel].tolist(), strong[sel].tolist(), strict=True))
        groups = np.split(wins, np.flatnonzero(np.diff(wins) > 1 + params.bridge_windows) + 1)
        for g in groups:
            consecutive = int(np.max(np.diff(np.r_[-10, np.flatnonzero(np.diff(g) != 1), g.size - 1]))) \
                if g.size > 1 else 1
            if consecutive < params.min_windows and not any(is_strong[w] for w in g.tolist()):
                continue
            lo, hi = int(g[0]) * hop, (int(g[-1]) + span) * hop
            h = hits[ci]
            inside = h[(h >= lo) & (h < hi)]
            if inside.size == 0:
                continue
            start, end = int(inside[0]), int(inside[-1]) + 1
            track, offset = keys[ci]
            found.append(TrackMatch(track, offset, start, end, int(inside.size),
                                    confidence_for(int(inside.size), (end - start) * FRAME_S)))
    return resolve_overlaps(found)


def resolve_overlaps(matches: list[TrackMatch], min_frames: int = 43) -> list[TrackMatch]:
    """Strongest first; a weaker match keeps only the parts no stronger one covers."""
    taken: list[TrackMatch] = []
    for m in sorted(matches, key=lambda m: (-m.hits, m.start_frame)):
        pieces = [(m.start_frame, m.end_frame)]
        for t in taken:
            nxt = []
            for s, e in pieces:
                if e <= t.start_frame or s >= t.end_frame:
                    nxt.append((s, e))
                    continue
                if s < t.start_frame:
                    nxt.append((s, t.start_frame))
                if e > t.end_frame:
                    nxt.append((t.end_frame, e))
            pieces = nxt
        if len(pieces) == 1 and pieces[0] == (m.start_frame, m.end_frame):
            taken.append(m)
            continue
        for s, e in pieces:
            if e - s >= min_frames:
                taken.append(TrackMatch(m.track_id, m.offset_frames, s, e, m.hits, m.confidence))
    return sorted(taken, key=lambda m: m.start_frame)
