"""Domain edit operations: each does what it says and its inverse restores the sheet exactly."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuesheet_app.domain import edits
from cuesheet_app.domain.model import Cue, CueSheet, Party


def make_sheet(n: int = 4) -> CueSheet:
    sheet = CueSheet()
    sheet.header.program_title = "Show"
    for i in range(n):
        c = Cue(id=f"c{i}", title=f"Track {i}", start=i * 1000, end=i * 1000 + 500, cue_number=f"1M0{i + 1}")
        c.parties = [Party(role="C", first_name="Jane", last_name="Doe", share=Fraction(100)),
                     Party(role="E", company="Acme Music", share=Fraction(100))]
        c.provenance.source_events = [(str(i * 40), str(i * 40 + 20))]
        c.provenance.detection_confidence = 0.9 - i / 10
        sheet.cues.append(c)
    sheet.sort_and_renumber()
    return sheet


def roundtrip(sheet: CueSheet, op: edits.Edit) -> edits.Edit:
    """Apply, check undo restores the original, redo gives the same result again; leave applied."""
    before = sheet.to_dict()
    inv = op.apply(sheet)
    after = sheet.to_dict()
    redo = inv.apply(sheet)
    assert sheet.to_dict() == before
    inv2 = redo.apply(sheet)
    assert sheet.to_dict() == after
    return inv2


def test_set_title_drops_unidentified_flag_and_undo_restores_it() -> None:
    sheet = make_sheet()
    sheet.cues[1].flags = ["unidentified", "short"]
    roundtrip(sheet, edits.set_fields(sheet, "c1", title="Found It"))
    cue = sheet.cue_by_id("c1")
    assert cue.title == "Found It" and cue.identified and cue.flags == ["short"]


def test_trim_keeps_time_order_and_rejects_out_before_in() -> None:
    sheet = make_sheet()
    roundtrip(sheet, edits.trim(sheet, "c0", start=2500, end=2600))  # now after c2's start
    assert [c.id for c in sheet.cues] == ["c1", "c2", "c0", "c3"]
    assert [c.seq for c in sheet.cues] == [1, 2, 3, 4]
    with pytest.raises(edits.EditError, match="time out must be after time in"):
        edits.trim(sheet, "c1", end=500)
    with pytest.raises(edits.EditError, match="whole frame"):
        edits.trim(sheet, "c1", start=1.5)  # type: ignore[arg-type]


def test_move_stops_at_zero_and_inverse_is_exact() -> None:
    sheet = make_sheet()
    roundtrip(sheet, edits.move(sheet, ["c1", "c2"], -5000))
    assert sheet.cue_by_id("c1").start == 0 and sheet.cue_by_id("c2").start == 1000


def test_split_then_merge() -> None:
    sheet = make_sheet()
    roundtrip(sheet, edits.split_cue(sheet, "c1", 1200, new_cue_id="new"))
    left, right = sheet.cue_by_id("c1"), sheet.cue_by_id("new")
    assert (left.start, left.end, right.start, right.end) == (1000, 1200, 1200, 1500)
    assert right.title == left.title and right.cue_number == "1M02A"
    assert right.parties == left.parties and right.parties is not left.parties
    assert len(sheet.cues) == 5 and [c.seq for c in sheet.cues] == [1, 2, 3, 4, 5]
    with pytest.raises(edits.EditError, match="inside the cue"):
        edits.split_cue(sheet, "c1", 1000)
    roundtrip(sheet, edits.merge_cues(sheet, ["new", "c1"]))
    merged = sheet.cue_by_id("c1")
    assert (merged.start, merged.end) == (1000, 1500) and len(sheet.cues) == 4


def test_merge_keeps_identified_metadata_events_and_lowest_confidence() -> None:
    sheet = make_sheet()
    sheet.cues[0].flags = ["unidentified"]
    sheet.cues[0].title = "Unidentified music 1"
    roundtrip(sheet, edits.merge_cues(sheet, ["c0", "c1", "c2"]))
    m = sheet.cue_by_id("c0")
    assert m.title == "Track 1" and (m.start, m.end) == (0, 2500)
    assert m.provenance.source_events == [("0", "20"), ("40", "60"), ("80", "100")]
    assert m.provenance.detection_confidence == pytest.approx(0.7)
    with pytest.raises(edits.EditError, match="at least two"):
        edits.merge_cues(sheet, ["c0"])


def test_add_remove_activate() -> None:
    sheet = make_sheet()
    cue = edits.new_manual_cue(1600, 1800)
    roundtrip(sheet, edits.add_cue(sheet, cue))
    assert [c.id for c in sheet.cues].index(cue.id) == 2
    assert sheet.cue_by_id(cue.id).provenance.engine == "manual"
    assert "unidentified" in sheet.cue_by_id(cue.id).flags
    roundtrip(sheet, edits.set_active(sheet, ["c0"], False))
    assert sheet.cue_by_id("c0").seq == 0 and sheet.cue_by_id("c1").seq == 1
    roundtrip(sheet, edits.remove_cues(sheet, ["c0", cue.id]))
    assert [c.id for c in sheet.cues] == ["c1", "c2", "c3"]
    with pytest.raises(edits.EditError, match="no cue with id 'zzz'"):
        edits.remove_cues(sheet, ["zzz"])


def test_header_and_parties_for_many() -> None:
    sheet = make_sheet()
    roundtrip(sheet, edits.set_header(sheet, program_title="New", episode_number="7"))
    assert sheet.header.program_title == "New"
    with pytest.raises(edits.EditError, match="no field 'bogus'"):
        edits.set_header(sheet, bogus=1)
    parties = [Party(role="CA", first_name="Al", last_name="Bo", share=Fraction(100, 3))]
    roundtrip(sheet, edits.set_parties(sheet, ["c0", "c2"], parties))
    assert sheet.cue_by_id("c2").parties == parties
    parties[0].first_name = "Changed"  # the sheet holds its own copies
    assert sheet.cue_by_id("c2").parties[0].first_name == "Al"


def test_replace_all_fixes_a_composer_everywhere() -> None:
    sheet = make_sheet()
    sheet.cues[3].artists = ["jane doe band"]
    spec = edits.ReplaceSpec("Doe", "Dough")
    assert set(edits.find_matches(sheet, spec)) == {"c0", "c1", "c2", "c3"}
    op = edits.replace_all(sheet, spec)
    assert "4 cues" in op.description
    roundtrip(sheet, op)
    assert all(c.parties[0].last_name == "Dough" for c in sheet.cues)
    assert sheet.cues[3].artists == ["jane Dough band"]
    whole = edits.ReplaceSpec("Trac", "X", fields=("title",), whole_word=True)
    assert edits.find_matches(sheet, whole) == {}
    assert edits.find_matches(sheet, edits.ReplaceSpec("track 2", "x", case_sensitive=True)) == {}


# --- property: any sequence of operations, undone in reverse, restores the sheet -------------

@st.composite
def operations(draw: st.DrawFn, sheet: CueSheet) -> edits.Edit | None:
    ids = [c.id for c in sheet.cues]
    kind = draw(st.sampled_from(["trim", "move", "split", "merge", "add", "remove", "active",
                                 "title", "parties", "header", "replace"]))
    try:
        if kind == "add" or not ids:
            start = draw(st.integers(0, 5000))
            return edits.add_cue(sheet, edits.new_manual_cue(start, start + draw(st.integers(1, 900))))
        cue_id = draw(st.sampled_from(ids))
        cue = sheet.cue_by_id(cue_id)
        if kind == "trim":
            return edits.trim(sheet, cue_id, start=draw(st.integers(0, 6000)), end=draw(st.integers(0, 7000)))
        if kind == "move":
            some = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
            return edits.move(sheet, some, draw(st.integers(-3000, 3000)))
        if kind == "split":
            return edits.split_cue(sheet, cue_id, draw(st.integers(cue.start, cue.end)))
        if kind == "merge" and len(ids) >= 2:
            return edits.merge_cues(sheet, draw(st.lists(st.sampled_from(ids), min_size=2, max_size=3, unique=True)))
        if kind in ("remove", "merge"):
            return edits.remove_cues(sheet, [cue_id])
        if kind == "active":
            return edits.set_active(sheet, [cue_id], not cue.active)
        if kind == "title":
            return edits.set_fields(sheet, cue_id, title=draw(st.text(max_size=8)))
        if kind == "parties":
            share = Fraction(draw(st.integers(0, 300)), 3)
            return edits.set_parties(sheet, [cue_id], [Party(role="C", last_name="X", share=share)])
        if kind == "header":
            return edits.set_header(sheet, program_title=draw(st.text(max_size=5)))
        return edits.replace_all(sheet, edits.ReplaceSpec(draw(st.sampled_from(["Track", "a", "Doe"])), "Z"))
    except edits.EditError:
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_sequence_then_as_many_inverses_restores_the_sheet(data: st.DataObject) -> None:
    sheet = make_sheet(data.draw(st.integers(0, 5)))
    if sheet.cues:
        sheet.cues[0].flags.append("unidentified")
    original = sheet.to_dict()
    inverses: list[edits.Edit] = []
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(operations(sheet))
        if op is not None:
            inverses.append(op.apply(sheet))
            # the sheet stays in time order, numbered 1..n over active cues
            keys = [(c.start, c.end, c.id) for c in sheet.cues]
            assert keys == sorted(keys)
            assert [c.seq for c in sheet.cues if c.active] == list(range(1, len(sheet.active_cues()) + 1))
    for inv in reversed(inverses):
        inv.apply(sheet)
    assert sheet.to_dict() == original
