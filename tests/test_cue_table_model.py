"""The cue table model: a consistent Qt model, edits through the undo stack, findings on cells."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PySide6.QtCore import Qt

from cuesheet_app.domain import edits
from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import Cue, CueSheet, Party
from cuesheet_app.ui.cue_table_model import COLUMN_INDEX, CueTableModel
from cuesheet_app.ui.delegates import TimecodeEdit
from cuesheet_app.ui.document import ProjectDocument

D = Qt.ItemDataRole.DisplayRole


def sheet() -> CueSheet:
    s = CueSheet()
    s.header.program_title = "Show"
    s.header.frame_rate = "25"
    s.header.program_start = "01:00:00:00"
    for i in range(5):
        c = Cue(id=f"c{i}", title=f"Track {i}", start=i * 250, end=i * 250 + 200, cue_number=f"1M0{i + 1}")
        c.parties = [Party(role="C", first_name="Jane", last_name="Doe", share=Fraction(100))]
        s.cues.append(c)
    s.cues[4].title = ""  # missing title: an error finding
    s.sort_and_renumber()
    return s


@pytest.fixture
def doc(qtbot) -> ProjectDocument:
    return ProjectDocument(sheet())


def cell(model: CueTableModel, row: int, key: str, role: int = D) -> object:
    return model.index(row, COLUMN_INDEX[key]).data(role)


def test_model_passes_qt_model_tester_through_edits(qtmodeltester, doc: ProjectDocument) -> None:
    model = CueTableModel(doc)
    qtmodeltester.check(model)  # stays attached: every signal below is checked too
    assert model.rowCount() == 5
    assert cell(model, 0, "start") == "01:00:00:00" and cell(model, 1, "end") == "01:00:18:00"
    assert cell(model, 1, "duration") == "00:00:08:00"  # the same timecode as In and Out
    assert cell(model, 0, "composers") == "Jane Doe 100%"
    doc.push_edit(edits.add_cue(doc.sheet, Cue(id="new", title="New", start=300, end=320)))
    assert model.rowCount() == 6 and cell(model, 2, "title") == "New" and cell(model, 2, "seq") == "3"
    doc.push_edit(edits.trim(doc.sheet, "c0", start=900, end=950))  # re-sorts: a layout change
    assert [model.cue_at(r).id for r in range(6)] == ["c1", "new", "c2", "c3", "c0", "c4"]
    doc.push_edit(edits.remove_cues(doc.sheet, ["c2", "c3"]))
    assert model.rowCount() == 4
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert [model.cue_at(r).id for r in range(5)] == ["c0", "c1", "c2", "c3", "c4"]
    doc.replace_sheet(CueSheet())
    assert model.rowCount() == 0


def test_set_data_goes_through_undo_stack(doc: ProjectDocument) -> None:
    model = CueTableModel(doc)
    doc.sheet.cues[2].flags = ["unidentified"]
    assert model.setData(model.index(2, COLUMN_INDEX["title"]), "Real Title")
    assert doc.undo_stack.count() == 1 and doc.sheet.cues[2].identified
    assert cell(model, 2, "status") == "Identified"
    assert model.setData(model.index(2, COLUMN_INDEX["start"]), "01:00:21:05")
    assert doc.sheet.cue_by_id("c2").start == 21 * 25 + 5
    assert model.setData(model.index(1, COLUMN_INDEX["usage"]), "MT")
    assert model.setData(model.index(1, COLUMN_INDEX["publishers"]), "Acme Music [ASCAP] 100%")
    assert [p.role for p in doc.sheet.cues[1].parties] == ["C", "E"]
    assert model.setData(model.index(0, COLUMN_INDEX["status"]), Qt.CheckState.Unchecked.value,
                         Qt.ItemDataRole.CheckStateRole)
    assert not doc.sheet.cue_by_id("c0").active
    assert cell(model, 0, "title", Qt.ItemDataRole.FontRole).strikeOut()
    assert doc.undo_stack.count() == 5
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    expected = sheet()
    expected.cues[2].flags = ["unidentified"]
    assert doc.sheet.to_dict() == expected.to_dict()


def test_rejected_edits_say_why_and_change_nothing(qtbot, doc: ProjectDocument) -> None:
    model = CueTableModel(doc)
    before = doc.sheet.to_dict()
    with qtbot.waitSignal(model.editRejected) as blocker:
        assert not model.setData(model.index(1, COLUMN_INDEX["end"]), "01:00:05:00")  # before its in
    assert "Out of cue 2" in blocker.args[0] and "after time in" in blocker.args[0]
    with qtbot.waitSignal(model.editRejected) as blocker:
        assert not model.setData(model.index(1, COLUMN_INDEX["usage"]), "XX")
    assert "'XX' is not a usage" in blocker.args[0]
    with qtbot.waitSignal(model.editRejected):
        assert not model.setData(model.index(1, COLUMN_INDEX["start"]), "01:00:00:30")  # frame 30 at 25 fps
    assert doc.sheet.to_dict() == before and doc.undo_stack.count() == 0


def test_findings_colour_cells_and_update_after_edits(qtbot, doc: ProjectDocument) -> None:
    model = CueTableModel(doc)
    doc.flush_findings()
    tip = cell(model, 4, "title", Qt.ItemDataRole.ToolTipRole)
    assert "title is missing" in tip
    assert cell(model, 4, "title", Qt.ItemDataRole.BackgroundRole) is not None
    assert cell(model, 3, "title", Qt.ItemDataRole.BackgroundRole) is None
    with qtbot.waitSignal(doc.findingsChanged, timeout=2000):
        model.setData(model.index(4, COLUMN_INDEX["title"]), "Now Named")
    assert cell(model, 4, "title", Qt.ItemDataRole.BackgroundRole) is None
    with qtbot.waitSignal(doc.findingsChanged, timeout=2000):
        model.setData(model.index(0, COLUMN_INDEX["composers"]), "Jane Doe 60%; John Roe 60%")
    assert "writer shares add up to 120%" in cell(model, 0, "composers", Qt.ItemDataRole.ToolTipRole)


def test_timecode_editor_rejects_impossible_values(qtbot) -> None:
    from cuesheet_app.domain import timecode as tc

    df = tc.frame_rate("29.97DF")
    edit = TimecodeEdit(lambda: df)
    qtbot.addWidget(edit)
    assert edit.validator().validate("0a", 2)[0].name == "Invalid"  # not even the start of a timecode
    edit.setText("00:01:00;00")  # dropped frame number
    assert not edit.hasAcceptableInput() and "ffd2d2" in edit.styleSheet()
    edit.setText("00:01:00;02")
    assert edit.text() == "00:01:00;02"
    assert edit.hasAcceptableInput() and edit.styleSheet() == ""
    ndf = TimecodeEdit(lambda: tc.frame_rate("25"))
    qtbot.addWidget(ndf)
    assert ndf.inputMask().startswith("99:99:99:99")
    ndf.setText("00:00:61:00")
    assert not ndf.hasAcceptableInput()
    ndf.setText("00:00:59:24")
    assert ndf.hasAcceptableInput()


def test_cell_editor_shows_findings_while_typing(qtbot, doc: ProjectDocument) -> None:
    from PySide6.QtWidgets import QLineEdit, QStyleOptionViewItem, QWidget

    from cuesheet_app.ui.delegates import CueDelegate

    model = CueTableModel(doc)
    parent = QWidget()
    qtbot.addWidget(parent)
    delegate = CueDelegate(lambda: doc.sheet.rate)
    editor = delegate.createEditor(parent, QStyleOptionViewItem(), model.index(1, COLUMN_INDEX["isrc"]))
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, "US-XX")
    assert "not CC-XXX-YY-NNNNN" in editor.toolTip() and "ffd2d2" in editor.styleSheet()
    editor.clear()
    qtbot.keyClicks(editor, "USRC17607839")
    assert editor.toolTip() == "" and editor.styleSheet() == ""
    assert doc.undo_stack.count() == 0  # typing alone changes nothing


def test_in_out_and_duration_read_one_way_that_the_header_names(qtbot, doc: ProjectDocument) -> None:
    """One format for the three time columns, from Settings; typing accepts it (or timecode)."""
    model = CueTableModel(doc)
    head = [model.headerData(COLUMN_INDEX[k], Qt.Orientation.Horizontal) for k in ("start", "end", "duration")]
    assert head == ["In\nHH:MM:SS:FF", "Out\nHH:MM:SS:FF", "Duration\nHH:MM:SS:FF"]
    model.set_time_display(tc.TimeDisplay.MINUTES)
    assert model.headerData(COLUMN_INDEX["duration"], Qt.Orientation.Horizontal) == "Duration\nMM:SS"
    assert (cell(model, 1, "start"), cell(model, 1, "end"), cell(model, 1, "duration")) == ("00:10", "00:18", "00:08")
    model.set_time_display(tc.TimeDisplay.SECONDS)
    assert (cell(model, 1, "start"), cell(model, 1, "duration")) == ("10.00", "8.00")
    assert model.setData(model.index(1, COLUMN_INDEX["duration"]), "9.5")
    assert doc.sheet.cues[1].duration == doc.sheet.frames("9.5") and cell(model, 1, "duration") == "9.52"  # 238 frames at 25 fps
    assert model.setData(model.index(1, COLUMN_INDEX["start"]), "11")
    assert cell(model, 1, "start") == "11.00"
    assert model.setData(model.index(1, COLUMN_INDEX["start"]), "01:00:10:00")  # timecode still understood
    assert cell(model, 1, "start") == "10.00"
