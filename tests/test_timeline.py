"""The timeline with real mouse and key events: trim, move, create, split, merge, delete, snap, undo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cuesheet_app.domain import edits
from cuesheet_app.domain.model import Cue, CueSheet
from cuesheet_app.ui.document import ProjectDocument
from cuesheet_app.ui.timeline import TimelineWidget
from cuesheet_app.ui.timeline.widget import LANE_H, RULER_H

LANE0_Y = RULER_H + 4 + LANE_H // 2
NO = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def make_doc() -> ProjectDocument:
    sheet = CueSheet()
    sheet.header.frame_rate = "25"
    sheet.header.program_duration = 25 * 120
    # 25 fps, 0.1 s per pixel: x = frame / 2.5
    sheet.cues = [Cue(id="a", title="Alpha", start=250, end=500),   # x 100..200
                  Cue(id="b", title="Beta", start=750, end=1000)]   # x 300..400
    sheet.cues[1].provenance.source_events = [("44", "52")]  # engine boundaries at x 440 and 520
    sheet.sort_and_renumber()
    return ProjectDocument(sheet)


@pytest.fixture
def timeline(qtbot) -> TimelineWidget:
    doc = make_doc()
    w = TimelineWidget(doc)
    qtbot.addWidget(w)
    w.resize(1200, 160)
    w.show()
    qtbot.waitExposed(w)
    w.seconds_per_pixel = 0.1
    w.x0_s = 0.0
    w.snapping = True
    return w


def drag(w: TimelineWidget, xs: list[int], y: int = LANE0_Y, mods: Qt.KeyboardModifier = NO) -> None:
    """Press at xs[0], move through the rest (holding ``mods``), release at the last."""
    QTest.mousePress(w, Qt.MouseButton.LeftButton, mods, QPoint(xs[0], y))
    for x in xs[1:]:
        pos = QPointF(x, y)
        ev = QMouseEvent(QEvent.Type.MouseMove, pos, w.mapToGlobal(pos), Qt.MouseButton.NoButton,
                         Qt.MouseButton.LeftButton, mods)
        QApplication.sendEvent(w, ev)
    QTest.mouseRelease(w, Qt.MouseButton.LeftButton, mods, QPoint(xs[-1], y))


def cue(w: TimelineWidget, cue_id: str) -> Cue:
    return w.doc.sheet.cue_by_id(cue_id)


def test_drag_edge_trims_as_one_undo_step(timeline: TimelineWidget) -> None:
    drag(timeline, [200, 210, 230, 250])
    assert cue(timeline, "a").end == 625  # x 250 = 25 s
    assert timeline.doc.undo_stack.count() == 1
    drag(timeline, [100, 90, 80], mods=SHIFT)  # the start edge, snapping off
    assert cue(timeline, "a").start == 200
    timeline.doc.undo_stack.undo()
    timeline.doc.undo_stack.undo()
    assert (cue(timeline, "a").start, cue(timeline, "a").end) == (250, 500)


def test_drag_body_moves_and_undo_restores(timeline: TimelineWidget) -> None:
    drag(timeline, [150, 170, 200, 220], mods=SHIFT)
    a = cue(timeline, "a")
    assert (a.start, a.end) == (250 + 175, 500 + 175)
    assert timeline.doc.selection == ["a"] and timeline.doc.undo_stack.count() == 1
    timeline.doc.undo_stack.undo()
    assert (cue(timeline, "a").start, cue(timeline, "a").end) == (250, 500)


def test_drag_on_empty_space_creates_a_cue(timeline: TimelineWidget) -> None:
    drag(timeline, [600, 650, 700], mods=SHIFT)
    new = [c for c in timeline.doc.sheet.cues if c.id not in ("a", "b")]
    assert len(new) == 1 and (new[0].start, new[0].end) == (1500, 1750)
    assert new[0].provenance.engine == "manual" and not new[0].identified
    assert timeline.doc.selection == [new[0].id] and timeline.doc.undo_stack.count() == 1
    timeline.doc.undo_stack.undo()
    assert [c.id for c in timeline.doc.sheet.cues] == ["a", "b"]


def test_snapping_to_cue_edges_playhead_and_events_with_shift_inverting(timeline: TimelineWidget) -> None:
    drag(timeline, [200, 260, 295])  # a's end near b's start (x 300)
    assert cue(timeline, "a").end == 750
    timeline.doc.undo_stack.undo()
    drag(timeline, [200, 260, 294], mods=SHIFT)  # Shift: no snapping, lands on the pixel's frame
    assert cue(timeline, "a").end == 735
    timeline.doc.undo_stack.undo()
    drag(timeline, [400, 420, 437], y=LANE0_Y)  # b's end near the engine boundary at 44 s (x 440)
    assert cue(timeline, "b").end == 1100
    timeline.set_playhead(60.0)  # x 600
    drag(timeline, [440, 500, 596])
    assert cue(timeline, "b").end == 1500
    timeline.snapping = False  # the setting off: Shift now turns snapping on
    drag(timeline, [600, 620, 606])
    assert cue(timeline, "b").end == 1515
    drag(timeline, [606, 620, 603], mods=SHIFT)
    assert cue(timeline, "b").end == 1500


def test_click_selection_and_ruler_seek(qtbot, timeline: TimelineWidget) -> None:
    QTest.mouseClick(timeline, Qt.MouseButton.LeftButton, NO, QPoint(150, LANE0_Y))
    assert timeline.doc.selection == ["a"]
    QTest.mouseClick(timeline, Qt.MouseButton.LeftButton, CTRL, QPoint(350, LANE0_Y))
    assert timeline.doc.selection == ["a", "b"]
    QTest.mouseClick(timeline, Qt.MouseButton.LeftButton, CTRL, QPoint(150, LANE0_Y))
    assert timeline.doc.selection == ["b"]
    QTest.mouseClick(timeline, Qt.MouseButton.LeftButton, NO, QPoint(800, LANE0_Y))
    assert timeline.doc.selection == []
    QTest.mouseClick(timeline, Qt.MouseButton.LeftButton, NO, QPoint(150, LANE0_Y))
    QTest.mouseClick(timeline, Qt.MouseButton.LeftButton, SHIFT, QPoint(350, LANE0_Y))
    assert timeline.doc.selection == ["a", "b"]  # Shift: the range from the last plain click
    with qtbot.waitSignal(timeline.seekRequested) as blocker:
        QTest.mouseClick(timeline, Qt.MouseButton.LeftButton, NO, QPoint(450, 5))
    assert blocker.args[0] == pytest.approx(45.0)
    assert timeline.ops.playhead_s == pytest.approx(45.0)


def test_keys_split_merge_delete_and_undo(timeline: TimelineWidget) -> None:
    doc = timeline.doc
    original = doc.sheet.to_dict()
    timeline.setFocus()
    timeline.set_playhead(15.0)
    doc.set_selection(["a"])
    QTest.keyClick(timeline, Qt.Key.Key_S)
    assert [(c.start, c.end) for c in doc.sheet.cues] == [(250, 375), (375, 500), (750, 1000)]
    doc.set_selection([c.id for c in doc.sheet.cues[:2]])
    QTest.keyClick(timeline, Qt.Key.Key_M)
    assert [(c.start, c.end) for c in doc.sheet.cues] == [(250, 500), (750, 1000)]
    QTest.keyClick(timeline, Qt.Key.Key_Delete)
    assert not cue(timeline, "a").active and cue(timeline, "a").seq == 0
    QTest.keyClick(timeline, Qt.Key.Key_Delete)  # second Delete removes
    assert [c.id for c in doc.sheet.cues] == ["b"]
    doc.set_selection(["b"])
    QTest.keyClick(timeline, Qt.Key.Key_Delete, SHIFT)  # Shift+Delete removes at once
    assert doc.sheet.cues == []
    assert doc.undo_stack.count() == 5
    for _ in range(5):
        doc.undo_stack.undo()
    assert doc.sheet.to_dict() == original


def test_in_out_nudge_arrows_play_and_edit_keys(qtbot, timeline: TimelineWidget) -> None:
    doc = timeline.doc
    timeline.setFocus()
    doc.set_selection(["a"])
    timeline.set_playhead(8.0)
    QTest.keyClick(timeline, Qt.Key.Key_I)
    timeline.set_playhead(22.0)
    QTest.keyClick(timeline, Qt.Key.Key_O)
    assert (cue(timeline, "a").start, cue(timeline, "a").end) == (200, 550)
    timeline.ops.active_edge = "end"
    for _ in range(3):
        QTest.keyClick(timeline, Qt.Key.Key_Period)
    QTest.keyClick(timeline, Qt.Key.Key_Comma)
    assert cue(timeline, "a").end == 552
    QTest.keyClick(timeline, Qt.Key.Key_Less, SHIFT)  # Shift+, on a US keyboard: one second back
    assert cue(timeline, "a").end == 527
    assert doc.undo_stack.count() == 3  # I, O, and the run of nudges
    timeline.ops.active_edge = None
    QTest.keyClick(timeline, Qt.Key.Key_Right)
    assert doc.selection == ["b"]
    QTest.keyClick(timeline, Qt.Key.Key_Left)
    assert doc.selection == ["a"]
    with qtbot.waitSignal(timeline.ops.playRangeRequested) as blocker:
        QTest.keyClick(timeline, Qt.Key.Key_P)
    assert blocker.args == [pytest.approx(8.0 - 2.0), pytest.approx(527 / 25 + 1.0)]
    with qtbot.waitSignal(timeline.ops.editRequested) as blocker:
        QTest.keyClick(timeline, Qt.Key.Key_Return)
    assert blocker.args == ["a"]


def test_ctrl_wheel_zooms_around_the_pointer(timeline: TimelineWidget) -> None:
    before = timeline.seconds_at(300)
    pos = QPointF(300, 80)
    ev = QWheelEvent(pos, timeline.mapToGlobal(pos), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                     CTRL, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(timeline, ev)
    assert timeline.seconds_per_pixel == pytest.approx(0.08)
    assert timeline.seconds_at(300) == pytest.approx(before)
    ev = QWheelEvent(pos, timeline.mapToGlobal(pos), QPoint(), QPoint(0, -120), Qt.MouseButton.NoButton,
                     NO, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(timeline, ev)
    assert timeline.x0_s > 0
    timeline.zoom_to_fit()
    assert timeline.x0_s == 0 and timeline.seconds_per_pixel * timeline.width() >= 120


def test_overlapping_cues_are_stacked(timeline: TimelineWidget) -> None:
    timeline.doc.push_edit(edits.trim(timeline.doc.sheet, "a", end=800))
    lay = timeline.layout()
    assert lay.lane_of["a"] != lay.lane_of["b"] and lay.lane_count == 2
    image = timeline.grab().toImage()
    lane1_y = RULER_H + 4 + LANE_H + 3 + LANE_H // 2
    assert image.pixelColor(350, lane1_y) != image.pixelColor(900, lane1_y)  # b is painted in lane 1


def test_view_follows_the_playhead_during_playback(timeline: TimelineWidget) -> None:
    width_s = timeline.width() * timeline.seconds_per_pixel  # 120 s
    timeline.set_playhead(width_s - 5)
    assert timeline.x0_s == 0
    timeline.set_playhead(width_s + 0.5)  # ran off the right edge: the view pages along
    assert timeline.x0_s > 0
    assert 0 < timeline.x_of_seconds(timeline.ops.playhead_s) < timeline.width() / 2
    before = timeline.x0_s
    timeline.set_playhead(3.0)  # a seek far away does not scroll by itself
    assert timeline.x0_s == before


@pytest.mark.parametrize("rate", ["25", "29.97DF", "29.97", "23.976"])
def test_ruler_ticks_sit_on_whole_timecode_seconds(rate: str) -> None:
    from cuesheet_app.ui.timeline.layout import ruler_ticks

    sheet = CueSheet()
    sheet.header.frame_rate = rate
    sheet.header.program_start = "01:00:00:00" if rate != "29.97DF" else "01:00:00;00"
    ticks = ruler_ticks(sheet, 0, sheet.frames(610), 60)
    labels = [label for _f, label in ticks]
    sep = ";" if rate.endswith("DF") else ":"
    assert labels[0] == f"01:00:00{sep}00" and len(ticks) == 11
    assert labels[1] == (f"01:01:00{sep}02" if rate.endswith("DF") else f"01:01:00{sep}00")
    assert all(sheet.timecode_at(f) == label for f, label in ticks)  # each tick is where its label is


def test_many_overlapping_cues_squeeze_their_lanes(timeline: TimelineWidget) -> None:
    doc = timeline.doc
    for i in range(8):  # eight cues all sounding at once
        doc.push_edit(edits.add_cue(doc.sheet, Cue(id=f"o{i}", title=f"O{i}", start=1200 + i, end=1400)))
    assert timeline.layout().lane_count == 8
    assert timeline.lane_h < 30
    last = timeline.cue_rect(doc.sheet.cue_by_id("o7"))
    assert last.bottom() <= timeline.height()  # every lane still on screen
