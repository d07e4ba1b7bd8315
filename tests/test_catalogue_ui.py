"""The catalogue window and the learn-rights bar, driven with pytest-qt."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from cuesheet_app.domain.model import Cue, CueSheet, Party
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.importer import import_file
from cuesheet_app.rights.records import Recording, Work
from cuesheet_app.settings.store import Settings, load_settings
from cuesheet_app.ui.catalogue_window import CatalogueWindow, ImportPreviewDialog
from cuesheet_app.ui.document import ProjectDocument
from cuesheet_app.ui.learn_rights import LearnRightsBar
from tests.catalogue_helpers import BAD_ROWS, GOOD_ROWS, kreisler_parties, write_sheet


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "cat.sqlite"
    with Catalogue(path) as cat:
        import_file(cat, write_sheet(tmp_path / "kpm.csv", GOOD_ROWS))
    return path


def test_search_select_edit_and_save_a_work(qtbot, filled: Path) -> None:
    win = CatalogueWindow(filled)
    qtbot.addWidget(win)
    assert [h.title for h in win.hits.hits] == ["Evening Walk", "Morning Run"]
    qtbot.keyClicks(win.search, "john roe")
    qtbot.waitUntil(lambda: [h.title for h in win.hits.hits] == ["Morning Run"], timeout=3000)
    win.select_first()
    assert win.editor.iswc.text() == "T-034.524.680-1"
    assert [p.display_name for p in win.editor.parties.parties()] == ["Jane Doe", "John Roe", "Acme Music"]
    assert win.hits.index(0, 5).data() == "Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] 50%"

    # A bad edit is refused with the reason and nothing is written.
    win.editor.iswc.setText("T-034.524.680-9")
    assert not win.save_current()
    assert "not a valid ISWC" in win.editor.status.text()
    # A good edit: alternative title, and the writer shares corrected through the parties editor.
    win.editor.iswc.setText("T-034.524.680-1")
    win.editor.alt_titles.setText("Running Morning; Jog")
    parties = win.editor.parties.parties()
    parties[0].share, parties[1].share = Fraction(75), Fraction(25)
    win.editor.parties.set_parties(parties)
    assert win.save_current()
    with Catalogue(filled) as cat:
        work = cat.work_by_iswc("T0345246801")
        assert work is not None and work.alt_titles == ["Running Morning", "Jog"]
        assert [p.share for p in work.parties] == [75, 25, 100]
    win.search.clear()
    qtbot.keyClicks(win.search, "jog")
    qtbot.waitUntil(lambda: [h.title for h in win.hits.hits] == ["Morning Run"], timeout=3000)


def test_pick_from_directory_and_give_a_recording_its_first_work(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "cat.sqlite"
    with Catalogue(path) as cat:
        cat.save_work(Work(title="Other", parties=kreisler_parties()))
        cat.save_recording(Recording(title="Orphan Track", isrc="GBAAA2400009"))
    win = CatalogueWindow(path)
    qtbot.addWidget(win)
    qtbot.keyClicks(win.search, "orphan")
    qtbot.waitUntil(lambda: len(win.hits.hits) == 1, timeout=3000)
    win.select_first()
    assert win.hits.index(0, 5).data() == "—"
    labels = [win.editor.directory.itemText(i) for i in range(win.editor.directory.count())]
    win.editor.directory.setCurrentIndex(labels.index("Fritz Kreisler [GEMA] [00012345678]"))
    win.editor.directory_role.setCurrentIndex(win.editor.directory_role.findData("CA"))
    with qtbot.waitSignal(win.editor.parties.partiesEdited):
        win.editor.add_from_directory.click()
    assert win.save_current()
    with Catalogue(path) as cat:
        rec = cat.recording_by_isrc("GBAAA2400009")
        assert rec is not None and rec.work_id is not None
        work = cat.get_work(rec.work_id)
        assert work is not None and work.title == "Orphan Track"
        assert [(p.role, p.display_name, p.ipi) for p in work.parties] == [("CA", "Fritz Kreisler", "00012345678")]
        assert len(cat.parties("kreisler")) == 1  # picked from the directory, not a second entry


def test_merge_duplicate_parties(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "cat.sqlite"
    with Catalogue(path) as cat:
        cat.save_work(Work(title="A", parties=[Party(role="C", first_name="Jane", last_name="Doe", pro="ASCAP")]))
        cat.save_work(Work(title="B", parties=[Party(role="C", first_name="J.", last_name="Doe")]))
    win = CatalogueWindow(path)
    qtbot.addWidget(win)
    win.directory.search.setText("doe")
    assert [e.display_name for e in win.directory.entries] == ["J. Doe", "Jane Doe"]
    win.directory.table.setCurrentCell(1, 0)
    win.directory.table.selectAll()
    assert win.merge_selected_parties() == 1
    assert "1 credit(s) moved" in win.directory.status.text()
    with Catalogue(path) as cat:
        assert [e.display_name for e in cat.parties()] == ["Jane Doe"]
        assert cat.works_by_title("B")[0].parties[0].pro == "ASCAP"


def test_import_with_preview_then_confirm_or_cancel(qtbot, tmp_path: Path) -> None:
    win = CatalogueWindow(tmp_path / "new.sqlite")
    qtbot.addWidget(win)
    sheet = write_sheet(tmp_path / "mixed.csv", GOOD_ROWS + BAD_ROWS)
    seen = []
    with qtbot.waitSignal(win.importFinished, timeout=10000) as blocker:
        win.import_path(sheet, confirm=lambda report: seen.append(report) or False)
    assert blocker.args == [None] and "nothing was written" in win.statusBar().currentMessage()
    assert win.catalogue.counts()["recordings"] == 0  # cancelled after the preview: nothing written
    dialog = ImportPreviewDialog(seen[0])
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 6 and dialog.import_button.text() == "Import 5 row(s)"
    # A bad field loses only itself: the row imports, the preview says what is left out.
    assert dialog.table.item(2, 1).text() == "Add (with problems)"
    assert "left out: column composers: writer shares add up to 120%" in dialog.table.item(2, 3).text()
    assert dialog.table.item(5, 1).text() == "Skipped" and "duplicate ISRC" in dialog.table.item(5, 3).text()
    with qtbot.waitSignal(win.importFinished, timeout=10000) as blocker:
        win.import_path(sheet, confirm=lambda report: True)
    report = blocker.args[0]
    assert report is not None and report.applied and report.count("add") == 5
    assert len(win.hits.hits) == 5 and win.import_action.isEnabled()
    with qtbot.waitSignal(win.importFinished, timeout=10000) as blocker:
        win.import_path(tmp_path / "missing.csv", confirm=lambda report: True)
    assert blocker.args == [None] and "missing.csv" in win.statusBar().currentMessage()
    out = tmp_path / "backup.csv"
    assert win.export_path(out) == 5 and "Morning Run" in out.read_text(encoding="utf-8")


def _document_with_identified_cue() -> tuple[ProjectDocument, Cue]:
    cue = Cue(title="Schön Rosmarin", isrc="DEF059503430", artists=["Gil Shaham"], start=0, end=250)
    return ProjectDocument(CueSheet(cues=[cue, Cue(title="Unidentified music 1", flags=["unidentified"])])), cue


def test_learn_bar_offers_once_per_cue_and_saves(qtbot, tmp_path: Path) -> None:
    doc, cue = _document_with_identified_cue()
    settings = Settings()
    bar = LearnRightsBar(doc, tmp_path / "cat.sqlite", settings)
    qtbot.addWidget(bar)
    doc.cueFieldsChanged.emit(cue.id, ["title"])
    assert bar.isHidden()  # not a rights edit
    cue.parties = kreisler_parties()
    doc.cueFieldsChanged.emit(cue.id, ["parties"])
    assert not bar.isHidden() and bar.current == cue.id and "Schön Rosmarin" in bar.message.text()
    bar.dismiss()
    assert bar.isHidden()
    doc.cueFieldsChanged.emit(cue.id, ["parties"])
    assert bar.isHidden()  # once per cue
    # The placeholder cue is never offered.
    placeholder = doc.sheet.cues[1]
    placeholder.parties = kreisler_parties()
    doc.cueFieldsChanged.emit(placeholder.id, ["parties"])
    assert bar.isHidden()
    assert not (tmp_path / "cat.sqlite").exists()

    # A new project resets the offers; accepting saves to the catalogue.
    doc2, cue2 = _document_with_identified_cue()
    bar2 = LearnRightsBar(doc2, tmp_path / "cat.sqlite", settings)
    qtbot.addWidget(bar2)
    cue2.parties = kreisler_parties()
    cue2.parties[0].share = Fraction(60)  # writer shares 60 %: refused, offer stays open
    doc2.cueFieldsChanged.emit(cue2.id, ["parties"])
    bar2.save_current()
    assert "Not saved to the catalogue" in bar2.message.text() and "60%" in bar2.message.text()
    assert not bar2.save_button.isHidden()
    cue2.parties[0].share = Fraction(100)
    with qtbot.waitSignal(bar2.learned) as blocker:
        bar2.save_current()
    assert blocker.args[0] == cue2.id and blocker.args[1].startswith("recording:")
    assert "Saved the rights" in bar2.message.text()
    with Catalogue(tmp_path / "cat.sqlite") as cat:
        rec = cat.recording_by_isrc("DEF059503430")
        assert rec is not None
        work = cat.get_work(rec.work_id or 0)
        assert work is not None and [p.display_name for p in work.parties] == ["Fritz Kreisler", "Schott Music"]


def test_learn_bar_always_is_remembered_and_then_saves_without_asking(qtbot, tmp_path: Path) -> None:
    doc, cue = _document_with_identified_cue()
    settings = Settings()
    bar = LearnRightsBar(doc, tmp_path / "cat.sqlite", settings)
    qtbot.addWidget(bar)
    cue.parties = kreisler_parties()
    doc.cueFieldsChanged.emit(cue.id, ["parties"])
    bar.always()
    assert settings.always_learn_rights and load_settings().always_learn_rights
    # Later corrections go straight to the catalogue.
    cue.parties = [Party(role="C", first_name="Jane", last_name="Doe", share=Fraction(100))]
    with qtbot.waitSignal(bar.learned):
        doc.cueFieldsChanged.emit(cue.id, ["parties"])
    with Catalogue(tmp_path / "cat.sqlite") as cat:
        rec = cat.recording_by_isrc("DEF059503430")
        assert rec is not None
        work = cat.get_work(rec.work_id or 0)
        assert work is not None and [p.display_name for p in work.parties] == ["Jane Doe"]


def test_new_track_edit_recording_and_delete(qtbot, filled: Path) -> None:
    win = CatalogueWindow(filled)
    qtbot.addWidget(win)
    win.new_entry()
    assert win.editor.save_button.isEnabled() and win.editor.rec_edits["title"].text() == ""
    win.editor.rec_edits["title"].setText("Hand Typed")
    win.editor.rec_edits["isrc"].setText("not an isrc")
    assert not win.save_current() and "not a valid ISRC" in win.editor.status.text()
    assert win.catalogue.counts()["recordings"] == 2
    win.editor.rec_edits["isrc"].setText("GB-AAA-24-00042")
    win.editor.rec_edits["artists"].setText("Ann; Bob")
    win.editor.parties.set_parties([Party(role="C", last_name="Typist", share=Fraction(100))])
    assert win.save_current()
    rec = win.catalogue.recording_by_isrc("GBAAA2400042")
    assert rec is not None and rec.artists == ["Ann", "Bob"] and rec.work_id is not None
    assert win._current is not None and win._current.recording is not None
    # Edit a recording field of the selected entry; the row stays selected after the refresh.
    win.editor.rec_edits["album"].setText("Typed Album")
    assert win.save_current()
    assert win.catalogue.recording_by_isrc("GBAAA2400042").album == "Typed Album"
    assert win.editor.rec_edits["album"].text() == "Typed Album"
    assert win.delete_current(confirm=False)
    assert win.catalogue.recording_by_isrc("GBAAA2400042") is None
    assert win.catalogue.works_by_title("Hand Typed") == []
    assert win.catalogue.counts()["recordings"] == 2


def test_learn_bar_always_mode_saves_once_after_a_pause_even_across_a_sheet_change(qtbot, tmp_path: Path) -> None:
    doc, cue = _document_with_identified_cue()
    bar = LearnRightsBar(doc, tmp_path / "cat.sqlite", Settings(always_learn_rights=True))
    qtbot.addWidget(bar)
    saved = []
    bar.learned.connect(lambda cue_id, ref: saved.append(cue_id))
    for share in (10, 50, 100):  # three quick cell edits
        cue.parties = [Party(role="C", first_name="Jane", last_name="Doe", share=Fraction(share))]
        doc.cueFieldsChanged.emit(cue.id, ["parties"])
    assert saved == [] and bar.isHidden()
    doc.replace_sheet(CueSheet())  # e.g. another project opened before the pause ended
    assert saved == [cue.id]
    with Catalogue(tmp_path / "cat.sqlite") as cat:
        rec = cat.recording_by_isrc("DEF059503430")
        assert rec is not None
        work = cat.get_work(rec.work_id or 0)
        assert work is not None and [p.share for p in work.parties] == [100]
