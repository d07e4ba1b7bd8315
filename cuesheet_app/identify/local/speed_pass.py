"""The second identification pass: speed- or tempo-changed library music.

Why a second pass: the landmark pairs (the first pass) identify unchanged music under dialogue
with all their tuning (recall, zero wrong IDs, boundaries), but a speed or tempo change moves
every pair's hash. Detected music the pairs left unidentified is where a changed excerpt ends
up, so only that is searched again, which keeps the extra cost to the stretches that need it.

How, by measurement (docs/engine-v2.md, "Third slice"): the same pairs, with the episode's
peaks mapped back to where the reference holds them at candidate factors (a sparse search over
a grid, then full density where it found something). Triplet hashes (``matcher_v2``) were the
first answer; under dialogue they found far fewer excerpts than the pairs at the right factor
(three peaks must survive the speech instead of two), and adding their search to the pairs'
gained nothing at 0/-6 dB, so it is off (``TRIPLET_PASS``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cuesheet_app.identify.base import CancelToken
from cuesheet_app.identify.local.detect import Segment
from cuesheet_app.identify.local.landmarks import LEVEL_SPREAD, MAX_BIN, pair_hashes
from cuesheet_app.identify.local.matcher import (
    MatchParams,
    TrackMatch,
    match_episode,
    resolve_overlaps,
)
from cuesheet_app.identify.local.matcher_v2 import match_episode_v2
from cuesheet_app.identify.local.pair_segments import PairIndex
from cuesheet_app.identify.local.segment_index import SegmentedIndex
from cuesheet_app.identify.local.spectro import FRAME_S
from cuesheet_app.identify.local.threads import ordered_map
from cuesheet_app.identify.local.triplets import (
    QUERY_PARTNERS,
    TripletCollector,
    Triplets,
    triplet_hashes,
)

MIN_REGION_S = 3.0  # unidentified detected music shorter than this is not searched
PAD_S = 1.5  # searched this far around it (detection edges under dialogue are approximate)
BATCH_S = 300.0  # query triplets are formed and matched for this much region audio at a time
# The triplet search in the regions, beside the pairs searched at candidate factors: measured on
# the 1,000-track library (speed_pass_replay.py) it added 1 excerpt at -12 dB and none at 0/-6 dB
# for 46 s of CPU per 60-minute episode, so it is off (the index still holds the triplets).
TRIPLET_PASS = False
# The rival count the speed pass's matches must beat is at least this (the pair pass's is
# ``MatchParams.noise_floor``, 3). Why higher: the pass looks up ~60 factors over every
# unidentified region, so chance agreements get ~60 tries; with level-classed hashes its short
# decoy matches over non-library music (3-4 s, ~20 hashes) were the only wrong IDs left at
# 1,000 tracks. Measured there (docs/engine-v2.md): 1 -> 0 wrong IDs, one speed-changed excerpt
# of 30 lost on the tuning episode, none on the held-out one.
SPEED_NOISE_FLOOR = 4
Phases = list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per frame phase: (frames, bins, log levels)


def _subtract(spans: list[tuple[int, int]], cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    for cs, ce in cuts:
        nxt = []
        for a, b in spans:
            if b <= cs or a >= ce:
                nxt.append((a, b))
                continue
            if a < cs:
                nxt.append((a, cs))
            if b > ce:
                nxt.append((ce, b))
        spans = nxt
    return spans


def unidentified_regions(segments: list[Segment], matches: list[TrackMatch]) -> list[tuple[int, int]]:
    """Detected music outside the pair matches, padded, in episode frames."""
    min_len = int(round(MIN_REGION_S / FRAME_S))
    pad = int(round(PAD_S / FRAME_S))
    taken = [(m.start_frame, m.end_frame) for m in matches]
    pieces = _subtract([(s.start_frame, s.end_frame) for s in segments], taken)
    out: list[tuple[int, int]] = []
    for a, b in sorted(pieces):
        if b - a < min_len:
            continue
        a, b = max(0, a - pad), b + pad
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def region_triplets(collectors: list[TripletCollector], regions: list[tuple[int, int]]) -> Triplets:
    """Query triplets of the regions from both frame phases (the second phase's frames start
    half a hop later), sorted by anchor time."""
    parts: list[Triplets] = []
    for phase, c in enumerate(collectors):
        f, b = c.peaks()
        f = f + 0.5 * phase
        order = np.argsort(f, kind="stable")
        f, b = f[order], b[order]
        for lo, hi in regions:
            i, j = np.searchsorted(f, [lo, hi])
            if j - i >= 3:
                parts.append(triplet_hashes(f[i:j], b[i:j], QUERY_PARTNERS, c.params.fan_out))
    if not parts:
        return Triplets.empty()
    t1 = np.concatenate([p.t1 for p in parts])
    o = np.argsort(t1, kind="stable")
    return Triplets(np.concatenate([p.hashes for p in parts])[o], t1[o],
                    np.concatenate([p.span for p in parts])[o], np.concatenate([p.f1 for p in parts])[o])


def ratio_pair_matches(index: PairIndex, phases: Phases, ratio: float,
                       pitch: float, params: MatchParams, fan_out: int = 6,
                       max_bin: int = MAX_BIN, spread: float = LEVEL_SPREAD) -> list[TrackMatch]:
    """Landmark-pair matches of episode peaks played back at a candidate change.

    ``phases``: per frame phase, the episode's fine peaks (frames on the episode's grid,
    sub-frame; bins sub-bin) and their log levels. Each peak is mapped to where the reference
    would hold it (frame x ratio, bin / pitch), rounded, paired and looked up as in the pair
    pass (level classes included: a speed change keeps which peak is louder); the matches come
    back in episode frames with the model reference = a + ratio x episode."""
    hs, fs = [], []
    for f, b, y in phases:
        fi = np.rint(f * ratio).astype(np.int64)
        bi = np.rint(b / pitch).astype(np.int64)
        ok = (bi >= 1) & (bi < max_bin) & (fi >= 0)
        fi, bi, y = fi[ok], bi[ok], y[ok]
        o = np.argsort(fi * max_bin + bi, kind="stable")  # = lexsort((bi, fi)), ~10x faster
        h, t = pair_hashes(fi[o], bi[o], fan_out, y[o], spread)
        hs.append(h)
        fs.append(t)
    if not hs:
        return []
    h, t = np.concatenate(hs), np.concatenate(fs)
    o = np.argsort(t, kind="stable")
    out = []
    for m in match_episode(index, h[o], t[o], params):
        out.append(replace(m, start_frame=int(np.floor(m.start_frame / ratio)),
                           end_frame=int(np.ceil(m.end_frame / ratio)), ratio=float(ratio),
                           pitch=float(pitch), source="pairs_ratio"))
    return out


SPEED_STEP = 0.004  # log-ratio grid of speed candidates (pitch = ratio): at most 0.2 % off
TEMPO_STEP = 0.008  # ... of tempo candidates (pitch 1): only time moves, which tolerates more
SEARCH_FAN_OUT = 4  # pairs per anchor in the search over the grid ...
SEARCH_PHASES = 1  # ... of the first frame phase only
SEARCH_SPREAD = LEVEL_SPREAD  # ... with pairs near a level cut looked up in both classes
# The search's own match criteria: its rival floor and the hits a window needs. At these
# defaults they are the final ones (SPEED_NOISE_FLOOR, MatchParams.min_window_hits) and a search
# match the refinement does not find again is kept as it is; looser, the search only proposes,
# and only what the refinement finds at full density with the final criteria is kept.
SEARCH_NOISE_FLOOR = SPEED_NOISE_FLOOR
SEARCH_MIN_WINDOW_HITS = 0  # 0: MatchParams.min_window_hits
REFINE_FAN_OUT = 6  # ... and as the pair pass (both phases) where the search found a match
REFINE_STEP = 0.0013  # the refinement tries the found factor and this much either side
REFINE_PAD_S = 3.0


def pair_candidates(speed_step: float = SPEED_STEP, tempo_step: float = TEMPO_STEP, lo: float = 0.92,
                    hi: float = 1.085, skip: float = 0.006) -> list[tuple[float, float]]:
    """(ratio, pitch) candidates: speed (pitch = ratio) every ``speed_step`` and tempo (pitch
    = 1) every ``tempo_step`` in log ratio, leaving out those within ``skip`` of 1 (the pair
    pass's own)."""
    out = []
    for step, speed in ((speed_step, True), (tempo_step, False)):
        n = np.arange(int(np.floor(np.log(lo) / step)), int(np.ceil(np.log(hi) / step)) + 1)
        out += [(float(np.exp(k * step)), float(np.exp(k * step)) if speed else 1.0)
                for k in n if abs(k * step) > skip]
    return out


def _within(phases: Phases, lo: float, hi: float) -> Phases:
    out = []
    for f, b, y in phases:
        i, j = np.searchsorted(f, [lo, hi])
        out.append((f[i:j], b[i:j], y[i:j]))
    return out


def ratio_pair_search(pair_index: PairIndex, collectors: list[TripletCollector], regions: list[tuple[int, int]],
                      params: MatchParams, cancel: CancelToken | None = None) -> list[TrackMatch]:
    """Pair matches at candidate changes in the regions: a sparse search over the whole grid
    (``pair_candidates``), then each match found again at full density at its factor and
    ``REFINE_STEP`` either side (the best of the three, by agreeing hashes, is kept).

    The grid leaves out the factors next to 1 (the pair pass's own), so unchanged music that
    the pair pass left unidentified or in drifting pieces (a looping track, steady synthetic
    beats) is found at a factor nearby, 0.7-1.5 % off, and that wrong ratio then mistimes its
    edges. Each match is therefore tried at ratio 1 too, and kept at ratio 1 where that agrees
    at least as well (one match in place of drifting pieces)."""
    phases = region_peaks(collectors, regions)
    params = replace(params, noise_floor=max(params.noise_floor, SPEED_NOISE_FLOOR))
    search = replace(params, noise_floor=SEARCH_NOISE_FLOOR,
                     min_window_hits=SEARCH_MIN_WINDOW_HITS or params.min_window_hits)
    confirm = search.noise_floor < params.noise_floor or search.min_window_hits < params.min_window_hits
    min_piece = int(round(params.min_piece_s / FRAME_S))
    coarse = [m for found in ordered_map(
        lambda rp: ratio_pair_matches(pair_index, phases[:SEARCH_PHASES], rp[0], rp[1], search,
                                      SEARCH_FAN_OUT, spread=SEARCH_SPREAD),
        pair_candidates(), cancel) for m in found]
    pad = REFINE_PAD_S / FRAME_S
    return [m for best in ordered_map(lambda m: _refined(pair_index, phases, m, params, pad, confirm),
                                    resolve_overlaps(coarse, min_piece), cancel) for m in best]


def _refined(pair_index: PairIndex, phases: Phases, m: TrackMatch,
             params: MatchParams, pad: float, confirm: bool = False) -> list[TrackMatch]:
    """A coarse match found again at full density at its factor, ``REFINE_STEP`` either side
    and ratio 1: the best of them by agreeing hashes (ratio 1 wins ties), or ``m`` itself
    (nothing, with ``confirm``: the search's criteria were looser than ``params``)."""
    local = _within(phases, m.start_frame - pad, m.end_frame + pad)
    best: list[TrackMatch] = []
    factors = [m.ratio * float(np.exp(k * REFINE_STEP)) for k in (-1, 0, 1)]
    factors.append(1.0)
    for r in factors:
        p = r if m.pitch != 1.0 else 1.0
        got = [n for n in ratio_pair_matches(pair_index, local, r, p, params, REFINE_FAN_OUT)
               if n.track_id == m.track_id]
        hits, best_hits = sum(n.hits for n in got), sum(n.hits for n in best)
        if hits > best_hits or (r == 1.0 and got and hits == best_hits):
            best = got
    return best or ([] if confirm else [m])


DRIFT_GAP_S = 5.0  # pair matches of one track this close with different offsets: drifting


def drifting(matches: list[TrackMatch]) -> list[TrackMatch]:
    """Pair matches that are pieces of one tempo-changed excerpt: a change of a few per cent
    keeps enough landmark pairs within a frame to match, but one offset after another, so the
    excerpt comes out as neighbouring matches of one track at drifting offsets (with ratio 1
    and gaps between them)."""
    gap = int(round(DRIFT_GAP_S / FRAME_S))
    out = []
    for m in matches:
        for n in matches:
            if n is m or n.track_id != m.track_id or abs(n.offset_frames - m.offset_frames) < 2:
                continue
            if n.start_frame - gap <= m.end_frame and m.start_frame - gap <= n.end_frame:
                out.append(m)
                break
    return out


def region_peaks(collectors: list[TripletCollector], regions: list[tuple[int, int]]) -> Phases:
    """Per frame phase, the fine peaks inside the regions (frames in phase-0 units) and their
    log levels."""
    out = []
    for phase, c in enumerate(collectors):
        f, b = c.peaks()
        y = c.levels()
        f = f + 0.5 * phase
        keep = np.zeros(f.size, bool)
        for lo, hi in regions:
            keep |= (f >= lo) & (f < hi)
        f, b, y = f[keep], b[keep], y[keep]
        o = np.argsort(f, kind="stable")
        out.append((f[o], b[o], y[o]))
    return out


def speed_matches(index: SegmentedIndex | None, collectors: list[TripletCollector], segments: list[Segment],
                  matches: list[TrackMatch], params: MatchParams,
                  cancel: CancelToken | None = None, pair_index: PairIndex | None = None) -> list[TrackMatch]:
    """The pair matches with matches at other factors added in detected music they left
    unidentified (clipped so they never overlap a pair match), and drifting pair matches
    replaced by the changed-factor match of the same track over them (which has the ratio).
    ``pair_index``: the library's pair index (without it only ``TRIPLET_PASS`` could search);
    ``index``: the triplet index, read only by ``TRIPLET_PASS`` (None while that is off)."""
    drift = drifting(matches)
    steady = [m for m in matches if all(m is not d for d in drift)]
    regions = unidentified_regions(segments, steady)
    # (the pairs at candidate factors need only the pair index: an empty triplet index must
    # not switch them off)
    searchable = (TRIPLET_PASS and index is not None and index.size > 0) or (pair_index is not None and pair_index.size > 0)
    if not regions or not searchable:
        return matches
    # regions in batches of at most BATCH_S of audio: the query triplets of a 2-hour episode
    # of unidentified music would otherwise be held all at once (a region is never split)
    found: list[TrackMatch] = []
    batch: list[tuple[int, int]] = []
    limit = int(round(BATCH_S / FRAME_S))
    for k, region in enumerate(regions):
        batch.append(region)
        if sum(b - a for a, b in batch) >= limit or k == len(regions) - 1:
            if TRIPLET_PASS and index is not None:
                found += match_episode_v2(index, region_triplets(collectors, batch), params, cancel=cancel)
            if pair_index is not None:
                found += ratio_pair_search(pair_index, collectors, batch, params, cancel)
            batch = []
    found = resolve_overlaps(found, int(round(params.min_piece_s / FRAME_S)))
    replaced = [d for d in drift if any(f.track_id == d.track_id and f.start_frame < d.end_frame
                                        and d.start_frame < f.end_frame for f in found)]
    kept = steady + [d for d in drift if all(d is not r for r in replaced)]
    min_piece = int(round(params.min_piece_s / FRAME_S))
    taken = [(m.start_frame, m.end_frame) for m in kept]
    out: list[TrackMatch] = []
    for m in found:
        for a, b in _subtract([(m.start_frame, m.end_frame)], taken):
            if b - a >= min_piece:
                out.append(replace(m, start_frame=a, end_frame=b))
    return sorted(kept + out, key=lambda m: m.start_frame)
