"""The cue sheet: production header, cues and their interested parties.

Cue times are whole frames from the start of the episode's media file, at the
sheet's frame rate. Program timecode and program-relative times are derived
from the media start timecode and the program start (see ``CueSheet``), so a
change of program start never rewrites cues.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from typing import Any

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.vocab import DEFAULT_USAGE, PUBLISHER_ROLES, WRITER_ROLES


def new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class Party:
    """One interested party of a cue: a writer (person) or a publisher (company)."""

    role: str = "C"
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    pro: str = ""
    ipi: str = ""
    share: Fraction = Fraction(0)  # percent, exact: 33 1/3 stays 33 1/3

    @property
    def is_writer(self) -> bool:
        return self.role in WRITER_ROLES

    @property
    def is_publisher(self) -> bool:
        return self.role in PUBLISHER_ROLES

    @property
    def display_name(self) -> str:
        if self.company:
            return self.company
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["share"] = _fraction_out(self.share)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Party:
        kwargs = _known(cls, d)
        kwargs["share"] = _fraction_in(d.get("share", 0))
        return cls(**kwargs)


@dataclass
class Provenance:
    """Where a cue came from, kept so a supervisor can judge it and engines can be compared."""

    engine: str = ""  # "local", "audioshake", "manual", "import"
    detection_confidence: float | None = None
    identification_confidence: float | None = None
    source_events: list[tuple[str, str]] = field(default_factory=list)  # exact seconds as text
    catalogue_ref: str = ""
    filled_from_catalogue: bool = False
    # The cue's audio print when no engine named it (``media/audio_print`` words as base64, from
    # word ``first_word`` of the media): the next revision finds it again without the old media.
    audio_print: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "audio_print": dict(self.audio_print),
            "engine": self.engine,
            "detection_confidence": self.detection_confidence,
            "identification_confidence": self.identification_confidence,
            "source_events": [list(p) for p in self.source_events],
            "catalogue_ref": self.catalogue_ref,
            "filled_from_catalogue": self.filled_from_catalogue,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Provenance:
        kwargs = _known(cls, d)
        kwargs["source_events"] = [tuple(str(x) for x in p) for p in d.get("source_events", [])]
        kwargs["audio_print"] = dict(d["audio_print"]) if isinstance(d.get("audio_print"), dict) else {}
        return cls(**kwargs)


@dataclass
class Cue:
    """One use of music. ``start``/``end`` are frames from the start of the media file."""

    id: str = field(default_factory=new_id)
    seq: int = 0
    cue_number: str = ""
    title: str = ""
    usage: str = DEFAULT_USAGE
    start: int = 0
    end: int = 0
    origin: str = "unknown"
    vocal: str = ""
    isrc: str = ""
    iswc: str = ""
    artists: list[str] = field(default_factory=list)
    album: str = ""
    label: str = ""
    release_date: str = ""
    library: str = ""
    catalogue_number: str = ""
    track_number: str = ""
    notes: str = ""
    active: bool = True
    parties: list[Party] = field(default_factory=list)
    provenance: Provenance = field(default_factory=Provenance)
    flags: list[str] = field(default_factory=list)  # e.g. "short": kept but flagged

    @property
    def duration(self) -> int:
        return self.end - self.start

    @property
    def identified(self) -> bool:
        """Known music: a title that is not the engine's "Unidentified music" placeholder."""
        return bool(self.title) and "unidentified" not in self.flags

    @property
    def writers(self) -> list[Party]:
        return [p for p in self.parties if p.is_writer]

    @property
    def publishers(self) -> list[Party]:
        return [p for p in self.parties if p.is_publisher]

    def copy(self) -> Cue:
        """Deep copy (the undo machinery relies on cues never sharing mutable parts)."""
        return Cue.from_dict(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "parties":
                v = [p.to_dict() for p in v]
            elif f.name == "provenance":
                v = v.to_dict()
            elif isinstance(v, list):
                v = list(v)
            d[f.name] = v
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cue:
        kwargs = _known(cls, d)
        kwargs["parties"] = [Party.from_dict(p) for p in d.get("parties", [])]
        kwargs["provenance"] = Provenance.from_dict(d.get("provenance", {}))
        for key in ("artists", "flags"):
            kwargs[key] = list(d.get(key, []))
        for key in ("start", "end", "seq"):
            if key in kwargs:
                kwargs[key] = int(kwargs[key])
        return cls(**kwargs)


@dataclass
class ProductionHeader:
    """Everything above the cue grid on a PRO cue sheet."""

    program_title: str = ""
    program_akas: list[str] = field(default_factory=list)
    episode_title: str = ""
    episode_akas: list[str] = field(default_factory=list)
    episode_number: str = ""
    production_number: str = ""
    production_company: str = ""
    company_contact: str = ""  # mailing address / phone
    network: str = ""
    initial_air_date: str = ""  # ISO date text; may be empty until known
    date_prepared: str = ""
    prepared_by: str = ""
    prepared_by_email: str = ""
    category: str = "Series"
    version: str = "Original"
    classification: str = "Original"  # or "Revised"
    revision_number: int = 0
    country_of_origin: str = ""
    program_duration: int = 0  # frames
    frame_rate: str = tc.DEFAULT_RATE.name
    program_start: str = "00:00:00:00"
    notes: str = ""
    status: str = "draft"  # see vocab.STATUSES; "submitted" is read-only until reopened
    status_date: str = ""  # ISO date the status was last set

    @property
    def rate(self) -> tc.FrameRate:
        return tc.frame_rate(self.frame_rate)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), list) else v) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProductionHeader:
        kwargs = _known(cls, d)
        for key in ("program_akas", "episode_akas"):
            kwargs[key] = list(d.get(key, []))
        return cls(**kwargs)


@dataclass
class MediaRef:
    """An episode file, found again by path or, when moved, by content fingerprint."""

    path: str = ""
    size: int = 0
    mtime: float = 0.0
    fingerprint: str = ""
    duration_s: str = "0"  # exact seconds as text
    start_timecode: str = ""  # as carried by MOV/MXF; empty when the file has none
    frame_rate: str = ""
    audio_stream: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MediaRef:
        return cls(**_known(cls, d))


@dataclass
class CueSheet:
    """A whole project's cue sheet."""

    header: ProductionHeader = field(default_factory=ProductionHeader)
    media: list[MediaRef] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # raw engine documents, per run
    engine: dict[str, Any] = field(default_factory=dict)  # engine name, version, settings used
    engine_state: dict[str, Any] = field(default_factory=dict)  # resumable job ids, per engine
    export_options: dict[str, Any] = field(default_factory=dict)
    # The version this one revises, without its engine runs: what a revised PDF and the
    # compare view set the current cues against (CueDB keeps each version's times beside
    # the current ones). Only one step back, so a season of revisions does not nest.
    previous: CueSheet | None = None

    @property
    def submitted(self) -> bool:
        return self.header.status == "submitted"

    @property
    def rate(self) -> tc.FrameRate:
        return self.header.rate

    # --- time bases -------------------------------------------------------
    def media_start_frames(self) -> int:
        """Timecode (as a frame count) of the media file's first frame."""
        if self.media and self.media[0].start_timecode:
            try:
                return tc.timecode_to_frames(self.media[0].start_timecode, self.rate)
            except tc.TimecodeError:
                pass
        return self.program_start_frames()

    def program_start_frames(self) -> int:
        try:
            return tc.timecode_to_frames(self.header.program_start, self.rate)
        except tc.TimecodeError:
            return 0

    def timecode_at(self, media_frames: int) -> str:
        """Program timecode shown for a media position (what the editor sees in the NLE)."""
        return tc.frames_to_timecode(self.media_start_frames() + media_frames, self.rate)

    def media_frames_from_timecode(self, text: str) -> int:
        return tc.timecode_to_frames(text, self.rate) - self.media_start_frames()

    def program_offset_frames(self) -> int:
        """Media frame at which the program starts (may be negative or past zero)."""
        return self.program_start_frames() - self.media_start_frames()

    def program_seconds(self, media_frames: int) -> Fraction:
        """Seconds from program start: what a PRO sheet calls time in/out."""
        return tc.frames_to_seconds(media_frames - self.program_offset_frames(), self.rate)

    def seconds(self, frames: int) -> Fraction:
        return tc.frames_to_seconds(frames, self.rate)

    def frames(self, seconds: Fraction | float | str) -> int:
        return tc.seconds_to_frames(seconds, self.rate)

    # --- cues -------------------------------------------------------------
    def cue_by_id(self, cue_id: str) -> Cue:
        for c in self.cues:
            if c.id == cue_id:
                return c
        raise KeyError(cue_id)

    def index_of(self, cue_id: str) -> int:
        for i, c in enumerate(self.cues):
            if c.id == cue_id:
                return i
        raise KeyError(cue_id)

    def active_cues(self) -> list[Cue]:
        return [c for c in self.cues if c.active]

    def sort_and_renumber(self) -> None:
        """Time order, then sequence numbers 1..n over active cues (inactive get 0)."""
        self.cues.sort(key=lambda c: (c.start, c.end, c.id))
        n = 0
        for c in self.cues:
            if c.active:
                n += 1
                c.seq = n
            else:
                c.seq = 0

    def total_music_frames(self) -> int:
        return sum(max(0, c.duration) for c in self.active_cues())

    def copy(self) -> CueSheet:
        return CueSheet.from_dict(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "header": self.header.to_dict(),
            "media": [m.to_dict() for m in self.media],
            "cues": [c.to_dict() for c in self.cues],
            "events": self.events,
            "engine": self.engine,
            "engine_state": self.engine_state,
            "export_options": self.export_options,
            "previous": self.previous.to_dict() if self.previous is not None else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CueSheet:
        return cls(
            header=ProductionHeader.from_dict(d.get("header", {})),
            media=[MediaRef.from_dict(m) for m in d.get("media", [])],
            cues=[Cue.from_dict(c) for c in d.get("cues", [])],
            events=list(d.get("events", [])),
            engine=dict(d.get("engine", {})),
            engine_state=dict(d.get("engine_state", {})),
            export_options=dict(d.get("export_options", {})),
            previous=cls.from_dict(d["previous"]) if isinstance(d.get("previous"), dict) else None,
        )

    def snapshot_for_revision(self) -> CueSheet:
        """This version as the ``previous`` of its revision: cues and header, no engine runs."""
        snap = CueSheet(header=ProductionHeader.from_dict(self.header.to_dict()),
                        media=[MediaRef.from_dict(m.to_dict()) for m in self.media],
                        cues=[c.copy() for c in self.cues])
        return snap


def with_changes(cue: Cue, **changes: Any) -> Cue:
    """A changed deep copy of a cue."""
    return replace(cue.copy(), **changes)


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def _fraction_out(value: Fraction) -> int | float | str:
    """Shares go to JSON as ints when whole, else as exact 'n/d' text."""
    if value.denominator == 1:
        return int(value)
    return f"{value.numerator}/{value.denominator}"


def _fraction_in(value: Any) -> Fraction:
    if isinstance(value, str):
        return Fraction(value.strip().rstrip("%") or 0)
    return tc.to_fraction(value)
