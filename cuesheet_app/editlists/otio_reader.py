"""FCP 7 XML, FCPXML, AAF, .otio and .otioz through OpenTimelineIO (0.18) and its adapter plugins.

OTIO finds adapters by their plugin manifests (entry points of ``otio-fcp-adapter`` and the
others); we only ever call ``read_from_file`` with an explicit adapter name, chosen from the
file's content, so a misnamed file fails with our message rather than an adapter's traceback.
Each audio track becomes an ``EditTrack``; clip record times are the clip's range in its track
plus the timeline's global start (the sequence start), converted to whole frames.
"""

from __future__ import annotations

import re
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.edit_clips import EditClip, EditList, EditTrack
from cuesheet_app.editlists.errors import EditListError

ADAPTERS = {"fcp_xml": "FCP 7 XML", "fcpx_xml": "FCPXML", "AAF": "AAF", "otio_json": "OTIO", "otioz": "OTIO (.otioz)"}
_GENERIC_TRACK = re.compile(r"^((A|Audio|Track|Audio Track)\s*\d*|-?\d+)$", re.IGNORECASE)


def sniff(path: Path, head: bytes) -> str | None:
    """The OTIO adapter for this file's content, or None (not something OTIO reads for us)."""
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # compound file: AAF (structured storage)
        return "AAF"
    if head.startswith(b"PK") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return "otioz" if any(n.endswith(".otio") for n in z.namelist()) else None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    if text.startswith("{") and '"OTIO_SCHEMA"' in text:
        return "otio_json"
    if text.startswith("<"):
        if "<xmeml" in text:
            return "fcp_xml"
        if "<fcpxml" in text:
            return "fcpx_xml"
    return None


def read_otio(path: str | Path, adapter: str, rate: tc.FrameRate | None = None) -> EditList:
    import opentimelineio as otio  # imported here: a second of start-up the EDL path never pays

    path = str(path)
    try:
        result = otio.adapters.read_from_file(path, adapter_name=adapter)
    except Exception as exc:  # noqa: BLE001 - adapters raise anything; the user gets one line
        raise EditListError(f"{ADAPTERS[adapter]} could not be read: {_short(exc)}", path) from None
    timeline = _first_timeline(result, otio)
    if timeline is None:
        raise EditListError(f"the {ADAPTERS[adapter]} file holds no sequence or timeline", path)
    audio = list(timeline.audio_tracks())
    if not audio:
        what = "AAF has no audio tracks" if adapter == "AAF" else "sequence has no audio tracks"
        raise EditListError(f"the {what}: export the sequence with its audio", path)
    edit_rate = rate or _timeline_rate(timeline, otio) or tc.DEFAULT_RATE
    start = timeline.global_start_time
    seq_start = _frames(start, edit_rate) if start is not None else 0
    edit = EditList(format=ADAPTERS[adapter], source=path, rate=edit_rate, sequence_start=seq_start,
                    title=timeline.name or "", music_only=False, absolute_times=start is not None)
    for i, track in enumerate(audio, start=1):
        name = (track.name or "").strip()
        named = bool(name) and not _GENERIC_TRACK.match(name)
        et = EditTrack(name or f"A{i}", "audio", named=named, muted=not track.enabled)
        _clips(track, et, seq_start, edit_rate, otio)
        edit.tracks.append(et)
    return edit


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _first_timeline(result: Any, otio: Any) -> Any:
    if isinstance(result, otio.schema.Timeline):
        return result
    if isinstance(result, otio.schema.SerializableCollection):
        for item in result.find_children(descended_from_type=otio.schema.Timeline) if hasattr(
                result, "find_children") else result:
            if isinstance(item, otio.schema.Timeline):
                return item
    return None


def _timeline_rate(timeline: Any, otio: Any) -> tc.FrameRate | None:
    for clip in timeline.find_clips():
        try:
            return tc.rate_for_fps(Fraction(clip.trimmed_range().duration.rate).limit_denominator(1001))
        except (ValueError, ZeroDivisionError):
            continue
    if timeline.global_start_time is not None and timeline.global_start_time.rate:
        return tc.rate_for_fps(Fraction(timeline.global_start_time.rate).limit_denominator(1001))
    return None


def _frames(t: Any, rate: tc.FrameRate) -> int:
    """An OTIO RationalTime as whole frames at ``rate`` (exactly, through seconds as a Fraction)."""
    seconds = Fraction(t.value).limit_denominator(10**6) / Fraction(t.rate).limit_denominator(1001)
    return tc.seconds_to_frames(seconds, rate)


def _clips(track: Any, et: EditTrack, seq_start: int, rate: tc.FrameRate, otio: Any) -> None:
    children = list(track)
    for idx, item in enumerate(children):
        if not isinstance(item, otio.schema.Clip):
            continue
        rng = track.range_of_child_at_index(idx)
        start = seq_start + _frames(rng.start_time, rate)
        end = start + _frames(rng.duration, rate)
        # A transition either side lets the clip play on under its neighbour (a crossfade).
        if idx > 0 and isinstance(children[idx - 1], otio.schema.Transition):
            start -= _frames(children[idx - 1].out_offset, rate)
        if idx + 1 < len(children) and isinstance(children[idx + 1], otio.schema.Transition):
            end += _frames(children[idx + 1].in_offset, rate)
        src = item.source_range or item.available_range()
        src_in = _frames(src.start_time, rate) if src is not None else 0
        ref = item.media_reference
        target = getattr(ref, "target_url", "") or ""
        source_file = _url_path(target) or (ref.name if ref is not None and ref.name else "")
        source_file = re.sub(r"\.PHYS$", "", source_file)  # AAF: the physical source mob's name
        md = item.metadata or {}
        et.clips.append(EditClip(et.name, item.name or "", start, end, src_in, src_in + (end - start),
                                 source_file, _reel(md), _isrc(md), muted=not item.enabled))


def _url_path(url: str) -> str:
    from urllib.parse import unquote, urlparse

    if not url:
        return ""
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme in ("file", "") else unquote(parsed.path or url)


def _reel(md: Any) -> str:
    for key in ("cmx_3600", "fcp_xml"):
        sub = md.get(key) if hasattr(md, "get") else None
        if sub is not None and hasattr(sub, "get") and sub.get("reel"):
            return str(sub.get("reel"))
    return ""


def _isrc(md: Any) -> str:
    stack = [md]
    while stack:
        cur = stack.pop()
        if hasattr(cur, "items"):
            for k, v in cur.items():
                if str(k).lower() == "isrc" and isinstance(v, str):
                    return v
                if hasattr(v, "items"):
                    stack.append(v)
    return ""
