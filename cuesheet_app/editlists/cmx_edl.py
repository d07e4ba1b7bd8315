"""A tolerant CMX 3600 EDL reader: what Avid, Premiere, Resolve and Pro Tools actually write.

OTIO's cmx_3600 adapter rejects much of that (``AA`` and ``A2``-``A4`` channels, ``AUD 3 4``
lines, Avid's dissolve pairs), and music cue sheets need exactly the audio events. This reader
keeps every audio event with its channel, ``* FROM CLIP NAME`` / ``* TO CLIP NAME`` /
``* SOURCE FILE`` comments, honours ``FCM:`` (drop or non-drop, also changing mid-file), and
turns a dissolve (``D 012``) into the outgoing clip running on under the incoming one, which
the merge then treats as a crossfade. Anything it cannot read is an error naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.edit_clips import EditClip, EditList, EditTrack
from cuesheet_app.editlists.errors import EditListError

FORMAT = "CMX 3600 EDL"
_TC = re.compile(r"^\d{1,2}[:;.]\d{2}[:;.]\d{2}[:;.,]\d{2}$")
_EVENT = re.compile(r"^\s*(\d{1,6})\s+\S")
_TRANSITION = re.compile(r"^(C|D|W\d{3}|WX?\d*|K|KB|KO|K\d*)$", re.IGNORECASE)
_CHANNEL = re.compile(r"^(V|B|A|AA|NONE|A\d{1,2}|AA/V|A/V|A\d{1,2}/V|V/A|V/AA|A\d/A\d|A\d\d)$", re.IGNORECASE)
_COMMENT = re.compile(r"^\s*\*\s*(FROM CLIP NAME|TO CLIP NAME|SOURCE FILE|CLIP NAME|ASC_SC|ASC_SOP|COMMENT|"
                      r"KEY CLIP NAME|LOC|FROM FILE|TO FILE|ISRC)\s*[:.]?\s*(.*)$", re.IGNORECASE)
_AUD = re.compile(r"^\s*AUD\s+(\d{1,2})(?:\s+(\d{1,2}))?\s*$", re.IGNORECASE)


@dataclass
class _Line:
    number: int
    event: str
    reel: str
    channel: str
    transition: str
    duration: int
    src_in: int
    src_out: int
    rec_in: int
    rec_out: int
    channels: list[str] = field(default_factory=list)


@dataclass
class _Event:
    number: str
    lines: list[_Line] = field(default_factory=list)
    from_name: str = ""
    to_name: str = ""
    source_file: str = ""
    to_file: str = ""
    isrc: str = ""


def looks_like_edl(text: str) -> bool:
    head = text[:20000]
    return bool(re.search(r"^\s*(TITLE:|FCM:)", head, re.MULTILINE)) or any(
        _parse_tokens(line.split()) is not None for line in head.splitlines()[:200] if _EVENT.match(line))


def read_edl(path: str | Path, rate: tc.FrameRate | None = None, text: str | None = None) -> EditList:
    """Read a CMX 3600 EDL. ``rate`` is the timeline rate (EDLs carry only drop/non-drop);
    None takes 29.97 drop-frame for ``FCM: DROP FRAME`` and 25 otherwise."""
    path = str(path)
    if text is None:
        text = _read_text(path)
    fcm_drop: bool | None = None
    if not re.search(r"^\s*FCM:", text, re.MULTILINE | re.IGNORECASE) and re.search(r"\d\d;\d\d(\s|$)", text):
        fcm_drop = True  # no FCM line, but drop-frame separators in the timecodes
    title = ""
    order: list[_Event] = []
    last: _Event | None = None
    notes: list[str] = []
    seen_event = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if not stripped:
            continue
        upper = stripped.upper()
        if upper.startswith("TITLE:"):
            title = stripped[6:].strip()
            continue
        if upper.startswith("FCM:"):
            fcm_drop = "NON" not in upper and "DROP" in upper
            continue
        if _EVENT.match(line):
            seen_event = True
            tokens = stripped.split()
            parsed = _parse_tokens(tokens)
            if parsed is None:
                raise EditListError(
                    f"event {tokens[0]} is truncated or malformed (expected: number, reel, channel, "
                    "transition, source in/out and record in/out): " + stripped[:80], path, number)
            reel, channel, transition, duration, tcs = parsed
            line_rate = _rate_for(rate, fcm_drop, notes)
            try:
                src_in, src_out, rec_in, rec_out = (tc.timecode_to_frames(t, line_rate) for t in tcs)
            except tc.TimecodeError as exc:
                raise EditListError(f"event {tokens[0]}: {exc}", path, number) from None
            if rec_out < rec_in:
                raise EditListError(f"event {tokens[0]}: record out is before record in", path, number)
            ev_line = _Line(number, tokens[0], reel, channel.upper(), transition.upper(), duration,
                            src_in, src_out, rec_in, rec_out, _channels(channel))
            if last is not None and last.number == tokens[0] and _same_event(last.lines[-1], ev_line):
                last.lines.append(ev_line)
            else:
                last = _Event(tokens[0], [ev_line])
                order.append(last)
            continue
        aud = _AUD.match(line)
        if aud and last is not None and last.lines:
            last.lines[-1].channels += [f"A{n}" for n in aud.groups() if n]
            continue
        comment = _COMMENT.match(line)
        if comment and last is not None:
            key, value = comment.group(1).upper(), comment.group(2).strip()
            if key in ("FROM CLIP NAME", "CLIP NAME"):
                last.from_name = value
            elif key == "TO CLIP NAME":
                last.to_name = value
            elif key in ("SOURCE FILE", "FROM FILE"):
                last.source_file = value
            elif key == "TO FILE":
                last.to_file = value
            elif key == "ISRC":
                last.isrc = value
            continue
        # Other lines (M2 speed changes, SPLIT:, >>> SOURCE, free comments) do not change audio timing.
    if not seen_event:
        raise EditListError("not an edit list: no CMX 3600 edit events found", path)
    final_rate = _rate_for(rate, fcm_drop, notes)
    edit = EditList(format=FORMAT, source=path, rate=final_rate, title=title, music_only=True,
                    notes=list(dict.fromkeys(notes)))
    _build_tracks(edit, order)
    clips = edit.clips()
    edit.sequence_start = min((c.record_in for c in clips), default=0)
    edit.sequence_start = _hour_floor(edit.sequence_start, final_rate)
    return edit


def _read_text(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise EditListError(f"cannot read the file: {exc.strerror or exc}", path) from None
    if b"\x00" in data[:4096]:
        raise EditListError("not an edit list (binary data where an EDL has text)", path)
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _parse_tokens(tokens: list[str]) -> tuple[str, str, str, int, list[str]] | None:
    if len(tokens) < 8 or not all(_TC.match(t) for t in tokens[-4:]):
        return None
    middle = tokens[1:-4]
    duration = 0
    if middle and middle[-1].isdigit() and len(middle) >= 4:
        duration = int(middle.pop())
    if len(middle) < 3 or not _TRANSITION.match(middle[-1]) or not _CHANNEL.match(middle[-2]):
        return None
    transition, channel = middle[-1], middle[-2]
    reel = " ".join(middle[:-2])
    if transition.upper() != "C" and not duration and transition.upper() != "K":
        return None
    return reel, channel, transition, duration, tokens[-4:]


def _same_event(prev: _Line, line: _Line) -> bool:
    """A dissolve's incoming line, or one more channel of the same cut, under one event number."""
    if prev.transition == "C" and line.transition != "C":
        return prev.rec_in == line.rec_in
    return line.transition == prev.transition and (line.rec_in, line.rec_out) == (prev.rec_in, prev.rec_out)


def _channels(channel: str) -> list[str]:
    c = channel.upper()
    if c in ("V", "NONE"):
        return []
    if c in ("A", "A/V", "B", "V/A"):
        return ["A1"]
    if c in ("AA", "AA/V", "V/AA"):
        return ["A1", "A2"]
    found = re.findall(r"A(\d{1,2})", c)
    if len(found) == 1 and len(found[0]) == 2 and "/" not in c:  # "A34": channels 3 and 4
        return [f"A{found[0][0]}", f"A{found[0][1]}"]
    return [f"A{n}" for n in found]


def _rate_for(rate: tc.FrameRate | None, drop: bool | None, notes: list[str]) -> tc.FrameRate:
    if rate is None:
        return tc.RATES["29.97DF"] if drop else tc.DEFAULT_RATE
    if drop is None:
        return rate
    if drop and rate.nominal in (30, 60):
        return tc.RATES["29.97DF" if rate.nominal == 30 else "59.94DF"]
    if drop:
        notes.append(f"The EDL says drop frame (FCM: DROP FRAME) but the rate is {rate.name} fps, "
                     "which has no drop frame: timecodes are read as non-drop.")
        return rate
    if rate.drop_frame:
        return tc.RATES["29.97" if rate.nominal == 30 else "59.94"]
    return rate


def _hour_floor(frames: int, rate: tc.FrameRate) -> int:
    """The sequence start an EDL implies: its first record hour (01:00:00:00 for most edits)."""
    per_hour = tc.timecode_to_frames("01:00:00:00", rate)
    return (frames // per_hour) * per_hour


def _build_tracks(edit: EditList, events: list[_Event]) -> None:
    tracks: dict[str, EditTrack] = {}

    def add(channel: str, clip: EditClip) -> None:
        track = tracks.get(channel)
        if track is None:
            track = tracks[channel] = EditTrack(channel, "audio", named=False)
        track.clips.append(clip)

    for ev in events:
        if len(ev.lines) >= 2 and ev.lines[0].transition == "C" and ev.lines[1].transition != "C":
            out_line, in_line = ev.lines[0], ev.lines[1]
            fade = in_line.duration
            for ch in out_line.channels:
                # The outgoing source plays on through the dissolve.
                add(ch, EditClip(ch, ev.from_name, out_line.rec_in, out_line.rec_in + fade,
                                 out_line.src_in, out_line.src_in + fade, ev.source_file,
                                 out_line.reel, ev.isrc, line=out_line.number))
            for ch in in_line.channels:
                add(ch, EditClip(ch, ev.to_name or ev.from_name, in_line.rec_in, in_line.rec_out,
                                 in_line.src_in, in_line.src_out, ev.to_file or ev.source_file,
                                 in_line.reel, ev.isrc, line=in_line.number))
            continue
        for ln in ev.lines:
            name = (ev.to_name or ev.from_name) if ln.transition != "C" else ev.from_name
            if ln.transition != "C" and ln.duration:
                _extend_outgoing(tracks, ln)
            for ch in ln.channels:
                if ln.rec_out > ln.rec_in:
                    add(ch, EditClip(ch, name, ln.rec_in, ln.rec_out, ln.src_in, ln.src_out,
                                     ev.source_file, ln.reel, ev.isrc, line=ln.number))
    edit.tracks = [tracks[k] for k in sorted(tracks, key=lambda n: int(n[1:]))]


def _extend_outgoing(tracks: dict[str, EditTrack], ln: _Line) -> None:
    """A dissolve written without its outgoing line: the clip ending at the cut plays on."""
    for ch in ln.channels:
        track = tracks.get(ch)
        if track and track.clips and track.clips[-1].record_out == ln.rec_in:
            c = track.clips[-1]
            track.clips[-1] = EditClip(c.track, c.name, c.record_in, c.record_out + ln.duration, c.source_in,
                                       c.source_out + ln.duration, c.source_file, c.reel, c.isrc, c.muted, c.line)
