"""Music clips of an edit list -> cues: one cue per continuous use of one piece.

A music editor cuts, crossfades and doubles a piece across tracks; a cue sheet lists each use
once. So clips of one source that touch, overlap (crossfade, the same piece on two tracks) or
leave a gap of at most ``bridge_gap_frames`` are one cue. Overlaps of *different* pieces are
carved out (a crossfade is split at its middle; a piece playing under another yields to it),
so the total never exceeds the programme, as ``validation`` asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.conversion import parties_from_metadata
from cuesheet_app.domain.edit_clips import EditClip, TimeMapping
from cuesheet_app.domain.model import Cue, Provenance
from cuesheet_app.domain.music_rules import Decision, Resolution, display_title


class EditRangeError(ValueError):
    """A music clip's record times fall outside the episode file."""


@dataclass
class EditCue:
    """A cue made from clips: frames of the media file at the sheet's rate."""

    key: str
    start: int
    end: int
    clips: list[EditClip] = field(default_factory=list)
    resolution: Resolution | None = None

    @property
    def title(self) -> str:
        if self.resolution and self.resolution.title:
            return self.resolution.title
        return display_title(self.clips[0])


def merge_clips(decisions: list[Decision], mapping: TimeMapping, bridge_gap_frames: int,
                media_frames: int | None = None) -> list[EditCue]:
    """Cues, in time order, for the decisions that are music.

    ``media_frames`` is the length of the episode file: a music clip outside it raises
    ``EditRangeError`` naming the clip, because a cue sheet timed past its programme is wrong
    everywhere, not in one place.
    """
    pieces: dict[str, list[tuple[int, int, Decision]]] = {}
    for d in decisions:
        if not d.music:
            continue
        start, end = mapping.to_media_frames(d.clip.record_in), mapping.to_media_frames(d.clip.record_out)
        if end <= start:
            continue
        if media_frames is not None and (start < 0 or end > media_frames):
            where = f" (line {d.clip.line})" if d.clip.line else ""
            rate = mapping.edit_rate
            raise EditRangeError(
                f"Clip {d.clip.name or d.clip.reel!r} on {d.clip.track}{where} runs "
                f"{tc.frames_to_timecode(d.clip.record_in, rate)}-{tc.frames_to_timecode(d.clip.record_out, rate)}, "
                f"outside the media ({tc.frames_to_timecode(mapping.media_first_frame, rate)} + "
                f"{tc.frames_to_timecode(mapping_frames_back(mapping, media_frames), rate)}): "
                "is this the edit list of this episode, and is the frame rate right?")
        pieces.setdefault(_key(d), []).append((start, end, d))
    cues: list[EditCue] = []
    for key, spans in pieces.items():
        spans.sort(key=lambda s: (s[0], s[1]))
        current: EditCue | None = None
        for start, end, d in spans:
            if current is not None and start - current.end <= bridge_gap_frames:
                current.end = max(current.end, end)
                current.clips.append(d.clip)
                current.resolution = current.resolution or d.resolution
                continue
            current = EditCue(key, start, end, [d.clip], d.resolution)
            cues.append(current)
    return carve_overlaps(cues)


def mapping_frames_back(mapping: TimeMapping, media_frames: int) -> int:
    """The media length in frames of the edit's rate (for messages in the edit's own timecode)."""
    if mapping.edit_rate == mapping.media_rate:
        return media_frames
    return tc.convert_frames(media_frames, mapping.media_rate, mapping.edit_rate)


def _key(d: Decision) -> str:
    r = d.resolution
    if r and (r.isrc or r.catalogue_number):
        return f"res:{r.isrc or ''}:{r.library}:{r.catalogue_number}:{r.track_number.lstrip('0')}".casefold()
    return d.clip.source_key()


def carve_overlaps(cues: list[EditCue]) -> list[EditCue]:
    """No two cues of different pieces share a frame: a crossfade is split at its middle, a piece
    under another yields to it (and resumes after it, as a cue of its own)."""
    todo = sorted(cues, key=lambda c: (c.start, c.end))
    out: list[EditCue] = []
    while todo:
        cue = todo.pop(0)
        if out and cue.start < out[-1].end:
            prev = out[-1]
            if cue.end >= prev.end:  # crossfade: split the overlap in the middle
                mid = (cue.start + prev.end) // 2
                prev.end, cue.start = mid, mid
            else:  # cue plays inside prev: prev stops for it and resumes after
                tail = EditCue(prev.key, cue.end, prev.end, list(prev.clips), prev.resolution)
                prev.end = cue.start
                todo.append(tail)
                todo.sort(key=lambda c: (c.start, c.end))
            if prev.end <= prev.start:
                out.pop()
        if cue.end > cue.start:
            out.append(cue)
    return out


def edit_cue_to_cue(ec: EditCue, fmt: str) -> Cue:
    """A sheet cue from an edit cue: library fields from the resolution, else the clip name as
    title and a ``rights-needed`` flag (somebody has to find who owns it)."""
    r = ec.resolution
    first = ec.clips[0]
    cue = Cue(title=ec.title, start=ec.start, end=ec.end)
    if r is not None:
        cue.library, cue.catalogue_number, cue.track_number, cue.isrc = (
            r.library, r.catalogue_number, r.track_number, r.isrc)
        md = r.metadata
        for name in ("album", "label", "release_date", "iswc"):
            if md.get(name):
                setattr(cue, name, str(md[name]))
        if md.get("artists"):
            cue.artists = list(md["artists"]) if isinstance(md["artists"], list) else [str(md["artists"])]
        cue.parties = parties_from_metadata(md)
        if cue.library:
            cue.origin = "library"
    if r is None or not r.known:
        cue.flags.append("rights-needed")
    names = sorted({c.name for c in ec.clips if c.name})
    cue.notes = f"From the edit ({fmt}): " + "; ".join(names or [first.reel or first.source_file])
    cue.provenance = Provenance(engine="edit")
    return cue
