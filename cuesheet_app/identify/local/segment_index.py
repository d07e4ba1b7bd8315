"""The triplet index: memory-mapped segments, appended per library change, merged by size.

Since library format 3 it is not built while the triplet search is off (``speed_pass.TRIPLET_PASS``);
``Library.load_triplet_index(build=True)`` makes it from the fingerprint files' fine peaks.

Why segments (an LSM tree without the log): a library of 20,000 tracks holds ~1,000 hours and
hundreds of millions of postings; rebuilding that after adding ten tracks would take longer
than indexing them. Each ``add`` writes only the new tracks' postings as a new segment (and
flushes a segment every ``FLUSH_POSTINGS`` while indexing, so memory stays bounded); when
there are more than ``MAX_SEGMENTS`` the smallest are merged into one, which also drops the
postings of removed or re-indexed tracks.

Segment layout (one folder): ``keys.npy`` (uint32, the distinct hashes the segment holds,
sorted), ``offsets.npy`` (uint32, one more than the keys: postings of ``keys[i]`` are
``offsets[i]:offsets[i+1]``), ``postings.npy`` (uint64, one word per posting: track id,
anchor frame, triplet span in 1/8 frame, anchor bin in 1/4 bin) and ``tracks.npy`` (the
track ids it holds). The directory is sparse because a dense one over the 2**22 hashes
costs 16 MB per segment whatever its size (0.8 MB per hour of audio for a 20-hour library,
more than its postings); a lookup is a binary search in ``keys`` (segments written before
``keys.npy`` existed keep their dense ``offsets.npy`` and are still read). Opening is ``np.load(mmap_mode="r")``: instant whatever the size; a
lookup reads only the postings of the hashes asked for, so its cost grows with the postings
per hash, not with the library (the 22-bit hash keeps those few).

Which segment is live for a track: the newest one that holds it (a re-indexed track is
written again; its older postings are dead and skipped, then dropped by the next merge).
``index2/segments.json`` lists the segments in order; it is replaced atomically, so a reader
sees either the old list or the new one.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.hash_index import expand_ranges
from cuesheet_app.identify.local.triplets import FORMAT, HASH_BITS, Triplets
from cuesheet_app.storage.atomic import atomic_write_bytes

N_HASHES = 1 << HASH_BITS
MAX_SEGMENTS = 6
FLUSH_POSTINGS = 12_000_000  # ~100 MB of postings per segment written while indexing
MAX_POSTINGS = 3000  # postings of one hash in one segment beyond which it says too little
_T_SHIFT, _TRACK_SHIFT = 20, 37
_SPAN_Q, _F_Q = 8.0, 4.0


def pack(track_id: int, tr: Triplets) -> np.ndarray:
    """Postings of one track: track << 37 | anchor frame << 20 | span*8 << 10 | bin*4."""
    t = np.clip(np.rint(tr.t1), 0, (1 << 17) - 1).astype(np.uint64)
    s = np.clip(np.rint(tr.span * _SPAN_Q), 0, 1023).astype(np.uint64)
    f = np.clip(np.rint(tr.f1 * _F_Q), 0, 1023).astype(np.uint64)
    return (np.uint64(track_id) << np.uint64(_TRACK_SHIFT)) | (t << np.uint64(_T_SHIFT)) \
        | (s << np.uint64(10)) | f


@dataclass
class Hits:
    """Query triplet index, track, reference anchor frame, span and anchor bin per hit."""

    query: np.ndarray  # int64 index into the query triplets
    tracks: np.ndarray  # int64
    t1: np.ndarray  # float64
    span: np.ndarray  # float64
    f1: np.ndarray  # float64

    @classmethod
    def empty(cls) -> Hits:
        z = np.zeros(0, np.int64)
        zf = np.zeros(0)
        return cls(z, z, zf, zf, zf)



def sparse_ranges(keys: np.ndarray, offsets: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first posting, count) of each hash in a segment that stores only the hashes it holds.

    ``keys`` are the segment's sorted distinct hashes and ``offsets`` their posting starts (one more
    than ``keys``); a hash the segment lacks gets count 0. Shared by the triplet and pair segments.
    """
    if keys.size == 0:
        z = np.zeros(hashes.size, np.int64)
        return z, z
    pos = np.minimum(np.searchsorted(keys, hashes), keys.size - 1)
    found = np.asarray(keys[pos]) == hashes
    starts = np.asarray(offsets[pos]).astype(np.int64)
    counts = np.where(found, np.asarray(offsets[pos + 1]).astype(np.int64) - starts, 0)
    return starts, counts

class Segment:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.offsets = np.load(folder / "offsets.npy", mmap_mode="r")
        self.postings = np.load(folder / "postings.npy", mmap_mode="r")
        self.track_ids = np.load(folder / "tracks.npy")
        keys = folder / "keys.npy"
        self.keys = np.load(keys, mmap_mode="r") if keys.exists() else None  # None: dense offsets

    def ranges(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first posting, count) of each hash (count 0 for a hash the segment lacks)."""
        if self.keys is None:
            starts = np.asarray(self.offsets[hashes]).astype(np.int64)
            return starts, np.asarray(self.offsets[hashes + 1]).astype(np.int64) - starts
        return sparse_ranges(self.keys, self.offsets, hashes)

    def all_hashes(self) -> np.ndarray:
        """The hash of every posting, in posting order (for merging)."""
        counts = np.diff(np.asarray(self.offsets).astype(np.int64))
        keys = np.arange(N_HASHES, dtype=np.uint32) if self.keys is None else np.asarray(self.keys)
        return np.repeat(keys, counts)

    @property
    def size(self) -> int:
        return int(self.postings.size)

    def lookup(self, hashes: np.ndarray, query_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query index, posting word) for every posting of the given hashes."""
        starts, counts = self.ranges(hashes)
        counts[counts > MAX_POSTINGS] = 0
        rows, idx = expand_ranges(starts, counts)
        if idx.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.uint64)
        # (sorting ``idx`` to read the map front to back cost more than the gather it ordered:
        # the segments of a library sit in the page cache after the first query)
        words = np.asarray(self.postings[idx])
        return np.asarray(query_idx)[rows], words


def write_segment(folder: Path, parts: list[tuple[int, Triplets]]) -> int:
    """Write one segment of ``parts`` = [(track id, triplets)] into a new folder; its postings."""
    hashes = np.concatenate([tr.hashes for _, tr in parts]) if parts else np.zeros(0, np.uint32)
    words = np.concatenate([pack(tid, tr) for tid, tr in parts]) if parts else np.zeros(0, np.uint64)
    return _write(folder, hashes, words, np.array(sorted({tid for tid, _ in parts}), np.int64))


def _write(folder: Path, hashes: np.ndarray, words: np.ndarray, track_ids: np.ndarray) -> int:
    order = np.argsort(hashes, kind="stable")
    keys, counts = np.unique(hashes, return_counts=True)
    offsets = np.zeros(keys.size + 1, np.uint32 if words.size < (1 << 32) else np.int64)
    np.cumsum(counts, out=offsets[1:])
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    np.save(tmp / "keys.npy", keys.astype(np.uint32))
    np.save(tmp / "offsets.npy", offsets)
    np.save(tmp / "postings.npy", words[order])
    np.save(tmp / "tracks.npy", track_ids)
    tmp.rename(folder)
    return int(words.size)


class SegmentedIndex:
    """All live segments of a library, looked up together."""

    def __init__(self, folder: Path, live_tracks: set[int] | None = None) -> None:
        self.folder = folder
        manifest = read_manifest(folder)
        self.segments = [Segment(folder / s["name"]) for s in manifest.get("segments", [])]
        self.live = live_table([seg.track_ids for seg in self.segments], live_tracks)
        self.all_live = all_live(self.live, [seg.track_ids for seg in self.segments])

    @property
    def size(self) -> int:
        return sum(s.size for s in self.segments)

    def lookup(self, hashes: np.ndarray, query_idx: np.ndarray) -> Hits:
        out_q, out_w = [], []
        for i, seg in enumerate(self.segments):
            q, w = seg.lookup(hashes, query_idx)
            if w.size and self.all_live[i]:
                out_q.append(q)
                out_w.append(w)
            elif w.size:
                tr = (w >> np.uint64(_TRACK_SHIFT)).astype(np.int64)
                ok = self.live[np.minimum(tr, self.live.size - 1)] == i
                out_q.append(q[ok])
                out_w.append(w[ok])
        if not out_w:
            return Hits.empty()
        w = np.concatenate(out_w)
        return Hits(query=np.concatenate(out_q),
                    tracks=(w >> np.uint64(_TRACK_SHIFT)).astype(np.int64),
                    t1=((w >> np.uint64(_T_SHIFT)) & np.uint64((1 << 17) - 1)).astype(np.float64),
                    span=((w >> np.uint64(10)) & np.uint64(1023)).astype(np.float64) / _SPAN_Q,
                    f1=(w & np.uint64(1023)).astype(np.float64) / _F_Q)


def live_table(track_ids: list[np.ndarray], live_tracks: set[int] | None) -> np.ndarray:
    """Per track id, the position of its live segment, or -1.

    ``track_ids`` are the tracks each segment holds, oldest segment first: the newest segment
    holding a track is its live one (a re-indexed track's older postings are dead). Tracks not
    in ``live_tracks`` (removed from the library) have none. Shared by the triplet and pair indexes.
    """
    top = max([int(ids.max(initial=0)) for ids in track_ids] + [0])
    live = np.full(top + 1, -1, np.int64)
    for i, ids in enumerate(track_ids):
        live[ids] = i
    if live_tracks is not None:
        keep = np.zeros(top + 1, bool)
        keep[np.array([t for t in live_tracks if t <= top], np.int64)] = True
        live[~keep] = -1
    return live


def all_live(live: np.ndarray, track_ids: list[np.ndarray]) -> list[bool]:
    """Per segment, whether every track it holds is live in it (``live_table``): then its hits
    need no per-posting liveness test, the usual case (one merged segment, nothing removed),
    which spares a pass over tens of millions of hits per episode."""
    return [bool((live[ids] == i).all()) for i, ids in enumerate(track_ids)]


def read_segment_list(folder: Path, fmt: int, strict: bool = False) -> list[dict]:
    """The segments listed in ``folder/segments.json`` if it is of format ``fmt``, else none.

    ``strict``: a list that exists but cannot be read raises ValueError (naming the file)
    instead of reading as none, for an index whose next append would take "none" at its word
    and delete the segment folders (the pair index)."""
    path = folder / "segments.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        if strict:
            raise ValueError(f"{path}: index segment list unreadable ({exc})") from None
        return []
    if not isinstance(data, dict) or not isinstance(data.get("segments", []), list):
        if strict:
            raise ValueError(f"{path}: not an index segment list")
        return []
    return list(data.get("segments", [])) if data.get("format") == fmt else []


def save_segment_list(folder: Path, fmt: int, segments: list[dict]) -> None:
    """Replace the segment list atomically: a reader sees the old list or the new, never half."""
    atomic_write_bytes(folder / "segments.json",
                       json.dumps({"format": fmt, "segments": segments}, indent=1).encode())


def segments_to_merge(segs: list[dict], max_segments: int, everything: bool = False) -> list[int]:
    """Positions of the smallest segments to merge so that at most ``max_segments`` remain
    (all of them with ``everything``), in list order; empty when nothing needs merging."""
    if len(segs) <= (1 if everything else max_segments):
        return []
    by_size = sorted(range(len(segs)), key=lambda i: segs[i]["postings"])
    return sorted(by_size if everything else by_size[:len(segs) - max_segments + 1])


def replace_with_merged(folder: Path, fmt: int, segs: list[dict], chosen: list[int], merged: dict) -> int:
    """List ``merged`` in place of the ``chosen`` segments, then delete their folders.

    The merged segment takes the place of the newest one it replaces, so liveness (newest wins)
    is unchanged for tracks also held by later segments. Returns how many were merged.
    """
    keep = [s for i, s in enumerate(segs) if i not in chosen]
    keep.insert(sum(1 for i in range(len(segs)) if i not in chosen and i < max(chosen)), merged)
    save_segment_list(folder, fmt, keep)
    for i in chosen:
        shutil.rmtree(folder / segs[i]["name"], ignore_errors=True)
    return len(chosen)


def read_manifest(folder: Path) -> dict:
    return {"format": FORMAT, "segments": read_segment_list(folder, FORMAT)}


def append_segment(folder: Path, parts: list[tuple[int, Triplets]]) -> None:
    """Add one segment holding ``parts`` (new or re-indexed tracks) to the index."""
    if not parts:
        return
    folder.mkdir(parents=True, exist_ok=True)
    name = f"seg-{uuid.uuid4().hex[:12]}"
    n = write_segment(folder / name, parts)
    segments = read_segment_list(folder, FORMAT) + [{"name": name, "postings": n, "tracks": len(parts)}]
    save_segment_list(folder, FORMAT, segments)


def merge_segments(folder: Path, live_tracks: set[int], max_segments: int = MAX_SEGMENTS,
                   everything: bool = False) -> int:
    """Merge the smallest segments until at most ``max_segments`` remain (or all of them into
    one with ``everything``), dropping dead postings. Returns how many segments were merged."""
    segs = read_segment_list(folder, FORMAT)
    chosen = segments_to_merge(segs, max_segments, everything)
    if not chosen:
        return 0
    index = SegmentedIndex(folder, live_tracks)
    hashes_l, words_l, tracks_l = [], [], []
    for i in chosen:
        seg = index.segments[i]
        h = seg.all_hashes()
        w = np.asarray(seg.postings)
        tr = (w >> np.uint64(_TRACK_SHIFT)).astype(np.int64)
        ok = index.live[np.minimum(tr, index.live.size - 1)] == i
        hashes_l.append(h[ok])
        words_l.append(w[ok])
        tracks_l.append(np.unique(tr[ok]))
    name = f"seg-{uuid.uuid4().hex[:12]}"
    n = _write(folder / name, np.concatenate(hashes_l), np.concatenate(words_l),
               np.unique(np.concatenate(tracks_l)))
    del index, hashes_l, words_l
    merged = {"name": name, "postings": n, "tracks": int(sum(t.size for t in tracks_l))}
    return replace_with_merged(folder, FORMAT, segs, chosen, merged)


def index_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.glob("seg-*/*.npy")) if folder.exists() else 0
