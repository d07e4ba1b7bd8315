"""One segment of the landmark-pair index on disk: its files, how they are written and read.

Why apart from ``pair_segments.py``: that module is the index (the list of segments, appends,
merges, the posting cap, lookups over all segments); this one is the bytes of one segment, so
a change to what is written is a change to this file.

Segment layout (one folder ``index/pseg-*``), format 4 (3 with 2**20 hashes): ``postings.npy`` (uint32, one word per
posting, sorted by hash: track id << ``frame_bits`` | anchor frame, or, when ids are too large for
that, the track's position in ``ids.npy``),
``ids.npy`` / ``counts.npy`` (int64: the tracks held, sorted, and their postings), the hash
directory: when more than an eighth of the hashes occur, ``hash_counts.zz`` (uint8 under zlib; ``.npy`` uncompressed
in segments written before 2026-12-03, still read: each hash's postings, dense over the
2**22 hashes; 255 and more in ``big_counts.npy`` as (hash, count) rows), from which the dense offsets
(postings of ``h`` are ``offsets[h]:offsets[h+1]``) are summed when the segment opens (segments written
before 2026-12-03 store those offsets as ``offsets.npy``, uint32, and are still read), else
``keys.npy`` (uint32, the distinct hashes) plus ``offsets.npy`` (one more than the keys), and
``layout.json`` (``frame_bits``, ``local``), and ``held.npy`` (int64 (hash, count) rows: hashes so
common when the segment was written that their postings were held back, see ``pair_segments``)
with ``held_tracks.npy`` (int64, per track of ``ids.npy``, its postings held back: they count
towards the index's size while the track is live); both absent in segments written before
2026-12-03 and when nothing was held. Why: format 2
stored a uint32 track id and a uint32 frame per posting (8 bytes) and an int64 offset per key;
a segment-local track number and a frame fit one uint32 (a reference track is fingerprinted up to
30 minutes: 17 bits of frames, leaving 15 bits: 32,768 tracks per segment), and a dense directory
(4.2 MB of counts) is smaller than a sparse one (8 bytes per hash) once more than an eighth of the
hashes occur, and is read without a binary search. A segment with more tracks than its local numbers can hold is written
in the wide layout (``tracks.npy`` and ``times.npy``, uint32 each), which is still read.
"""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.hash_index import concat_postings
from cuesheet_app.identify.local.landmarks import HASH_BITS
from cuesheet_app.identify.local.segment_index import sparse_ranges

N_HASHES = 1 << HASH_BITS


class SegmentError(Exception):
    """A segment's files are missing, truncated or inconsistent; the message names the folder."""


class PairSegment:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            if (folder / "hash_counts.zz").exists():
                small = np.frombuffer(zlib.decompress((folder / "hash_counts.zz").read_bytes()), np.uint8)
                self.offsets = _dense_offsets(small, np.load(folder / "big_counts.npy"))
            elif (folder / "hash_counts.npy").exists():  # written before the counts were compressed
                self.offsets = _dense_offsets(np.load(folder / "hash_counts.npy"),
                                              np.load(folder / "big_counts.npy"))
            else:  # written before the counts layout: the offsets themselves, dense or sparse
                self.offsets = np.load(folder / "offsets.npy", mmap_mode="r")
            keys = folder / "keys.npy"
            self.keys = np.load(keys, mmap_mode="r") if keys.exists() else None  # None: dense
            held = folder / "held.npy"
            self.held = np.load(held) if held.exists() else np.zeros((0, 2), np.int64)
            if self.held.ndim != 2 or self.held.shape[1:] != (2,) or (self.held.size and (
                    int(self.held[:, 0].min()) < 0 or int(self.held[:, 0].max()) >= N_HASHES)):
                raise ValueError("held hashes of the wrong shape or out of range")
            self.track_ids = np.load(folder / "ids.npy")
            self.track_counts = np.load(folder / "counts.npy")
            held_tracks = folder / "held_tracks.npy"
            self.held_tracks = np.load(held_tracks) if held_tracks.exists() else np.zeros(self.track_ids.size, np.int64)
            if self.held_tracks.shape != self.track_ids.shape:
                raise ValueError("held postings per track do not match the tracks")
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
        except (OSError, ValueError, KeyError, TypeError, zlib.error) as exc:
            raise SegmentError(f"{folder}: index segment damaged ({exc}); "
                               "rebuild it with 'cuesheet library upgrade'") from None
        n = int(self.size)
        top = int(self.offsets[-1]) if self.offsets.size else 0
        if (self.keys is None and self.offsets.size != N_HASHES + 1) \
                or (self.keys is not None and self.offsets.size != self.keys.size + 1) \
                or top != n or int(self.track_counts.sum()) != n or self.track_ids.size != self.track_counts.size:
            raise SegmentError(f"{folder}: index segment damaged (its directory, postings and track "
                               "counts disagree); rebuild it with 'cuesheet library upgrade'")

    def postings_of(self, tracks: np.ndarray) -> int:
        """Postings of the tracks at the positions ``tracks`` (a mask or indices of ``track_ids``),
        stored or held back: what they count towards the index's size."""
        return int(self.track_counts[tracks].sum() + self.held_tracks[tracks].sum())

    def stored_counts(self) -> np.ndarray:
        """Every hash's stored postings in this segment, live or dead (int64, dense)."""
        counts = np.zeros(N_HASHES, np.int64)
        stored = np.diff(np.asarray(self.offsets).astype(np.int64))
        if self.keys is None:
            counts += stored
        else:
            counts[np.asarray(self.keys)] = stored
        return counts

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


def pack_postings(tracks: np.ndarray, times: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, int, bool] | None:
    """(uint32 words, frame bits, local) of postings, or None when the tracks are too many for
    the numbers left beside the frames (the segment is then written wide). The track ids
    themselves are stored when they fit (no table lookup per hit), else their positions in the
    segment's sorted ``ids`` (``local``)."""
    frame_bits = max(1, int(times.max(initial=0)).bit_length())
    room = 1 << (32 - frame_bits) if frame_bits <= 31 else 0
    if int(tracks.max(initial=0)) < room:
        numbers, local = tracks.astype(np.uint32), False
    else:
        if ids.size > room:
            return None
        numbers, local = np.searchsorted(ids, tracks), True
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


def write_pair_segment(folder: Path, parts: list[tuple[int, np.ndarray, np.ndarray]],
                       hold: np.ndarray | None = None, held: np.ndarray | None = None,
                       held_tracks: dict[int, int] | None = None) -> int:
    """One segment of ``parts`` = [(track id, hashes, anchor frames)] in a new folder; returns
    the postings stored.

    ``hold`` (bool over every hash): hashes whose postings are not stored, only counted, in
    ``held.npy``, together with ``held`` ((hash, count) rows carried over from merged segments);
    ``held_tracks``: postings of these tracks held back before (carried over), per track id.
    """
    hashes, tracks, times = concat_postings(parts)
    # every track given is listed, even one whose postings were all held back (else it would
    # look uncovered, and be appended again by every load)
    ids = np.unique(np.array([tid for tid, _, _ in parts], np.int64))
    per_track_held = np.zeros(ids.size, np.int64)
    for tid, n in (held_tracks or {}).items():
        per_track_held[np.searchsorted(ids, tid)] += n
    held_rows = [np.zeros((0, 2), np.int64) if held is None else np.asarray(held, np.int64).reshape(-1, 2)]
    if hold is not None:
        out = hold[hashes]
        if out.any():
            gone, n_gone = np.unique(hashes[out], return_counts=True)
            held_rows.append(np.stack([gone.astype(np.int64), n_gone.astype(np.int64)], axis=1))
            per_track_held += np.bincount(np.searchsorted(ids, tracks[out]), minlength=ids.size)
            keep = ~out
            hashes, tracks, times = hashes[keep], tracks[keep], times[keep]
    all_held = np.concatenate(held_rows)
    if all_held.size:  # one row per hash
        keys_held, inverse = np.unique(all_held[:, 0], return_inverse=True)
        all_held = np.stack([keys_held, np.bincount(inverse, weights=all_held[:, 1]).astype(np.int64)], axis=1)
    total = int(hashes.size)
    order = np.argsort(hashes, kind="stable")
    sorted_hashes = hashes[order]
    starts = np.flatnonzero(np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]]) if total else np.zeros(0, np.int64)
    keys, counts = sorted_hashes[starts], np.diff(np.r_[starts, total])
    per_track = np.bincount(np.searchsorted(ids, tracks), minlength=ids.size) if ids.size else np.zeros(0, np.int64)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    wide = total >= 1 << 32
    if not wide and keys.size * 8 > N_HASHES:  # dense directory: smaller, and no binary search
        # stored as one byte of count per hash (4.2 MB against the offsets' 16.8 MB: at 20,000
        # tracks, six segments, 0.07 MB per hour of reference audio instead of 0.29), the offsets
        # summed up when the segment opens
        per_hash = np.zeros(N_HASHES, np.int64)  # the counts of the sorted hashes, spread over every hash
        per_hash[keys] = counts
        big = np.flatnonzero(per_hash >= BIG)
        # and under zlib: most counts are small (0.6 of the bytes gone at 1,000 tracks, ~20 ms to open)
        (tmp / "hash_counts.zz").write_bytes(zlib.compress(np.minimum(per_hash, BIG).astype(np.uint8).tobytes(), 6))
        np.save(tmp / "big_counts.npy", np.stack([big, per_hash[big]], axis=1).astype(np.int64))
    else:
        offsets = np.zeros(keys.size + 1, np.int64 if wide else np.uint32)
        offsets[1:] = np.cumsum(counts)
        np.save(tmp / "keys.npy", keys.astype(np.uint32))
        np.save(tmp / "offsets.npy", offsets)
    packed = pack_postings(tracks[order], times[order], ids)
    if packed is None:
        np.save(tmp / "tracks.npy", tracks[order])
        np.save(tmp / "times.npy", times[order])
    else:
        np.save(tmp / "postings.npy", packed[0])
        (tmp / "layout.json").write_text(json.dumps({"frame_bits": packed[1], "local": packed[2]}))
    if all_held.size:
        np.save(tmp / "held.npy", all_held)
    if per_track_held.any():
        np.save(tmp / "held_tracks.npy", per_track_held)
    np.save(tmp / "ids.npy", ids.astype(np.int64))
    np.save(tmp / "counts.npy", per_track.astype(np.int64))
    tmp.rename(folder)
    return total
