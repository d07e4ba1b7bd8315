"""Turning landmark hits into track matches: the time-offset agreement test.

For every query hash found in the index we get (episode frame, track, reference frame). A true
excerpt makes many hits share one *offset* (reference frame - episode frame, give or take one
frame of grid jitter) for one track; chance hits scatter over millions of (track, offset)
cells. We count hits per (track, offset) in overlapping windows of the episode and accept a
match only when enough hashes agree on one offset in at least two consecutive windows. The
matched span runs from the first to the last agreeing hit (the engine then refines the edges).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cuesheet_app.identify.base import CancelToken, Progress, ProgressCallback, ignore_progress
from cuesheet_app.identify.local.landmarks import SHAPE_BITS, SHAPE_MASK
from cuesheet_app.identify.local.pair_segments import PairIndex
from cuesheet_app.identify.local.spectro import FRAME_S
from cuesheet_app.identify.local.threads import ordered_map

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
    min_slice_hits: int = 5  # a (track, offset) needs this many hits in a slice to be kept
    edge_gap_s: float = 3.0  # a match's edges extend through hits at most this far apart
    min_match_s: float = 2.5  # shorter matches are dropped (shared loops between library tracks)
    min_piece_s: float = 3.0  # what a weaker match keeps beside a stronger one, at least
    slice_s: float = 20.0  # episode processed in slices of this length (bounded memory)


@dataclass
class TrackMatch:
    """One identified excerpt. The offset model: reference frame = offset + ratio × episode
    frame (ratio > 1: the episode plays the reference faster, e.g. 25/24 for film on a 25 fps
    channel); ``pitch`` is the frequency factor (= ratio for a speed change, 1 for a tempo
    change with the pitch kept)."""

    track_id: int
    offset_frames: float  # reference frame at episode frame 0
    start_frame: int  # episode frames, end exclusive
    end_frame: int
    hits: int
    confidence: float
    ratio: float = 1.0
    pitch: float = 1.0
    source: str = "pairs"  # which fingerprint found it: "pairs" (landmarks) or "triplets"

    def to_reference(self, frame: float) -> float:
        """Reference frame playing at this episode frame."""
        return self.offset_frames + self.ratio * frame

    def to_episode(self, ref_frame: float) -> float:
        """Episode frame where this reference frame plays."""
        return (ref_frame - self.offset_frames) / self.ratio

    @property
    def start_s(self) -> float:
        return self.start_frame * FRAME_S

    @property
    def end_s(self) -> float:
        return self.end_frame * FRAME_S

    @property
    def track_offset_s(self) -> float:
        """Where in the reference track the matched span starts."""
        return self.to_reference(self.start_frame) * FRAME_S


def _possible_cells(key: np.ndarray, min_hits: int) -> np.ndarray:
    """Per hit, whether its (track, offset) cell can matter to ``_candidates``: an exact filter.

    Why: almost every raw hit is chance, alone in its cell, and the de-duplication below sorts
    (track, offset, hash) triples with a stable sort, the most expensive step of the pair pass
    (it grows with the library). Counting hits per cell *with* repeated hashes is one unstable
    sort of the cell keys and gives an upper bound of the de-duplicated count, so a cell whose
    bounded smoothed count (itself and its neighbours ±1) stays under ``min_hits`` can never be
    a cluster centre. A centre's test reads the counts up to two cells away and a hit joins a
    centre one cell away, so every cell within 2 of a possible centre is kept whole: the
    de-duplication and the centre test then see exactly the counts they saw before.
    Cheaply, because nearly every hit is alone: the keys are sorted by value (no permutation, a
    vectorised sort ~3x an argsort's speed); a centre's three cells hold ``min_hits`` keys
    spanning at most 2, so only runs of ``min_hits`` sorted keys that close together can give
    one (each run's first key is within 1 of it); those few candidates are counted exactly, and
    each hit then looks its cell up among the kept ones (cells within 2 of a centre).
    """
    if min_hits <= 1:  # every cell is a centre
        return np.ones(key.size, bool)
    s = np.sort(key)
    k = min_hits - 1
    runs = np.flatnonzero(s[k:] - s[:-k] <= 2)
    if runs.size == 0:
        return np.zeros(key.size, bool)
    cand = np.unique(s[runs][:, None] + np.arange(-1, 2))

    def count(v: np.ndarray) -> np.ndarray:
        return np.searchsorted(s, v, side="right") - np.searchsorted(s, v, side="left")

    # a centre is a cell (it has hits) whose smoothed count (itself and ±1) reaches min_hits
    here = count(cand)
    centres = cand[(here > 0) & (here + count(cand - 1) + count(cand + 1) >= min_hits)]
    if centres.size == 0:
        return np.zeros(key.size, bool)
    kept = np.unique(centres[:, None] + np.arange(-2, 3))
    # only hits of a track that has a kept cell can be in one: a table over the track ids
    # finds those few (one gather per hit) before the binary search
    tracks = key >> 32
    kept_tracks = kept >> 32
    table = np.zeros(int(kept_tracks[-1]) + 1, bool)
    table[kept_tracks] = True
    maybe = np.flatnonzero(table[np.minimum(tracks, table.size - 1)] & (tracks < table.size))
    out = np.zeros(key.size, bool)
    pos = np.minimum(np.searchsorted(kept, key[maybe]), kept.size - 1)
    out[maybe] = kept[pos] == key[maybe]
    return out


def _candidates(index: PairIndex, hashes: np.ndarray, frames: np.ndarray,
                min_hits: int) -> tuple[np.ndarray, np.ndarray]:
    """Hits of the (track, offset) cells with >= min_hits agreeing hashes (±1 frame).

    Returns (cell key = track << 32 | biased offset, episode frame << 6 | pair frame step) per
    hit, vectorised: an hour of episode against a thousand tracks yields tens of millions of
    raw hits.
    """
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    h, q_all = np.asarray(hashes, np.int64), np.asarray(frames, np.int64)
    parts = []
    for rows, tracks, ref in index.hit_parts(h):  # per segment: a cell's hits are all in one
        offsets = ref - q_all[rows] + _OFF_BIAS
        keep = _possible_cells((tracks << 32) | offsets, min_hits)
        if keep.any():
            r = rows[keep]
            parts.append((q_all[r], tracks[keep], offsets[keep], h[r]))
    if not parts:
        return empty
    qf_hit, tracks, offsets, hashes_hit = (np.concatenate([p[k] for p in parts]) for k in range(4))
    # Count each hash value once per (track, offset): a chord held in both the episode and a
    # reference repeats one hash at every frame and would otherwise fake a dense agreement. By
    # its shape: a query pair near a level cut is looked up in two classes, but is one pair.
    triple = (tracks << 42) | (offsets << SHAPE_BITS) | (hashes_hit & SHAPE_MASK)
    _, first = np.unique(triple, return_index=True)
    # a hit remembers where its landmark pair ends (anchor + frame step) for the match's end
    qf = (qf_hit[first] << 6) | (hashes_hit[first] & 63)
    key = (tracks[first] << 32) | offsets[first]
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)

    def shifted(d: int) -> np.ndarray:
        pos = np.searchsorted(uniq, uniq + d)
        ok = pos < uniq.size
        ok[ok] = uniq[pos[ok]] == uniq[ok] + d
        out = np.zeros(uniq.size, counts.dtype)
        out[ok] = counts[pos[ok]]
        return out

    left, right = shifted(-1), shifted(1)
    smooth = counts + left + right
    # cluster centres: local maxima of the smoothed count (ties go to the lower offset)
    smooth_left = np.r_[0, smooth[:-1]] * (left > 0)
    smooth_right = np.r_[smooth[1:], 0] * (right > 0)
    centre = (smooth >= min_hits) & (smooth > smooth_left) & (smooth >= smooth_right)
    centres = uniq[centre]
    if centres.size == 0:
        return empty
    owner = np.full(uniq.size, -1, np.int64)
    for d in (0, -1, 1):
        pos = np.searchsorted(centres, uniq + d)
        ok = (pos < centres.size) & (owner < 0)
        ok[ok] = centres[pos[ok]] == uniq[ok] + d
        owner[ok] = centres[pos[ok]]
    hit_owner = owner[inverse]
    sel = hit_owner >= 0
    return hit_owner[sel], qf[sel]


def confidence_for(hits: int, seconds: float) -> float:
    """Saturating in the number of agreeing hashes, discounted when they are sparse."""
    density = hits / max(seconds, 1.0)
    c = (1.0 - np.exp(-hits / 30.0)) * min(1.0, 0.5 + density / 10.0)
    return round(float(min(0.999, max(0.0, c))), 3)


def match_episode(index: PairIndex, hashes: np.ndarray, frames: np.ndarray,
                  params: MatchParams = MatchParams(), progress: ProgressCallback = ignore_progress,
                  cancel: CancelToken | None = None, threads: int | None = 1) -> list[TrackMatch]:
    """Track matches in the episode, non-overlapping, in time order. ``threads``: slices
    looked up at once (None: ``threads.THREADS``; the speed pass runs its own calls side by
    side instead)."""
    if hashes.size == 0 or index.size == 0:
        return []
    slice_frames = int(params.slice_s / FRAME_S)
    total = int(frames.max()) + 1
    keys: list[np.ndarray] = []
    hit_frames: list[np.ndarray] = []
    edges = np.searchsorted(frames, np.arange(0, total + slice_frames, slice_frames))
    n_slices = max(1, len(edges) - 1)
    bounds = [(int(edges[i]), int(edges[i + 1]) if i + 1 < len(edges) else hashes.size) for i in range(n_slices)]

    def one_slice(ab: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
        a, b = ab
        return _candidates(index, hashes[a:b], frames[a:b], params.min_slice_hits) if b > a else None

    for i, got in enumerate(ordered_map(one_slice, bounds, cancel, threads)):
        if got is not None:
            keys.append(got[0])
            hit_frames.append(got[1])
        progress(Progress("Identifying", (i + 1) / n_slices))
    if not keys:
        return []
    key, hit = np.concatenate(keys), np.concatenate(hit_frames)
    if key.size == 0:
        return []
    # offsets found a frame or two apart in different slices are one match
    order = np.lexsort((hit, key))
    key, hit = key[order], hit[order]
    ukeys = np.unique(key)
    # join a key to the cluster whose FIRST key is at most 2 frames lower (never chain: a run of
    # chance keys one frame apart must not become one giant "match")
    new_cluster = np.ones(ukeys.size, bool)
    anchor = None
    for i, k in enumerate(ukeys.tolist()):
        if anchor is not None and k - anchor <= 2 and (k >> 32) == (anchor >> 32):
            new_cluster[i] = False
        else:
            anchor = k
    cluster_of_ukey = np.cumsum(new_cluster) - 1
    cluster = cluster_of_ukey[np.searchsorted(ukeys, key)]
    cluster_key = ukeys[new_cluster]
    cluster_sizes = np.bincount(cluster)
    good = np.flatnonzero(cluster_sizes >= params.min_window_hits)
    ends = np.cumsum(cluster_sizes)  # a cluster's hits are hit[end - size:end] (only good ones are cut)
    keys_out = [(int(cluster_key[c] >> 32), int((cluster_key[c] & 0xFFFFFFFF) - _OFF_BIAS)) for c in good]
    return _accept(keys_out, [np.sort(hit[ends[c] - cluster_sizes[c]:ends[c]]) for c in good], params)


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
    frames = np.concatenate(hits) >> 6
    slot = frames // hop
    # a hit in slot s is in windows s-span+1 .. s
    cw = np.concatenate([cluster * (1 << 24) + (slot - k + span) for k in range(span)])
    uniq, counts = np.unique(cw, return_counts=True)
    c_of, w_of = uniq >> 24, (uniq & ((1 << 24) - 1)) - span
    # the strongest OTHER track in each window: repeats of one track at other offsets (loops,
    # choruses) say nothing against that track
    track_of = np.array([k[0] for k in keys], np.int64)[c_of]
    order = np.lexsort((-counts, track_of, w_of))
    w_s, t_s, n_s = w_of[order], track_of[order], counts[order]
    first_wt = np.r_[True, (w_s[1:] != w_s[:-1]) | (t_s[1:] != t_s[:-1])]
    bw, bt, bn = w_s[first_wt], t_s[first_wt], n_s[first_wt]  # best count per (window, track)
    o2 = np.lexsort((-bn, bw))
    bw, bt, bn = bw[o2], bt[o2], bn[o2]
    first_w = np.r_[True, bw[1:] != bw[:-1]]
    starts = np.flatnonzero(first_w)
    top1_t, top1_n = bt[starts], bn[starts]
    nxt = starts + 1
    has2 = nxt < bw.size
    has2[has2] = bw[nxt[has2]] == bw[starts[has2]]
    top2_n = np.where(has2, bn[np.minimum(nxt, bw.size - 1)], 0)
    win_index = np.searchsorted(bw[starts], w_of)
    rival = np.where(top1_t[win_index] == track_of, top2_n[win_index], top1_n[win_index])
    rival = np.maximum(rival, params.noise_floor)
    ok = (counts >= params.min_window_hits) & (counts >= params.ratio * rival)
    strong = ok & (counts >= params.strong_hits)
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
            packed = hits[ci]
            h = packed >> 6
            core = np.flatnonzero((h >= lo) & (h < hi))
            if core.size == 0:
                continue
            # the windows at the edges may not qualify on their own: walk outwards through
            # this offset's hits while they stay dense (gaps under ``edge_gap_s``)
            gap = max(1, int(round(params.edge_gap_s / FRAME_S)))
            a, b = int(core[0]), int(core[-1])
            while a > 0 and h[a] - h[a - 1] <= gap:
                a -= 1
            while b + 1 < h.size and h[b + 1] - h[b] <= gap:
                b += 1
            start = int(h[a])
            end = int(((packed[a:b + 1] >> 6) + (packed[a:b + 1] & 63)).max()) + 1
            n_hits = b - a + 1
            track, offset = keys[ci]
            found.append(TrackMatch(track, offset, start, end, n_hits,
                                    confidence_for(n_hits, (end - start) * FRAME_S)))
    return [m for m in resolve_overlaps(found, int(round(params.min_piece_s / FRAME_S)))
            if (m.end_frame - m.start_frame) * FRAME_S >= params.min_match_s]


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
                taken.append(replace(m, start_frame=s, end_frame=e))
    return sorted(taken, key=lambda m: m.start_frame)
