"""The parties editor: editing cells, live totals, split equally, copy, apply to the track."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from cuesheet_app.domain.model import Party
from cuesheet_app.ui.parties_editor import COLUMNS, PartiesEditor, parse_share, split_equally


def three_writers_one_publisher() -> list[Party]:
    return [Party(role="C", first_name="A", last_name="One", share=Fraction(50)),
            Party(role="A", first_name="B", last_name="Two", share=Fraction(30)),
            Party(role="CA", first_name="C", last_name="Three", share=Fraction(10)),
            Party(role="E", company="Acme Music", share=Fraction(100))]


def test_set_parties_does_not_emit_and_returns_copies(qtbot) -> None:
    editor = PartiesEditor()
    qtbot.addWidget(editor)
    parties = three_writers_one_publisher()
    with qtbot.assertNotEmitted(editor.partiesEdited):
        editor.set_parties(parties)
    out = editor.parties()
    assert out == parties and out[0] is not parties[0]
    assert "Writers: 90 % (must be 100 %)" in editor.totals_label.text()
    assert "Publishers: 100 %" in editor.totals_label.text()


def test_split_equally_is_exact_and_emits(qtbot) -> None:
    editor = PartiesEditor()
    qtbot.addWidget(editor)
    editor.set_parties(three_writers_one_publisher())
    with qtbot.waitSignal(editor.partiesEdited) as blocker:
        qtbot.mouseClick(editor.split_button, Qt.MouseButton.LeftButton)
    shares = [p.share for p in blocker.args[0]]
    assert shares == [Fraction(100, 3)] * 3 + [Fraction(100)]
    assert editor.totals() == (Fraction(100), Fraction(100))
    assert "must be" not in editor.totals_label.text()


def test_cell_edits_validate_share_role_and_ipi(qtbot) -> None:
    editor = PartiesEditor()
    qtbot.addWidget(editor)
    editor.set_parties(three_writers_one_publisher())
    model = editor.model
    with qtbot.waitSignal(editor.partiesEdited):
        assert model.setData(model.index(1, 6), "40")
    assert editor.totals()[0] == 100
    assert not model.setData(model.index(1, 6), "140")  # out of range: refused, nothing lost
    assert not model.setData(model.index(1, 6), "abc")
    assert not model.setData(model.index(0, 0), "ZZ")
    assert model.setData(model.index(0, 5), "00012 345 678")
    assert editor.parties()[0].ipi == "00012345678"
    assert model.setData(model.index(2, 5), "123")
    assert "9–11 digits" in model.index(2, 5).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(2, 5).data(Qt.ItemDataRole.BackgroundRole) is not None


def test_add_remove_copy_and_apply_to_track(qtbot) -> None:
    editor = PartiesEditor()
    qtbot.addWidget(editor)
    editor.set_parties([])
    editor.show()
    qtbot.waitExposed(editor)
    qtbot.mouseClick(editor.add_writer_button, Qt.MouseButton.LeftButton)
    line_edit = editor.view.findChild(QLineEdit)
    qtbot.keyClicks(line_edit, "Jane")
    with qtbot.waitSignal(editor.partiesEdited):  # the delegate commits on a queued call
        qtbot.keyClick(line_edit, Qt.Key.Key_Return)
    assert editor.parties()[0].first_name == "Jane" and editor.parties()[0].role == "C"
    editor.view.selectRow(0)
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    assert editor.parties() == []
    source = three_writers_one_publisher()
    editor.set_copy_sources([("Cue 2 (Theme)", source), ("Cue 3 (empty)", [])])
    actions = editor.copy_button.menu().actions()
    assert [a.text() for a in actions] == ["Cue 2 (Theme)"]
    actions[0].trigger()
    assert editor.parties() == source
    editor.set_track_apply_visible(True)
    with qtbot.waitSignal(editor.applyToTrackRequested) as blocker:
        qtbot.mouseClick(editor.apply_track_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == source


def test_helpers() -> None:
    assert parse_share("33,5 %") == Fraction(67, 2)
    assert parse_share("100/3") == Fraction(100, 3)
    with pytest.raises(ValueError, match="'x' is not a number"):
        parse_share("x")
    assert [p.share for p in split_equally([Party(role="E"), Party(role="SE")])] == [50, 50]


def test_names_complete_from_the_catalogue_directory(qtbot, tmp_path) -> None:
    from PySide6.QtWidgets import QLineEdit, QStyleOptionViewItem

    from cuesheet_app.domain.model import Cue, CueSheet, Party
    from cuesheet_app.rights.catalogue import Catalogue
    from cuesheet_app.settings.store import Settings
    from cuesheet_app.ui.document import ProjectDocument
    from cuesheet_app.ui.editor_area import EditorArea

    path = tmp_path / "catalogue.sqlite"
    with Catalogue(path) as catalogue:
        catalogue.add_party(Party(role="C", first_name="Antonín", last_name="Dvořák", pro="OSA",
                                  ipi="00123456789"))
        catalogue.add_party(Party(role="E", company="Tidewater Music", pro="ASCAP", ipi="00987654321"))
    sheet = CueSheet()
    sheet.cues = [Cue(title="Slavonic Dance", start=0, end=250, parties=[Party(role="C", share=100)])]
    sheet.sort_and_renumber()
    doc = ProjectDocument(sheet)
    area = EditorArea(doc, settings=Settings(catalogue_path=str(path)))
    qtbot.addWidget(area)
    doc.set_selection([sheet.cues[0].id])
    editor = area.parties
    labels = list(editor.directory)
    assert "Antonín Dvořák  [OSA] 00123456789" in labels and len(labels) == 2

    index = editor.model.index(0, [k for k, _ in COLUMNS].index("last_name"))
    delegate = editor.view.itemDelegate()
    line = delegate.createEditor(editor.view.viewport(), QStyleOptionViewItem(), index)
    assert isinstance(line, QLineEdit) and line.completer() is not None
    line.completer().setCompletionPrefix("dvo")
    assert line.completer().currentCompletion() == "Antonín Dvořák  [OSA] 00123456789"
    with qtbot.waitSignal(editor.partiesEdited) as edited:
        line.setText(line.completer().currentCompletion())
        delegate.setModelData(line, editor.model, index)
    party = edited.args[0][0]
    assert (party.first_name, party.last_name, party.pro, party.ipi, party.share) == (
        "Antonín", "Dvořák", "OSA", "00123456789", 100)
    assert doc.sheet.cues[0].parties[0].ipi == "00123456789"  # through the undo stack
    doc.undo_stack.undo()
    assert doc.sheet.cues[0].parties[0].ipi == ""


def test_no_catalogue_means_no_suggestions(qtbot, tmp_path) -> None:
    from cuesheet_app.domain.model import CueSheet
    from cuesheet_app.settings.store import Settings
    from cuesheet_app.ui.document import ProjectDocument
    from cuesheet_app.ui.editor_area import EditorArea

    area = EditorArea(ProjectDocument(CueSheet()), settings=Settings(catalogue_path=str(tmp_path / "none.sqlite")))
    qtbot.addWidget(area)
    assert area.parties.directory == {}
    assert not (tmp_path / "none.sqlite").exists()  # looking never creates a catalogue
