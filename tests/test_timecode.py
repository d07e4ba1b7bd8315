"""Timecode conversions checked against the independent `timecode` package."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from timecode import Timecode

from cuesheet_app.domain import timecode as tc

# our rate name -> (oracle rate string, oracle forced non-drop?)
ORACLE = {
    "23.976": ("23.976", False),
    "24": ("24", False),
    "25": ("25", False),
    "29.97": ("29.97", True),
    "29.97DF": ("29.97", False),
    "30": ("30", False),
    "50": ("50", False),
    "59.94": ("59.94", True),
    "59.94DF": ("59.94", False),
    "60": ("60", False),
}


def oracle(name: str, frames: int) -> str:
    rate, force_ndf = ORACLE[name]
    # the oracle counts '00:00:00:00' as frame 1
    return str(Timecode(rate, frames=frames + 1, force_non_drop_frame=force_ndf))


def interesting_frames(rate: tc.FrameRate) -> list[int]:
    rng = random.Random(rate.name)
    values = set(range(0, 5))
    for minute in range(0, 23 * 60 + 1, 1):
        # around every minute boundary, where drop-frame skips labels
        label_frames = tc.timecode_to_frames(f"{minute // 60:02d}:{minute % 60:02d}:{'00'}{rate.separator}{rate.dropped_per_minute:02d}", rate)
        values.update(label_frames + d for d in (-3, -2, -1, 0, 1, 2))
    values.update(rng.randrange(0, 24 * 3600 * rate.nominal - 10_000) for _ in range(2000))
    return sorted(v for v in values if v >= 0)


@pytest.mark.parametrize("name", list(ORACLE))
def test_frames_to_timecode_matches_oracle(name: str) -> None:
    rate = tc.RATES[name]
    for frames in interesting_frames(rate):
        assert tc.frames_to_timecode(frames, rate) == oracle(name, frames), frames


@pytest.mark.parametrize("name", list(ORACLE))
def test_timecode_round_trip(name: str) -> None:
    rate = tc.RATES[name]
    for frames in interesting_frames(rate):
        text = tc.frames_to_timecode(frames, rate)
        assert tc.timecode_to_frames(text, rate) == frames
        oracle_rate, force = ORACLE[name]
        assert Timecode(oracle_rate, text, force_non_drop_frame=force).frames - 1 == frames


def test_drop_frame_skips_labels_except_tenth_minutes() -> None:
    df = tc.RATES["29.97DF"]
    assert tc.frames_to_timecode(1799, df) == "00:00:59;29"
    assert tc.frames_to_timecode(1800, df) == "00:01:00;02"
    assert tc.frames_to_timecode(17982, df) == "00:10:00;00"
    with pytest.raises(tc.TimecodeError, match="skips"):
        tc.timecode_to_frames("00:01:00;00", df)
    assert tc.timecode_to_frames("00:10:00;00", df) == 17982
    df60 = tc.RATES["59.94DF"]
    with pytest.raises(tc.TimecodeError):
        tc.timecode_to_frames("00:01:00;03", df60)
    assert tc.frames_to_timecode(3600, df60) == "00:01:00;04"


@pytest.mark.parametrize("bad", ["1:2:3", "00:60:00:00", "00:00:61:00", "00:00:00:25", "abc", ""])
def test_impossible_timecodes_rejected(bad: str) -> None:
    with pytest.raises(tc.TimecodeError):
        tc.timecode_to_frames(bad, tc.RATES["25"])


def test_seconds_are_exact() -> None:
    df = tc.RATES["29.97DF"]
    # one hour of drop-frame timecode is 107892 frames = 3599.9964 s
    frames = tc.timecode_to_frames("01:00:00;00", df)
    assert frames == 107892
    assert tc.frames_to_seconds(frames, df) == Fraction(107892 * 1001, 30000)
    assert tc.seconds_to_frames(12.04, tc.RATES["25"]) == 301
    assert tc.seconds_to_frames(Fraction(1, 50), tc.RATES["25"]) == 1  # half a frame rounds up


def test_rounding_policies() -> None:
    s = Fraction(905, 10)  # 90.5 s
    assert tc.format_duration(s, tc.Rounding.NEAREST) == "01:31"
    assert tc.format_duration(Fraction(9049, 100), tc.Rounding.NEAREST) == "01:30"
    assert tc.format_duration(Fraction(9001, 100), tc.Rounding.UP) == "01:31"
    assert tc.format_duration(Fraction(9049, 100), tc.Rounding.EXACT) == "01:30.49"
    assert tc.format_duration(Fraction(3725), hours=True) == "01:02:05"
    assert tc.split_hms(Fraction(3725)) == (1, 2, 5)


def test_rate_lookup() -> None:
    assert tc.frame_rate("29.97 DF") is tc.RATES["29.97DF"]
    assert tc.frame_rate("29.97NDF") is tc.RATES["29.97"]
    assert tc.rate_for_fps(Fraction(30000, 1001)) is tc.RATES["29.97DF"]
    assert tc.rate_for_fps(25) is tc.RATES["25"]
    assert tc.rate_for_fps(Fraction(24000, 1001)) is tc.RATES["23.976"]
    with pytest.raises(tc.TimecodeError):
        tc.frame_rate("31")
