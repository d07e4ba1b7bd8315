"""Merging index segments changes nothing a lookup sees: same live postings, dead ones dropped.

Both indexes (landmark pairs and triplets) append a segment per add and merge the smallest
when there are too many; a re-indexed track's older postings are dead (the newest segment
holding a track is its live one) and a removed track's are skipped. Small random segments.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.identify.local.pair_segments import (
    PairIndex,
    append_pair_segment,
    merge_pair_segments,
)
from cuesheet_app.identify.local.pair_segments import read_manifest as pair_manifest
from cuesheet_app.identify.local.segment_index import (
    SegmentedIndex,
    append_segment,
    merge_segments,
    read_manifest,
)
from cuesheet_app.identify.local.triplets import Triplets

ADDS = [[1, 2], [3], [4, 5], [2], [6], [7], [8], [3, 9]]  # tracks 2 and 3 re-indexed later
LIVE = {1, 2, 3, 4, 5, 6, 7, 8}  # 9 removed


def _pairs(rng: np.random.Generator, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 64, n).astype(np.uint32), np.sort(rng.integers(0, 5000, n)).astype(np.uint32)


def _pair_hits(index: PairIndex, hashes: np.ndarray) -> list[tuple[int, int, int, int]]:
    m = index.lookup(hashes, np.arange(hashes.size))
    return sorted(zip(m.query_frames.tolist(), m.tracks.tolist(), m.ref_frames.tolist(), m.hashes.tolist(),
                      strict=True))


def test_merging_pair_segments_keeps_every_live_hit(tmp_path):
    rng = np.random.default_rng(3)
    for tracks in ADDS:
        append_pair_segment(tmp_path, [(t, *_pairs(rng)) for t in tracks])
    query = np.arange(64, dtype=np.int64)
    before = _pair_hits(PairIndex(tmp_path, LIVE), query)
    assert {t for _, t, _, _ in before} == LIVE
    # only segments whose tracks are all live in them skip the per-posting liveness test:
    # [1, 2] (2 re-indexed later), [3] (re-indexed) and [3, 9] (9 removed) must not
    assert PairIndex(tmp_path, LIVE).all_live == [False, False, True, True, True, True, True, False]

    merged = merge_pair_segments(tmp_path, LIVE, max_segments=3)

    assert merged == len(ADDS) - 3 + 1 and len(pair_manifest(tmp_path)) == 3
    assert sorted(p.name for p in tmp_path.glob("pseg-*")) == sorted(s["name"] for s in pair_manifest(tmp_path))
    assert _pair_hits(PairIndex(tmp_path, LIVE), query) == before


def _triplets(rng: np.random.Generator, n: int = 300) -> Triplets:
    return Triplets(hashes=rng.integers(0, 64, n).astype(np.uint32),
                    t1=np.sort(rng.integers(0, 5000, n)).astype(np.float32),
                    span=rng.integers(1, 100, n).astype(np.float32), f1=rng.integers(0, 200, n).astype(np.float32))


def _triplet_hits(index: SegmentedIndex, hashes: np.ndarray) -> list[tuple[float, ...]]:
    h = index.lookup(hashes, np.arange(hashes.size))
    return sorted(zip(h.query.tolist(), h.tracks.tolist(), h.t1.tolist(), h.span.tolist(), h.f1.tolist(),
                      strict=True))


def test_merging_triplet_segments_keeps_every_live_hit(tmp_path):
    rng = np.random.default_rng(4)
    for tracks in ADDS:
        append_segment(tmp_path, [(t, _triplets(rng)) for t in tracks])
    query = np.arange(64, dtype=np.uint32)
    before = _triplet_hits(SegmentedIndex(tmp_path, LIVE), query)
    assert {int(t) for _, t, _, _, _ in before} == LIVE

    merged = merge_segments(tmp_path, LIVE, max_segments=3)

    assert merged == len(ADDS) - 3 + 1 and len(read_manifest(tmp_path)["segments"]) == 3
    assert sorted(p.name for p in tmp_path.glob("seg-*")) == sorted(s["name"] for s in read_manifest(tmp_path)["segments"])
    assert _triplet_hits(SegmentedIndex(tmp_path, LIVE), query) == before
    assert merge_segments(tmp_path, LIVE, everything=True) == 3
    assert _triplet_hits(SegmentedIndex(tmp_path, LIVE), query) == before
    assert SegmentedIndex(tmp_path, LIVE).all_live == [True]  # the merge dropped every dead posting


def test_the_posting_cap_grows_with_the_square_root_of_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hash with more postings than the base cap is still looked up in a large index (its
    evidence would otherwise be lost as the library grows), and ignored in a small one."""
    from cuesheet_app.identify.local import pair_segments as ps

    assert ps.posting_cap(0) == ps.MAX_POSTINGS
    assert ps.posting_cap(ps.CAP_REFERENCE_POSTINGS) == ps.MAX_POSTINGS
    assert ps.posting_cap(4 * ps.CAP_REFERENCE_POSTINGS) == 2 * ps.MAX_POSTINGS
    common = 7
    n_tracks = ps.MAX_POSTINGS + 50  # one posting of the common hash in each
    parts = [(t, np.array([common, 1000 + t], np.uint32), np.array([10, 20], np.uint32)) for t in range(n_tracks)]
    append_pair_segment(tmp_path, parts)
    query = (np.array([common], np.int64), np.array([5], np.int64))
    small = PairIndex(tmp_path, set(range(n_tracks)))
    assert small.max_postings == ps.MAX_POSTINGS and small.lookup(*query).tracks.size == 0
    monkeypatch.setattr(ps, "CAP_REFERENCE_POSTINGS", small.size // 4)  # the same index counts as large
    large = PairIndex(tmp_path, set(range(n_tracks)))
    assert large.max_postings == 2 * ps.MAX_POSTINGS
    assert large.lookup(*query).tracks.size == n_tracks
