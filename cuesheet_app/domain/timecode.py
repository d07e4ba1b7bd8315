"""SMPTE timecode and exact media time.

Times are whole frames (ints) at a known frame rate; seconds are Fractions.
Floats never hold a time: 29.97 fps accumulates rounding error within minutes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction


class TimecodeError(ValueError):
    """A timecode string that cannot exist at the given rate."""


@dataclass(frozen=True)
class FrameRate:
    """A video frame rate. ``nominal`` is the frame count per timecode second."""

    name: str
    num: int
    den: int
    drop_frame: bool = False

    @property
    def fps(self) -> Fraction:
        return Fraction(self.num, self.den)

    @property
    def nominal(self) -> int:
        return round(self.num / self.den)

    @property
    def dropped_per_minute(self) -> int:
        """Frame *numbers* skipped at each minute not divisible by ten (DF only)."""
        return self.nominal // 15 if self.drop_frame else 0

    @property
    def separator(self) -> str:
        return ";" if self.drop_frame else ":"

    def __str__(self) -> str:
        return self.name


RATES: dict[str, FrameRate] = {
    r.name: r
    for r in (
        FrameRate("23.976", 24000, 1001),
        FrameRate("24", 24, 1),
        FrameRate("25", 25, 1),
        FrameRate("29.97", 30000, 1001),
        FrameRate("29.97DF", 30000, 1001, drop_frame=True),
        FrameRate("30", 30, 1),
        FrameRate("50", 50, 1),
        FrameRate("59.94", 60000, 1001),
        FrameRate("59.94DF", 60000, 1001, drop_frame=True),
        FrameRate("60", 60, 1),
    )
}
DEFAULT_RATE = RATES["25"]


def frame_rate(name: str | FrameRate) -> FrameRate:
    """Look up a rate by its name ("25", "29.97DF", ...); accepts a FrameRate as is."""
    if isinstance(name, FrameRate):
        return name
    key = str(name).strip().upper().replace(" ", "").replace("FPS", "").replace("NDF", "")
    for rate in RATES.values():
        if rate.name.upper() == key:
            return rate
    raise TimecodeError(f"Unknown frame rate {name!r}; expected one of {', '.join(RATES)}")


def rate_for_fps(fps: Fraction | float, drop_frame: bool | None = None) -> FrameRate:
    """The closest standard rate to a measured fps (e.g. a stream's average rate).

    29.97 and 59.94 default to drop-frame, the broadcast convention in NTSC countries.
    """
    fps = Fraction(fps).limit_denominator(1001)
    best = min(RATES.values(), key=lambda r: (abs(r.fps - fps), r.drop_frame))
    if best.den == 1001 and best.nominal in (30, 60):
        want_df = True if drop_frame is None else drop_frame
        best = RATES[f"{'29.97' if best.nominal == 30 else '59.94'}{'DF' if want_df else ''}"]
    return best


_TC_RE = re.compile(r"^\s*(-)?(\d{1,2})[:;.](\d{1,2})[:;.](\d{1,2})([:;.,])(\d{1,2})\s*$")


def frames_to_timecode(frames: int, rate: FrameRate) -> str:
    """Frame count (0 = 00:00:00:00) to HH:MM:SS:FF; drop-frame written with ';'.

    Negative counts get a leading '-'; hours wrap at 24 as on a VTR.
    """
    if frames < 0:
        return "-" + frames_to_timecode(-frames, rate)
    nominal = rate.nominal
    drop = rate.dropped_per_minute
    if drop:
        per_10min = nominal * 600 - drop * 9
        per_min = nominal * 60 - drop
        tens, rem = divmod(frames, per_10min)
        frames += drop * 9 * tens
        if rem >= drop:
            frames += drop * ((rem - drop) // per_min)
    ff = frames % nominal
    total_seconds = frames // nominal
    ss = total_seconds % 60
    mm = (total_seconds // 60) % 60
    hh = (total_seconds // 3600) % 24
    return f"{hh:02d}:{mm:02d}:{ss:02d}{rate.separator}{ff:02d}"


def timecode_to_frames(text: str, rate: FrameRate) -> int:
    """HH:MM:SS:FF (any of ':;.' as separators) to a frame count, rejecting impossible labels."""
    m = _TC_RE.match(text)
    if not m:
        raise TimecodeError(f"{text!r} is not a timecode (expected HH:MM:SS:FF)")
    sign, hh, mm, ss, _sep, ff = m.groups()
    hh, mm, ss, ff = int(hh), int(mm), int(ss), int(ff)
    if mm > 59 or ss > 59:
        raise TimecodeError(f"{text!r}: minutes and seconds must be below 60")
    if ff >= rate.nominal:
        raise TimecodeError(f"{text!r}: frame {ff} does not exist at {rate.name} fps")
    drop = rate.dropped_per_minute
    if drop and ss == 0 and mm % 10 != 0 and ff < drop:
        raise TimecodeError(
            f"{text!r}: drop-frame timecode skips frames 00–{drop - 1:02d} at this minute"
        )
    total_minutes = hh * 60 + mm
    frames = (hh * 3600 + mm * 60 + ss) * rate.nominal + ff
    frames -= drop * (total_minutes - total_minutes // 10)
    return -frames if sign else frames


def is_valid_timecode(text: str, rate: FrameRate) -> bool:
    try:
        timecode_to_frames(text, rate)
    except TimecodeError:
        return False
    return True


def frames_to_seconds(frames: int, rate: FrameRate) -> Fraction:
    """Real elapsed time of a frame count (exact)."""
    return Fraction(frames * rate.den, rate.num)


def seconds_to_frames(seconds: Fraction | float | int | str, rate: FrameRate) -> int:
    """Nearest whole frame to a time in seconds (half a frame rounds up).

    Float input is read through its shortest decimal repr, so 12.04 means 12.04.
    """
    exact = to_fraction(seconds)
    value = exact * rate.fps
    return math.floor(value + Fraction(1, 2))


def to_fraction(value: Fraction | float | int | str) -> Fraction:
    """Exact rational from JSON numbers: floats go through repr so 0.1 stays 1/10."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite time")
        return Fraction(repr(value))
    return Fraction(value)


class Rounding(StrEnum):
    """How a duration becomes the whole seconds a PRO sees; PROs disagree, so it is a setting."""

    EXACT = "exact"
    NEAREST = "nearest"
    UP = "up"

    @property
    def label(self) -> str:
        return {
            "exact": "Exact (no rounding)",
            "nearest": "Round to nearest second",
            "up": "Round up to whole second",
        }[self.value]


def round_seconds(seconds: Fraction, policy: Rounding) -> Fraction:
    """Apply a rounding policy; EXACT keeps the fraction."""
    if policy is Rounding.EXACT:
        return seconds
    if policy is Rounding.UP:
        return Fraction(math.ceil(seconds))
    return Fraction(math.floor(seconds + Fraction(1, 2)))


def format_duration(seconds: Fraction, policy: Rounding = Rounding.NEAREST, hours: bool = False) -> str:
    """MM:SS (or HH:MM:SS); EXACT shows hundredths (truncated, so 59.999 never shows 60)."""
    value = round_seconds(seconds, policy)
    negative = value < 0
    value = abs(value)
    whole = math.floor(value)
    frac = value - whole
    if hours:
        text = f"{whole // 3600:02d}:{(whole // 60) % 60:02d}:{whole % 60:02d}"
    else:
        text = f"{whole // 60:02d}:{whole % 60:02d}"
    if policy is Rounding.EXACT and frac:
        text += f".{math.floor(frac * 100):02d}"
    return ("-" if negative else "") + text


class TimeDisplay(StrEnum):
    """How the editor shows times and lengths: one way for In, Out and Duration, chosen in Settings.

    Exports do not follow it: each PRO's sheet keeps its own convention (``export/rows``).
    """

    TIMECODE = "timecode"  # HH:MM:SS:FF, frames after the last colon
    MINUTES = "minutes"  # MM:SS, whole seconds (nearest)
    SECONDS = "seconds"  # seconds with two decimals

    @property
    def label(self) -> str:
        return {"timecode": "Timecode with frames (HH:MM:SS:FF)", "minutes": "Minutes and seconds (MM:SS)",
                "seconds": "Seconds with decimals (SS.ss)"}[self.value]

    @property
    def hint(self) -> str:
        """The short unit label for column headers."""
        return {"timecode": "HH:MM:SS:FF", "minutes": "MM:SS", "seconds": "sec"}[self.value]


def time_display(name: str) -> TimeDisplay:
    """A setting's value as a TimeDisplay (timecode when it is unknown: settings never stop the app)."""
    try:
        return TimeDisplay(name)
    except ValueError:
        return TimeDisplay.TIMECODE


def format_length(frames: int, rate: FrameRate, display: TimeDisplay) -> str:
    """A length (or a time from a zero point) in frames, shown the chosen way.

    Seconds are truncated to hundredths (so a value never reads as the next second) and
    whole minutes and seconds are rounded to the nearest second, as a stopwatch would.
    """
    if display is TimeDisplay.TIMECODE:
        if frames < 0:
            return "-" + frames_to_timecode(-frames, rate)
        return frames_to_timecode(frames, rate)
    seconds = frames_to_seconds(frames, rate)
    if display is TimeDisplay.MINUTES:
        return format_duration(seconds, Rounding.NEAREST)
    sign = "-" if seconds < 0 else ""
    hundredths = math.floor(abs(seconds) * 100)
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}"


def parse_length(text: str, rate: FrameRate) -> int:
    """Typed length to frames: timecode (HH:MM:SS:FF), MM:SS, HH:MM:SS or seconds ('90.5')."""
    stripped = text.strip()
    if stripped.count(":") + stripped.count(";") == 3:
        return timecode_to_frames(stripped, rate)
    return seconds_to_frames(parse_duration(stripped), rate)


def split_hms(seconds: Fraction, policy: Rounding = Rounding.NEAREST) -> tuple[int, int, Fraction]:
    """(H, M, S) cells for a time, as the ASCAP/BMI grid wants them."""
    value = round_seconds(seconds, policy)
    whole = math.floor(value)
    return whole // 3600, (whole // 60) % 60, value - (whole // 60) * 60


def parse_duration(text: str) -> Fraction:
    """'MM:SS', 'HH:MM:SS' or plain seconds ('90', '90.5') to exact seconds."""
    text = text.strip()
    if not text:
        raise ValueError("empty duration")
    parts = text.split(":")
    if len(parts) > 3:
        raise ValueError(f"{text!r} is not a duration (MM:SS or HH:MM:SS)")
    try:
        values = [Fraction(p) for p in parts]
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{text!r} is not a duration (MM:SS or HH:MM:SS)") from None
    total = Fraction(0)
    for v in values:
        total = total * 60 + v
    if total < 0:
        raise ValueError(f"{text!r}: a duration cannot be negative")
    return total


def convert_frames(frames: int, src: FrameRate, dst: FrameRate) -> int:
    """Same instant at another rate (nearest frame)."""
    if src == dst or (src.num, src.den) == (dst.num, dst.den):
        return frames
    return seconds_to_frames(frames_to_seconds(frames, src), dst)
