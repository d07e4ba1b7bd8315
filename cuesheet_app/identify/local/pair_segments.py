"""The landmark-pair index in appended segments: adding tracks never rebuilds the whole index.

Why: the pair pass is still the first identification pass (docs/engine-v2.md: triplets
alone find fewer excerpts under dialogue), and its index used to be rebuilt from every
fingerprint file after each change: after adding ten tracks to a 20,000-track library that is
hundreds of millions of postings read, sorted and written again. Now each ``add`` writes one
segment holding only the new (or re-indexed) tracks' postings; the newest segment that holds
a track is its live one; removed tracks are skipped at lookup; when there are more than
``MAX_SEGMENTS`` the smallest are merged (which also drops dead postings). Same scheme as the
triplet index (``segment_index.py``).

Segment layout (one folder ``index/pseg-*``), format 4 (3 with 2**20 hashes): ``postings.npy`` (uint32, one word per
posting, sorted by hash: track id << ``frame_bits`` | anchor frame, or, when ids are too large for
that, the track's position in ``ids.npy``),
``ids.npy`` / ``counts.npy`` (int64: the tracks held, sorted, and their postings), the hash
directory: when more than an eighth of the hashes occur, ``hash_counts.npy`` (uint8, each hash's postings, dense over the
2**22 hashes; 255 and more in ``big_counts.npy`` as (hash, count) rows), from which the dense offsets
(postings of ``h`` are ``offsets[h]:offsets[h+1]``) are summed when the segment opens (segments written
before 2026-12-03 store those offsets as ``offsets.npy``, uint32, and are still read), else
``keys.npy`` (uint32, the distinct hashes) plus ``offsets.npy`` (one more than the keys), and
``layout.json`` (``frame_bits``, ``local``). Why: format 2
stored a uint32 track id and a uint32 frame per posting (8 bytes) and an int64 offset per key;
a segment-local track number and a frame fit one uint32 (a reference track is fingerprinted up to
30 minutes: 17 bits of frames, leaving 15 bits: 32,768 tracks per segment), and a dense directory
(4.2 MB of counts) is smaller than a sparse one (8 bytes per hash) once more than an eighth of the
hashes occur, and is read without a binary search. A segment with more tracks than its local numbers can hold is written
in the wide layout (``tracks.npy`` and ``times.npy``, uint32 each), which is still read.
``index/segments.json`` lists the segments in order and is replaced atomically.

``lookup`` returns the same ``Matches`` as ``HashIndex`` did, and caps a hash's postings summed
over all segments: at ``MAX_POSTINGS`` up to the size of a 1,000-track library, and above it by the
square root of the index's size (``posting_cap``).
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.hash_index import (
    MAX_POSTINGS,
    Matches,
    concat_postings,
    expand_ranges,
)
from cuesheet_app.identify.local.landmarks import HASH_BITS
from cuesheet_app.identify.local.segment_index import (
    all_live,
    live_table,
    read_segment_list,
    replace_with_merged,
    save_segment_list,
    segments_to_merge,
    sparse_ranges,
)

# index/ format 1 was one HashIndex rebuilt on every change; 2: 8 bytes per posting; 3: 4 bytes;
# 4: keyed by the 22-bit level-classed pair hashes (``landmarks.HASH_BITS``)
FORMAT = 4
N_HASHES = 1 << HASH_BITS
MAX_SEGMENTS = 6


class SegmentError(Exception):
    """A segment's files are missing, truncated or inconsistent; the message names the folder."""


class PairSegment:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            if (folder / "hash_counts.npy").exists():
                self.offsets = _dense_offsets(np.load(folder / "hash_counts.npy"),
                                              np.load(folder / "big_counts.npy"))
            else:  # written before the counts layout: the offsets themselves, dense or sparse
                self.offsets = np.load(folder / "offsets.npy", mmap_mode="r")
            keys = folder / "keys.npy"
            self.keys = np.load(keys, mmap_mode="r") if keys.exists() else None  # None: dense
            self.track_ids = np.load(folder / "ids.npy")
            self.track_counts = np.load(folder / "counts.npy")
            if (folder / "postings.npy").exists():
                self.postings = np.load(folder / "postings.npy", mmap_mode="r")
                layout = json.loads((folder / "layout.json").read_text())
                self.frame_bits = int(layout["frame_bits"])
                self.local = bool(layout["local"])  # track numbers index ``ids.npy``, else are ids
                self.tracks = self.times = None
            else:  # wide: more tracks than a segment-local number holds
                self.postings = None
                self.frame_bits, self.local = 0, False
                self.tracks = np.load(folder / "tracks.npy", mmap_mode="r")
                self.times = np.load(folder / "times.npy", mmap_mode="r")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SegmentError(f"{folder}: index segment damaged ({exc}); "
                               "rebuild it with 'cuesheet library upgrade'") from None
        n = int(self.size)
        top = int(self.offsets[-1]) if self.offsets.size else 0
        if (self.keys is None and self.offsets.size != N_HASHES + 1) \
                or (self.keys is not None and self.offsets.size != self.keys.size + 1) \
                or top != n or int(self.track_counts.sum()) != n or self.track_ids.size != self.track_counts.size:
            raise SegmentError(f"{folder}: index segment damaged (its directory, postings and track "
                               "counts disagree); rebuild it with 'cuesheet library upgrade'")

    @property
    def size(self) -> int:
        return int((self.postings if self.postings is not None else self.tracks).size)

    def ranges(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first posting, count) of each hash (count 0 for a hash the segment lacks)."""
        if self.keys is None:
            starts = np.asarray(self.offsets[hashes]).astype(np.int64)
            return starts, np.asarray(self.offsets[hashes + 1]).astype(np.int64) - starts
        return sparse_ranges(self.keys, self.offsets, hashes)

    def read(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(track ids, anchor frames) as int64 of the postings at ``idx``."""
        if self.postings is None:
            return np.asarray(self.tracks[idx]).astype(np.int64), np.asarray(self.times[idx]).astype(np.int64)
        words = np.asarray(self.postings[idx]).astype(np.int64)
        tracks = words >> self.frame_bits
        if self.local:
            tracks = self.track_ids[tracks]
        return tracks, np.bitwise_and(words, (1 << self.frame_bits) - 1, out=words)

    def all_hashes(self) -> np.ndarray:
        """The hash of every posting, in posting order (for merging)."""
        counts = np.diff(np.asarray(self.offsets).astype(np.int64))
        keys = np.arange(N_HASHES, dtype=np.uint32) if self.keys is None else np.asarray(self.keys)
        return np.repeat(keys, counts)


def pack_postings(tracks: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, int, bool] | None:
    """(uint32 words, frame bits, local) of postings, or None when the tracks are too many for
    the numbers left beside the frames (the segment is then written wide). The track ids
    themselves are stored when they fit (no table lookup per hit), else their positions in the
    segment's sorted ids (``local``)."""
    frame_bits = max(1, int(times.max(initial=0)).bit_length())
    room = 1 << (32 - frame_bits) if frame_bits <= 31 else 0
    if int(tracks.max(initial=0)) < room:
        numbers, local = tracks.astype(np.uint32), False
    else:
        ids, numbers = np.unique(tracks, return_inverse=True)
        if ids.size > room:
            return None
        local = True
    words = (numbers.astype(np.uint32) << np.uint32(frame_bits)) | times.astype(np.uint32)
    return words, frame_bits, local


BIG = 255  # a hash count at or above this is stored in big_counts.npy


def _dense_offsets(small: np.ndarray, big: np.ndarray) -> np.ndarray:
    """The dense directory (uint32, one more than the hashes) from the per-hash counts as stored:
    uint8, with the counts of ``BIG`` or more in ``big`` as (hash, count) rows. Built in memory
    when a segment opens (~10 ms for 2**22 hashes); the offsets are read at random by every
    lookup, so they would be paged in from a memory map all the same."""
    if small.shape != (N_HASHES,) or small.dtype != np.uint8 or big.ndim != 2 or big.shape[1:] != (2,):
        raise ValueError("hash counts of the wrong shape")
    counts = small.astype(np.uint32)
    if big.size:
        if int(big[:, 0].min()) < 0 or int(big[:, 0].max()) >= N_HASHES:
            raise ValueError("big counts name hashes out of range")
        counts[big[:, 0]] = big[:, 1]
    offsets = np.zeros(N_HASHES + 1, np.uint32)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def write_pair_segment(folder: Path, parts: list[tuple[int, np.ndarray, np.ndarray]]) -> int:
    """One segment of ``parts`` = [(track id, hashes, anchor frames)] in a new folder."""
    hashes, tracks, times = concat_postings(parts)
    total = int(hashes.size)
    order = np.argsort(hashes, kind="stable")
    keys, counts = np.unique(hashes, return_counts=True)
    ids, per_track = np.unique(tracks, return_counts=True)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    wide = total >= 1 << 32
    if not wide and keys.size * 8 > N_HASHES:  # dense directory: smaller, and no binary search
        # stored as one byte of count per hash (4.2 MB against the offsets' 16.8 MB: at 20,000
        # tracks, six segments, 0.07 MB per hour of reference audio instead of 0.29), the offsets
        # summed up when the segment opens
        per_hash = np.bincount(hashes, minlength=N_HASHES)
        big = np.flatnonzero(per_hash >= BIG)
        np.save(tmp / "hash_counts.npy", np.minimum(per_hash, BIG).astype(np.uint8))
        np.save(tmp / "big_counts.npy", np.stack([big, per_hash[big]], axis=1).astype(np.int64))
    else:
        offsets = np.zeros(keys.size + 1, np.int64 if wide else np.uint32)
        offsets[1:] = np.cumsum(counts)
        np.save(tmp / "keys.npy", keys.astype(np.uint32))
        np.save(tmp / "offsets.npy", offsets)
    packed = pack_postings(tracks[order], times[order])
    if packed is None:
        np.save(tmp / "tracks.npy", tracks[order])
        np.save(tmp / "times.npy", times[order])
    else:
        np.save(tmp / "postings.npy", packed[0])
        (tmp / "layout.json").write_text(json.dumps({"frame_bits": packed[1], "local": packed[2]}))
    np.save(tmp / "ids.npy", ids.astype(np.int64))
    np.save(tmp / "counts.npy", per_track.astype(np.int64))
    tmp.rename(folder)
    return total


def read_manifest(folder: Path) -> list[dict]:
    """The segments ``segments.json`` lists (none when it is missing or of an older format).

    Raises SegmentError when it exists but cannot be read: taken for "no segments", the next
    append deleted every segment folder (``_drop_old_layout``) and readers saw an empty index.
    The upgrade rebuilds it from the fingerprint files, like a damaged segment.
    """
    try:
        return read_segment_list(folder, FORMAT, strict=True)
    except ValueError as exc:
        raise SegmentError(f"{exc}; rebuild it with 'cuesheet library upgrade'") from None


def _drop_old_layout(folder: Path) -> None:
    """Format 1 kept one index directly in ``index/``, formats 2 and 3 segments that the current
    list does not name: their files go when the first current segment is written."""
    for name in ("offsets.npy", "tracks.npy", "times.npy", "meta.json"):
        (folder / name).unlink(missing_ok=True)
    for old in folder.glob("pseg-*"):
        shutil.rmtree(old, ignore_errors=True)


def forget_pair_segments(folder: Path) -> None:
    """List no segment (atomically), so that the index is rebuilt: for a damaged segment, whose
    tracks cannot be dropped alone (an older segment's dead postings would come alive again)."""
    if folder.exists():
        save_segment_list(folder, FORMAT, [])


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


CAP_REFERENCE_POSTINGS = 11_200_000  # the 1,000-track library of benchmarks/library_scale.py (28.7 h)


def posting_cap(postings: int) -> int:
    """The most postings a hash may have and still be looked up, for an index of ``postings``.

    Why it grows: with 2**20 hash values (format 3), a hash's postings grow with the library, so a fixed
    cap ignores more and more of a true match's evidence (at 20,000 tracks, 345 h, recall of
    speed-changed excerpts fell from 0.87 to 0.63 with the cap at 200). Why only as the square
    root: every posting under the cap is a hit to process, so a cap that grew with the library
    would make the query's cost grow with it too. Measured in docs/engine-v2.md (library scale).
    """
    return int(round(MAX_POSTINGS * max(1.0, postings / CAP_REFERENCE_POSTINGS) ** 0.5))


class PairIndex:
    """All live pair segments of a library, looked up together (the ``HashIndex`` interface)."""

    def __init__(self, folder: Path, live_tracks: set[int] | None = None) -> None:
        self.folder = folder
        self.segments = [PairSegment(folder / s["name"]) for s in read_manifest(folder)]
        self.live = live_table([seg.track_ids for seg in self.segments], live_tracks)
        self.all_live = all_live(self.live, [seg.track_ids for seg in self.segments])
        # live postings: fixed once opened (the matcher asks on every call, the cap needs it)
        self.size = sum(int(seg.track_counts[self.live[seg.track_ids] == i].sum())
                        for i, seg in enumerate(self.segments))
        self.max_postings = posting_cap(self.size)

    @classmethod
    def empty(cls, folder: Path) -> PairIndex:
        return cls(folder / "missing", set())

    def covered(self) -> set[int]:
        return {int(t) for t in np.flatnonzero(self.live >= 0)}

    def hit_parts(self, hashes: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per segment, (row of ``hashes``, track id, reference anchor frame) of every live
        posting of the hashes asked for (int64 each), common hashes left out.

        Why per segment and by row: a lookup at 20,000 tracks yields ~50 postings per hash, of
        which the matcher keeps about 1 in 1,000. A track's live postings all sit in one
        segment, so the matcher can drop a segment's chance hits before anything is
        concatenated, and gathers the query frame and hash only of the few it keeps."""
        h = np.asarray(hashes, np.int64)
        ranges = [seg.ranges(h) for seg in self.segments]
        total_per_hash = sum((c for _, c in ranges), np.zeros(h.size, np.int64))
        common = total_per_hash > self.max_postings  # says nothing about which track it is
        for i, (seg, (starts, counts)) in enumerate(zip(self.segments, ranges, strict=True)):
            rows, idx = expand_ranges(starts, np.where(common, 0, counts))
            if idx.size == 0:
                continue
            tracks, t = seg.read(idx)
            if not self.all_live[i]:  # a re-indexed or removed track's postings are dead here
                ok = self.live[np.minimum(tracks, self.live.size - 1)] == i
                rows, tracks, t = rows[ok], tracks[ok], t[ok]
            yield rows, tracks, t

    def lookup(self, hashes: np.ndarray, query_frames: np.ndarray) -> Matches:
        h = np.asarray(hashes, np.int64)
        q_all = np.asarray(query_frames, np.int64)
        parts = list(self.hit_parts(h))
        if not parts:
            z = np.zeros(0, np.int64)
            return Matches(z, z, z, z)
        rows = np.concatenate([p[0] for p in parts])
        return Matches(query_frames=q_all[rows], tracks=np.concatenate([p[1] for p in parts]),
                       ref_frames=np.concatenate([p[2] for p in parts]), hashes=h[rows])


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
        hashes = seg.all_hashes()
        tracks, times = seg.read(np.arange(seg.size))
        times = times.astype(np.uint32)
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
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0
