"""What is in a media file: duration, audio streams, frame rate, start timecode."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from cuesheet_app.media.errors import MediaError


@dataclass(frozen=True)
class AudioStreamInfo:
    index: int  # position among the file's audio streams (0 = first audio stream)
    codec: str
    channels: int
    sample_rate: int
    layout: str
    language: str = ""


@dataclass
class MediaInfo:
    path: Path
    container: str
    duration_s: Fraction
    audio_streams: list[AudioStreamInfo] = field(default_factory=list)
    video_fps: Fraction | None = None
    start_timecode: str | None = None
    size: int = 0

    @property
    def has_video(self) -> bool:
        return self.video_fps is not None


def check_readable_file(path: Path) -> None:
    """The common refusals, before FFmpeg gets a chance to give a cryptic one."""
    if not path.exists():
        raise MediaError(f"{path}: file not found")
    if path.is_dir():
        raise MediaError(f"{path}: is a folder, not a media file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: file is empty (0 bytes)")
    if not os.access(path, os.R_OK):
        raise MediaError(f"{path}: permission denied")


def open_media(path: Path):  # type: ignore[no-untyped-def]
    """An open PyAV container, or a MediaError naming the file and what is wrong with it."""
    import av

    check_readable_file(path)
    try:
        return av.open(str(path))
    except av.error.InvalidDataError:
        raise MediaError(f"{path}: not a media file FFmpeg can read (unsupported or corrupt)") from None
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: cannot open ({exc.strerror or exc})") from None


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    p = Path(path)
    container = open_media(p)
    with container:
        audio = []
        for i, s in enumerate(container.streams.audio):
            cc = s.codec_context
            audio.append(
                AudioStreamInfo(
                    index=i,
                    codec=cc.name or "?",
                    channels=cc.channels or 0,
                    sample_rate=cc.sample_rate or 0,
                    layout=getattr(cc.layout, "name", "") or "",
                    language=s.metadata.get("language", ""),
                )
            )
        fps = None
        timecode = container.metadata.get("timecode")
        for vs in container.streams.video:
            rate = vs.average_rate or vs.guessed_rate or vs.base_rate
            if rate:
                fps = Fraction(rate.numerator, rate.denominator)
            timecode = timecode or vs.metadata.get("timecode")
            break
        for s in container.streams:
            if timecode:
                break
            timecode = s.metadata.get("timecode")
        duration = _duration(container)
    return MediaInfo(
        path=p,
        container=container.format.name,
        duration_s=duration,
        audio_streams=audio,
        video_fps=fps,
        start_timecode=timecode or None,
        size=p.stat().st_size,
    )


def _duration(container) -> Fraction:  # type: ignore[no-untyped-def]
    import av

    if container.duration is not None and container.duration > 0:
        return Fraction(container.duration, av.time_base)
    best = Fraction(0)
    for s in container.streams:
        if s.duration and s.time_base:
            best = max(best, s.duration * Fraction(s.time_base.numerator, s.time_base.denominator))
    return best
