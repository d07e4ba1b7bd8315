"""One short-time spectrum for everything the local engine computes, streamed in chunks.

Why one frame grid: landmark peaks, detection features and event times all use frame ``k`` =
samples ``[k*HOP, k*HOP + N_FFT)`` of the analysis signal, so a match offset in frames is
also a time, and chunk borders never shift anything. Chunks overlap by ``context`` frames on
each side so neighbourhood operations (peak picking, activation windows) see across borders.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from cuesheet_app.media.decode import ANALYSIS_RATE

N_FFT = 512
HOP = 256
FRAME_S = HOP / ANALYSIS_RATE  # ~23.2 ms
_WINDOW = np.hanning(N_FFT).astype(np.float32)


def frame_time(frame: float) -> float:
    """Seconds at the centre-left of frame ``frame`` (its start sample)."""
    return frame * FRAME_S


def log_spectrogram(signal: np.ndarray) -> np.ndarray:
    """(bins, frames) log-magnitude (natural log) of a mono float32 signal; frames start at sample 0."""
    if signal.size < N_FFT:
        signal = np.pad(signal, (0, N_FFT - signal.size))
    n_frames = 1 + (signal.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(signal, N_FFT)[::HOP][:n_frames]
    spec = np.abs(np.fft.rfft(frames * _WINDOW, axis=1)).astype(np.float32)
    return np.log(spec.T + 1e-4)


@dataclass
class SpecChunk:
    """A spectrogram slice: ``spec[:, before:before+core]`` are frames ``first .. first+core``."""

    first: int  # global index of the first core frame
    before: int  # context frames before the core
    core: int
    spec: np.ndarray  # (bins, before + core + after)
    samples_seen: int  # analysis samples consumed so far (for progress)


def spectrogram_chunks(blocks: Iterable[np.ndarray], core_frames: int = 2048,
                       context: int = 96) -> Iterator[SpecChunk]:
    """Chunked log spectrogram of a block stream, with ``context`` frames of overlap each side."""
    buf = np.zeros(0, dtype=np.float32)
    buf_start = 0  # global sample index of buf[0]; always a multiple of HOP
    next_core = 0  # global frame index of the next core frame to emit
    seen = 0
    need = (core_frames + context) * HOP + N_FFT

    def emit(final: bool) -> Iterator[SpecChunk]:
        nonlocal buf, buf_start, next_core
        while True:
            buf_first_frame = buf_start // HOP
            avail = 0 if buf.size < N_FFT else 1 + (buf.size - N_FFT) // HOP
            end_frame = buf_first_frame + avail  # exclusive
            if not final and end_frame < next_core + core_frames + context:
                return
            core = min(core_frames, end_frame - next_core)
            if core <= 0:
                return
            after = min(context, end_frame - next_core - core)
            first_ctx = max(buf_first_frame, next_core - context)
            lo = (first_ctx - buf_first_frame) * HOP
            hi = (next_core + core + after - buf_first_frame - 1) * HOP + N_FFT
            spec = log_spectrogram(buf[lo:hi])
            yield SpecChunk(first=next_core, before=next_core - first_ctx, core=core, spec=spec,
                            samples_seen=seen)
            next_core += core
            drop_frame = max(buf_first_frame, next_core - context)
            drop = (drop_frame - buf_first_frame) * HOP
            buf = buf[drop:]
            buf_start += drop

    for block in blocks:
        buf = np.concatenate([buf, block.astype(np.float32, copy=False)])
        seen += block.size
        if buf.size >= need:
            yield from emit(final=False)
    yield from emit(final=True)
