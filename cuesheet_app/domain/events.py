"""The engine event schema (AudioShake ``music_identification`` JSON), parsed defensively.

Both engines return exactly this document, so results are interchangeable. A
malformed document is refused whole with a message naming the event and the
field: silently dropping an event would silently drop a royalty.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cuesheet_app.domain.identifiers import normalize_isrc
from cuesheet_app.domain.timecode import to_fraction

IDENT_FIELDS = ("title", "artists", "album", "label", "release_date", "isrc")
CORE_FIELDS = (
    "start_time_s",
    "end_time_s",
    "music_detected",
    "music_identified",
    "detection_confidence",
    "identification_confidence",
)


class EventsError(ValueError):
    """The events document is not usable; the message names the event and field."""


@dataclass
class Event:
    start: Fraction
    end: Fraction
    music_detected: bool = True
    music_identified: bool = False
    detection_confidence: float | None = None
    identification_confidence: float | None = None
    title: str | None = None
    artists: list[str] = field(default_factory=list)
    album: str | None = None
    label: str | None = None
    release_date: str | None = None
    isrc: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # engine-specific keys, kept verbatim

    @property
    def duration(self) -> Fraction:
        return self.end - self.start

    def track_key(self) -> str | None:
        """What makes two events 'the same track' for merging."""
        if not self.music_identified:
            return None
        if self.isrc:
            return "isrc:" + normalize_isrc(self.isrc)
        return "title:" + (self.title or "").casefold() + "|" + "|".join(a.casefold() for a in self.artists)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "start_time_s": _num(self.start),
            "end_time_s": _num(self.end),
            "music_detected": self.music_detected,
            "music_identified": self.music_identified,
        }
        if self.detection_confidence is not None:
            d["detection_confidence"] = self.detection_confidence
        if self.music_identified:
            if self.identification_confidence is not None:
                d["identification_confidence"] = self.identification_confidence
            for key in IDENT_FIELDS:
                value = getattr(self, key)
                if value not in (None, []):
                    d[key] = list(value) if key == "artists" else value
        d.update(self.extra)
        return d


@dataclass
class EventsDocument:
    events: list[Event] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"events": [e.to_dict() for e in self.events], **self.extra}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def _num(value: Fraction) -> float | int:
    return int(value) if value.denominator == 1 else float(value)


def parse_events_json(text: str | bytes, source: str = "events") -> EventsDocument:
    """Parse a JSON text; errors carry the line/column of a syntax error."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventsError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except UnicodeDecodeError:
        raise EventsError(f"{source}: not UTF-8 text") from None
    return parse_events(data, source)


def parse_events(data: Any, source: str = "events") -> EventsDocument:
    if not isinstance(data, dict):
        raise EventsError(f"{source}: expected a JSON object with an 'events' list, got {type(data).__name__}")
    if "events" not in data:
        raise EventsError(f"{source}: missing the 'events' list")
    raw = data["events"]
    if not isinstance(raw, list):
        raise EventsError(f"{source}: 'events' must be a list, got {type(raw).__name__}")
    events = [_parse_event(item, i, source) for i, item in enumerate(raw)]
    extra = {k: v for k, v in data.items() if k != "events"}
    return EventsDocument(events=events, extra=extra)


def _parse_event(item: Any, index: int, source: str) -> Event:
    where = f"{source}: event {index}"

    def fail(fieldname: str, problem: str) -> EventsError:
        return EventsError(f"{where}, field '{fieldname}': {problem}")

    if not isinstance(item, dict):
        raise EventsError(f"{where}: expected an object, got {type(item).__name__}")

    def time(name: str) -> Fraction:
        if name not in item or item[name] is None:
            raise fail(name, "missing")
        value = item[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(name, f"expected a number of seconds, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise fail(name, f"expected a non-negative number of seconds, got {value!r}")
        return to_fraction(value)

    def flag(name: str, default: bool) -> bool:
        value = item.get(name, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise fail(name, f"expected true or false, got {value!r}")
        return value

    def confidence(name: str) -> float | None:
        value = item.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise fail(name, f"expected a number from 0 to 1, got {value!r}")
        return float(value)

    def text(name: str) -> str | None:
        value = item.get(name)
        if value is None:
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise fail(name, f"expected text, got {value!r}")
        return str(value)

    start, end = time("start_time_s"), time("end_time_s")
    if end < start:
        raise fail("end_time_s", f"ends ({float(end)} s) before it starts ({float(start)} s)")
    identified = flag("music_identified", False)
    artists_raw = item.get("artists")
    if artists_raw is None:
        artists: list[str] = []
    elif isinstance(artists_raw, str):
        artists = [artists_raw]
    elif isinstance(artists_raw, list) and all(isinstance(a, str) for a in artists_raw):
        artists = list(artists_raw)
    else:
        raise fail("artists", f"expected a list of names, got {artists_raw!r}")
    extra = {k: v for k, v in item.items() if k not in CORE_FIELDS and k not in IDENT_FIELDS}
    return Event(
        start=start,
        end=end,
        music_detected=flag("music_detected", True),
        music_identified=identified,
        detection_confidence=confidence("detection_confidence"),
        identification_confidence=confidence("identification_confidence"),
        title=text("title"),
        artists=artists,
        album=text("album"),
        label=text("label"),
        release_date=text("release_date"),
        isrc=text("isrc"),
        extra=extra,
    )
