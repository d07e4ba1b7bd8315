"""The landmark-pair index in appended segments: adding tracks never rebuilds the whole index.

Why: the pair pass is still the first identification pass (docs/engine-v2.md: triplets
alone find fewer excerpts under dialogue), and its index used to be rebuilt from every
fingerprint file after each change: after adding ten tracks to a 20,000-track library that is
hundreds of millions of postings read, sorted and written again. Now each ``add`` writes one
segment holding only the new (or re-indexed) tracks' postings; the newest segment that holds
a track is its live one; removed tracks are skipped at lookup; when there are more than
``MAX_SEGMENTS`` the smallest are merged (which also drops dead postings). Same scheme as the
triplet index (``segment_index.py``).

Segment layout (one folder ``index/pseg-*``): ``keys.npy`` (uint32 distinct hashes, sorted),
``offsets.npy`` (int64, one more than the keys), ``tracks.npy`` and ``times.npy`` (uint32 track id
and anchor frame per posting, sorted by hash), ``ids.npy`` / ``counts.npy`` (the tracks held and
their postings). ``index/segments.json`` lists them in order and is replaced atomically.

``lookup`` returns the same ``Matches`` as ``HashIndex`` did, and applies the same
``MAX_POSTINGS`` cap to a hash's postings summed over all segments, so matching is unchanged.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.hash_index import MAX_POSTINGS, Matches, concat_postings
from cuesheet_app.identify.local.segment_index import (
    all_live,
    live_table,
    read_segment_list,
    replace_with_merged,
    save_segment_list,
    segments_to_merge,
    sparse_ranges,
)

FORMAT = 2  # index/ format 1 was one HashIndex rebuilt on every change
MAX_SEGMENTS = 6


class PairSegment:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.keys = np.load(folder / "keys.npy", mmap_mode="r")
        self.offsets = np.load(folder / "offsets.npy", mmap_mode="r")
        self.tracks = np.load(folder / "tracks.npy", mmap_mode="r")
        self.times = np.load(folder / "times.npy", mmap_mode="r")
        self.track_ids = np.load(folder / "ids.npy")
        self.track_counts = np.load(folder / "counts.npy")

    def ranges(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return sparse_ranges(self.keys, self.offsets, hashes)


def write_pair_segment(folder: Path, parts: list[tuple[int, np.ndarray, np.ndarray]]) -> int:
    """One segment of ``parts`` = [(track id, hashes, anchor frames)] in a new folder."""
    hashes, tracks, times = concat_postings(parts)
    total = int(hashes.size)
    order = np.argsort(hashes, kind="stable")
    keys, counts = np.unique(hashes, return_counts=True)
    offsets = np.zeros(keys.size + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    ids, per_track = np.unique(tracks, return_counts=True)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    np.save(tmp / "keys.npy", keys.astype(np.uint32))
    np.save(tmp / "offsets.npy", offsets)
    np.save(tmp / "tracks.npy", tracks[order])
    np.save(tmp / "times.npy", times[order])
    np.save(tmp / "ids.npy", ids.astype(np.int64))
    np.save(tmp / "counts.npy", per_track.astype(np.int64))
    tmp.rename(folder)
    return total


def read_manifest(folder: Path) -> list[dict]:
    return read_segment_list(folder, FORMAT)


def _drop_old_layout(folder: Path) -> None:
    """Format 1 kept one index directly in ``index/``: its files go once segments exist."""
    for name in ("offsets.npy", "tracks.npy", "times.npy", "meta.json"):
        (folder / name).unlink(missing_ok=True)


def append_pair_segment(folder: Path, parts: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
    if not parts:
        return
    folder.mkdir(parents=True, exist_ok=True)
    segments = read_manifest(folder)
    if not segments:
        _drop_old_layout(folder)
    name = f"pseg-{uuid.uuid4().hex[:12]}"
    n = write_pair_segment(folder / name, parts)
    save_segment_list(folder, FORMAT, segments + [{"name": name, "postings": n, "tracks": len(parts)}])


class PairIndex:
    """All live pair segments of a library, looked up together (the ``HashIndex`` interface)."""

    def __init__(self, folder: Path, live_tracks: set[int] | None = None) -> None:
        self.folder = folder
        self.segments = [PairSegment(folder / s["name"]) for s in read_manifest(folder)]
        self.live = live_table([seg.track_ids for seg in self.segments], live_tracks)
        self.all_live = all_live(self.live, [seg.track_ids for seg in self.segments])

    @classmethod
    def empty(cls, folder: Path) -> PairIndex:
        return cls(folder / "missing", set())

    def covered(self) -> set[int]:
        return {int(t) for t in np.flatnonzero(self.live >= 0)}

    @property
    def size(self) -> int:
        """Live postings."""
        return sum(int(seg.track_counts[self.live[seg.track_ids] == i].sum())
                   for i, seg in enumerate(self.segments))

    def lookup(self, hashes: np.ndarray, query_frames: np.ndarray) -> Matches:
        h = hashes.astype(np.int64)
        ranges = [seg.ranges(h) for seg in self.segments]
        total_per_hash = sum((c for _, c in ranges), np.zeros(h.size, np.int64))
        common = total_per_hash > MAX_POSTINGS  # says nothing about which track it is
        qf, tr, rf, hh = [], [], [], []
        for i, (seg, (starts, counts)) in enumerate(zip(self.segments, ranges, strict=True)):
            counts = np.where(common, 0, counts)
            total = int(counts.sum())
            if total == 0:
                continue
            first = np.repeat(starts - (np.cumsum(counts) - counts), counts)
            idx = first + np.arange(total)
            tracks = np.asarray(seg.tracks[idx]).astype(np.int64)
            q = np.repeat(query_frames.astype(np.int64), counts)
            t = np.asarray(seg.times[idx]).astype(np.int64)
            hr = np.repeat(h, counts)
            if not self.all_live[i]:  # a re-indexed or removed track's postings are dead here
                ok = self.live[np.minimum(tracks, self.live.size - 1)] == i
                tracks, q, t, hr = tracks[ok], q[ok], t[ok], hr[ok]
            qf.append(q)
            tr.append(tracks)
            rf.append(t)
            hh.append(hr)
        if not tr:
            z = np.zeros(0, np.int64)
            return Matches(z, z, z, z)
        return Matches(query_frames=np.concatenate(qf), tracks=np.concatenate(tr),
                       ref_frames=np.concatenate(rf), hashes=np.concatenate(hh))


def merge_pair_segments(folder: Path, live_tracks: set[int], max_segments: int = MAX_SEGMENTS) -> int:
    """Merge the smallest segments until at most ``max_segments`` remain, dropping dead
    postings (removed or re-indexed tracks). Returns how many segments were merged."""
    segs = read_manifest(folder)
    chosen = segments_to_merge(segs, max_segments)
    if not chosen:
        return 0
    index = PairIndex(folder, live_tracks)
    parts: list[tuple[int, np.ndarray, np.ndarray]] = []
    for i in chosen:
        seg = index.segments[i]
        counts = np.diff(np.asarray(seg.offsets))
        hashes = np.repeat(np.asarray(seg.keys), counts)
        tracks = np.asarray(seg.tracks).astype(np.int64)
        times = np.asarray(seg.times)
        ok = index.live[np.minimum(tracks, index.live.size - 1)] == i
        tracks, hashes, times = tracks[ok], hashes[ok], times[ok]
        if not tracks.size:  # every track of this segment was re-indexed later or removed
            continue
        order = np.argsort(tracks, kind="stable")
        ids, first = np.unique(tracks[order], return_index=True)
        for t, idx in zip(ids.tolist(), np.split(order, first[1:]), strict=True):
            parts.append((int(t), hashes[idx], times[idx]))
    name = f"pseg-{uuid.uuid4().hex[:12]}"
    n = write_pair_segment(folder / name, parts)
    del index
    merged = {"name": name, "postings": n, "tracks": len({t for t, _, _ in parts})}
    return replace_with_merged(folder, FORMAT, segs, chosen, merged)


def index_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*.npy")) if folder.exists() else 0
