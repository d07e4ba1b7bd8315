"""Preparing an episode for a cloud upload: send it as is, or extract a stereo audio file.

AudioShake accepts WAV, AIFF, FLAC, MP3, AAC/M4A, and MP4/MOV with AAC or PCM audio,
mono or stereo, up to 2 GB. Broadcast masters are often none of these (MXF, MKV, TS,
5.1, several language tracks, tens of GB), so for those we decode the chosen audio
stream with PyAV and write a stereo FLAC (lossless, so identification sees what the
viewer hears) or, for very long programmes whose FLAC would pass 2 GB, AAC in M4A.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cuesheet_app.media.errors import MediaError
from cuesheet_app.media.probe import AudioStreamInfo, MediaInfo, probe

MAX_UPLOAD_BYTES = 2 * 1024**3
# Budget below the hard limit, and a pessimistic FLAC estimate (stereo 16-bit at 48 kHz
# compresses to roughly 55-70 %): past it, AAC keeps the file well under 2 GB.
_SIZE_BUDGET = int(1.8 * 1024**3)
_FLAC_BYTES_PER_S = 48_000 * 2 * 2 * 0.8
_AAC_BITRATE = 256_000
_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

# container (as FFmpeg names it) -> accepted audio codecs, and the file name endings the
# service recognises for it. A known container behind an unexpected ending is extracted:
# cheaper than a rejected upload.
_ACCEPTED: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("wav", ("pcm_",), (".wav", ".wave")),
    ("aiff", ("pcm_",), (".aif", ".aiff")),
    ("flac", ("flac",), (".flac",)),
    ("mp3", ("mp3",), (".mp3",)),
    ("aac", ("aac",), (".aac",)),
    ("mp4", ("aac", "pcm_"), (".mp4", ".m4a", ".m4v", ".mov")),
    ("mov", ("aac", "pcm_"), (".mp4", ".m4a", ".m4v", ".mov")),
)

Report = Callable[[float], None]
Check = Callable[[], None]


@dataclass(frozen=True)
class UploadPlan:
    """What to upload, and, when we made a new file, why (shown in the progress detail)."""

    path: Path
    extracted: bool = False
    reason: str = ""


def _chosen_stream(info: MediaInfo, audio_stream: int | None) -> AudioStreamInfo:
    if not info.audio_streams:
        raise MediaError(f"{info.path}: has no audio stream to identify")
    index = audio_stream or 0
    if not 0 <= index < len(info.audio_streams):
        raise MediaError(f"{info.path}: has no audio stream {index} (it has {len(info.audio_streams)})")
    return info.audio_streams[index]


def upload_problem(info: MediaInfo, audio_stream: int | None = None,
                   accepted: frozenset[str] | None = None) -> str | None:
    """Why the file cannot go up as it is, or None when the API accepts it unchanged.

    ``accepted`` is the model's own list of input formats (file types such as ``wav``, ``m4a``,
    ``mov``) when the service gave one; the built-in table is then narrowed to it.
    """
    stream = _chosen_stream(info, audio_stream)
    if stream.channels > 2:
        return f"{stream.channels}-channel audio (the API takes mono or stereo)"
    if info.size > MAX_UPLOAD_BYTES:
        return f"{info.size / 1024**3:.1f} GB (the API takes up to 2 GB)"
    if len(info.audio_streams) > 1:
        return f"{len(info.audio_streams)} audio streams (only stream {audio_stream or 0} is sent)"
    names = set(info.container.split(","))
    suffix = info.path.suffix.lower()
    if accepted is not None and suffix.lstrip(".") not in accepted:
        return f"{suffix or 'a file without an ending'} is not among the model's input formats ({', '.join(sorted(accepted))})"
    for container, codecs, suffixes in _ACCEPTED:
        if container in names and suffix in suffixes and stream.codec.startswith(codecs):
            return None
    return f"{info.container.split(',')[0]} with {stream.codec} audio is not a format the API accepts"


def plan_upload(
    path: Path,
    work_dir: Path,
    audio_stream: int | None = None,
    report: Report | None = None,
    check: Check | None = None,
    info: MediaInfo | None = None,
    accepted: frozenset[str] | None = None,
) -> UploadPlan:
    """The file to upload: ``path`` itself when accepted, else a new stereo file in ``work_dir``.

    ``accepted``: the model's input formats, when the service lists them (see ``upload_problem``);
    the extracted file is then of a type on that list.
    """
    info = info or probe(path)
    problem = upload_problem(info, audio_stream, accepted)
    if problem is None:
        return UploadPlan(Path(path))
    out = extract_audio(info, work_dir, audio_stream, report=report, check=check,
                        output=_output_kind(accepted))
    return UploadPlan(out, extracted=True, reason=problem)


def _output_kind(accepted: frozenset[str] | None) -> tuple[str, ...]:
    """Extraction targets in order of preference, kept to the model's accepted types."""
    preference = ("flac", "m4a", "wav")
    if accepted is None:
        return ("flac", "m4a")
    kinds = tuple(k for k in preference if k in accepted or (k == "m4a" and "aac" in accepted))
    if not kinds:
        raise MediaError("The model accepts none of the types this app can write "
                         f"({', '.join(sorted(accepted))}); convert the file by hand")
    return kinds


def extract_audio(
    info: MediaInfo,
    work_dir: Path,
    audio_stream: int | None = None,
    report: Report | None = None,
    check: Check | None = None,
    output: tuple[str, ...] = ("flac", "m4a"),
) -> Path:
    """Decode one audio stream and write it as stereo FLAC (or AAC/M4A when FLAC would be too big).

    ``output`` lists the file types allowed, in order of preference (``flac``, ``wav``, ``m4a``):
    the first whose estimated size fits under the upload limit is written.
    Memory stays bounded (frame by frame); ``check`` is called between packets so a
    cancel stops a long extraction promptly; ``report`` gets 0..1.
    """
    import av

    stream_info = _chosen_stream(info, audio_stream)
    duration = float(info.duration_s) or 0.0
    rate = stream_info.sample_rate if stream_info.sample_rate in _RATES else 48_000
    fits = {"flac": duration * _FLAC_BYTES_PER_S < _SIZE_BUDGET, "wav": duration * rate * 4 < _SIZE_BUDGET,
            "m4a": True}
    kind = next((k for k in output if fits.get(k)), output[-1])
    target = Path(work_dir) / (info.path.stem + "." + kind)
    try:
        with av.open(str(info.path)) as src, av.open(str(target), "w") as dst:
            in_stream = src.streams.audio[stream_info.index]
            if kind == "flac":
                out_stream = dst.add_stream("flac", rate=rate, layout="stereo", format="s16")
            elif kind == "wav":
                out_stream = dst.add_stream("pcm_s16le", rate=rate, layout="stereo", format="s16")
            else:
                out_stream = dst.add_stream("aac", rate=rate, layout="stereo", format="fltp")
                out_stream.bit_rate = _AAC_BITRATE
            resampler = av.AudioResampler(format=out_stream.format.name, layout="stereo", rate=rate)
            last = 0.0
            for frame in src.decode(in_stream):
                if check:
                    check()
                for converted in resampler.resample(frame):
                    dst.mux(out_stream.encode(converted))
                if report and duration and frame.time is not None and frame.time - last >= 1.0:
                    last = frame.time
                    report(min(1.0, max(0.0, frame.time / duration)))
            for converted in resampler.resample(None):
                dst.mux(out_stream.encode(converted))
            dst.mux(out_stream.encode(None))
    except av.error.FFmpegError as exc:
        target.unlink(missing_ok=True)
        raise MediaError(f"{info.path}: cannot extract audio stream {stream_info.index} "
                         f"({exc.strerror or exc})") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if report:
        report(1.0)
    size = target.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        target.unlink(missing_ok=True)
        raise MediaError(f"{info.path}: the extracted audio is still {size / 1024**3:.1f} GB, over the "
                         "API's 2 GB limit; split the programme and identify the parts")
    return target
