"""Hashes far over the posting cap are held back: counted, not stored (at 20,000 tracks they were
19 % of the pair index's bytes, and the cap made sure they were never read). Lookups must give
exactly the hits an index without holding gives, the cap must stay what it was, merges must keep
them held, and a track whose every posting is held must still count as indexed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.hash_index import MAX_POSTINGS
from cuesheet_app.identify.local.pair_segments import (
    HOLD_FACTOR,
    N_HASHES,
    PairIndex,
    append_pair_segment,
    merge_pair_segments,
    write_pair_segment,
)

COMMON, NEAR_CAP = 777, 4242  # held (1,200 postings > 1.5 x 200) / over the cap but not held (280)


def _parts(first: int, n_tracks: int, seed: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    parts = []
    for tid in range(first, first + n_tracks):
        h = rng.integers(0, N_HASHES, 3_000).astype(np.uint32)
        h[:120] = COMMON
        h[120:134] = NEAR_CAP
        parts.append((tid, h, np.sort(rng.integers(0, 50_000, h.size)).astype(np.uint32)))
    return parts


def _hits(index: PairIndex, query: np.ndarray) -> list[tuple[int, int, int]]:
    m = index.lookup(query, np.arange(query.size))
    return sorted(zip(m.query_frames.tolist(), m.tracks.tolist(), m.ref_frames.tolist(), strict=True))


def test_held_hashes_are_not_stored_and_lookups_are_unchanged(tmp_path: Path) -> None:
    first, second = _parts(1, 10, 3), _parts(11, 10, 4)
    plain = tmp_path / "plain"  # every posting stored, one segment per batch, as written before
    plain.mkdir()
    for i, parts in enumerate((first, second)):
        write_pair_segment(plain / f"pseg-{i}", parts)
    (plain / "segments.json").write_text(
        '{"format": 4, "segments": [{"name": "pseg-0", "postings": 30000, "tracks": 10}, '
        '{"name": "pseg-1", "postings": 30000, "tracks": 10}]}')
    held = tmp_path / "held"
    append_pair_segment(held, first)
    append_pair_segment(held, second)
    a, b = PairIndex(plain), PairIndex(held)
    assert a.size == b.size == 60_000 and a.max_postings == b.max_postings == MAX_POSTINGS
    assert b.held[COMMON] and not b.held[NEAR_CAP] and int(b.held.sum()) == 1
    assert sum(seg.size for seg in b.segments) == 60_000 - 2_400  # the common hash's postings
    rng = np.random.default_rng(9)
    query = np.r_[COMMON, NEAR_CAP, first[2][1][150:900], second[5][1][150:900],
                  rng.integers(0, N_HASHES, 2_000)].astype(np.int64)
    hits = _hits(b, query)
    assert hits == _hits(a, query) and len(hits) > 1_500
    assert not any(q in (0, 1) for q, _, _ in hits)  # the common hashes found nothing, as before


def test_merges_keep_held_hashes_held_and_counted(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    batches = [_parts(1 + 5 * k, 5, 20 + k) for k in range(4)]
    for parts in batches:
        append_pair_segment(folder, parts)
    before = PairIndex(folder)
    query = np.r_[COMMON, batches[1][2][1][150:600]].astype(np.int64)
    hits = _hits(before, query)
    assert merge_pair_segments(folder, set(range(1, 21)), max_segments=1) == 4
    after = PairIndex(folder)
    assert len(after.segments) == 1 and after.size == before.size == 60_000
    assert after.held[COMMON] and _hits(after, query) == hits
    assert after.segments[0].held.tolist() == [[COMMON, 2_400]]


def test_a_track_whose_every_posting_is_held_is_still_covered(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    append_pair_segment(folder, _parts(1, 10, 5))  # makes COMMON held
    only_common = (42, np.full(50, COMMON, np.uint32), np.arange(50, dtype=np.uint32))
    append_pair_segment(folder, [only_common])
    index = PairIndex(folder)
    assert 42 in index.covered() and index.size == 30_050
    assert HOLD_FACTOR * index.max_postings < 1_250
