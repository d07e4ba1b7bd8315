"""The pair index's dense directory is stored as one byte of count per hash under zlib (4.2 MB
before compression, not the 16.8 MB of uint32 offsets) and summed into offsets when a segment opens: lookups must give exactly the
hits that the offsets layout written before gave, counts of 255 and more included, and a damaged
counts file must say so instead of returning wrong postings."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.identify.local.pair_segments import (
    N_HASHES,
    PairSegment,
    SegmentError,
    write_pair_segment,
)


def _parts(seed: int = 5) -> list[tuple[int, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    parts = []
    for tid in (3, 7, 11):
        n = 250_000  # ~700,000 distinct hashes of 2**22 in all: the dense directory
        hashes = rng.integers(0, N_HASHES, n).astype(np.uint32)
        hashes[:400] = 12345  # one hash with more postings than a byte counts
        parts.append((tid, hashes, np.sort(rng.integers(0, 60_000, n)).astype(np.uint32)))
    return parts


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    folder = tmp_path_factory.mktemp("seg") / "pseg-counts"
    parts = _parts()
    write_pair_segment(folder, parts)
    return folder, parts


def test_dense_directory_is_stored_as_counts_a_quarter_the_size(written: tuple[Path, list]) -> None:
    folder, _ = written
    assert not (folder / "offsets.npy").exists() and not (folder / "keys.npy").exists()
    assert (folder / "hash_counts.zz").stat().st_size < N_HASHES // 2  # one byte a hash, under zlib
    big = np.load(folder / "big_counts.npy")
    assert big.tolist() == [[12345, 1200]]


def test_counts_layout_gives_the_same_hits_as_the_offsets_layout(written: tuple[Path, list], tmp_path: Path) -> None:
    folder, parts = written
    counts_seg = PairSegment(folder)
    old = tmp_path / "pseg-offsets"  # the layout written before: dense uint32 offsets
    old.mkdir()
    for name in ("postings.npy", "layout.json", "ids.npy", "counts.npy"):
        (old / name).write_bytes((folder / name).read_bytes())
    per_hash = np.bincount(np.concatenate([h for _, h, _ in parts]), minlength=N_HASHES)
    np.save(old / "offsets.npy", np.r_[0, np.cumsum(per_hash)].astype(np.uint32))
    offsets_seg = PairSegment(old)
    npy = tmp_path / "pseg-npy"  # the counts as an uncompressed .npy (written before 2026-12-03)
    npy.mkdir()
    for f in folder.iterdir():
        if f.name != "hash_counts.zz":
            (npy / f.name).write_bytes(f.read_bytes())
    np.save(npy / "hash_counts.npy", np.frombuffer(zlib.decompress((folder / "hash_counts.zz").read_bytes()), np.uint8))
    assert np.array_equal(PairSegment(npy).offsets, counts_seg.offsets)
    rng = np.random.default_rng(1)
    query = np.r_[12345, parts[1][1][400:900], rng.integers(0, N_HASHES, 500), N_HASHES - 1].astype(np.int64)
    starts, counts = counts_seg.ranges(query)
    starts2, counts2 = offsets_seg.ranges(query)
    assert np.array_equal(starts, starts2) and np.array_equal(counts, counts2)
    assert counts[0] == 1200 and counts[1:501].min() >= 1
    idx = np.concatenate([np.arange(a, a + c) for a, c in zip(starts.tolist(), counts.tolist(), strict=True)])
    assert [a.tolist() for a in counts_seg.read(idx)] == [a.tolist() for a in offsets_seg.read(idx)]
    assert np.array_equal(np.sort(counts_seg.all_hashes()), np.sort(np.concatenate([h for _, h, _ in parts])))


def test_a_truncated_counts_file_is_reported_as_damage(written: tuple[Path, list], tmp_path: Path) -> None:
    folder, _ = written
    bad = tmp_path / "pseg-bad"
    bad.mkdir()
    for f in folder.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    data = (bad / "hash_counts.zz").read_bytes()
    (bad / "hash_counts.zz").write_bytes(data[: len(data) // 2])
    with pytest.raises(SegmentError, match="damaged"):
        PairSegment(bad)
