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


class ChunkedSpectrogram:
    """Push decoded blocks in, get overlapping spectrogram chunks out (bounded memory).

    ``skip`` drops that many leading samples: the engine runs a second instance shifted by
    half a hop, so a query frame grid is never more than a quarter hop off the reference's.
    """

    def __init__(self, core_frames: int = 2048, context: int = 96, skip: int = 0) -> None:
        self.core_frames, self.context = core_frames, context
        self._skip = skip
        self._buf = np.zeros(0, dtype=np.float32)
        self._buf_start = 0  # global sample index of _buf[0]; a multiple of HOP
        self._next_core = 0  # global index of the next core frame to emit
        self.samples_seen = 0

    def push(self, block: np.ndarray) -> list[SpecChunk]:
        self.samples_seen += block.size
        if self._skip:
            drop = min(self._skip, block.size)
            block, self._skip = block[drop:], self._skip - drop
        self._buf = np.concatenate([self._buf, block.astype(np.float32, copy=False)])
        if self._buf.size < (self.core_frames + 2 * self.context) * HOP + N_FFT:
            return []
        return self._emit(final=False)

    def finish(self) -> list[SpecChunk]:
        return self._emit(final=True)

    def _emit(self, final: bool) -> list[SpecChunk]:
        out: list[SpecChunk] = []
        while True:
            buf_first = self._buf_start // HOP
            avail = 0 if self._buf.size < N_FFT else 1 + (self._buf.size - N_FFT) // HOP
            end_frame = buf_first + avail  # exclusive
            nxt = self._next_core
            if not final and end_frame < nxt + self.core_frames + self.context:
                return out
            core = min(self.core_frames, end_frame - nxt)
            if core <= 0:
                return out
            after = min(self.context, end_frame - nxt - core)
            first_ctx = max(buf_first, nxt - self.context)
            lo = (first_ctx - buf_first) * HOP
            hi = (nxt + core + after - buf_first - 1) * HOP + N_FFT
            out.append(SpecChunk(first=nxt, before=nxt - first_ctx, core=core,
                                 spec=log_spectrogram(self._buf[lo:hi]), samples_seen=self.samples_seen))
            self._next_core = nxt + core
            drop_frame = max(buf_first, self._next_core - self.context)
            drop = (drop_frame - buf_first) * HOP
            self._buf = self._buf[drop:]
            self._buf_start += drop


def spectrogram_chunks(blocks: Iterable[np.ndarray], core_frames: int = 2048,
                       context: int = 96) -> Iterator[SpecChunk]:
    """Chunked log spectrogram of a block stream, with ``context`` frames of overlap each side."""
    chunker = ChunkedSpectrogram(core_frames, context)
    for block in blocks:
        yield from chunker.push(block)
    yield from chunker.finish()
