"""Where cues sit on the timeline: stacking lanes for overlaps, fast visible-range queries, snapping.

Plain Python kept apart from painting so it can be rebuilt once per change
(not per paint) and tested on its own. With cues sorted by start, the cues
visible in [t0, t1) are found by two bisections: one on the starts, one on the
running maximum of the ends.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import accumulate

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import Cue, CueSheet


@dataclass
class CueLayout:
    """Cues in start order with their lane (0 = top); overlapping cues get different lanes."""

    cues: list[Cue] = field(default_factory=list)
    lanes: list[int] = field(default_factory=list)
    lane_of: dict[str, int] = field(default_factory=dict)
    lane_count: int = 1
    _starts: list[int] = field(default_factory=list)
    _max_ends: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, cues: list[Cue]) -> CueLayout:
        ordered = sorted(cues, key=lambda c: (c.start, c.end, c.id))
        lanes: list[int] = []
        busy: list[tuple[int, int]] = []  # (end, lane) of cues still sounding
        free: list[int] = []
        next_lane = 0
        for c in ordered:
            while busy and busy[0][0] <= c.start:
                heapq.heappush(free, heapq.heappop(busy)[1])
            if free:
                lane = heapq.heappop(free)
            else:
                lane, next_lane = next_lane, next_lane + 1
            lanes.append(lane)
            heapq.heappush(busy, (c.end, lane))
        layout = cls(ordered, lanes, {c.id: lane for c, lane in zip(ordered, lanes, strict=True)},
                     max(1, next_lane))
        layout._starts = [c.start for c in ordered]
        layout._max_ends = list(accumulate((c.end for c in ordered), max))
        return layout

    def visible(self, first_frame: int, last_frame: int) -> range:
        """Indices (into ``cues``) of cues that intersect [first_frame, last_frame]."""
        lo = bisect_right(self._max_ends, first_frame)
        hi = bisect_right(self._starts, last_frame)
        return range(lo, max(lo, hi))


@dataclass
class SnapIndex:
    """Sorted snap targets: cue edges (with their cue ids) and engine event boundaries."""

    edges: list[int] = field(default_factory=list)
    edge_ids: list[str] = field(default_factory=list)
    events: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, sheet: CueSheet, cache: dict[tuple[str, str], int] | None = None) -> SnapIndex:
        """``cache`` (kept by the caller across rebuilds) saves re-parsing event times."""
        pairs = sorted((f, c.id) for c in sheet.cues for f in (c.start, c.end))
        events: set[int] = set()
        rate = sheet.rate
        cache = {} if cache is None else cache
        for c in sheet.cues:
            for pair in c.provenance.source_events:
                for text in pair:
                    key = (text, rate.name)
                    frame = cache.get(key)
                    if frame is None:
                        try:
                            frame = cache[key] = tc.seconds_to_frames(Fraction(text), rate)
                        except (ValueError, ZeroDivisionError):
                            continue
                    events.add(frame)
        return cls([p[0] for p in pairs], [p[1] for p in pairs], sorted(events))

    def snap(self, frame: int, tolerance: int, exclude: set[str], extra: tuple[int, ...] = ()) -> int | None:
        """The nearest target within ``tolerance`` frames (ignoring edges of ``exclude`` cues)."""
        best: int | None = None
        lo = bisect_left(self.edges, frame - tolerance)
        hi = bisect_right(self.edges, frame + tolerance)
        for i in range(lo, hi):
            if self.edge_ids[i] not in exclude:
                best = _closer(frame, best, self.edges[i])
        lo = bisect_left(self.events, frame - tolerance)
        hi = bisect_right(self.events, frame + tolerance)
        for i in range(lo, hi):
            best = _closer(frame, best, self.events[i])
        for f in extra:
            if abs(f - frame) <= tolerance:
                best = _closer(frame, best, f)
        return best


def _closer(frame: int, best: int | None, candidate: int) -> int:
    if best is None or abs(candidate - frame) < abs(best - frame):
        return candidate
    return best


NICE_STEPS_S: tuple[float, ...] = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


def ruler_step(seconds_per_pixel: float, min_px: int = 90) -> float:
    """Seconds between labelled ruler ticks so labels are at least ``min_px`` apart."""
    for step in NICE_STEPS_S:
        if step / seconds_per_pixel >= min_px:
            return step
    return NICE_STEPS_S[-1]


def ruler_ticks(sheet: CueSheet, first_frame: int, last_frame: int, step_s: int) -> list[tuple[int, str]]:
    """(media frame, label) of ruler ticks at whole ``step_s`` multiples of *timecode* seconds.

    Ticks sit where the timecode reads HH:MM:SS:00 (what an editor reads off the NLE),
    not at multiples of real seconds, which at 29.97 fps fall between labels. At
    drop-frame minutes where ;00 and ;01 do not exist, the tick takes the first label.
    """
    rate = sheet.rate
    offset = sheet.media_start_frames()
    first_label = tc.frames_to_timecode(max(0, offset + first_frame), rate)
    hh, mm, ss = (int(x) for x in first_label[:8].split(":"))
    t = (hh * 3600 + mm * 60 + ss) // step_s * step_s
    out: list[tuple[int, str]] = []
    while len(out) < 400:
        h, rem = divmod(t, 3600)
        label = f"{h % 24:02d}:{rem // 60:02d}:{rem % 60:02d}{rate.separator}"
        for ff in range(rate.dropped_per_minute + 1):
            try:
                count = tc.timecode_to_frames(f"{label}{ff:02d}", rate)
                break
            except tc.TimecodeError:
                continue
        frame = count - offset
        if frame > last_frame:
            break
        out.append((frame, f"{label}{ff:02d}"))
        t += step_s
    return out
