"""The second identification pass: speed- or tempo-changed library music, by triplets.

Why a second pass and not a replacement: measured on 20 real tracks under espeak-ng speech
(benchmarks/local_engine/speed_experiment.py, docs/local-engine.md), triplet hashes find
every excerpt at any ratio when the music is clean, but under dialogue they find fewer than
landmark pairs do at the original speed (three peaks must survive the speech instead of two).
So the pairs keep identifying unchanged music, with all their tuning (recall under dialogue,
zero wrong IDs, boundaries), and the triplets look only at detected music the pairs left
unidentified: that is where a speed-changed excerpt ends up, and it keeps the extra query
cost to the stretches that need it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cuesheet_app.identify.base import CancelToken
from cuesheet_app.identify.local.detect import Segment
from cuesheet_app.identify.local.matcher import MatchParams, TrackMatch
from cuesheet_app.identify.local.matcher_v2 import match_episode_v2
from cuesheet_app.identify.local.segment_index import SegmentedIndex
from cuesheet_app.identify.local.spectro import FRAME_S
from cuesheet_app.identify.local.triplets import (
    QUERY_PARTNERS,
    TripletCollector,
    Triplets,
    triplet_hashes,
)

MIN_REGION_S = 3.0  # unidentified detected music shorter than this is not searched
PAD_S = 1.5  # searched this far around it (detection edges under dialogue are approximate)
BATCH_S = 300.0  # query triplets are formed and matched for this much region audio at a time


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


def speed_matches(index: SegmentedIndex, collectors: list[TripletCollector], segments: list[Segment],
                  matches: list[TrackMatch], params: MatchParams,
                  cancel: CancelToken | None = None) -> list[TrackMatch]:
    """The pair matches with triplet matches added in detected music they left unidentified
    (clipped so they never overlap a pair match), and drifting pair matches replaced by the
    triplet match of the same track over them (which has the ratio)."""
    drift = drifting(matches)
    steady = [m for m in matches if all(m is not d for d in drift)]
    regions = unidentified_regions(segments, steady)
    if not regions or index.size == 0:
        return matches
    # regions in batches of at most BATCH_S of audio: the query triplets of a 2-hour episode
    # of unidentified music would otherwise be held all at once (a region is never split)
    found: list[TrackMatch] = []
    batch: list[tuple[int, int]] = []
    limit = int(round(BATCH_S / FRAME_S))
    for k, region in enumerate(regions):
        batch.append(region)
        if sum(b - a for a, b in batch) >= limit or k == len(regions) - 1:
            found += match_episode_v2(index, region_triplets(collectors, batch), params, cancel=cancel)
            batch = []
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
