"""Streaming audio decode with PyAV: any container in, mono float32 blocks at one analysis rate out.

Why streaming: a two-hour episode at 48 kHz stereo is ~2.7 GB as float32; the engines only
need a mono signal at a low rate, so we decode packet by packet, downmix and resample on the
fly (FFmpeg's swresample, which applies the standard 5.1 downmix matrix), and hand out fixed
size blocks. Memory stays bounded whatever the episode length.

Why the timeline is kept exact: event times are seconds from the start of the file, so a
corrupt packet that FFmpeg cannot decode is replaced by silence of the right length (found
from the next good frame's timestamp) rather than silently shifting everything after it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cuesheet_app.domain.progress import CancelToken
from cuesheet_app.media.errors import MediaError
from cuesheet_app.media.probe import open_media

log = logging.getLogger(__name__)

ANALYSIS_RATE = 11025
"""The one analysis format: mono float32 at 11.025 kHz (enough for landmarks up to ~5 kHz)."""

_MAX_GAP_FILL_S = 6 * 3600  # a timestamp jump larger than this is a broken pts, not lost audio
_MAX_BAD_PACKETS = 200  # consecutive undecodable packets before we call the file unreadable
# sample formats PyAV turns into numpy arrays (and back), so their frames can be batched; any
# other (s64, s64p) goes to the resampler one frame at a time
_BATCHABLE = frozenset({"u8", "u8p", "s16", "s16p", "s32", "s32p", "flt", "fltp", "dbl", "dblp"})

WarningSink = Callable[[str], None]


@dataclass
class DecodeStats:
    """What happened while decoding: filled by ``decode_blocks`` as it goes."""

    samples: int = 0
    skipped_packets: int = 0
    filled_s: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AudioSource:
    """An opened-and-checked audio stream: what a caller needs to plan progress."""

    path: Path
    stream_index: int  # among the file's audio streams
    duration_s: float  # 0.0 when the container does not say
    channels: int
    source_rate: int


def _pick_stream(container, path: Path, audio_stream: int | None):  # type: ignore[no-untyped-def]
    streams = list(container.streams.audio)
    if not streams:
        raise MediaError(f"{path}: has no audio stream")
    index = 0 if audio_stream is None else audio_stream
    if not 0 <= index < len(streams):
        raise MediaError(f"{path}: has {len(streams)} audio stream(s); stream {index} does not exist "
                         f"(0 is the first)")
    return index, streams[index]


def _duration(container, stream) -> float:  # type: ignore[no-untyped-def]
    import av

    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    return 0.0


def open_audio(path: str | os.PathLike[str], audio_stream: int | None = None) -> AudioSource:
    """Check that ``path`` has the requested audio stream; raises MediaError naming the file."""
    p = Path(path)
    container = open_media(p)
    with container:
        index, stream = _pick_stream(container, p, audio_stream)
        cc = stream.codec_context
        return AudioSource(path=p, stream_index=index, duration_s=_duration(container, stream),
                           channels=cc.channels or 0, source_rate=cc.sample_rate or 0)


def decode_blocks(
    path: str | os.PathLike[str],
    audio_stream: int | None = None,
    rate: int = ANALYSIS_RATE,
    block_s: float = 10.0,
    cancel: CancelToken | None = None,
    stats: DecodeStats | None = None,
    on_warning: WarningSink | None = None,
) -> Iterator[np.ndarray]:
    """Yield mono float32 blocks of ``block_s`` seconds (the last one shorter).

    Raises MediaError when the file cannot be opened, has no (such) audio stream, or yields
    no audio at all (truncated/corrupt). Undecodable packets in the middle are skipped with a
    warning and replaced by silence so later times stay right.
    """
    import av

    p = Path(path)
    stats = stats if stats is not None else DecodeStats()

    def warn(text: str) -> None:
        stats.warnings.append(text)
        log.warning("%s", text)
        if on_warning:
            on_warning(text)

    container = open_media(p)
    with container:
        _, stream = _pick_stream(container, p, audio_stream)
        # no frame threading: for audio it only adds hand-offs (FLAC decoded at twice the CPU)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        block = max(1, int(round(block_s * rate)))
        pending: list[np.ndarray] = []
        pending_n = 0
        bad_run = 0
        origin: float | None = None

        def push(samples: np.ndarray) -> Iterator[np.ndarray]:
            nonlocal pending_n
            if samples.size == 0:
                return
            pending.append(samples)
            pending_n += samples.size
            stats.samples += samples.size
            while pending_n >= block:
                joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
                yield joined[:block]
                rest = joined[block:]
                pending.clear()
                if rest.size:
                    pending.append(rest)
                pending_n = rest.size

        def resampled(frame) -> Iterator[np.ndarray]:  # type: ignore[no-untyped-def]
            for out in resampler.resample(frame):
                yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)

        # Decoded frames are handed to the resampler about a second at a time, not one by one:
        # an MP3 or Vorbis frame holds 20-50 ms, and the per-call cost of resampling each one
        # was a quarter of an Ogg Vorbis track's decoding (the output is the same, bit for bit:
        # swresample is a stream filter).
        batch: list[np.ndarray] = []
        batch_n = 0
        batch_kind: tuple[str, str, int] | None = None  # (sample format, layout, rate)

        def flush() -> Iterator[np.ndarray]:
            nonlocal batch_n
            if not batch or batch_kind is None:
                return
            joined = av.AudioFrame.from_ndarray(np.concatenate(batch, axis=1) if len(batch) > 1 else batch[0],
                                                format=batch_kind[0], layout=batch_kind[1])
            joined.sample_rate = batch_kind[2]
            batch.clear()
            batch_n = 0
            yield from resampled(joined)

        def position_s() -> float:
            """Seconds decoded so far: handed out, plus still queued for the resampler."""
            return stats.samples / rate + (batch_n / batch_kind[2] if batch_kind else 0.0)

        def new_kind(kind: tuple[str, str, int]) -> Iterator[np.ndarray]:
            """The stream's sample format, channels or rate changed (files joined back to back,
            a broadcast capture): a resampler takes the kind of its first frame only (any other
            raises ValueError), so the old one is flushed and drained and a new one set up."""
            nonlocal resampler, batch_kind
            yield from flush()
            if batch_kind is not None:
                yield from resampled(None)
                resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            batch_kind = kind

        try:
            packets = container.demux(stream)
            while True:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except av.error.FFmpegError as exc:
                    warn(f"{p}: stopped reading at {position_s():.1f} s "
                         f"(truncated or corrupt: {exc.strerror or exc})")
                    break
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:
                    stats.skipped_packets += 1
                    bad_run += 1
                    if bad_run == 1:
                        warn(f"{p}: skipped undecodable audio near {position_s():.1f} s "
                             f"({exc.strerror or exc})")
                    if bad_run > _MAX_BAD_PACKETS:
                        if stats.samples == 0 and not batch:
                            raise MediaError(f"{p}: the audio cannot be decoded (corrupt)") from None
                        warn(f"{p}: gave up after {bad_run} undecodable packets at "
                             f"{position_s():.1f} s")
                        break
                    continue
                bad_run = 0
                for frame in frames:
                    if frame.pts is not None and frame.time_base is not None:
                        t = float(frame.pts * frame.time_base)
                        if origin is None:
                            start = stream.start_time
                            origin = 0.0 if start is None else float(start * stream.time_base)
                            origin = min(origin, t)
                        # swresample's few-ms buffer is within tolerance
                        expected = position_s()
                        gap = (t - origin) - expected
                        if 0.05 < gap < _MAX_GAP_FILL_S:
                            warn(f"{p}: {gap:.2f} s of audio missing at {expected:.1f} s "
                                 "(corrupt or dropped packets); filled with silence")
                            stats.filled_s += gap
                            for samples in flush():
                                yield from push(samples)
                            yield from push(np.zeros(int(round(gap * rate)), dtype=np.float32))
                    kind = (frame.format.name, frame.layout.name, frame.sample_rate)
                    if kind != batch_kind:
                        for samples in new_kind(kind):
                            yield from push(samples)
                    if kind[0] not in _BATCHABLE:
                        frame.pts = None  # we keep time ourselves
                        for samples in resampled(frame):
                            yield from push(samples)
                        continue
                    batch.append(frame.to_ndarray())
                    batch_n += frame.samples
                    if batch_n >= kind[2]:
                        for samples in flush():
                            yield from push(samples)
            for samples in flush():
                yield from push(samples)
            for samples in resampled(None):
                yield from push(samples)
        except av.error.FFmpegError as exc:
            if stats.samples == 0 and not batch:
                raise MediaError(f"{p}: cannot decode audio ({exc.strerror or exc})") from None
            warn(f"{p}: stopped decoding at {position_s():.1f} s ({exc.strerror or exc})")
        if batch:  # decoded before the error stopped us: still the file's audio
            try:
                for samples in flush():
                    yield from push(samples)
            except av.error.FFmpegError:
                pass
        if pending_n:
            yield np.concatenate(pending) if len(pending) > 1 else pending[0]
        if stats.samples == 0:
            raise MediaError(f"{p}: no audio could be decoded (truncated, empty or corrupt)")
        declared = _duration(container, stream)
        if declared and stats.samples / rate < declared - max(1.0, 0.02 * declared):
            warn(f"{p}: audio ends at {position_s():.1f} s but the file says "
                 f"{declared:.1f} s (truncated?)")


def decode_all(
    path: str | os.PathLike[str],
    audio_stream: int | None = None,
    rate: int = ANALYSIS_RATE,
    cancel: CancelToken | None = None,
    max_seconds: float | None = None,
) -> np.ndarray:
    """Whole signal of a (short) file, e.g. one reference track; ``max_seconds`` caps memory."""
    out: list[np.ndarray] = []
    total = 0
    limit = None if max_seconds is None else int(max_seconds * rate)
    for block in decode_blocks(path, audio_stream, rate=rate, block_s=30.0, cancel=cancel):
        out.append(block)
        total += block.size
        if limit is not None and total >= limit:
            break
    signal = np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
    return signal if limit is None else signal[:limit]
