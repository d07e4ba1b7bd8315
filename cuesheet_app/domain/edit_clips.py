"""What an edit list says, independent of its file format: tracks of clips on a record timeline.

Every reader (CMX 3600, FCP XML, FCPXML, AAF, OTIO, Pro Tools text) produces this, so the
music rules and the merge into cues are written once. Times are whole frames at the edit's
own rate (``EditList.rate``), record times as absolute timecode frames (a sequence starting
at 01:00:00:00 has its first record frame at 90,000 at 25 fps): converting to frames of the
episode file is the job of ``to_media_frames``, because only it knows the media's start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from cuesheet_app.domain import timecode as tc


@dataclass(frozen=True)
class EditClip:
    """One clip (CMX: one event on one channel) on one track of the record timeline."""

    track: str  # the track's name as the edit calls it ("MX 1", "A2")
    name: str  # clip name ("* FROM CLIP NAME", FCP <name>, Pro Tools clip name)
    record_in: int  # absolute timecode frames at the edit's rate
    record_out: int
    source_in: int = 0  # frames into the source
    source_out: int = 0
    source_file: str = ""  # file name or path, when the format keeps it
    reel: str = ""
    isrc: str = ""
    muted: bool = False
    line: int = 0  # where the clip was read (EDL and Pro Tools text: line number; 0 unknown)

    @property
    def duration(self) -> int:
        return self.record_out - self.record_in

    def source_key(self) -> str:
        """What says "the same piece of music": the file, else the clip name, else the reel."""
        if self.source_file:
            return "file:" + _stem(self.source_file).casefold()
        if self.name:
            return "name:" + clean_clip_name(self.name).casefold()
        return "reel:" + self.reel.casefold()


@dataclass
class EditTrack:
    name: str
    kind: str = "audio"  # "audio" or "video"
    named: bool = True  # False where the format lost the name ("A2" made up by the reader)
    muted: bool = False
    clips: list[EditClip] = field(default_factory=list)


@dataclass
class EditList:
    """A whole edit list. ``music_only`` is the reader's default for the music-only rule."""

    format: str  # "CMX 3600 EDL", "FCP 7 XML", "FCPXML", "AAF", "OTIO", "Pro Tools session text"
    source: str  # the file it was read from
    rate: tc.FrameRate
    sequence_start: int = 0  # timecode frames of the first frame of the sequence
    title: str = ""
    tracks: list[EditTrack] = field(default_factory=list)
    music_only: bool = False
    notes: list[str] = field(default_factory=list)  # what a user should know (rate disagreement, ...)
    absolute_times: bool = True  # False: the format lost the sequence start (record times from 0)

    def audio_tracks(self) -> list[EditTrack]:
        return [t for t in self.tracks if t.kind == "audio"]

    def clips(self) -> list[EditClip]:
        return [c for t in self.audio_tracks() for c in t.clips]

    def end(self) -> int:
        """Last record frame used by any audio clip (the sequence start when there are none)."""
        return max((c.record_out for c in self.clips()), default=self.sequence_start)


_TAKE_SUFFIX = re.compile(r"(\.(L|R|C|Ls|Rs|LFE|A\d+)|-\d{2,3}|\.dup\d+|\.new\.\d+)+$", re.IGNORECASE)
_AUDIO_EXT = re.compile(r"\.(wav|wave|bwf|aif|aiff|mp3|m4a|aac|flac|mxf|mov|mp4|caf|ogg)$", re.IGNORECASE)


def clean_clip_name(name: str) -> str:
    """A clip name without what editors' tools append: ``.L``/``.R`` channels, ``-01`` edit counters,
    ``.dup1``, and a file extension. ``APM_ABC123_01 Dawn.wav-03`` -> ``APM_ABC123_01 Dawn``."""
    text = name.strip()
    for _ in range(3):
        before = text
        text = _TAKE_SUFFIX.sub("", text)
        text = _AUDIO_EXT.sub("", text)
        if text == before:
            break
    return text.strip()


def _stem(path: str) -> str:
    base = re.split(r"[\\/:]", path.rstrip("\\/"))[-1]
    return _AUDIO_EXT.sub("", base)


def file_stem(path: str) -> str:
    """The file name without folders or audio extension (paths may be POSIX, Windows or HFS ``:``)."""
    return _stem(path)


@dataclass(frozen=True)
class TimeMapping:
    """From the edit's record timecode to frames of the episode file at the sheet's rate."""

    edit_rate: tc.FrameRate
    media_rate: tc.FrameRate
    media_first_frame: int  # timecode frames (edit rate) of the file's first frame

    def to_media_frames(self, record: int) -> int:
        offset = record - self.media_first_frame
        if self.edit_rate == self.media_rate:
            return offset
        return tc.seconds_to_frames(tc.frames_to_seconds(offset, self.edit_rate), self.media_rate)


def time_mapping(edit: EditList, media_rate: tc.FrameRate, media_start_timecode: str = "") -> TimeMapping:
    """The sequence start is the file's first frame unless the file carries its own start timecode."""
    first = edit.sequence_start
    if media_start_timecode and edit.absolute_times:
        try:
            first = tc.timecode_to_frames(media_start_timecode, edit.rate)
        except tc.TimecodeError:
            first = edit.sequence_start
    return TimeMapping(edit.rate, media_rate, first)


def rates_disagree(edit_rate: tc.FrameRate, media_fps: Fraction | None) -> bool:
    """True when the edit's rate is not the media's (drop/non-drop of one rate agree: same frames)."""
    if not media_fps:
        return False
    return tc.rate_for_fps(media_fps).fps != edit_rate.fps
