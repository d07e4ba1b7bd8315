"""Projects in the workspace: save/open round trip, the unsaved-changes prompt, autosave and
crash recovery, relinking a moved episode, header edits through undo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from cuesheet_app.domain.model import CueSheet, MediaRef
from cuesheet_app.settings import paths
from cuesheet_app.settings.store import Settings, load_settings
from cuesheet_app.storage import project_file
from cuesheet_app.ui import autosave, relink
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.commands import HeaderEditCommand
from cuesheet_app.ui.episode_bin import DONE
from tests.workspace_helpers import SlowEngine, factory_for, make_episode

SB = QMessageBox.StandardButton


def _window(engine: SlowEngine | None = None) -> mw.MainWindow:
    w = mw.MainWindow(settings=Settings(), engine_factory=factory_for(engine or SlowEngine(steps=2)))
    w.show()
    return w


@pytest.fixture
def identified(qtbot, answers, tmp_path):
    """A window whose open project holds the results for a small episode."""
    w = _window()
    (tmp_path / "media").mkdir()
    w.add_paths([make_episode(tmp_path / "media" / "ep7.wav")])
    qtbot.waitUntil(lambda: w.bin.model.episodes[0].status == DONE, timeout=10000)
    qtbot.waitUntil(w.is_idle, timeout=10000)
    yield w
    answers.answers.clear()
    w.close()


def test_save_and_open_round_trip(qtbot, identified, answers, tmp_path):
    w = identified
    w.document.undo_stack.push(HeaderEditCommand(w.document, program_title="Harbour Lights"))
    assert w.windowTitle() == "ep7[*] — Cue Sheet" and w.isWindowModified()
    target = tmp_path / "projects" / "harbour"
    target.parent.mkdir()
    assert w.save_as(target, wait=True)
    saved = target.with_suffix(".cuesheet")
    assert saved.exists()
    assert not w.document.modified and not w.isWindowModified()
    assert w.windowTitle() == "harbour[*] — Cue Sheet"
    qtbot.waitUntil(w.is_idle, timeout=5000)  # the settings file is written after the project
    assert load_settings().recent_projects[0] == str(saved.resolve())
    expected = w.document.sheet.to_dict()

    other = _window()
    assert other.open_project(saved)
    assert other.document.sheet.to_dict() == expected
    assert other.document.path == saved and not other.document.modified
    assert other.header_form.editors["program_title"].text() == "Harbour Lights"
    assert other.windowTitle() == "harbour[*] — Cue Sheet"
    assert [e.path.name for e in other.bin.model.episodes] == ["ep7.wav"]
    assert other.central.currentWidget() is other.editor_page
    other.close()


def test_open_reports_a_broken_project_and_keeps_the_current_one(qtbot, answers, tmp_path, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(mw, "inform", lambda _p, _t, text: shown.append(text))
    bad = tmp_path / "bad.cuesheet"
    bad.write_text('{"schema_version": 2, "header": {')
    w = _window()
    w.document.undo_stack.push(HeaderEditCommand(w.document, program_title="Keep me"))
    answers.otherwise = SB.Cancel  # the unsaved prompt: don't lose the current project
    assert not w.open_project(bad)
    answers.otherwise = SB.Discard
    assert not w.open_project(bad)
    assert shown and "bad.cuesheet" in shown[0] and "truncated" in shown[0]
    assert w.document.sheet.header.program_title == "Keep me"
    w.close()


def test_closing_with_unsaved_changes_asks(qtbot, answers, tmp_path):
    w = _window()
    w.document.undo_stack.push(HeaderEditCommand(w.document, episode_title="Pilot"))
    answers.answers = [SB.Cancel]
    assert not w.close()
    assert w.isVisible()
    assert "unsaved changes" in answers.questions[-1]
    target = tmp_path / "pilot.cuesheet"
    answers.answers = [SB.Save]
    w_choose = mw.choose_save
    mw.choose_save = lambda *_a: target
    try:
        assert w.close()
    finally:
        mw.choose_save = w_choose
    assert project_file.load(target).header.episode_title == "Pilot"


def test_closing_clean_does_not_ask(qtbot, answers):
    w = _window()
    assert w.close()
    assert answers.questions == []


def test_autosave_then_recovery_after_a_crash(qtbot, answers, identified):
    w = identified
    w.document.undo_stack.push(HeaderEditCommand(w.document, program_title="Unsaved work"))
    w.autosave_timer.setInterval(50)  # the real one is a minute
    index = paths.autosave_dir() / f"{w.session_id}.json"
    qtbot.waitUntil(index.exists, timeout=5000)
    qtbot.waitUntil(w.is_idle, timeout=5000)
    meta = json.loads(index.read_text())
    assert meta["items"][0]["kind"] == "document" and meta["items"][0]["media_path"].endswith("ep7.wav")
    expected = w.document.sheet.to_dict()
    # A crash: the window is gone without cleaning up. Simulate by forgetting the session.
    w.autosave_timer.stop()
    w.session_id = "crashed-session-elsewhere"

    answers.answers = [SB.Yes]
    fresh = _window()
    assert fresh.offer_recovery() == 1
    assert "Recover" in answers.questions[-1] and "ep7.wav" in answers.questions[-1]
    assert fresh.document.sheet.to_dict() == expected
    assert fresh.document.modified  # recovered work is unsaved work
    assert fresh.current is not None and fresh.current.path.name == "ep7.wav"
    assert not index.exists()  # taken over by the new session
    # A second start does not offer it again.
    third = _window()
    assert third.offer_recovery() == 0
    for x in (fresh, third):
        x.close()


def test_clean_close_leaves_no_autosave(qtbot, answers, tmp_path):
    w = _window()
    w.document.undo_stack.push(HeaderEditCommand(w.document, program_title="x"))
    w.autosave_now()
    qtbot.waitUntil(w.is_idle, timeout=5000)
    assert list(paths.autosave_dir().glob(f"{w.session_id}*"))
    answers.otherwise = SB.Discard
    assert w.close()
    assert not list(paths.autosave_dir().glob(f"{w.session_id}*"))


def test_relink_a_moved_episode(qtbot, identified, answers, tmp_path):
    w = identified
    project = tmp_path / "show.cuesheet"
    assert w.save_as(project, wait=True)
    old_media = Path(w.document.sheet.media[0].path)
    moved = tmp_path / "archive" / "season1" / old_media.name
    moved.parent.mkdir(parents=True)
    shutil.move(old_media, moved)

    answers.answers = [SB.Yes]
    other = _window()
    assert other.open_project(project)
    assert "Episode moved" in answers.questions[-1] and str(moved) in answers.questions[-1]
    assert other.document.sheet.media[0].path == str(moved.resolve())
    assert other.document.modified  # the relink is an undoable change to save
    assert other.player.path == moved.resolve() or other.player.path == moved
    other.document.undo_stack.undo()
    assert other.document.sheet.media[0].path == str(old_media)
    other.close()


def test_relink_refuses_a_different_file_of_the_same_name(tmp_path):
    (tmp_path / "a").mkdir()
    original = make_episode(tmp_path / "a" / "ep.wav", seed=31)  # content no other test makes
    sheet_ref = relink.relinked(MediaRef(path=str(original)), original)
    impostor_dir = tmp_path / "b"
    impostor_dir.mkdir()
    make_episode(impostor_dir / "ep.wav", seed=9)
    original.unlink()
    assert relink.media_status(sheet_ref) == "missing"
    assert relink.find_moved(sheet_ref, tmp_path / "show.cuesheet", extra_roots=[tmp_path]) is None
    assert not relink.same_file(sheet_ref, impostor_dir / "ep.wav")


def test_header_form_edits_go_through_undo(qtbot, answers):
    w = _window()
    edit = w.header_form.editors["program_title"]
    edit.setText("Night Shift")
    edit.editingFinished.emit()
    assert w.document.sheet.header.program_title == "Night Shift"
    assert w.document.modified
    start = w.document.sheet.header.program_start
    assert start == "01:00:00:00"  # a new project starts with the house default from the settings
    bad = w.header_form.editors["program_start"]
    bad.setText("01:00:00:99")
    bad.editingFinished.emit()
    assert "Program start" in w.header_form.problem.text()
    assert w.document.sheet.header.program_start == start
    w.document.undo_stack.undo()
    assert w.document.sheet.header.program_title == ""
    assert edit.text() == ""
    w.close()


def test_frame_rate_change_converts_cue_times_in_one_step(qtbot, identified):
    w = identified
    sheet = w.document.sheet
    before = [(c.start, c.end) for c in sheet.cues]
    assert sheet.header.frame_rate == "25"
    combo = w.header_form.editors["frame_rate"]
    combo.setCurrentIndex(combo.findData("50"))
    combo.activated.emit(combo.currentIndex())
    assert w.document.sheet.header.frame_rate == "50"
    assert [(c.start, c.end) for c in w.document.sheet.cues] == [(s * 2, e * 2) for s, e in before]
    w.document.undo_stack.undo()
    assert [(c.start, c.end) for c in w.document.sheet.cues] == before


def test_orphan_sessions_of_live_processes_are_left_alone(tmp_path):
    autosave.write_session("s1", [autosave.AutosaveItem("document", CueSheet().to_dict())],
                           directory=tmp_path)
    meta = json.loads((tmp_path / "s1.json").read_text())
    meta["pid"] = 1  # init: alive, and not us
    (tmp_path / "s1.json").write_text(json.dumps(meta))
    assert autosave.find_orphans(directory=tmp_path) == []
    meta["pid"] = 2 ** 22 + 12345  # no such process
    (tmp_path / "s1.json").write_text(json.dumps(meta))
    found = autosave.find_orphans(directory=tmp_path)
    assert [s.session_id for s in found] == ["s1"]
    assert found[0].load(found[0].items[0]).cues == []


def test_dropping_a_project_opens_it(qtbot, identified, answers, tmp_path):
    w = identified
    project = tmp_path / "dropped.cuesheet"
    assert w.save_as(project, wait=True)
    other = _window()
    other.add_paths([project])
    assert other.document.path == project
    assert len(other.document.sheet.cues) == len(w.document.sheet.cues)
    other.close()


def test_export_opens_the_export_dialog_and_a_finding_selects_its_cue(qtbot, identified, monkeypatch):
    from cuesheet_app.ui import export_dialog

    w = identified
    seen = {}

    def fake_exec(dialog) -> int:  # the dialog is real; only its modal loop is skipped
        seen["sheet"] = dialog.sheet
        dialog.findingActivated.emit(w.document.sheet.cues[1].id)
        return 0

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", fake_exec)
    w.actions_by_id["file.export"].trigger()
    assert seen["sheet"] is w.document.sheet
    assert w.document.selection == [w.document.sheet.cues[1].id]


@pytest.mark.parametrize(("action", "fmt", "suffix"), [
    ("file.export_xlsx", "xlsx", ".xlsx"), ("file.export_pdf", "pdf", ".pdf"), ("file.export_csv", "csv", ".csv")])
def test_export_to_a_format_preselects_it(qtbot, identified, monkeypatch, action, fmt, suffix):
    from cuesheet_app.ui import export_dialog

    w = identified
    seen = {}

    def fake_exec(dialog) -> int:
        seen["format"], seen["path"] = dialog.export_format(), dialog.target_path()
        return 0

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", fake_exec)
    w.actions_by_id[action].trigger()
    assert seen["format"] == fmt and seen["path"].suffix == suffix
    menu_texts = [a.text() for a in w.menuBar().actions()[0].menu().actions()]
    assert "E&xport" in menu_texts


def test_window_layout_is_remembered(qtbot, answers):
    w = _window()
    w.log_dock.hide()  # (sizes are clamped to the offscreen screen, so the dock state is checked)
    assert w.close()
    again = _window()
    assert not again.log_dock.isVisible() and again.header_dock.isVisible()
    again.close()


@pytest.mark.parametrize("hide", [["composers"], []])
def test_hidden_cue_columns_are_remembered(qtbot, answers, hide):
    from cuesheet_app.ui.cue_table_model import COLUMNS

    w = _window()
    w.editor.set_hidden_columns(hide)  # [] shows every column, also the ones hidden by default
    expected = w.editor.hidden_columns()
    assert expected == hide
    assert w.close()
    again = _window()
    assert again.editor.hidden_columns() == expected
    assert all(again.editor.table.isColumnHidden(i) == (c.key in expected) for i, c in enumerate(COLUMNS))
    again.close()
