"""The editor area as a whole: shared selection, parties, find & replace, findings, actions, undo."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from cuesheet_app.domain.model import Cue, CueSheet, Party
from cuesheet_app.settings.store import Settings
from cuesheet_app.ui.commands import HeaderEditCommand
from cuesheet_app.ui.cue_table_model import COLUMN_INDEX
from cuesheet_app.ui.document import ProjectDocument
from cuesheet_app.ui.editor_area import EditorArea
from cuesheet_app.ui.shortcuts import SHORTCUTS


def sheet() -> CueSheet:
    s = CueSheet()
    s.header.program_title = "Show"
    s.header.frame_rate = "25"
    titles = ["Theme", "Chase", "Theme", "Unidentified music 1"]
    for i, title in enumerate(titles):
        c = Cue(id=f"c{i}", title=title, start=i * 500, end=i * 500 + 250, isrc="" if i != 1 else "USABC2400001")
        if i < 3:
            c.parties = [Party(role="C", first_name="Jon", last_name="Smiht", share=Fraction(100))]
        else:
            c.flags = ["unidentified"]
        s.cues.append(c)
    s.sort_and_renumber()
    return s


@pytest.fixture
def area(qtbot) -> EditorArea:
    doc = ProjectDocument(sheet())
    settings = Settings(preroll_s=1.5, postroll_s=0.5)
    w = EditorArea(doc, settings=settings)
    qtbot.addWidget(w)
    w.resize(1300, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_selection_is_shared_between_table_timeline_and_parties(area: EditorArea) -> None:
    doc = area.doc
    area.table.selectionModel().select(
        area.proxy.index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    assert doc.selection == ["c1"]
    assert area.timeline._selected == {"c1"}
    assert area.parties.parties()[0].last_name == "Smiht"
    doc.set_selection(["c2", "c3"])
    rows = sorted(i.row() for i in area.table.selectionModel().selectedRows())
    assert rows == [2, 3]


def test_parties_edits_are_undoable_and_apply_to_every_cue_of_the_track(area: EditorArea) -> None:
    doc = area.doc
    doc.set_selection(["c0"])
    assert area.parties.apply_track_button.isVisibleTo(area)  # c2 is also "Theme"
    model = area.parties.model
    assert model.setData(model.index(0, 2), "Smith")
    assert doc.sheet.cue_by_id("c0").parties[0].last_name == "Smith"
    assert doc.undo_stack.count() == 1
    area.parties.apply_track_button.click()
    assert doc.sheet.cue_by_id("c2").parties[0].last_name == "Smith"
    assert doc.sheet.cue_by_id("c1").parties[0].last_name == "Smiht"  # another track
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.sheet.to_dict() == sheet().to_dict()
    assert area.parties.parties()[0].last_name == "Smiht"  # the editor follows undo


def test_find_replace_is_one_step_and_respects_the_filter(area: EditorArea) -> None:
    doc = area.doc
    fr = area.find_replace
    fr.find_edit.setText("Smiht")
    fr.replace_edit.setText("Smith")
    assert fr.select_matches() == 3 and doc.selection == ["c0", "c1", "c2"]
    fr.filter_edit.setText("theme")
    assert area.proxy.rowCount() == 2
    assert fr.replace_all() == 2
    assert doc.undo_stack.count() == 1
    assert doc.sheet.cue_by_id("c1").parties[0].last_name == "Smiht"
    fr.filter_edit.clear()
    fr.status_combo.setCurrentIndex(fr.status_combo.findData("unidentified"))
    assert area.proxy.rowCount() == 1
    doc.undo_stack.undo()
    assert doc.sheet.cue_by_id("c0").parties[0].last_name == "Smiht"


def test_clicking_a_finding_selects_its_cue(qtbot, area: EditorArea) -> None:
    area.doc.flush_findings()
    items = [area.findings.list.item(i) for i in range(area.findings.list.count())]
    header = next(i for i in items if "Production company is missing" in i.text())
    with qtbot.waitSignal(area.headerFieldRequested) as blocker:
        area.findings.list.itemClicked.emit(header)
    assert blocker.args == ["production_company"]
    target = next(i for i in items if "not identified" in i.text())
    area.findings.list.itemClicked.emit(target)
    assert area.doc.selection == ["c3"]
    assert area.table.currentIndex().row() == 3


def test_menu_actions_carry_the_shortcut_table(qtbot, area: EditorArea) -> None:
    actions = {a.objectName(): a for a in area.menu_actions()}
    for entry in SHORTCUTS:
        if entry.menu in ("Edit", "Cue", "View"):
            assert entry.action_id in actions, entry.action_id
            assert actions[entry.action_id].shortcut().toString() == entry.keys[0] or entry.keys[0] in ("Del", "Return")
    doc = area.doc
    area.set_playhead(3.0)  # frame 75, inside c0
    doc.set_selection(["c0"])
    actions["cue.split"].trigger()
    assert len(doc.sheet.cues) == 5
    actions["edit.undo"].trigger()
    assert len(doc.sheet.cues) == 4 and doc.selection == []  # the removed half left the selection
    doc.set_selection(["c0"])
    with qtbot.waitSignal(area.playRangeRequested) as blocker:
        actions["cue.play"].trigger()
    assert blocker.args == [pytest.approx(0.0), pytest.approx(10.5)]
    actions["cue.edit"].trigger()
    assert area.table.state() == area.table.State.EditingState
    assert area.table.currentIndex().column() == COLUMN_INDEX["title"]


def test_header_edit_command_merges_typing_in_one_field(area: EditorArea) -> None:
    doc = area.doc
    for text in ("N", "Ne", "New"):
        doc.undo_stack.push(HeaderEditCommand(doc, program_title=text))
    doc.undo_stack.push(HeaderEditCommand(doc, episode_number="7"))
    assert doc.undo_stack.count() == 2 and doc.sheet.header.program_title == "New"
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.sheet.header.program_title == "Show" and not doc.modified
    assert area.history.stack() is doc.undo_stack


def test_table_edit_of_title_identifies_the_cue(qtbot, area: EditorArea) -> None:
    idx = area.proxy.index(3, COLUMN_INDEX["title"])
    assert area.proxy.setData(idx, "Found Song", Qt.ItemDataRole.EditRole)
    cue = area.doc.sheet.cue_by_id("c3")
    assert cue.identified and area.timeline.doc.undo_stack.count() == 1


def test_settings_reach_the_editor(area: EditorArea) -> None:
    area.apply_settings(Settings(snapping=False, preroll_s=4.0, validation_profile="prs"))
    assert not area.timeline.snapping and not area.action("view.snapping").isChecked()
    assert area.ops.preroll_s == 4.0 and area.doc.validation_profile == "prs"
    area.action("view.snapping").trigger()
    assert area.timeline.snapping


def test_cue_keys_work_in_the_table_but_not_in_the_parties_editor(qtbot, area: EditorArea) -> None:
    from PySide6.QtTest import QTest

    area.activateWindow()
    qtbot.waitActive(area)
    doc = area.doc
    area.set_playhead(3.0)
    doc.set_selection(["c0"])
    area.parties.view.setFocus()
    QTest.keyClick(area.parties.view, Qt.Key.Key_S)
    QTest.keyClick(area.parties.view, Qt.Key.Key_Delete)
    assert len(doc.sheet.cues) == 4 and doc.undo_stack.count() == 0
    area.table.setFocus()
    QTest.keyClick(area.table, Qt.Key.Key_S)
    assert len(doc.sheet.cues) == 5
    QTest.keyClick(area.table, Qt.Key.Key_Delete)
    assert doc.undo_stack.count() == 2


def test_timeline_context_menu_selects_and_offers_the_cue_actions(area: EditorArea) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    tl = area.timeline
    tl.seconds_per_pixel, tl.x0_s = 0.1, 0.0
    rect = tl.cue_rect(area.doc.sheet.cue_by_id("c1"))
    QTest.mousePress(tl, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, rect.center().toPoint())
    assert area.doc.selection == ["c1"]
    names = [a.objectName() for a in area.timeline_menu().actions() if not a.isSeparator()]
    assert names[:3] == ["cue.edit", "cue.play", "cue.split"] and "cue.remove" in names
    area.doc.set_selection([])
    menu = area.timeline_menu()
    enabled = {a.objectName(): a.isEnabled() for a in menu.actions() if not a.isSeparator()}
    assert not enabled["cue.split"] and enabled["cue.add"] and enabled["view.zoom_fit"]
    QTest.mouseRelease(tl, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))


def test_parties_title_says_when_rights_came_from_the_catalogue(qtbot) -> None:
    from cuesheet_app.domain.model import Cue, CueSheet
    from cuesheet_app.ui.document import ProjectDocument
    from cuesheet_app.ui.editor_area import EditorArea

    sheet = CueSheet()
    filled = Cue(title="<Night> Ferry", start=0, end=250)
    filled.provenance.filled_from_catalogue = True
    sheet.cues = [filled, Cue(title="Other", start=500, end=750)]
    sheet.sort_and_renumber()
    doc = ProjectDocument(sheet)
    area = EditorArea(doc)
    qtbot.addWidget(area)
    doc.set_selection([filled.id])
    qtbot.waitUntil(lambda: "catalogue" in area.parties_title.text())
    assert "&lt;Night&gt; Ferry" in area.parties_title.text()
    doc.set_selection([sheet.cues[1].id])
    qtbot.waitUntil(lambda: "Other" in area.parties_title.text())
    assert "catalogue" not in area.parties_title.text()
