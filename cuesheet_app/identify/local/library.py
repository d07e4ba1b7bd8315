"""The reference library: audio files indexed for identification, with their rights metadata.

Python API (the CLI, the GUI worker and the demo use exactly this)::

    from cuesheet_app.identify.local.library import Library
    lib = Library(Path("~/my-library"))            # the folder is created on first add
    report = lib.add([Path("/music/APM")], metadata=Path("apm.xlsx"),
                     progress=callback, cancel=token)   # -> AddReport
    report.added, report.updated, report.unchanged, report.dropped, report.failed
    lib.remove([Path("/music/APM/old")])           # -> list of removed TrackRecord
    lib.tracks()                                   # -> list[TrackRecord] (path, metadata...)
    lib.stats()                                    # -> LibraryStats
    lib.load_index()                               # -> PairIndex (memory-mapped) for the engine

Indexing is incremental: a file whose size and modification time are unchanged is skipped
(its metadata is still refreshed from a new sheet), a changed one is fingerprinted again,
and tracks whose files disappeared from a folder being added are dropped.

Folder layout: ``library.json`` (the track list: path, size, mtime, duration, metadata),
``fp/<id>.npz`` (each track's landmark peaks and fine peaks: the source the index is built from;
``fingerprints.py``) and ``index/`` (landmark pairs) in memory-mapped segments, one appended per
change (``pair_segments.py``), so adding tracks never rebuilds the whole index. A track no
segment holds (a crash between its fingerprint and its segment) is appended on load; removed
tracks are skipped until a merge drops them. Format 2 also wrote ``index2/`` (speed-invariant
triplets) on every add; the triplet search is off (``speed_pass.TRIPLET_PASS``), so format 3
does not build it (an upgrade deletes it) and ``load_triplet_index(build=True)`` makes it again
from the fine peaks, should the search come back.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import shutil
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from cuesheet_app.identify.base import CancelToken, Progress, ProgressCallback, ignore_progress
from cuesheet_app.identify.local.edges import reference_peaks
from cuesheet_app.identify.local.fingerprints import FORMAT as FINGERPRINT_FORMAT
from cuesheet_app.identify.local.fingerprints import (
    FingerprintError,
    TrackFingerprint,
    file_format,
    has_classes,
    index_pairs,
    load_fine_peaks,
    load_pairs,
)
from cuesheet_app.identify.local.fingerprints import load as load_fingerprint
from cuesheet_app.identify.local.landmarks import N_LEVEL_CLASSES, REFERENCE, PeakCollector
from cuesheet_app.identify.local.pair_segments import (
    PairIndex,
    SegmentError,
    append_pair_segment,
    forget_pair_segments,
    merge_pair_segments,
)
from cuesheet_app.identify.local.pair_segments import index_bytes as pair_index_bytes
from cuesheet_app.identify.local.pair_segments import read_manifest as read_pair_manifest
from cuesheet_app.identify.local.segment_index import (
    FLUSH_POSTINGS,
    SegmentedIndex,
    append_segment,
    index_bytes,
    read_manifest,
)
from cuesheet_app.identify.local.spectro import spectrogram_chunks
from cuesheet_app.identify.local.tags import read_tags
from cuesheet_app.identify.local.triplets import (
    REF_PARTNERS,
    TripletCollector,
    Triplets,
    triplet_hashes,
)
from cuesheet_app.identify.local.triplets import REFERENCE as TRIPLET_REFERENCE
from cuesheet_app.media.decode import ANALYSIS_RATE, decode_blocks
from cuesheet_app.media.errors import MediaError
from cuesheet_app.rights.metadata_sheet import MetadataSheet, read_metadata_sheet
from cuesheet_app.storage.atomic import atomic_write_bytes

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({
    ".wav", ".bwf", ".aif", ".aiff", ".aifc", ".flac", ".mp3", ".m4a", ".aac", ".mp4", ".mov",
    ".ogg", ".oga", ".opus", ".wma", ".mka", ".mkv", ".mxf", ".ac3", ".caf", ".wv", ".ape",
})
MAX_TRACK_S = 30 * 60  # longer "tracks" are fingerprinted up to here (bounded memory and index)
METADATA_KEYS = ("title", "artists", "album", "label", "release_date", "isrc", "iswc", "library",
                 "catalogue_number", "track_number", "composers", "publishers")
# 1: landmark pairs only; 2: + speed-invariant triplets (index2/); 3: compact postings and
# fingerprint files, no triplet index; 4: pair hashes with level classes (landmarks.HASH_BITS)
LIBRARY_FORMAT = 4
KNOWN_FORMATS = (1, 2, 3, 4)


class LibraryError(Exception):
    """The library folder itself is unusable; the message names it."""


class UpgradeNeeded(LibraryError):
    """The library was built by an older version or a pair index segment is damaged:
    ``Library.upgrade`` (``cuesheet library upgrade``) converts it or rebuilds the index. Raised
    by ``load_index`` so that identification opens the index once, not once more to check it."""


@dataclass
class TrackRecord:
    id: int
    path: str
    size: int
    mtime_ns: int
    duration_s: float
    hashes: int
    metadata: dict[str, Any] = field(default_factory=dict)
    metadata_source: str = "tags"  # tags | sheet | tags+sheet
    # fingerprint without level classes (upgraded while its audio was gone): the next add of
    # its file fingerprints it again even if the file is unchanged
    classless: bool = False

    @property
    def title(self) -> str:
        return str(self.metadata.get("title") or Path(self.path).stem)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrackRecord:
        return cls(id=int(d["id"]), path=str(d["path"]), size=int(d["size"]),
                   mtime_ns=int(d["mtime_ns"]), duration_s=float(d["duration_s"]),
                   hashes=int(d.get("hashes", 0)), metadata=dict(d.get("metadata") or {}),
                   metadata_source=str(d.get("metadata_source", "tags")),
                   classless=bool(d.get("classless", False)))


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # removed, their files gone: from a folder that was re-added, or by an upgrade (no fingerprint)
    dropped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)
    sheet_errors: list[str] = field(default_factory=list)  # "sheet.csv row 7: ..."
    unmatched_rows: list[int] = field(default_factory=list)  # good sheet rows that found no file
    seconds_indexed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["failed"] = [{"path": p, "error": e} for p, e in self.failed]
        return d


@dataclass
class LibraryStats:
    folder: str
    tracks: int
    total_duration_s: float
    postings: int
    index_bytes: int
    with_rights: int  # tracks with composers or publishers
    missing_files: int
    format: int = LIBRARY_FORMAT  # of library.json and the fingerprints
    upgrade_needed: bool = False  # older format or damaged index: converted/rebuilt on next use
    index_damaged: bool = False  # a pair index segment is unreadable: the upgrade rebuilds it
    triplet_postings: int = 0
    segments: int = 0
    # hashes too common to say anything (live postings over 1.5 x the cap when a segment was
    # written): counted, not stored, never looked up; their postings still set the cap
    held_hashes: int = 0
    held_postings: int = 0
    posting_cap: int = 0  # postings a hash may have and still be looked up

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reference_triplets(peak_frames: np.ndarray, peak_bins: np.ndarray) -> Triplets:
    """A reference track's triplets from its stored (float32) peaks: the one definition used
    both when indexing and when a segment is rebuilt from the fingerprint files."""
    return triplet_hashes(peak_frames.astype(np.float64), peak_bins.astype(np.float64),
                          REF_PARTNERS, TRIPLET_REFERENCE.fan_out)


def load_triplets(path: Path) -> Triplets:
    """A fingerprint file's triplets, made from its fine peaks (FingerprintError for format 1)."""
    return reference_triplets(*load_fine_peaks(path))


def fingerprint_file(path: str, cancel: CancelToken | None = None) -> TrackFingerprint:
    """The fingerprint of one reference file, from one decode. Raises MediaError."""
    seen = 0

    def blocks() -> Iterable[np.ndarray]:
        nonlocal seen
        for block in decode_blocks(path, block_s=30.0, cancel=cancel):
            yield block
            seen += block.size
            if seen >= MAX_TRACK_S * ANALYSIS_RATE:
                return

    pairs = PeakCollector(REFERENCE)
    fine = TripletCollector(TRIPLET_REFERENCE, REF_PARTNERS)
    for chunk in spectrogram_chunks(blocks()):
        pairs.add(chunk)
        fine.add(chunk)
    hashes, frames = pairs.hashes()
    pf, pb = (p.astype(np.float32) for p in fine.peaks())
    return TrackFingerprint(hashes, frames.astype(np.uint32), seen / ANALYSIS_RATE, pf, pb, pairs.peaks())


def _fingerprint_job(path: str) -> tuple[str, Any]:
    """Process-pool entry: never raises, so one bad file cannot stop a batch."""
    try:
        return "ok", fingerprint_file(path)
    except MediaError as exc:
        return "error", str(exc)
    except Exception as exc:  # FFmpeg/numpy surprises on a hostile file: report, go on
        return "error", f"{path}: cannot index ({type(exc).__name__}: {exc})"


def _iter_audio(paths: Iterable[Path]) -> tuple[list[Path], list[Path], list[tuple[str, str]]]:
    """(files, folders, problems) for the given files and folders (folders walked, sorted)."""
    files: list[Path] = []
    folders: list[Path] = []
    problems: list[tuple[str, str]] = []
    for raw in paths:
        p = Path(raw).expanduser()
        with contextlib.suppress(OSError):
            p = p.resolve()
        if p.is_dir():
            folders.append(p)
            for root, dirs, names in os.walk(p):
                dirs.sort()
                for name in sorted(names):
                    if Path(name).suffix.lower() in AUDIO_SUFFIXES and not name.startswith("."):
                        files.append(Path(root) / name)
        elif p.is_file():
            files.append(p)
        else:
            problems.append((str(p), f"{p}: file not found"))
    seen: set[Path] = set()
    unique = [f for f in files if not (f in seen or seen.add(f))]
    return unique, folders, problems


def _merge_metadata(tags: dict[str, Any], row: dict[str, str] | None) -> tuple[dict[str, Any], str]:
    meta = {k: v for k, v in tags.items() if k in METADATA_KEYS and v not in ("", [], None)}
    if not row:
        return meta, "tags"
    for key in METADATA_KEYS:
        value = row.get(key, "")
        if not value:
            continue
        meta[key] = [a.strip() for a in value.split(";") if a.strip()] if key == "artists" else value
    return meta, ("tags+sheet" if tags else "sheet")


DECODED_CACHE = 32  # decoded fingerprints kept per Library (~0.3 MB each for a 4-minute track)
LOCK_TIMEOUT_S = 30.0  # how long a second writer waits before saying the library is busy


class Library:
    """A reference library folder; writers (add, remove, index rebuild) take a lock file."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser()
        # decoded fingerprints of the tracks edge refinement asked for last: a format-3 file
        # makes its pairs again on reading (~20 ms for a 4-minute track), and one match's edges
        # ask for the same track's peaks several times
        self._decoded: OrderedDict[tuple, Any] = OrderedDict()

    def _cached(self, kind: str, track_id: int, read: Callable[[Path], Any]) -> Any:
        """``read(fingerprint path)``, kept for the last ``DECODED_CACHE`` requests (keyed by the
        file's size and modification time, so a re-indexed track is read again)."""
        path = self._fp_path(track_id)
        try:
            st = path.stat()
        except OSError as exc:
            raise FingerprintError(f"{path}: fingerprint file missing ({exc.strerror or exc})") from None
        key = (kind, track_id, st.st_mtime_ns, st.st_size)
        if key in self._decoded:
            self._decoded.move_to_end(key)
            return self._decoded[key]
        value = read(path)
        self._decoded[key] = value
        while len(self._decoded) > DECODED_CACHE:
            self._decoded.popitem(last=False)
        return value

    # ----- stored state -------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time across processes (a lock file in the library folder)."""
        if self.folder.exists() and not self.folder.is_dir():
            raise LibraryError(f"{self.folder}: is a file, not a library folder")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"{self.folder}: cannot create the library folder ({exc.strerror or exc})") from None
        lock = FileLock(self.folder / ".lock", timeout=LOCK_TIMEOUT_S)
        try:
            lock.acquire()
        except Timeout:
            raise LibraryError(f"{self.folder}: another program is updating this library; "
                               "try again when it has finished") from None
        try:
            yield
        finally:
            lock.release()

    @property
    def _manifest_path(self) -> Path:
        return self.folder / "library.json"

    @property
    def _index_dir(self) -> Path:
        return self.folder / "index"

    @property
    def _index2_dir(self) -> Path:
        return self.folder / "index2"

    def _fp_path(self, track_id: int) -> Path:
        return self.folder / "fp" / f"{track_id}.npz"

    def _load(self) -> dict[str, Any]:
        if self.folder.exists() and not self.folder.is_dir():
            raise LibraryError(f"{self.folder}: is a file, not a library folder")
        try:
            data = json.loads(self._manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"format": LIBRARY_FORMAT, "next_id": 1, "tracks": []}
        except (OSError, ValueError) as exc:
            raise LibraryError(f"{self._manifest_path}: unreadable library list ({exc})") from None
        if not isinstance(data, dict) or data.get("format") not in KNOWN_FORMATS:
            raise LibraryError(f"{self._manifest_path}: not a library list this version understands "
                               f"(format {data.get('format') if isinstance(data, dict) else '?'})")
        return data

    def needs_upgrade(self) -> bool:
        """Built by an older version (format 1: no fine peaks; 2: the wide index and files), or
        a pair index segment is damaged (a crash or a disk error): its error tells the user to
        run the upgrade, which then rebuilds the index from the fingerprint files. Opens the index
        to check it: a reader that goes on to use it calls ``load_index`` and catches UpgradeNeeded."""
        data = self._load()
        if data.get("format") != LIBRARY_FORMAT:
            return True
        return self._pair_index_damaged({r.id for r in self._records(data).values()})

    def _pair_index_damaged(self, live: set[int]) -> bool:
        return self._open_pair_index(live) is None

    def _open_pair_index(self, live: set[int]) -> PairIndex | None:
        """The pair index over ``live`` tracks, or None when a segment is damaged."""
        try:
            return PairIndex(self._index_dir, live)
        except SegmentError:
            return None

    def _records(self, data: dict[str, Any]) -> dict[str, TrackRecord]:
        return {t["path"]: TrackRecord.from_dict(t) for t in data.get("tracks", [])}

    def _save(self, data: dict[str, Any], records: dict[str, TrackRecord]) -> None:
        data["tracks"] = [asdict(r) for r in sorted(records.values(), key=lambda r: r.id)]
        (self.folder / "fp").mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self._manifest_path,
                           json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))

    def _pair_parts(self, track_ids: Iterable[int]) -> list[tuple[int, np.ndarray, np.ndarray]]:
        parts = []
        for tid in track_ids:
            path = self._fp_path(tid)
            try:
                parts.append((tid, *index_pairs(path)))
            except FingerprintError as exc:
                raise LibraryError(str(exc)) from None
        return parts

    def _cover_pairs(self, records: dict[str, TrackRecord]) -> None:
        """Append a pair segment for live tracks no segment holds (a library indexed before
        segments existed, a crash between a fingerprint and its segment), then merge the
        smallest segments if there are too many. Never rewrites what is covered."""
        live = {r.id for r in records.values()}
        missing = sorted(live - PairIndex(self._index_dir, live).covered())
        for at in range(0, len(missing), 500):  # bounded memory for a large old library
            append_pair_segment(self._index_dir, self._pair_parts(missing[at:at + 500]), live)
        merge_pair_segments(self._index_dir, live)

    # ----- public API -----------------------------------------------------------------------
    def tracks(self) -> list[TrackRecord]:
        return sorted(self._records(self._load()).values(), key=lambda r: r.path)

    def track_map(self) -> dict[int, TrackRecord]:
        return {r.id: r for r in self._records(self._load()).values()}

    def load_index(self) -> PairIndex:
        """The memory-mapped pair index; tracks its segments miss are appended first. Raises
        UpgradeNeeded for an older format or a damaged segment (then ``upgrade`` and call again)."""
        data = self._load()
        if data.get("format") != LIBRARY_FORMAT:
            raise UpgradeNeeded(f"{self.folder}: this library was built by an older version (format "
                                f"{data.get('format')}); upgrade it first (cuesheet library upgrade)")
        records = self._records(data)
        live = {r.id for r in records.values()}
        if not records:
            return PairIndex.empty(self._index_dir)
        try:
            index = PairIndex(self._index_dir, live)
            if live - index.covered():
                with self._writing():
                    self._cover_pairs(self._records(self._load()))  # another writer may have finished
                index = PairIndex(self._index_dir, live)
            return index
        except SegmentError as exc:
            raise UpgradeNeeded(str(exc)) from None

    def load_triplet_index(self, build: bool = False) -> SegmentedIndex:
        """The speed-invariant index (memory-mapped segments), as far as it exists: format 3
        does not build it while the triplet search is off (``speed_pass.TRIPLET_PASS``). With
        ``build`` the tracks its segments miss are appended first, made from the fine peaks
        of the fingerprint files (the whole index, the first time)."""
        data = self._load()
        records = self._records(data)
        live = {r.id for r in records.values()}
        index = SegmentedIndex(self._index2_dir, live)
        covered = {int(t) for s in index.segments for t in s.track_ids}
        if build and data.get("format") == LIBRARY_FORMAT and live - covered:
            with self._writing():
                index = SegmentedIndex(self._index2_dir, live)
                covered = {int(t) for s in index.segments for t in s.track_ids}
                parts = []
                for tid in sorted(live - covered):
                    with contextlib.suppress(FingerprintError):
                        parts.append((tid, load_triplets(self._fp_path(tid))))
                append_segment(self._index2_dir, parts)
            index = SegmentedIndex(self._index2_dir, live)
        return index

    def reference_triplet_peaks(self, track_id: int, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        """(frames, bins) as floats of the peaks the triplets were made of, in reference
        frames [lo, hi): for edge refinement of a match at any speed ratio."""
        try:
            f, b = self._cached("fine", track_id, load_fine_peaks)
        except FingerprintError as exc:
            raise LibraryError(f"cannot read the track's peaks: {exc}") from None
        a, e = np.searchsorted(f, [lo, hi])
        return f[a:e].astype(np.float64), b[a:e].astype(np.float64)

    def reference_peaks(self, track_id: int, lo: int = 0, hi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(frames, bins) of the spectral peaks stored for one track in reference frames
        [lo, hi) (give or take a landmark's span), for edge refinement."""
        try:
            hashes, frames = self._cached("pairs", track_id, load_pairs)
        except FingerprintError as exc:
            raise LibraryError(f"cannot read the track's landmarks: {exc}") from None
        return reference_peaks(hashes, frames, lo, hi)

    def add(
        self,
        paths: Iterable[str | os.PathLike[str]],
        metadata: str | os.PathLike[str] | MetadataSheet | None = None,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
        workers: int | None = None,
    ) -> AddReport:
        """Index files and folders (incrementally). Raises LibraryError / MetadataSheetError.

        Work done before a cancel is kept: the library is saved and the index rebuilt.
        Another program (a second window, the CLI) adding at the same time waits for the lock,
        then gets a clear LibraryError rather than a half-merged track list.
        """
        with self._writing():
            if self.needs_upgrade():
                self._upgrade(progress, cancel, workers)
            return self._add(paths, metadata, progress, cancel, workers)

    def upgrade(self, progress: ProgressCallback = ignore_progress, cancel: CancelToken | None = None,
                workers: int | None = None) -> AddReport:
        """Re-index a library built by an older version, with progress. Tracks whose audio is
        there are fingerprinted again; a format-2/3 track whose audio is gone is converted
        without level classes (listed as updated, still found); a format-1 track whose audio is
        gone keeps its old fingerprint (found at the original speed only) and is listed as
        failed; one whose fingerprint is unreadable too (or cannot be converted), and whose file
        is gone or cannot be fingerprinted again either, is removed (listed as failed and
        dropped): nothing is left to index it from. Tracks left without classes are fingerprinted
        again by the next add of their file. A cancel keeps what was done and the next upgrade
        goes on from there."""
        with self._writing():
            return self._upgrade(progress, cancel, workers)

    def _upgrade(self, progress: ProgressCallback, cancel: CancelToken | None,
                 workers: int | None) -> AddReport:
        """An older library -> the current format. Every track whose audio is still there is
        fingerprinted again (format 4's level classes come from the peaks' levels, which older
        files do not keep). A format-2 or -3 track whose audio is gone (or no longer decodes) is
        converted without it, *classless*: indexed in all four level classes, so it is still
        found, at four times the postings. A format-1 track whose audio is gone is kept as it
        is; one whose fingerprint is unreadable too is removed and reported."""
        report = AddReport()
        data = self._load()
        if data.get("format") == LIBRARY_FORMAT:
            records = self._records(data)
            if self._pair_index_damaged({r.id for r in records.values()}):
                # the index is derived data: forget every segment (their folders go with the
                # first one appended) and make it again from the fingerprint files
                log.warning("%s: the index is damaged; rebuilding the pair index from the fingerprint files",
                            self.folder)
                progress(Progress("Building index", None))
                forget_pair_segments(self._index_dir)
                self._cover_pairs(records)
            return report
        records = self._records(data)
        convert: list[TrackRecord] = []  # format 2/3 without audio: converted classless
        fallback: dict[str, TrackRecord] = {}  # format 2/3 with audio: converted if it fails to decode
        todo: list[Path] = []
        gone: list[TrackRecord] = []  # nothing left to index them from: removed, reported
        unreadable: set[str] = set()  # fingerprint unreadable: removed too if its file fails
        for r in records.values():
            try:
                fmt = file_format(self._fp_path(r.id))
            except FingerprintError:
                fmt = 0
            if fmt in (4, FINGERPRINT_FORMAT):  # done by an upgrade that was cancelled (4: by the
                # version before format 5's container, which reads the same)
                r.classless = not has_classes(self._fp_path(r.id))  # its flag was not saved
                continue
            if Path(r.path).is_file():
                todo.append(Path(r.path))
                if fmt in (2, 3):
                    fallback[r.path] = r
                elif fmt != 1:
                    unreadable.add(r.path)
            elif fmt in (2, 3):
                convert.append(r)
            elif fmt == 1:  # indexed in all four classes (index_pairs): re-indexed by the next add
                r.classless = True
                report.failed.append((r.path, f"{r.path}: file not found; kept with its old fingerprint"))
            else:  # kept, it would hold no postings and every load of the index would fail on it
                gone.append(r)
                report.failed.append((r.path, f"{r.path}: file not found and its fingerprint is unreadable; "
                                      "removed from the library (add the file again to index it)"))
        for r in gone:
            del records[r.path]
            report.dropped.append(r.path)
        total = max(1, len(convert) + len(todo))
        progress(Progress("Upgrading library", 0.0, f"{len(convert) + len(todo)} track(s) to re-index"))
        workers = workers if workers is not None else min(2, os.cpu_count() or 1, max(1, len(todo)))
        for done, (f, (status, result)) in enumerate(self._fingerprints(todo, workers, cancel), 1):
            if status == "error" and str(f) in fallback:  # converted from its old file, below
                convert.append(fallback[str(f)])
                total += 1
                log.warning("%s: %s; converted from its old fingerprint instead", f, result)
            elif status == "error" and str(f) in unreadable:  # as a file gone (above)
                gone.append(records.pop(str(f)))
                report.failed.append((str(f), f"{result}; its fingerprint is unreadable too: removed from "
                                      "the library (add the file again to index it)"))
                report.dropped.append(str(f))
            elif status == "error":  # its old fingerprint stays: format 1 has no classes
                records[str(f)].classless = True
                report.failed.append((str(f), str(result)))
            else:
                r = records[str(f)]
                result.save(self._fp_path(r.id))
                r.hashes = int(result.hashes.size)
                report.updated.append(str(f))
                report.seconds_indexed += result.seconds
            progress(Progress("Upgrading library", done / total, f.name))
        for done, r in enumerate(convert, len(todo) + 1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            path = self._fp_path(r.id)
            try:
                old = load_fingerprint(path, r.duration_s)
                old.classed = False
                old.save(path)
                r.classless = True
                report.updated.append(r.path)
                log.warning("%s: its audio is gone or unreadable: converted without level classes "
                            "(found at four times the lookup cost; adding the file again re-indexes it)", r.path)
            except FingerprintError as exc:  # kept, it would hold no postings
                gone.append(records.pop(r.path))
                report.failed.append((r.path, f"{exc}; its file is gone or unreadable: removed from the library "
                                      "(add the file again to index it)"))
                report.dropped.append(r.path)
            progress(Progress("Upgrading library", done / total, Path(r.path).name))
        # the triplet index is not used (speed_pass.TRIPLET_PASS): ~1 MB per hour of audio
        shutil.rmtree(self._index2_dir, ignore_errors=True)
        data["format"] = LIBRARY_FORMAT
        self._save(data, records)
        for r in gone:
            self._drop(r)
        progress(Progress("Building index", None))
        forget_pair_segments(self._index_dir)  # an older index/ (even unreadable) is not read:
        self._cover_pairs(records)  # rebuilt once from the fingerprints
        return report

    def _add(
        self,
        paths: Iterable[str | os.PathLike[str]],
        metadata: str | os.PathLike[str] | MetadataSheet | None,
        progress: ProgressCallback,
        cancel: CancelToken | None,
        workers: int | None,
    ) -> AddReport:
        report = AddReport()
        sheet = metadata if isinstance(metadata, MetadataSheet) or metadata is None \
            else read_metadata_sheet(metadata)
        if sheet is not None:
            report.sheet_errors = sheet.error_lines()
        data = self._load()
        records = self._records(data)
        files, folders, problems = _iter_audio(Path(p) for p in paths)
        report.failed.extend(problems)
        todo: list[Path] = []
        matched_rows: set[int] = set()
        for f in files:
            st = f.stat()
            old = records.get(str(f))
            if old and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns and not old.classless:
                row = sheet.match(f, str(old.metadata.get("isrc", ""))) if sheet else None
                if row:
                    matched_rows.add(row.row)
                    old.metadata, old.metadata_source = _merge_metadata(read_tags(f), row.values)
                report.unchanged.append(str(f))
            else:
                todo.append(f)
        for folder in folders:
            prefix = str(folder) + os.sep
            for path in [p for p in records if p.startswith(prefix) and not Path(p).exists()]:
                self._drop(records.pop(path))
                report.dropped.append(path)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "fp").mkdir(exist_ok=True)
        progress(Progress("Indexing", 0.0, f"{len(todo)} file(s) to index"))
        workers = workers if workers is not None else min(2, os.cpu_count() or 1, max(1, len(todo)))
        pairs: list[tuple[int, np.ndarray, np.ndarray]] = []  # new postings: appended as a segment
        try:
            for done, (f, (status, result)) in enumerate(self._fingerprints(todo, workers, cancel), 1):
                if status == "error":
                    report.failed.append((str(f), str(result)))
                else:
                    track_id = self._store(records, data, f, result, sheet, matched_rows, report)
                    pairs.append((track_id, result.hashes, result.frames))
                    if sum(h.size for _, h, _ in pairs) >= FLUSH_POSTINGS:
                        self._save(data, records)
                        append_pair_segment(self._index_dir, pairs, {r.id for r in records.values()})
                        pairs = []
                progress(Progress("Indexing", done / max(1, len(todo)), f.name))
        finally:
            if sheet is not None:
                report.unmatched_rows = [r.row for r in sheet.rows if r.ok and r.row not in matched_rows]
            self._save(data, records)
            progress(Progress("Building index", None))
            append_pair_segment(self._index_dir, pairs, {r.id for r in records.values()})
            self._cover_pairs(records)
        return report

    def _fingerprints(self, todo: list[Path], workers: int, cancel: CancelToken | None):  # type: ignore[no-untyped-def]
        if workers <= 1 or len(todo) < 2:
            for f in todo:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                yield f, _fingerprint_job(str(f))
            return
        # spawn, not fork: the GUI calls this from a worker thread of a Qt process
        ctx = multiprocessing.get_context("spawn")
        done: set[Path] = set()
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                pending = [(f, pool.submit(_fingerprint_job, str(f))) for f in todo]
                try:
                    for f, fut in pending:
                        if cancel is not None:
                            cancel.raise_if_cancelled()
                        result = fut.result()
                        done.add(f)
                        yield f, result
                finally:
                    for _, fut in pending:
                        fut.cancel()
        except (BrokenProcessPool, RuntimeError, OSError) as exc:
            # e.g. a host script without an ``if __name__ == "__main__"`` guard: go on in-process
            log.warning("Indexing in worker processes failed (%s); continuing in this process", exc)
            for f in todo:
                if f in done:
                    continue
                if cancel is not None:
                    cancel.raise_if_cancelled()
                yield f, _fingerprint_job(str(f))

    def _store(self, records: dict[str, TrackRecord], data: dict[str, Any], f: Path,
               fp: TrackFingerprint, sheet: MetadataSheet | None, matched_rows: set[int],
               report: AddReport) -> int:
        st = f.stat()
        tags = read_tags(f)
        row = sheet.match(f, str(tags.get("isrc", ""))) if sheet else None
        if row:
            matched_rows.add(row.row)
        meta, source = _merge_metadata(tags, row.values if row else None)
        old = records.get(str(f))
        track_id = old.id if old else int(data["next_id"])
        if not old:
            data["next_id"] = track_id + 1
        fp.save(self._fp_path(track_id))
        records[str(f)] = TrackRecord(id=track_id, path=str(f), size=st.st_size, mtime_ns=st.st_mtime_ns,
                                      duration_s=round(fp.seconds, 3), hashes=int(fp.hashes.size),
                                      metadata=meta, metadata_source=source)
        (report.updated if old else report.added).append(str(f))
        report.seconds_indexed += fp.seconds
        return track_id

    def _drop(self, record: TrackRecord) -> None:
        self._fp_path(record.id).unlink(missing_ok=True)

    def remove(self, paths: Iterable[str | os.PathLike[str]]) -> list[TrackRecord]:
        """Drop tracks by file path, or every track under a folder path."""
        with self._writing():
            return self._remove(paths)

    def _remove(self, paths: Iterable[str | os.PathLike[str]]) -> list[TrackRecord]:
        data = self._load()
        records = self._records(data)
        removed: list[TrackRecord] = []
        for raw in paths:
            p = Path(raw).expanduser()
            with_abs = {str(p), str(p.absolute())}
            with contextlib.suppress(OSError):
                with_abs.add(str(p.resolve()))
            for key in list(records):
                if key in with_abs or any(key.startswith(a.rstrip(os.sep) + os.sep) for a in with_abs):
                    removed.append(records.pop(key))
        if removed:
            for r in removed:
                self._drop(r)
            self._save(data, records)  # their postings are skipped at lookup, dropped by a merge
        return removed

    def stats(self) -> LibraryStats:
        """What ``cuesheet library stats`` shows; opens the pair index to say whether it is damaged."""
        data = self._load()
        records = self._records(data)
        current = data.get("format") == LIBRARY_FORMAT
        index = self._open_pair_index({r.id for r in records.values()}) if current else None
        damaged = current and index is None
        size = pair_index_bytes(self._index_dir)
        segs = read_manifest(self._index2_dir).get("segments", [])  # format 2 only
        try:
            pair_segs = len(read_pair_manifest(self._index_dir))
        except SegmentError:  # an unreadable list: index_damaged says so (format 3)
            pair_segs = 0
        return LibraryStats(
            folder=str(self.folder), tracks=len(records),
            total_duration_s=round(sum(r.duration_s for r in records.values()), 3),
            # a classless track's pairs are posted in every level class (fingerprints.index_pairs)
            postings=sum(r.hashes * (N_LEVEL_CLASSES if r.classless else 1) for r in records.values()),
            index_bytes=size + index_bytes(self._index2_dir),
            with_rights=sum(1 for r in records.values()
                            if r.metadata.get("composers") or r.metadata.get("publishers")),
            missing_files=sum(1 for r in records.values() if not Path(r.path).exists()),
            format=int(data.get("format", 1)), upgrade_needed=not current or damaged,
            index_damaged=damaged,
            triplet_postings=sum(int(x.get("postings", 0)) for x in segs),
            segments=pair_segs + len(segs),
            held_hashes=int(index.held.sum()) if index is not None else 0,
            held_postings=index.held_postings if index is not None else 0,
            posting_cap=index.max_postings if index is not None else 0,
        )
