"""Format 1 of the landmark index (one table, rebuilt after every change), and ``Matches``.

Since library format 2 the pair pass reads ``pair_segments.PairIndex`` (appended segments);
a format-1 ``index/`` is recognised by its missing ``segments.json`` and re-segmented from
the fingerprint files once. ``HashIndex``/``build_index`` stay as the definition of that old
layout (the upgrade tests write one with them); ``Matches`` and ``MAX_POSTINGS`` are shared.

Layout (one folder): ``offsets.npy`` (int64, 2**20 + 1 entries: postings of hash ``h`` are
``offsets[h]:offsets[h+1]``), ``tracks.npy`` and ``times.npy`` (uint32 track id and anchor
frame per posting, sorted by hash), ``meta.json`` (the generation it was built for).

Why this shape: it is the sorted-array index (the same as a sorted hash array searched with
``searchsorted``, with the search precomputed into ``offsets``), so opening it is three
``np.load(mmap_mode="r")`` calls, whatever the library size, and one episode's lookups are a
handful of vectorised gathers instead of a database query per hash.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.landmarks import SHAPE_BITS
from cuesheet_app.storage.atomic import atomic_write_bytes

N_HASHES = 1 << SHAPE_BITS  # format 1 indexed the 20-bit pair shapes (no level classes)
MAX_POSTINGS = 200  # a hash this common says nothing about which track it is
FORMAT = 1


def expand_ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, position) of every element of the ranges ``[starts[i], starts[i] + counts[i])``,
    concatenated: ``row`` says which range (i) each position came from.

    Why not ``np.repeat(..., counts)``: a lookup expands hundreds of thousands of short ranges
    (a few postings per hash) per slice, and ``np.repeat`` copies them one element at a time
    holding the GIL; it was a third of the speed pass's time and kept its two threads from
    running side by side (py-spy, 20,000 tracks). Marking where each range starts and taking a
    cumulative sum gives the same rows with calls that release the GIL, ~6x faster alone."""
    counts = np.asarray(counts, np.int64)
    nz = np.flatnonzero(counts > 0)
    c = counts[nz]
    total = int(c.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    s = np.asarray(starts, np.int64)[nz]
    ends = np.cumsum(c)
    step = np.ones(total, np.int64)  # positions step by 1, and jump where a range starts
    step[0] = s[0]
    step[ends[:-1]] = s[1:] - (s[:-1] + c[:-1]) + 1  # distinct: every range kept is non-empty
    pos = np.cumsum(step, out=step)
    mark = np.zeros(total, np.int32)
    mark[ends[:-1]] = 1
    k = np.cumsum(mark, dtype=np.int32, out=mark)  # which non-empty range
    return nz[k], pos


@dataclass
class Matches:
    """Every (query time, track, reference time) where a query hash met a reference hash."""

    query_frames: np.ndarray  # int64
    tracks: np.ndarray  # int64
    ref_frames: np.ndarray  # int64
    hashes: np.ndarray  # int64, the hash that matched


class HashIndex:
    def __init__(self, offsets: np.ndarray, tracks: np.ndarray, times: np.ndarray) -> None:
        self.offsets, self.tracks, self.times = offsets, tracks, times

    @property
    def size(self) -> int:
        return int(self.tracks.size)

    @classmethod
    def empty(cls) -> HashIndex:
        return cls(np.zeros(N_HASHES + 1, np.int64), np.zeros(0, np.uint32), np.zeros(0, np.uint32))

    @classmethod
    def load(cls, folder: Path) -> HashIndex:
        return cls(np.load(folder / "offsets.npy", mmap_mode="r"),
                   np.load(folder / "tracks.npy", mmap_mode="r"),
                   np.load(folder / "times.npy", mmap_mode="r"))

    def lookup(self, hashes: np.ndarray, query_frames: np.ndarray) -> Matches:
        h = hashes.astype(np.int64)
        starts = np.asarray(self.offsets[h])
        counts = np.asarray(self.offsets[h + 1]) - starts
        counts[counts > MAX_POSTINGS] = 0
        rows, idx = expand_ranges(starts, counts)
        return Matches(query_frames=query_frames.astype(np.int64)[rows],
                       tracks=np.asarray(self.tracks[idx]).astype(np.int64),
                       ref_frames=np.asarray(self.times[idx]).astype(np.int64),
                       hashes=h[rows])


def concat_postings(parts: list[tuple[int, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``parts`` = [(track id, hashes, anchor frames)] as three flat uint32 arrays (hash, track, time).

    One allocation per column instead of a concatenation per track: libraries hold millions of pairs.
    """
    total = sum(int(h.size) for _, h, _ in parts)
    hashes = np.empty(total, np.uint32)
    tracks = np.empty(total, np.uint32)
    times = np.empty(total, np.uint32)
    at = 0
    for track_id, h, t in parts:
        n = int(h.size)
        hashes[at:at + n], tracks[at:at + n], times[at:at + n] = h, track_id, t
        at += n
    return hashes, tracks, times


def build_index(folder: Path, parts: list[tuple[int, np.ndarray, np.ndarray]], generation: str) -> None:
    """Write the index of ``parts`` = [(track id, hashes, anchor frames)] into ``folder``.

    Built beside the target and swapped in with renames, so a reader never sees half an index.
    """
    hashes, tracks, times = concat_postings(parts)
    total = int(hashes.size)
    order = np.argsort(hashes, kind="stable")
    counts = np.bincount(hashes, minlength=N_HASHES)
    del hashes
    offsets = np.zeros(N_HASHES + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    tmp = folder.with_name(folder.name + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    np.save(tmp / "offsets.npy", offsets)
    np.save(tmp / "tracks.npy", tracks[order])
    np.save(tmp / "times.npy", times[order])
    atomic_write_bytes(tmp / "meta.json", json.dumps({"format": FORMAT, "generation": generation,
                                                      "postings": total}).encode())
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def index_generation(folder: Path) -> str | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    return str(meta.get("generation"))
