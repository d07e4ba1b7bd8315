"""Pro Tools "Session Info as Text" (File > Export > Session Info as Text): tracks and their clips.

The layout is documented by Avid's Pro Tools Reference Guide: a header (``SESSION NAME:``,
``SAMPLE RATE:``, ``TIMECODE FORMAT:``, ``SESSION START TIMECODE:``), file and clip lists, then
``T R A C K  L I S T I N G`` with, per track, ``TRACK NAME:``, ``STATE:`` and a tab-separated
table ``CHANNEL EVENT CLIP NAME START TIME END TIME DURATION [TIMESTAMP] STATE``. Older versions
say REGION for CLIP. Times are timecode or samples, as chosen at export; muted clips and muted
or inactive tracks are kept but marked muted, so the rules can say why they are not cues.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.edit_clips import EditClip, EditList, EditTrack
from cuesheet_app.editlists.errors import EditListError

FORMAT = "Pro Tools session text"
_SECTION = re.compile(r"^([A-Z](?: [A-Z])+)(?:\s{2,}[A-Z](?: [A-Z])+)*\s*$")


def looks_like_protools(text: str) -> bool:
    head = text[:4000].upper()
    return "SESSION NAME:" in head and ("T R A C K" in text.upper() or "SAMPLE RATE:" in head)


def _header_value(text: str, key: str) -> str:
    m = re.search(rf"^{key}:\s*(.*)$", text, re.MULTILINE | re.IGNORECASE)
    return m.group(1).strip() if m else ""


def _rate(fmt: str, override: tc.FrameRate | None) -> tc.FrameRate:
    """``25 Frame``, ``29.97 Drop Frame``, ``29.97 Frame``, ``23.976 Frame``..."""
    m = re.search(r"(\d+(?:\.\d+)?)", fmt)
    if not m:
        return override or tc.DEFAULT_RATE
    drop = "DROP" in fmt.upper() and "NON" not in fmt.upper()
    return tc.rate_for_fps(Fraction(m.group(1)), drop_frame=drop)


def read_protools_text(path: str | Path, rate: tc.FrameRate | None = None, text: str | None = None) -> EditList:
    path = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
        except OSError as exc:
            raise EditListError(f"cannot read the file: {exc.strerror or exc}", path) from None
    if not looks_like_protools(text):
        raise EditListError("not a Pro Tools session text (no SESSION NAME: header)", path)
    # "TIMECODE FORMAT" in newer versions, "TIME CODE FORMAT" in older ones.
    session_rate = _rate(_header_value(text, "TIMECODE FORMAT") or _header_value(text, "TIME CODE FORMAT"), rate)
    try:
        sample_rate = Fraction(_header_value(text, "SAMPLE RATE") or "48000")
    except (ValueError, ZeroDivisionError):
        sample_rate = Fraction(48000)
    start_text = _header_value(text, "SESSION START TIMECODE")
    try:
        session_start = tc.timecode_to_frames(start_text, session_rate) if start_text else 0
    except tc.TimecodeError as exc:
        raise EditListError(f"SESSION START TIMECODE: {exc}", path) from None
    edit = EditList(format=FORMAT, source=path, rate=session_rate, sequence_start=session_start,
                    title=_header_value(text, "SESSION NAME"), music_only=False)
    files = _clip_files(text)
    lines = text.splitlines()
    track: EditTrack | None = None
    columns: dict[str, int] = {}
    in_tracks = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        compact = line.strip()
        if _SECTION.match(compact) and len(compact) > 6:
            in_tracks = compact.replace(" ", "").upper().startswith("TRACKLISTING")
            track = None
            continue
        if not in_tracks or not compact:
            continue
        upper = compact.upper()
        if upper.startswith("TRACK NAME:"):
            track = EditTrack(compact.split(":", 1)[1].strip(), "audio", named=True)
            edit.tracks.append(track)
            columns = {}
            continue
        if track is None:
            continue
        if upper.startswith("STATE:"):
            state = upper.split(":", 1)[1]
            track.muted = "MUTED" in state or "INACTIVE" in state
            continue
        cells = [c.strip() for c in line.split("\t")]
        if cells and cells[0].upper() == "CHANNEL":
            columns = {c.upper().replace("REGION", "CLIP"): i for i, c in enumerate(cells)}
            continue
        if columns and cells and cells[0].isdigit():
            name = cells[columns.get("CLIP NAME", 2)] if len(cells) > columns.get("CLIP NAME", 2) else ""
            if re.fullmatch(r"\((fade in|fade out|cross ?fade)\)", name.strip(), re.IGNORECASE):
                continue  # "Fade handling: show crossfades" lists fades as rows of their own
            track.clips.append(_clip(track, cells, columns, files, session_rate, sample_rate, session_start,
                                     path, number))
    if not edit.tracks:
        raise EditListError("the session text lists no tracks (export it with 'Include Track EDLs' on)", path)
    return edit


def _clip(track: EditTrack, cells: list[str], columns: dict[str, int], files: dict[str, str],
          rate: tc.FrameRate, sample_rate: Fraction, session_start: int, path: str, number: int) -> EditClip:
    def cell(name: str) -> str:
        i = columns.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    name = cell("CLIP NAME")
    start_text, end_text = cell("START TIME"), cell("END TIME")
    if not start_text or not end_text:
        raise EditListError(f"clip {name!r} on track {track.name!r} is missing its start or end time", path, number)
    try:
        start, end = (_time(t, rate, sample_rate, session_start) for t in (start_text, end_text))
    except (tc.TimecodeError, ValueError) as exc:
        raise EditListError(f"clip {name!r} on track {track.name!r}: {exc}", path, number) from None
    muted = cell("STATE").upper().startswith("MUTED")
    return EditClip(track.name, name, start, end, 0, end - start, files.get(name, ""), "", muted=muted, line=number)


def _time(text: str, rate: tc.FrameRate, sample_rate: Fraction, session_start: int) -> int:
    """Timecode (``01:00:00:00``, with ``.00`` subframes dropped) or samples from the session start."""
    t = text.strip()
    if re.fullmatch(r"\d+", t):
        return session_start + tc.seconds_to_frames(Fraction(int(t)) / sample_rate, rate)
    t = re.sub(r"(\d{2}[:;]\d{2}[:;]\d{2}[:;.]\d{2})\.\d+$", r"\1", t)
    return tc.timecode_to_frames(t, rate)


def _clip_files(text: str) -> dict[str, str]:
    """Clip name -> source file, from the ``O N L I N E  C L I P S`` list (``CLIP NAME\\tSource File``)."""
    out: dict[str, str] = {}
    in_clips = False
    for line in text.splitlines():
        compact = line.strip()
        if _SECTION.match(compact) and len(compact) > 6:
            key = compact.replace(" ", "").upper()
            in_clips = "CLIPSINSESSION" in key or "REGIONSINSESSION" in key
            continue
        if in_clips and "\t" in line:
            cells = [c.strip() for c in line.split("\t")]
            if len(cells) >= 2 and cells[0] and cells[0].upper() not in ("CLIP NAME", "REGION NAME", "FILENAME"):
                out[cells[0]] = cells[1].strip("[]() ")
    return out
