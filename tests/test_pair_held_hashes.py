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
    assert b.held_postings == 2_400 and a.held_postings == 0  # what ``library stats`` shows
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


def test_a_merge_keeps_tracks_without_stored_postings(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    append_pair_segment(folder, _parts(1, 10, 5))  # makes COMMON held
    only_common = (42, np.full(50, COMMON, np.uint32), np.arange(50, dtype=np.uint32))
    no_pairs = (43, np.zeros(0, np.uint32), np.zeros(0, np.uint32))
    append_pair_segment(folder, [only_common, no_pairs])
    live = set(range(1, 11)) | {42, 43}
    assert merge_pair_segments(folder, live, max_segments=1) == 2
    index = PairIndex(folder, live)
    assert {42, 43} <= index.covered() and index.size == 30_050


def _plain(folder: Path, parts: list) -> PairIndex:
    """The same live tracks in one segment, nothing held back (what lookups must agree with)."""
    write_pair_segment(folder / "pseg-0", parts)
    (folder / "segments.json").write_text(
        f'{{"format": 4, "segments": [{{"name": "pseg-0", "postings": {sum(h.size for _, h, _ in parts)}, '
        f'"tracks": {len(parts)}}}]}}')
    return PairIndex(folder)


def test_dead_postings_of_reindexed_tracks_neither_hold_a_hash_nor_grow_the_size(tmp_path: Path) -> None:
    """Tracks indexed again leave dead postings behind until a merge: holding must count only live ones."""
    def batch(first: int) -> list:
        rng = np.random.default_rng(first)
        out = []
        for tid in range(first, first + 10):
            h = rng.integers(0, N_HASHES, 500).astype(np.uint32)
            h[:9] = COMMON  # 9 x 20 tracks = 180 live postings: under the cap of 200
            out.append((tid, h, np.sort(rng.integers(0, 9_000, h.size)).astype(np.uint32)))
        return out
    a, b = batch(1), batch(11)
    folder = tmp_path / "idx"
    for parts in (a, b, b, a):  # b and then a indexed again: 360 postings of COMMON, half of them dead
        append_pair_segment(folder, parts, set(range(1, 21)))
    index = PairIndex(folder, set(range(1, 21)))
    assert not index.held[COMMON] and index.size == 10_000
    plain = _plain(tmp_path / "plain", a + b)
    query = np.r_[COMMON, a[3][1][9:200]].astype(np.int64)
    # until a merge the dead postings count towards the cap (as they always did): COMMON is over it
    assert _hits(index, query[1:]) == _hits(plain, query[1:]) and not _hits(index, query[:1])
    merge_pair_segments(folder, set(range(1, 21)), max_segments=1)
    merged = PairIndex(folder, set(range(1, 21)))
    assert not merged.held[COMMON] and merged.size == 10_000 and _hits(merged, query) == _hits(plain, query)
    assert len(_hits(merged, np.array([COMMON]))) == 180


def test_removed_and_reindexed_tracks_take_their_held_postings_out_of_the_size(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    first, second = _parts(1, 10, 3), _parts(11, 10, 4)
    append_pair_segment(folder, first)
    append_pair_segment(folder, second)
    assert PairIndex(folder).size == 60_000
    kept = set(range(1, 11))  # tracks 11-20 removed
    assert PairIndex(folder, kept).size == 30_000
    merge_pair_segments(folder, kept, max_segments=1)
    assert PairIndex(folder, kept).size == 30_000
    append_pair_segment(folder, first[:5], kept)  # five tracks indexed again
    assert PairIndex(folder, kept).size == 30_000
