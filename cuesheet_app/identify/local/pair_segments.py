"""The landmark-pair index in appended segments: adding tracks never rebuilds the whole index.

Why: the pair pass is still the first identification pass (docs/engine-v2.md: triplets
alone find fewer excerpts under dialogue), and its index used to be rebuilt from every
fingerprint file after each change: after adding ten tracks to a 20,000-track library that is
hundreds of millions of postings read, sorted and written again. Now each ``add`` writes one
segment holding only the new (or re-indexed) tracks' postings; the newest segment that holds
a track is its live one; removed tracks are skipped at lookup; when there are more than
``MAX_SEGMENTS`` the smallest are merged (which also drops dead postings). Same scheme as the
triplet index (``segment_index.py``).

One segment's files and their layout are in ``pair_segment_files.py``. ``index/segments.json``
lists the segments in order and is replaced atomically.

``lookup`` returns the same ``Matches`` as ``HashIndex`` did, and caps a hash's postings summed
over all segments: at ``MAX_POSTINGS`` up to the size of a 1,000-track library, and above it by the
square root of the index's size (``posting_cap``).

Held-back hashes: a hash whose postings over the whole index exceed ``HOLD_FACTOR`` times the
cap when a segment is written (appended or merged) has its postings in that segment counted, not
stored (``held.npy``), and is never looked up. Why: at 20,000 tracks the hashes over the cap held
19 % of the postings, which the cap made sure were never read. Why a margin of 1.5 over the cap:
a hash's postings grow with the library and the cap only as its square root, so a hash held
today would come back under the cap only if the library grew 2.25-fold without adding to it, or
shrank. Such a hash stays ignored (it was far too common when written); the 20,000-track
benchmark library is built in that order (real music first, then 19,000 decoys) and its recall is
unchanged (docs/engine-v2.md, "Held-back hashes"). The held
counts still count towards the index's size (the cap is what it would be without holding), and
the fingerprint files keep every pair, so ``cuesheet library upgrade`` of a damaged index, which
rebuilds it, decides again.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.hash_index import (
    MAX_POSTINGS,
    Matches,
    expand_ranges,
)
from cuesheet_app.identify.local.pair_segment_files import (
    N_HASHES,
    PairSegment,
    SegmentError,
    write_pair_segment,
)
from cuesheet_app.identify.local.segment_index import (
    all_live,
    live_table,
    read_segment_list,
    replace_with_merged,
    save_segment_list,
    segments_to_merge,
)

# index/ format 1 was one HashIndex rebuilt on every change; 2: 8 bytes per posting; 3: 4 bytes;
# 4: keyed by the 22-bit level-classed pair hashes (``landmarks.HASH_BITS``)
FORMAT = 4
MAX_SEGMENTS = 6
HOLD_FACTOR = 1.5
__all__ = ["FORMAT", "HOLD_FACTOR", "MAX_SEGMENTS", "N_HASHES", "PairIndex", "PairSegment", "SegmentError",
           "append_pair_segment", "forget_pair_segments", "index_bytes", "merge_pair_segments",
           "posting_cap", "read_manifest", "write_pair_segment"]


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


def _live_totals(index: PairIndex, live: np.ndarray) -> tuple[np.ndarray, int]:
    """Per hash, the live postings stored over every segment, and the index's live size (held
    postings included, as for the cap), where ``live`` (per track id, the position of its live
    segment, or -1) says what is live. A segment whose tracks are all live is counted from its
    directory; one with dead tracks (re-indexed or removed) from its postings."""
    totals = np.zeros(N_HASHES, np.int64)
    size = 0
    for i, seg in enumerate(index.segments):
        ok = live[seg.track_ids] == i
        size += seg.postings_of(ok)
        if ok.all():
            totals += seg.stored_counts()
        elif ok.any():
            tracks, _ = seg.read(np.arange(seg.size))
            totals += np.bincount(seg.all_hashes()[live[tracks] == i], minlength=N_HASHES)
    return totals, size


def _hold_mask(index: PairIndex, live: np.ndarray, new_counts: np.ndarray) -> np.ndarray:
    """The hashes to hold back in a segment about to be written: those held already, and those
    whose live postings over the whole index (plus ``new_counts``, the new segment's) exceed
    ``HOLD_FACTOR`` times the cap of the index's live size after the write."""
    totals, size = _live_totals(index, live)
    cap = posting_cap(size + int(new_counts.sum()))
    return (totals + new_counts > HOLD_FACTOR * cap) | index.held


def append_pair_segment(folder: Path, parts: list[tuple[int, np.ndarray, np.ndarray]],
                        live_tracks: set[int] | None = None) -> None:
    """A new segment of ``parts``; ``live_tracks``, when known, are the library's tracks after
    it (so a removed track's postings do not count towards holding a hash back)."""
    if not parts:
        return
    folder.mkdir(parents=True, exist_ok=True)
    segments = read_manifest(folder)
    if not segments:
        _drop_old_layout(folder)
    new = np.bincount(np.concatenate([np.asarray(h, np.int64) for _, h, _ in parts]), minlength=N_HASHES)
    try:
        index = PairIndex(folder, live_tracks)
        live = index.live.copy()  # the tracks appended again are dead where they were
        again = np.array([t for t, _, _ in parts if t < live.size], np.int64)
        live[again] = -1
        hold = _hold_mask(index, live, new)
    except SegmentError:  # a damaged segment: the upgrade rebuilds the index and decides again
        hold = None
    name = f"pseg-{uuid.uuid4().hex[:12]}"
    n = write_pair_segment(folder / name, parts, hold=hold)
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
        # live postings, and those held back: fixed once opened (the matcher asks on every
        # call, the cap needs it)
        self.size = 0
        self.held = np.zeros(N_HASHES, bool)  # never looked up: too common (see the module's docstring)
        self.held_postings = 0  # of live tracks, held back (``library stats`` shows them)
        for i, seg in enumerate(self.segments):
            ok = self.live[seg.track_ids] == i
            self.size += seg.postings_of(ok)
            self.held_postings += int(seg.held_tracks[ok].sum())
            if ok.any():  # a segment of dead tracks holds nothing back
                self.held[seg.held[:, 0]] = True
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
        common = (total_per_hash > self.max_postings) | self.held[h]  # says nothing about the track
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
    held_rows, held_tracks = [], {}
    for i in chosen:
        seg = index.segments[i]
        ok = index.live[seg.track_ids] == i
        if not ok.any():  # every track of this segment was re-indexed later or removed
            continue
        live_ids = seg.track_ids[ok]
        held_rows.append(seg.held)  # stays held
        carried = ok & (seg.held_tracks > 0)
        held_tracks.update(zip(seg.track_ids[carried].tolist(), seg.held_tracks[carried].tolist(), strict=True))
        hashes = seg.all_hashes()
        tracks, times = seg.read(np.arange(seg.size))
        ok = index.live[tracks] == i
        tracks, hashes, times = tracks[ok], hashes[ok], times[ok].astype(np.uint32)
        order = np.argsort(tracks, kind="stable")
        ids, first = np.unique(tracks[order], return_index=True)
        for t, idx in zip(ids.tolist(), np.split(order, first[1:]) if ids.size else [], strict=True):
            parts.append((int(t), hashes[idx], times[idx]))
        empty = np.zeros(0, np.uint32)  # live tracks without a stored posting stay listed
        parts.extend((int(t), empty, empty) for t in np.setdiff1d(live_ids, ids).tolist())
    name = f"pseg-{uuid.uuid4().hex[:12]}"
    hold = _hold_mask(index, index.live, np.zeros(N_HASHES, np.int64))
    n = write_pair_segment(folder / name, parts, hold=hold,
                           held=np.concatenate(held_rows) if held_rows else None, held_tracks=held_tracks)
    del index
    merged = {"name": name, "postings": n, "tracks": len({t for t, _, _ in parts})}
    return replace_with_merged(folder, FORMAT, segs, chosen, merged)


def index_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0
