"""The pair pass's exact pre-filter: dropping hits that cannot matter changes nothing.

``matcher._possible_cells`` drops hits whose (track, offset) cell can never be (or join) a
cluster centre, to spare the expensive de-duplication most of the raw hits. These tests build
raw hits with planted excerpts, repeated hashes (which the bound counts but the de-duplication
does not), neighbouring offsets up to two cells away and chance hits, and check that the
candidates come out exactly as without the filter.
"""

from __future__ import annotations

import numpy as np
import pytest

from cuesheet_app.identify.local import matcher
from cuesheet_app.identify.local.hash_index import Matches


class _FakeIndex:
    """Returns the planted raw hits, query row ``i`` meeting posting ``i`` (the lookup is not
    under test here): the query's hashes and frames are ``m.hashes`` and ``m.query_frames``."""

    def __init__(self, m: Matches) -> None:
        self.m = m

    def hit_parts(self, hashes: np.ndarray):  # type: ignore[no-untyped-def]
        yield np.arange(self.m.tracks.size), self.m.tracks, self.m.ref_frames


def _raw_hits(seed: int) -> Matches:
    rng = np.random.default_rng(seed)
    qf, tr, rf, hh = [], [], [], []
    # chance: hits scattered over many (track, offset) cells
    n = 20_000
    qf.append(rng.integers(0, 862, n))
    tr.append(rng.integers(1, 60, n))
    rf.append(rng.integers(0, 3000, n))
    hh.append(rng.integers(0, 1 << 20, n))
    # planted excerpts: one offset, with jitter of +-1 and +-2 frames, some hashes repeated
    for track in range(1, 40):
        k = int(rng.integers(2, 12))
        q = rng.integers(0, 862, k)
        off = int(rng.integers(0, 2000))
        jitter = rng.choice([-2, -1, 0, 0, 0, 1, 2], k)
        h = rng.integers(0, 1 << 20, k)
        h[: k // 3] = h[0]  # a held chord: one hash again and again on one offset
        qf.append(q)
        tr.append(np.full(k, track))
        rf.append(q + off + jitter)
        hh.append(h)
    order = np.argsort(np.concatenate(qf), kind="stable")
    cat = [np.concatenate(x).astype(np.int64)[order] for x in (qf, tr, rf, hh)]
    return Matches(*cat)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("min_hits", [3, 5])
def test_filter_keeps_the_candidates_exactly(seed: int, min_hits: int, monkeypatch: pytest.MonkeyPatch) -> None:
    index = _FakeIndex(_raw_hits(seed))
    m = index.m
    keys, frames = matcher._candidates(index, m.hashes, m.query_frames, min_hits)  # type: ignore[arg-type]
    assert keys.size > 0
    # some raw hits really are dropped, or the test proves nothing
    kept = matcher._possible_cells((m.tracks << 32) | (m.ref_frames - m.query_frames + (1 << 21)), min_hits)
    assert 0 < kept.sum() < kept.size // 2
    monkeypatch.setattr(matcher, "_possible_cells", lambda key, _n: np.ones(key.size, bool))
    ref_keys, ref_frames = matcher._candidates(index, m.hashes, m.query_frames, min_hits)  # type: ignore[arg-type]
    np.testing.assert_array_equal(keys, ref_keys)
    np.testing.assert_array_equal(frames, ref_frames)


def test_filter_bound_counts_repeats_so_it_never_drops_a_centre() -> None:
    # five hits on one cell but all one hash: de-duplicated it is 1 (no centre); a cell two
    # offsets away with 4 distinct hashes and its neighbour with 1 make a centre of 5
    t = 7
    key = np.array([(t << 32) | 100] * 5 + [(t << 32) | 102] * 4 + [(t << 32) | 103] + [(t << 32) | 500],
                   np.int64)
    keep = matcher._possible_cells(key, 5)
    assert keep[:10].all()  # everything within two cells of a possible centre
    assert not keep[10]  # a lone chance hit


def test_filter_keeps_the_cells_two_offsets_from_a_possible_centre_and_no_further() -> None:
    """A centre's test reads the smoothed counts of its neighbours, which read two cells away:
    lone hits 2 cells from a possible centre stay, 3 cells away they go (the test above cannot
    tell: each of its cells is a possible centre by itself)."""
    t = 3
    cells = [100] * 5 + [98, 102, 97, 103]
    keep = matcher._possible_cells(np.array([(t << 32) | c for c in cells], np.int64), 5)
    assert keep[:7].all()  # the centre and the cells two away
    assert not keep[7:].any()  # three away


def test_filtering_each_segment_apart_keeps_the_candidates_exactly(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The filter runs on one index segment's hits at a time (before anything is joined): a
    real multi-segment index, re-indexed and removed tracks included, gives the same candidates
    as with no filter at all."""
    from cuesheet_app.identify.local.pair_segments import PairIndex, append_pair_segment

    rng = np.random.default_rng(11)
    refs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for tracks in [[1, 2], [3], [4, 5], [2], [6], [3, 9]]:  # 2 and 3 re-indexed, 9 removed below
        part = []
        for t in tracks:
            refs[t] = (rng.integers(0, 256, 400).astype(np.uint32), np.sort(rng.integers(0, 4000, 400)).astype(np.uint32))
            part.append((t, *refs[t]))
        append_pair_segment(tmp_path, part)
    index = PairIndex(tmp_path, {1, 2, 3, 4, 5, 6})
    # the query plays pieces of tracks 2 (its live copy), 4 and 9 (removed) at their own offsets
    hs, fs = [], []
    for t, off in ((2, 300), (4, 1200), (9, 50)):
        h, f = refs[t]
        sel = slice(100, 160)
        hs.append(h[sel].astype(np.int64))
        fs.append(f[sel].astype(np.int64) - off)
    hashes, frames = np.concatenate(hs), np.concatenate(fs)
    order = np.argsort(frames, kind="stable")
    hashes, frames = hashes[order], frames[order] - frames.min()
    keys, hit_frames = matcher._candidates(index, hashes, frames, 4)  # type: ignore[arg-type]
    assert set((keys >> 32).tolist()) >= {2, 4} and 9 not in set((keys >> 32).tolist())
    monkeypatch.setattr(matcher, "_possible_cells", lambda key, _n: np.ones(key.size, bool))
    ref_keys, ref_frames = matcher._candidates(index, hashes, frames, 4)  # type: ignore[arg-type]
    np.testing.assert_array_equal(keys, ref_keys)
    np.testing.assert_array_equal(hit_frames, ref_frames)


@pytest.mark.parametrize("seed", range(4))
def test_expand_ranges_matches_the_plain_definition(seed: int) -> None:
    """Every (row, position) of the ranges, empty ranges first, last and between included."""
    from cuesheet_app.identify.local.hash_index import expand_ranges

    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 4, 50)
    counts[[0, -1]] = 0
    starts = rng.integers(0, 1000, 50)
    rows, pos = expand_ranges(starts, counts)
    want_rows = np.concatenate([np.full(n, i) for i, n in enumerate(counts)])
    want_pos = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, counts, strict=True)])
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(pos, want_pos)
    assert expand_ranges(starts, np.zeros(50, np.int64))[1].size == 0
    one_rows, one_pos = expand_ranges(np.array([7]), np.array([3]))
    assert one_rows.tolist() == [0, 0, 0] and one_pos.tolist() == [7, 8, 9]
