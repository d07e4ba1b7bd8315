"""A 2,000-cue, two-hour project opens in the editor and repaints; drags still edit it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.media.peaks import PeakLevel, Peaks
from cuesheet_app.ui.document import ProjectDocument
from cuesheet_app.ui.editor_area import EditorArea
from tests.timeline_fixtures import SyntheticPeaks, large_sheet


def test_two_thousand_cues_open_and_repaint(qtbot, tmp_path) -> None:
    sheet = large_sheet()
    doc = ProjectDocument(sheet)
    area = EditorArea(doc)
    qtbot.addWidget(area)
    area.resize(1400, 800)
    area.show()
    qtbot.waitExposed(area)
    area.set_peaks(SyntheticPeaks(7200.0))
    assert area.model.rowCount() == 2000
    tl = area.timeline
    assert tl.seconds_per_pixel * tl.width() >= 7200  # zoomed to fit the episode
    assert tl.layout().lane_count >= 2  # the overlapping cues are stacked
    image = tl.grab().toImage()
    assert not image.isNull()
    colours = {image.pixelColor(x, 40).name() for x in range(0, tl.width(), 3)}
    assert len(colours) > 3  # blocks of several kinds were painted
    tl.zoom(200.0, 700)  # a few minutes wide: labels, edges
    tl.repaint()
    first = sheet.cues[1000]
    tl.x0_s = float(sheet.seconds(first.start)) - 10
    tl.repaint()
    doc.flush_findings()
    assert area.findings.list.count() > 0
    # a drag on a visible block still edits the project in one step
    rect = tl.cue_rect(first)
    y = int(rect.center().y())
    x = int(rect.center().x())
    start_before = first.start
    QTest.mousePress(tl, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, QPoint(x, y))
    for dx in range(4, 40, 4):
        QTest.mouseMove(tl, QPoint(x + dx, y))
    QTest.mouseRelease(tl, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, QPoint(x + 36, y))
    moved = doc.sheet.cue_by_id(first.id)
    assert moved.start > start_before and doc.undo_stack.count() == 1
    area.grab().save(str(tmp_path / "large.png"))


def test_real_peaks_type_draws_a_waveform(qtbot) -> None:
    import numpy as np

    maxs = np.full(22050 * 60 // 64, 0.8, np.float32)
    peaks = Peaks(22050, 60.0, [PeakLevel(64, -maxs, maxs)])
    doc = ProjectDocument(CueSheet())
    area = EditorArea(doc)
    qtbot.addWidget(area)
    area.resize(900, 500)
    area.show()
    qtbot.waitExposed(area)
    area.set_peaks(peaks)
    tl = area.timeline
    image = tl.grab().toImage()
    mid = tl.wave_top() + (tl.height() - tl.wave_top()) // 2
    assert image.pixelColor(tl.width() // 2, mid).name() != image.pixelColor(tl.width() // 2, 30).name()
