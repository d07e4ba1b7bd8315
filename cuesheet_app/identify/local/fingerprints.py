"""One reference track's fingerprint file (``fp/<id>.npz``): what is stored, and how compactly.

What a track needs kept: its landmark pairs (the source its index postings are rebuilt from,
and whose peaks edge refinement tests) and its fine (sub-frame, sub-bin) peaks (edge
refinement of a match found at another speed; and the triplets, should their index be wanted
again, are made from them). Format 2 stored the pairs themselves, a uint32 hash and a uint32
frame each (~514,000 per hour: 4.1 MB/h), and the fine peaks as float32 (0.6 MB/h).

Format 3 stores the *peaks* the pairs were made of instead: a pair's hash is a function of its
two peaks (``landmarks.pair_hashes``), and each peak is in ~4 pairs. The peaks of the pairs
(both peaks of every pair, as ``edges.reference_peaks`` unpacks them) are written as frame steps and bins under
zlib, and the pairs are made again on reading. That is exact only if ``pair_hashes`` of those
peaks gives the stored pairs back (a peak in no pair can matter: an anchor looks at most 63
peaks ahead, so dropping one can let a farther partner in); ``encode`` checks it and otherwise
writes every peak the track had, or, when only the pairs are known (an upgraded format-2 file),
the pairs themselves. The fine peaks stay float32, bit for bit (edge refinement rounds them
after scaling, so any quantisation could move a result), but byte-planed before zlib: the
exponent bytes of neighbouring peaks are nearly the same. Measured on 8 real tracks: 4.75 ->
0.62 MB per hour of audio.

Format 4 adds each pair's level class (``landmarks.level_classes``: which of its two peaks is
louder, by how much), two bits a pair packed four to a byte (``levels``), because the classes
come from the peaks' levels, which the stored peaks do not keep. A file without them (converted
from format 2 or 3 when its audio was gone) is *classless*: its pairs are indexed in all four
classes (``index_pairs``), found as before at four times the postings.

Format 5 keeps format 4's arrays, in one file of our own instead of a zip of ``.npy`` files: a
magic line, then one xz stream (CRC-checked) of a small header (names, dtypes, shapes) and the
arrays' bytes. Why: the zip's per-member headers and the ``.npy`` headers cost ~0.9 KB a track,
a tenth of a one-minute track's file (18 MB of a 20,000-track library), and one stream compresses
the small arrays better than seven. xz at preset 6 rather than zlib: 5 % smaller files for ~4 ms of
CPU a track when indexing (measured on decoys of ``benchmarks/library_scale.py``). And the fine
peaks are rounded to 1/64 of a frame and of a bin (frames as steps, byte-planed): half their bytes
(0.24 -> 0.12 MB per hour of decoys, 0.30 -> 0.17 of real music), and a peak moves by at most 1/128
frame, which changes an edge only where refinement's own rounding of a scaled peak lands within
that of a half frame (measured in docs/engine-v2.md). Files of formats 1-4 are still read. (The files keep their ``.npz`` name: a library's file names stay
what they were.)
"""

from __future__ import annotations

import io
import json
import lzma
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.edges import reference_peaks
from cuesheet_app.identify.local.landmarks import (
    N_LEVEL_CLASSES,
    REFERENCE,
    SHAPE_BITS,
    SHAPE_MASK,
    pair_hashes,
)
from cuesheet_app.storage.atomic import atomic_write_bytes

FORMAT = 5  # 1: pairs only; 2: pairs + fine peaks (float32); 3: peaks, compressed; 4: + level classes;
# 5: format 4's arrays in one xz stream instead of a zip
MAGIC = b"CSFP5\n"


class FingerprintError(Exception):
    """A fingerprint file is missing, damaged or lacks what was asked of it."""


@dataclass
class TrackFingerprint:
    """Everything stored for one reference track."""

    hashes: np.ndarray  # landmark pairs (uint32, level-classed; only their shapes if not ``classed``) ...
    frames: np.ndarray  # ... and their anchor frames (uint32), sorted
    seconds: float
    peak_frames: np.ndarray  # float32: fine peaks, for edge refinement at any ratio
    peak_bins: np.ndarray
    pair_peaks: tuple[np.ndarray, np.ndarray] | None = None  # every landmark peak, when known
    classed: bool = True  # False: converted from an older file without the audio to classify it

    def save(self, target: Path) -> None:
        """Write the current format's file atomically (a crash leaves the old file or the new one)."""
        atomic_write_bytes(target, encode(self))


def _planes(x: np.ndarray) -> np.ndarray:
    """float32 as four byte planes (a lossless reordering that zlib compresses far better)."""
    return np.ascontiguousarray(np.ascontiguousarray(x, np.float32).view(np.uint8).reshape(-1, 4).T)


def _unplanes(p: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(p.T).view(np.float32).ravel()


FINE_STEPS = 64  # format 5 keeps the fine peaks in 1/64 of a frame and of a bin


def _narrowest(x: np.ndarray) -> np.ndarray:
    """Non-negative integers in the narrowest unsigned type that holds them."""
    top = int(x.max(initial=0))
    return x.astype(np.uint8 if top < 1 << 8 else np.uint16 if top < 1 << 16 else np.uint32)


def _uint_planes(x: np.ndarray) -> np.ndarray:
    """Non-negative integers in the narrowest unsigned type, as byte planes (rows)."""
    narrow = _narrowest(x)
    size = narrow.dtype.itemsize
    return np.ascontiguousarray(narrow.astype(narrow.dtype.newbyteorder("<")).view(np.uint8).reshape(-1, size).T)


def _uint_unplanes(p: np.ndarray) -> np.ndarray:
    if p.dtype != np.uint8 or p.ndim != 2 or p.shape[0] not in (1, 2, 4):
        raise ValueError("byte planes of the wrong shape")
    return np.ascontiguousarray(p.T).view(f"<u{p.shape[0]}").ravel().astype(np.int64)


def _fine_arrays(frames: np.ndarray, bins: np.ndarray) -> dict[str, np.ndarray]:
    """The fine peaks as format 5 stores them, in 1/``FINE_STEPS`` of a frame and a bin: the first
    frame and the lowest bin (``fine_origin``; interpolated peaks can lie just below 0), then frame
    steps and bins above that; as float32 byte planes (format 4's way, exact) were they not finite
    or not sorted by frame."""
    if np.isfinite(frames).all() and np.isfinite(bins).all():
        qf = np.rint(np.asarray(frames, np.float64) * FINE_STEPS).astype(np.int64)
        qb = np.rint(np.asarray(bins, np.float64) * FINE_STEPS).astype(np.int64)
        origin = np.array([qf[0] if qf.size else 0, qb.min(initial=0)], np.int64)
        steps = np.diff(qf, prepend=origin[0])
        if steps.min(initial=0) >= 0:
            return {"fine_origin": origin, "fine_frame_steps": _uint_planes(steps),
                    "fine_bins_q": _uint_planes(qb - origin[1])}
    return {"fine_frames": _planes(frames), "fine_bins": _planes(bins)}


def _steps(frames: np.ndarray) -> np.ndarray:
    return _narrowest(np.diff(frames.astype(np.int64), prepend=0))


def _pairs_of(frames: np.ndarray, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hashes, times = pair_hashes(frames.astype(np.int64), bins.astype(np.int64), REFERENCE.fan_out)
    return hashes, times.astype(np.uint32)


def _same(a: tuple[np.ndarray, np.ndarray], hashes: np.ndarray, frames: np.ndarray) -> bool:
    return np.array_equal(a[0], hashes) and np.array_equal(a[1], frames)


def _pack_classes(classes: np.ndarray) -> np.ndarray:
    """Level classes (0-3), four to a byte."""
    c = np.zeros(-(-classes.size // 4) * 4, np.uint8)
    c[:classes.size] = classes
    return c[0::4] | (c[1::4] << 2) | (c[2::4] << 4) | (c[3::4] << 6)


def _unpack_classes(packed: np.ndarray, n: int) -> np.ndarray:
    return np.stack([(packed >> s) & 3 for s in (0, 2, 4, 6)], axis=1).ravel()[:n].astype(np.uint32)


def encode(fp: TrackFingerprint) -> bytes:
    """The current format's file of ``fp`` (see the module docstring for what is kept and why)."""
    arrays: dict[str, np.ndarray] = {"format": np.int64(FORMAT), "pairs": np.int64(fp.hashes.size),
                                     **_fine_arrays(fp.peak_frames, fp.peak_bins)}
    hashes = np.asarray(fp.hashes, np.uint32)
    shapes = hashes & np.uint32(SHAPE_MASK)
    if fp.classed:
        arrays["levels"] = _pack_classes(hashes >> np.uint32(SHAPE_BITS))
    # both peaks of every pair, sorted by frame then bin (edge refinement's unpacking); the
    # pairs are made from them once, and from every landmark peak only if those differ
    f, b = reference_peaks(shapes, fp.frames)
    exact = _same(_pairs_of(f, b), shapes, fp.frames)
    if not exact and fp.pair_peaks is not None:
        f, b = fp.pair_peaks
        exact = _same(_pairs_of(f, b), shapes, fp.frames)
    if exact:
        arrays.update(pair_steps=_steps(f), pair_bins=np.asarray(b, np.uint8))
    else:  # the peaks do not give these pairs back: keep the pairs
        arrays.update(hashes=shapes, frames=np.asarray(fp.frames, np.uint32))
    return pack(arrays)


def pack(arrays: dict[str, np.ndarray]) -> bytes:
    """Format 5's container of named numeric arrays (see the module docstring)."""
    head = json.dumps({k: [a.dtype.str, list(a.shape)] for k, a in arrays.items()}, separators=(",", ":")).encode()
    payload = b"".join([struct.pack("<I", len(head)), head, *(np.ascontiguousarray(a).tobytes() for a in arrays.values())])
    return MAGIC + lzma.compress(payload, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, preset=6)


def unpack(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of a format-5 file's bytes (ValueError, or lzma.LZMAError, if they are damaged)."""
    if not data.startswith(MAGIC):
        raise ValueError("not a format-5 fingerprint file")
    payload = lzma.decompress(data[len(MAGIC):], format=lzma.FORMAT_XZ)
    (n,) = struct.unpack_from("<I", payload)
    head = json.loads(payload[4:4 + n])
    if not isinstance(head, dict):
        raise ValueError("no header")
    arrays, at = {}, 4 + n
    for name, (dtype_str, shape) in head.items():
        dtype = np.dtype(dtype_str)
        if dtype.kind not in "iuf" or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ValueError(f"array {name!r} of an unexpected type")
        count = int(np.prod(shape, dtype=np.int64))
        if at + count * dtype.itemsize > len(payload):
            raise ValueError("truncated")
        arrays[name] = np.frombuffer(payload, dtype, count, at).reshape(shape).copy()  # writable, as np.load's
        at += count * dtype.itemsize
    if at != len(payload):
        raise ValueError("trailing bytes")
    return arrays


def _open(path: Path, *keys: str) -> dict[str, np.ndarray]:
    """Those of ``keys`` the file holds (from a zip, only those are read and decompressed)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data.startswith(MAGIC):
            arrays = unpack(data)
            return {k: arrays[k] for k in keys if k in arrays}
        with np.load(io.BytesIO(data)) as z:
            return {k: z[k] for k in keys if k in z.files}
    except (OSError, ValueError, EOFError, lzma.LZMAError, struct.error, TypeError, OverflowError,
            zipfile.BadZipFile, zlib.error) as exc:
        raise FingerprintError(f"{path}: fingerprint file damaged ({exc}); remove and re-add its track") from None


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array a fingerprint file of any format holds, by name (FingerprintError if damaged)."""
    names = ("format", "pairs", "hashes", "frames", "pair_steps", "pair_bins", "levels",
             "fine_frames", "fine_bins", "fine_origin", "fine_frame_steps", "fine_bins_q", "peak_frames", "peak_bins")
    return _open(path, *names)


def _scalar(path: Path, a: np.ndarray) -> int:
    """An integer stored as a 0-d array (FingerprintError for anything else)."""
    if a.shape != () or a.dtype.kind not in "iu":
        raise FingerprintError(f"{path}: fingerprint file damaged (a count of the wrong type); remove and re-add its track")
    return int(a)


def file_format(path: Path) -> int:
    """1 to 5 (FingerprintError if unreadable)."""
    z = _open(path, "format")
    return _scalar(path, z["format"]) if "format" in z else 1


def _load_pairs(path: Path) -> tuple[np.ndarray, np.ndarray, bool]:
    """(hashes, anchor frames, classed): level-classed hashes if the file has the classes, else
    the pairs' shapes (formats 1-3, or a classless format-4 file)."""
    z = _open(path, "hashes", "frames", "pair_steps", "pair_bins", "pairs", "levels")
    if "hashes" in z and "frames" in z:
        hashes, frames = z["hashes"], z["frames"]
    elif "pair_steps" not in z or "pair_bins" not in z or "pairs" not in z:
        raise FingerprintError(f"{path}: fingerprint file damaged (no landmarks); remove and re-add its track")
    else:
        hashes, frames = _pairs_of(np.cumsum(z["pair_steps"].astype(np.int64)), z["pair_bins"])
        if hashes.size != _scalar(path, z["pairs"]):
            raise FingerprintError(f"{path}: fingerprint file damaged ({hashes.size} landmarks made from its peaks, "
                                   f"{int(z['pairs'])} stored); remove and re-add its track")
    if "levels" not in z:
        return hashes, frames, False
    if z["levels"].size != -(-hashes.size // 4):
        raise FingerprintError(f"{path}: fingerprint file damaged (level classes of {z['levels'].size * 4} "
                               f"landmarks, {hashes.size} stored); remove and re-add its track")
    classes = _unpack_classes(z["levels"], hashes.size)
    return (hashes.astype(np.uint32) & np.uint32(SHAPE_MASK)) | (classes << np.uint32(SHAPE_BITS)), frames, True


def has_classes(path: Path) -> bool:
    """Whether the file keeps its pairs' level classes (False: formats 1-3, or classless)."""
    return "levels" in _open(path, "levels")


def load_pairs(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(hashes uint32, anchor frames uint32) of a track's landmark pairs, from any format (the
    shapes only, when the file has no level classes)."""
    hashes, frames, _ = _load_pairs(path)
    return hashes, frames


def index_pairs(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The postings a track puts in the pair index: its level-classed pairs, or, for a file
    without classes, every pair in all four classes (found whatever the query's class)."""
    hashes, frames, classed = _load_pairs(path)
    if classed:
        return hashes, frames
    shapes = hashes.astype(np.uint32) & np.uint32(SHAPE_MASK)
    every = shapes[:, None] | (np.arange(N_LEVEL_CLASSES, dtype=np.uint32) << np.uint32(SHAPE_BITS))[None, :]
    return every.ravel(), np.repeat(np.asarray(frames, np.uint32), N_LEVEL_CLASSES)


def load_fine_peaks(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(frames, bins) float32 of a track's fine peaks (FingerprintError for a format-1 file)."""
    z = _open(path, "fine_frames", "fine_bins", "fine_origin", "fine_frame_steps", "fine_bins_q",
              "peak_frames", "peak_bins")
    if "fine_origin" in z and "fine_frame_steps" in z and "fine_bins_q" in z:
        try:
            origin = z["fine_origin"]
            if origin.shape != (2,) or origin.dtype.kind not in "iu":
                raise ValueError("fine peaks' origin of the wrong shape")
            first, low = (int(v) for v in origin)
            frames = (first + np.cumsum(_uint_unplanes(z["fine_frame_steps"]))) / FINE_STEPS
            bins = (low + _uint_unplanes(z["fine_bins_q"])) / FINE_STEPS
        except ValueError as exc:
            raise FingerprintError(f"{path}: fingerprint file damaged ({exc}); remove and re-add its track") from None
        if frames.size != bins.size:
            raise FingerprintError(f"{path}: fingerprint file damaged (fine peaks); remove and re-add its track")
        return frames.astype(np.float32), bins.astype(np.float32)
    if "fine_frames" in z and "fine_bins" in z:
        return _unplanes(z["fine_frames"]), _unplanes(z["fine_bins"])
    if "peak_frames" in z and "peak_bins" in z:
        return z["peak_frames"], z["peak_bins"]  # format 2
    raise FingerprintError(f"{path}: no fine peaks (an old fingerprint file; re-add its track)")


def load(path: Path, seconds: float = 0.0) -> TrackFingerprint:
    """A whole fingerprint of any format (FingerprintError for a format-1 file: no fine peaks)."""
    hashes, frames, classed = _load_pairs(path)
    pf, pb = load_fine_peaks(path)
    return TrackFingerprint(hashes, frames, seconds, pf, pb, classed=classed)
