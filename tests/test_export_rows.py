"""The rows every export prints: which cues, which times, which durations, which total."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cuesheet_app.domain.model import MediaRef
from cuesheet_app.domain.timecode import Rounding
from cuesheet_app.export.options import ExportOptions
from cuesheet_app.export.rows import build, csv_safe, needs_guard
from tests.export_sample import sample_sheet


def test_inactive_cues_are_left_out_by_default_and_never_counted() -> None:
    sheet = sample_sheet()
    data = build(sheet, ExportOptions())
    assert "Dropped Take" not in [r.title for r in data.rows]
    assert [r.seq for r in data.rows] == [1, 2, 3, 4, 5, 6]
    with_inactive = build(sheet, ExportOptions(include_inactive=True))
    dropped = [r for r in with_inactive.rows if r.title == "Dropped Take"]
    assert len(dropped) == 1 and dropped[0].seq == 0 and dropped[0].seq_text == "—"
    assert with_inactive.total_music == data.total_music


@pytest.mark.parametrize(
    ("policy", "durations", "total"),
    [
        (Rounding.NEAREST, [30, 37, 44, 61, 12, 100], Fraction(284)),
        (Rounding.UP, [31, 38, 45, 61, 12, 100], Fraction(287)),
        (Rounding.EXACT, [Fraction("30.48"), Fraction("37.4"), Fraction("44.48"), 61, 12, 100],
         Fraction("285.36")),
    ],
)
def test_durations_follow_the_policy_and_the_total_is_their_sum(policy: Rounding, durations: list,
                                                                 total: Fraction) -> None:
    data = build(sample_sheet(), ExportOptions(rounding=policy))
    assert [r.duration for r in data.rows] == [Fraction(d) for d in durations]
    assert data.total_music == total == sum(r.duration for r in data.rows)


def test_times_relative_to_program_or_media() -> None:
    sheet = sample_sheet()
    # the media file starts 10 s before the program (pre-roll)
    sheet.media.append(MediaRef(path="ep.mov", start_timecode="00:59:50:00"))
    prog = build(sheet, ExportOptions(relative_to="program")).rows[1]
    media = build(sheet, ExportOptions(relative_to="media")).rows[1]
    assert media.time_in.text() == "00:01:35"
    assert prog.time_in.text() == "00:01:25"
    assert prog.time_out.hms() == (0, 2, 2)
    # the first cue starts before the program: shown with a sign, never silently clamped
    assert build(sheet, ExportOptions()).rows[0].time_in.text() == "-00:00:10"


def test_exact_times_keep_hundredths() -> None:
    data = build(sample_sheet(), ExportOptions(rounding=Rounding.EXACT))
    assert data.rows[0].time_out.text() == "00:00:30.48"
    assert data.rows[0].duration_text() == "00:30.48"


def test_legend_lists_only_used_usages_and_profiles_map_vocabulary() -> None:
    data = build(sample_sheet(), ExportOptions())
    assert [c for c, _ in data.usage_legend] == ["BI", "BV", "VV", "MT", "ET", "SO"]
    apra = build(sample_sheet(), ExportOptions(profile="apra"))
    assert {r.usage for r in apra.rows} == {"Background", "Featured", "Theme"}
    assert {t.label for t in apra.by_usage} == {"Background", "Featured", "Theme"}
    assert sum(t.seconds for t in apra.by_usage) == apra.total_music


def test_revised_label_and_header_fields() -> None:
    sheet = sample_sheet()
    assert build(sheet).revised_label == ""
    sheet.header.classification, sheet.header.revision_number = "Revised", 2
    data = build(sheet)
    assert data.revised_label == "REVISED (2)"
    fields = dict(data.header_fields())
    assert fields["Cue sheet classification"] == "Revised (2)"
    assert fields["Total music duration"] == "00:04:44"
    assert fields["Program duration"] == "00:44:00"


def test_parties_print_writers_first() -> None:
    sheet = sample_sheet()
    sheet.cues[0].parties.reverse()  # publisher entered first
    row = build(sheet).rows[0]
    assert [p.role for p in row.parties] == ["C", "E"]
    assert row.parties[0].describe() == "Fritz Kreisler (C, GEMA, IPI 00012345678, 100%)"


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"])
def test_formula_guard(text: str) -> None:
    assert needs_guard(text)
    assert csv_safe(text) == "'" + text


def test_ordinary_text_is_untouched() -> None:
    for text in ("Schön Rosmarin", "1M02", "", "a=b"):
        assert not needs_guard(text) and csv_safe(text) == text
