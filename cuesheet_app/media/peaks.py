"""Waveform peaks for the GUI timeline: min/max per bucket at several zoom levels, cached on disk.

Why several levels: drawing a 60-minute episode at any zoom must touch only about one value
pair per pixel, so we keep a pyramid (each level 4x coarser) and the timeline asks
``Peaks.level_for(seconds_per_pixel)``. All levels are filled in one decode pass.

Why a cache: decoding a long episode takes seconds; the peaks of an unchanged file are
reused, keyed by ``media.identity.cache_key`` (path + size + mtime) and the audio stream.
The cache is an ``.npz`` written atomically; a damaged cache entry is ignored and rebuilt.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cuesheet_app.domain.progress import CancelToken, Progress, ProgressCallback, ignore_progress
from cuesheet_app.media.decode import ANALYSIS_RATE, decode_blocks, open_audio
from cuesheet_app.media.identity import cache_key
from cuesheet_app.settings import paths
from cuesheet_app.storage.atomic import atomic_write_bytes

log = logging.getLogger(__name__)

FINEST_BUCKET = 64  # samples at ANALYSIS_RATE: ~5.8 ms
LEVEL_FACTOR = 4
N_LEVELS = 7  # 64 .. 262144 samples per bucket (~24 s)
_CACHE_VERSION = 1


@dataclass
class PeakLevel:
    samples_per_bucket: int
    mins: np.ndarray  # float32, one per bucket
    maxs: np.ndarray

    def seconds_per_bucket(self, sample_rate: int) -> float:
        return self.samples_per_bucket / sample_rate


@dataclass
class Peaks:
    sample_rate: int  # analysis rate of the source samples
    duration_s: float
    levels: list[PeakLevel]  # finest first

    def level_for(self, seconds_per_pixel: float) -> PeakLevel:
        """The coarsest level whose buckets are still no wider than one pixel."""
        best = self.levels[0]
        for level in self.levels:
            if level.samples_per_bucket / self.sample_rate <= seconds_per_pixel:
                best = level
            else:
                break
        return best


class _Pyramid:
    """Accumulates min/max of streamed blocks into every level at once."""

    def __init__(self) -> None:
        self.sizes = [FINEST_BUCKET * LEVEL_FACTOR**i for i in range(N_LEVELS)]
        self.mins: list[list[np.ndarray]] = [[] for _ in self.sizes]
        self.maxs: list[list[np.ndarray]] = [[] for _ in self.sizes]
        self.carry = np.zeros(0, dtype=np.float32)
        self.total = 0

    def add(self, block: np.ndarray) -> None:
        self.total += block.size
        data = np.concatenate([self.carry, block]) if self.carry.size else block
        n = (data.size // FINEST_BUCKET) * FINEST_BUCKET
        self.carry = data[n:].copy()
        if n:
            fine = data[:n].reshape(-1, FINEST_BUCKET)
            self.mins[0].append(fine.min(axis=1))
            self.maxs[0].append(fine.max(axis=1))

    def finish(self) -> list[PeakLevel]:
        if self.carry.size:
            self.mins[0].append(np.array([self.carry.min()], dtype=np.float32))
            self.maxs[0].append(np.array([self.carry.max()], dtype=np.float32))
        mins = np.concatenate(self.mins[0]).astype(np.float32) if self.mins[0] else np.zeros(0, np.float32)
        maxs = np.concatenate(self.maxs[0]).astype(np.float32) if self.maxs[0] else np.zeros(0, np.float32)
        levels = [PeakLevel(self.sizes[0], mins, maxs)]
        for size in self.sizes[1:]:
            prev_min, prev_max = levels[-1].mins, levels[-1].maxs
            pad = (-prev_min.size) % LEVEL_FACTOR
            if pad:
                prev_min = np.concatenate([prev_min, np.repeat(prev_min[-1:], pad)])
                prev_max = np.concatenate([prev_max, np.repeat(prev_max[-1:], pad)])
            levels.append(PeakLevel(size, prev_min.reshape(-1, LEVEL_FACTOR).min(axis=1),
                                    prev_max.reshape(-1, LEVEL_FACTOR).max(axis=1)))
        return levels


def compute_peaks(
    path: str | os.PathLike[str],
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    audio_stream: int | None = None,
) -> Peaks:
    """Decode once and build every level. Raises MediaError naming the file."""
    source = open_audio(path, audio_stream)
    pyramid = _Pyramid()
    expected = source.duration_s * ANALYSIS_RATE
    progress(Progress("Reading waveform", 0.0 if expected else None))
    for block in decode_blocks(path, audio_stream, cancel=cancel):
        pyramid.add(block)
        if expected:
            progress(Progress("Reading waveform", min(1.0, pyramid.total / expected)))
    progress(Progress("Reading waveform", 1.0))
    return Peaks(sample_rate=ANALYSIS_RATE, duration_s=pyramid.total / ANALYSIS_RATE,
                 levels=pyramid.finish())


def _cache_file(path: str | os.PathLike[str], audio_stream: int | None) -> Path:
    return paths.peaks_cache_dir() / f"{cache_key(path)}-a{audio_stream or 0}-v{_CACHE_VERSION}.npz"


def _save(peaks: Peaks, target: Path) -> None:
    arrays: dict[str, np.ndarray] = {
        "meta": np.array([peaks.sample_rate, peaks.duration_s], dtype=np.float64),
        "sizes": np.array([lv.samples_per_bucket for lv in peaks.levels], dtype=np.int64),
    }
    for i, lv in enumerate(peaks.levels):
        arrays[f"min{i}"], arrays[f"max{i}"] = lv.mins, lv.maxs
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    paths.ensure(target.parent)
    atomic_write_bytes(target, buf.getvalue())


def _load(target: Path) -> Peaks:
    with np.load(target) as data:
        meta, sizes = data["meta"], data["sizes"]
        levels = [PeakLevel(int(s), data[f"min{i}"], data[f"max{i}"]) for i, s in enumerate(sizes)]
    return Peaks(sample_rate=int(meta[0]), duration_s=float(meta[1]), levels=levels)


def load_or_compute_peaks(
    path: str | os.PathLike[str],
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    audio_stream: int | None = None,
) -> Peaks:
    """Cached peaks when the file is unchanged, else compute and cache them."""
    open_audio(path, audio_stream)  # same errors as compute_peaks, even with a cache hit
    target = _cache_file(path, audio_stream)
    if target.exists():
        try:
            return _load(target)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("Ignoring damaged peaks cache %s: %s", target, exc)
    peaks = compute_peaks(path, progress=progress, cancel=cancel, audio_stream=audio_stream)
    try:
        _save(peaks, target)
    except OSError as exc:
        log.warning("Cannot cache peaks for %s: %s", path, exc)
    return peaks
