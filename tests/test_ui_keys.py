"""Every key in ui/shortcuts.py, pressed on a shown main window, with the focus in each place.

Focus targets: the cue table, the timeline, the editor's side panel (the parties table) and
the episode list. A "window" key must work in all of them; an "editor" key where cues are
(table and timeline) and nowhere else; a "timeline" key in the timeline only (elsewhere
arrows and Return keep their usual meaning). Each case checks what the key did, not that a
slot was called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMessageBox, QWidget

from cuesheet_app.domain import edits
from cuesheet_app.settings.store import Settings
from cuesheet_app.ui import main_window as mw
from cuesheet_app.ui.episode_bin import CANCELLED, DONE, Episode
from cuesheet_app.ui.shortcuts import SHORTCUTS, resolve, shortcut
from tests.key_helpers import build_demo_project, focus, open_copy, press, qt_messages, show_window  # noqa: F401
from tests.workspace_helpers import Answers, SlowEngine, factory_for, make_episode

SB = QMessageBox.StandardButton
TARGETS = ("table", "timeline", "parties", "episodes")
WHERE = {"window": set(TARGETS), "editor": {"table", "timeline"}, "timeline": {"timeline"}}


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_project(tmp_path_factory.mktemp("keys-demo"))


@dataclass
class Ctx:
    qtbot: Any
    window: mw.MainWindow
    project: Path
    tmp: Path
    engine: SlowEngine
    opened: list[str]
    dialogs: list[str]

    @property
    def doc(self):  # type: ignore[no-untyped-def]
        return self.window.document

    @property
    def cues(self):  # type: ignore[no-untyped-def]
        return self.window.document.sheet.cues

    def select(self, *indexes: int) -> None:
        self.doc.set_selection([self.cues[i].id for i in indexes])

    def playhead_in(self, index: int, fraction: float = 0.5) -> int:
        cue = self.cues[index]
        frame = int(cue.start + (cue.end - cue.start) * fraction)
        self.window.editor.set_playhead(float(self.doc.sheet.seconds(frame)))
        return frame

    def second_episode(self) -> Episode:
        path = make_episode(self.tmp / "second.wav")
        sheet = self.doc.sheet.copy()
        sheet.header.program_title = "Second episode"
        ep = Episode(path=path, status=DONE, sheet=sheet)
        self.window.bin.model.add(ep)
        self.window.bin.select(ep)
        return ep


def _target(ctx: Ctx, name: str) -> QWidget:
    w = ctx.window
    return {"table": w.editor.table, "timeline": w.editor.timeline, "parties": w.editor.parties.view,
            "episodes": w.bin.view}[name]


class _UrlRecorder(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toLocalFile())


_RECORDER = _UrlRecorder()


@dataclass
class Case:
    """``setup`` prepares the state and returns what ``fired`` compares against."""

    setup: Callable[[Ctx], Any]
    fired: Callable[[Ctx, Any], bool]


def _title(ctx: Ctx) -> str:
    return ctx.cues[0].title


def _renamed(ctx: Ctx) -> str:
    ctx.doc.push_edit(edits.set_fields(ctx.doc.sheet, ctx.cues[0].id, title="Renamed by the test"))
    return "Renamed by the test"


def _renamed_and_undone(ctx: Ctx) -> str:
    _renamed(ctx)
    ctx.doc.undo_stack.undo()
    return "Renamed by the test"


def _position(ctx: Ctx, seconds: float) -> float:
    ctx.window.player.seek(seconds)
    return ctx.window.player.position()


def _identifying(ctx: Ctx) -> Episode:
    ep = ctx.second_episode()
    ctx.window.identify([ep])
    ctx.qtbot.waitUntil(lambda: ep.busy, timeout=3000)
    return ep


def _cancelled(ctx: Ctx) -> Episode:
    ep = _identifying(ctx)
    ctx.window.cancel([ep])
    ctx.qtbot.waitUntil(lambda: ep.status == CANCELLED, timeout=5000)
    ctx.window.bin.select(ep)
    return ep


def _split_first(ctx: Ctx) -> int:
    ctx.select(0)
    ctx.playhead_in(0)
    ctx.window.editor.ops.split_at_playhead()
    ctx.select(0, 1)
    return len(ctx.cues)


def _zoom(ctx: Ctx) -> float:
    return ctx.window.editor.timeline.seconds_per_pixel


def _zoomed_in(ctx: Ctx) -> float:
    tl = ctx.window.editor.timeline
    tl.zoom_to_fit()
    fit = tl.seconds_per_pixel
    tl.zoom(4.0)
    return fit


def _revised(ctx: Ctx) -> None:
    ctx.window.versions.set_status("submitted")
    ctx.window.versions.reopen()
    ctx.window.versions.last_dialog = None


def _compare_shown(ctx: Ctx) -> bool:
    dialog = getattr(ctx.window.versions, "last_dialog", None)
    shown = dialog is not None and dialog.isVisible()
    if dialog is not None:
        dialog.close()
    return shown


CASES: dict[str, Case] = {
    "edit.undo": Case(_renamed, lambda c, new: _title(c) != new),
    "edit.redo": Case(_renamed_and_undone, lambda c, new: _title(c) == new),
    "edit.find_replace": Case(lambda c: None, lambda c, _: c.window.editor.tabs.currentWidget()
                              is c.window.editor.find_replace),
    "edit.undo_history": Case(lambda c: None, lambda c, _: c.window.editor.tabs.currentWidget()
                              is c.window.editor.history),
    "edit.select_all": Case(lambda c: c.select(0), lambda c, _: len(c.doc.selection) == len(c.cues)),
    "cue.add": Case(lambda c: (c.playhead_in(0), len(c.cues))[1], lambda c, n: len(c.cues) == n + 1),
    "cue.split": Case(lambda c: (c.select(0), c.playhead_in(0), len(c.cues))[2],
                      lambda c, n: len(c.cues) == n + 1),
    "cue.merge": Case(_split_first, lambda c, n: len(c.cues) == n - 1),
    "cue.deactivate": Case(lambda c: c.select(0), lambda c, _: not c.cues[0].active),
    "cue.remove": Case(lambda c: (c.select(0), c.cues[0].id)[1],
                       lambda c, cue_id: cue_id not in {x.id for x in c.cues}),
    "cue.set_in": Case(lambda c: (c.select(0), c.playhead_in(0, 0.25))[1], lambda c, f: c.cues[0].start == f),
    "cue.set_out": Case(lambda c: (c.select(0), c.playhead_in(0, 0.75))[1], lambda c, f: c.cues[0].end == f),
    "cue.nudge_left": Case(lambda c: (c.select(1), c.cues[1].start)[1], lambda c, s: c.cues[1].start == s - 1),
    "cue.nudge_right": Case(lambda c: (c.select(1), c.cues[1].start)[1], lambda c, s: c.cues[1].start == s + 1),
    "cue.nudge_left_big": Case(lambda c: (c.select(1), c.cues[1].start)[1],
                               lambda c, s: c.cues[1].start == s - c.doc.sheet.rate.nominal),
    "cue.nudge_right_big": Case(lambda c: (c.select(1), c.cues[1].start)[1],
                                lambda c, s: c.cues[1].start == s + c.doc.sheet.rate.nominal),
    "cue.previous": Case(lambda c: c.select(2), lambda c, _: c.doc.selection == [c.cues[1].id]),
    "cue.next": Case(lambda c: c.select(2), lambda c, _: c.doc.selection == [c.cues[3].id]),
    "cue.edit": Case(lambda c: c.select(0), lambda c, _: c.window.editor.table.state()
                     == QAbstractItemView.State.EditingState),
    "cue.play": Case(lambda c: (c.select(0), c.window.player.pause())[0],
                     lambda c, _: c.window.player.is_playing()),
    "cue.parties": Case(lambda c: c.window.editor.tabs.setCurrentWidget(c.window.editor.history),
                        lambda c, _: c.window.editor.tabs.currentIndex() == 0),
    "view.zoom_in": Case(_zoom, lambda c, before: _zoom(c) < before),
    "view.zoom_out": Case(_zoom, lambda c, before: _zoom(c) > before),
    "view.zoom_fit": Case(_zoomed_in, lambda c, fit: abs(_zoom(c) - fit) < 1e-9),
    "view.snapping": Case(lambda c: c.window.editor.timeline.snapping,
                          lambda c, before: c.window.editor.timeline.snapping != before),
    "file.new": Case(lambda c: None, lambda c, _: c.cues == [] and c.doc.path is None),
    "file.open": Case(lambda c: None, lambda c, _: "Open project" in c.opened),
    "file.add_episodes": Case(lambda c: None, lambda c, _: "Add episodes" in c.opened),
    "file.save": Case(_renamed, lambda c, _: (c.window.writer.wait(5000), QApplication.processEvents(),
                                               not c.doc.modified)[2]),
    "file.save_as": Case(lambda c: None, lambda c, _: "Save project" in c.opened),
    "file.export": Case(lambda c: None, lambda c, _: "ExportDialog" in c.dialogs),
    "file.settings": Case(lambda c: None, lambda c, _: "SettingsDialog" in c.dialogs),
    "file.quit": Case(lambda c: None, lambda c, _: not c.window.isVisible()),
    "tools.catalogue": Case(lambda c: None, lambda c, _: getattr(c.window, "catalogue_window", None) is not None
                            and c.window.catalogue_window.isVisible()),
    "episode.identify": Case(lambda c: c.second_episode(), lambda c, ep: ep.busy),
    "episode.cancel": Case(_identifying, lambda c, ep: (c.qtbot.wait(200), ep.status == CANCELLED)[1]),
    "episode.retry": Case(_cancelled, lambda c, ep: ep.busy),
    "episode.open": Case(lambda c: c.second_episode(), lambda c, ep: c.window.current is ep
                         and c.doc.sheet.header.program_title == "Second episode"),
    "episode.remove": Case(lambda c: c.second_episode(), lambda c, ep: ep not in c.window.bin.model.episodes),
    "episode.reveal": Case(lambda c: (c.second_episode(), _RECORDER.urls.clear())[0],
                           lambda c, ep: _RECORDER.urls == [str(ep.path.parent)]),
    "transport.play_pause": Case(lambda c: c.window.player.pause(), lambda c, _: c.window.player.is_playing()),
    "transport.stop": Case(lambda c: _position(c, 3.0), lambda c, _: c.window.player.position() == 0.0),
    "transport.back_second": Case(lambda c: _position(c, 3.0),
                                  lambda c, p: abs(c.window.player.position() - (p - 1.0)) < 1e-6),
    "transport.forward_second": Case(lambda c: _position(c, 3.0),
                                     lambda c, p: abs(c.window.player.position() - (p + 1.0)) < 1e-6),
    "transport.back_frame": Case(lambda c: _position(c, 3.0), lambda c, p: abs(
        c.window.player.position() - (p - c.window.player.frame_seconds)) < 1e-6),
    "transport.forward_frame": Case(lambda c: _position(c, 3.0), lambda c, p: abs(
        c.window.player.position() - (p + c.window.player.frame_seconds)) < 1e-6),
    "transport.shuttle_forward": Case(lambda c: c.window.player.shuttle_stop(), lambda c, _: c.window.player.is_playing()),
    "transport.shuttle_reverse": Case(lambda c: (c.window.player.shuttle_stop(), _position(c, 20.0)),
                                      lambda c, _: c.window.player.is_playing()),
    "transport.shuttle_stop": Case(lambda c: c.window.player.shuttle_forward(),
                                   lambda c, _: not c.window.player.is_playing()),
    "file.import_edit": Case(lambda c: None, lambda c, _: "Import edit list" in c.opened),
    "sheet.reopen": Case(lambda c: c.window.versions.set_status("submitted"),
                         lambda c, _: not c.doc.sheet.submitted),
    "sheet.compare_previous": Case(_revised, lambda c, _: _compare_shown(c)),
    "help.shortcuts": Case(lambda c: None, lambda c, _: "ShortcutsDialog" in c.dialogs),
}
KEYED = [(s.action_id, k) for s in SHORTCUTS for k in s.keys]


def test_every_key_in_the_table_has_a_case() -> None:
    assert sorted({a for a, _ in KEYED} - set(CASES)) == []


def _watch_dialogs(ctx: Ctx) -> QTimer:
    """Modal dialogs a key opens are noted by class and closed, as a user pressing Escape would."""
    timer = QTimer()
    timer.setInterval(30)

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            ctx.dialogs.append(type(modal).__name__)
            modal.close()

    timer.timeout.connect(poll)
    timer.start()
    return timer


@pytest.fixture(scope="module")
def keys_window(qapp, demo_project: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One shown window for every key (opening the project again resets it between presses)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CUESHEET_HOME", str(tmp_path_factory.mktemp("keys-home")))
        mp.setattr(mw, "ask", Answers(otherwise=SB.Discard))
        engine = SlowEngine(steps=400, step_s=0.01)
        window = mw.MainWindow(settings=Settings(), engine_factory=factory_for(engine))
        window.show()
        yield window, engine
        window.document.undo_stack.setClean()
        for ep in window.bin.model.episodes:
            ep.unsaved = False
        window.close()
        window.deleteLater()


def _fresh_window(qtbot, engine: SlowEngine) -> mw.MainWindow:  # type: ignore[no-untyped-def]
    return mw.MainWindow(settings=Settings(), engine_factory=factory_for(engine))


@pytest.mark.parametrize(("action_id", "keys"), KEYED, ids=[f"{a}[{k}]" for a, k in KEYED])
def test_key_does_what_it_says_where_it_should(qtbot, qt_messages, monkeypatch, keys_window,  # noqa: F811
                                               demo_project, tmp_path, action_id, keys):
    keys = resolve(keys)[0]  # a standard key (Save As) as this platform has it
    monkeypatch.setattr(mw, "ask", Answers(otherwise=SB.Discard))
    opened: list[str] = []
    monkeypatch.setattr(mw, "choose_open", lambda _p, title, _f: opened.append(title) or [])
    monkeypatch.setattr(mw, "choose_save", lambda _p, title, _s, _f: opened.append(title) or None)
    QDesktopServices.setUrlHandler("file", _RECORDER, "open")
    shared, engine = keys_window
    case = CASES[action_id]
    expected_where = WHERE[shortcut(action_id).scope]
    results: dict[str, bool] = {}
    try:
        for target in TARGETS:
            # Quitting closes the window: that key gets a window of its own each time.
            window = _fresh_window(qtbot, engine) if action_id == "file.quit" else shared
            show_window(qtbot, window, owned=window is not shared)
            for ep in list(window.bin.model.episodes):
                if ep is not window.current:
                    ep.unsaved = False
                    window.remove([ep])
            open_copy(qtbot, window, demo_project, tmp_path / target)
            ctx = Ctx(qtbot, window, demo_project, tmp_path / target, engine, opened, [])
            opened.clear()
            before = case.setup(ctx)
            if target == "parties" and not ctx.doc.selection and ctx.cues:
                ctx.select(len(ctx.cues) - 1)  # the parties table is for the selected cue
            focus(qtbot, _target(ctx, target))
            watcher = _watch_dialogs(ctx)
            try:
                press(keys)
                qtbot.wait(50)
            finally:
                watcher.stop()
            results[target] = bool(case.fired(ctx, before))
            for ep in list(window.bin.model.episodes):
                window.cancel([ep])
            window.jobs.wait(5000)
            qtbot.waitUntil(window.is_idle, timeout=10000)
            window.editor.table.closePersistentEditor(window.editor.table.currentIndex())
            window.player.stop()
            catalogue = getattr(window, "catalogue_window", None)
            if catalogue is not None:
                catalogue.close()
            window.editor.tabs.setCurrentIndex(0)
            if window is not shared and window.isVisible():
                window.document.undo_stack.setClean()
                window.close()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    expected = {t: t in expected_where for t in TARGETS}
    assert results == expected, f"{keys} ({action_id}): fired where {results}, expected {expected}"


def _reach(action: QAction | QShortcut, window: QWidget, widgets: list[QWidget]) -> set[int]:
    """The focus widgets (by id) in which an enabled action's keys would fire."""
    context = action.shortcutContext() if isinstance(action, QAction) else action.context()
    owners = [o for o in (action.associatedObjects() if isinstance(action, QAction) else [action.parent()])
              if isinstance(o, QWidget) and o.window() is window]
    if context in (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut):
        return {id(w) for w in widgets} if owners else set()
    out = set()
    for w in widgets:
        for owner in owners:
            if w is owner or (context == Qt.ShortcutContext.WidgetWithChildrenShortcut and owner.isAncestorOf(w)):
                out.add(id(w))
    return out


def _key_clashes(window: QWidget) -> list[str]:
    widgets = [window, *window.findChildren(QWidget)]
    by_key: dict[str, list[tuple[str, set[int]]]] = {}
    for action in {id(a): a for a in [*window.findChildren(QAction), *window.actions()]}.values():
        if not action.isEnabled():
            continue
        reach = _reach(action, window, widgets)
        for seq in action.shortcuts():
            if not seq.isEmpty():
                by_key.setdefault(seq.toString(QKeySequence.SequenceFormat.PortableText), []).append(
                    (action.objectName() or action.text(), reach))
    for sc in window.findChildren(QShortcut):
        if sc.isEnabled() and not sc.key().isEmpty():
            by_key.setdefault(sc.key().toString(QKeySequence.SequenceFormat.PortableText), []).append(
                (sc.objectName() or "QShortcut", _reach(sc, window, widgets)))
    clashes = []
    for key, users in by_key.items():
        for i, (name_a, reach_a) in enumerate(users):
            for name_b, reach_b in users[i + 1:]:
                if reach_a & reach_b:
                    clashes.append(f"{key}: {name_a} and {name_b}")
    return clashes


def _undo_and_redo_enabled(window: mw.MainWindow) -> None:
    doc = window.document
    for title in ("one", "two"):
        doc.push_edit(edits.set_fields(doc.sheet, doc.sheet.cues[0].id, title=title))
    doc.undo_stack.undo()
    assert window.actions_by_id["edit.undo"].isEnabled() and window.actions_by_id["edit.redo"].isEnabled()


def test_no_two_enabled_actions_share_a_key(qtbot, qt_messages, answers, demo_project, tmp_path):  # noqa: F811
    window = mw.MainWindow(settings=Settings())
    show_window(qtbot, window)
    assert _key_clashes(window) == []  # the welcome page
    open_copy(qtbot, window, demo_project, tmp_path)
    window.document.set_selection([c.id for c in window.document.sheet.cues[:2]])
    window.bin.select(window.bin.model.episodes[0])
    _undo_and_redo_enabled(window)
    assert _key_clashes(window) == []  # the editor, with cues and an episode selected
    window.open_catalogue()
    assert _key_clashes(window.catalogue_window) == []
    window.catalogue_window.close()
    window.document.undo_stack.setClean()
    window.close()


def test_the_clash_check_sees_a_second_undo_action(qtbot, answers, demo_project, tmp_path):
    """The check above must be able to fail: a second Ctrl+Z action, as the window once had."""
    window = mw.MainWindow(settings=Settings())
    show_window(qtbot, window)
    open_copy(qtbot, window, demo_project, tmp_path)
    _undo_and_redo_enabled(window)
    extra = QAction("Undo", window)
    extra.setShortcut(QKeySequence("Ctrl+Z"))
    window.addAction(extra)
    assert any(c.startswith("Ctrl+Z:") for c in _key_clashes(window))
    window.removeAction(extra)
    window.document.undo_stack.setClean()
    window.close()


def test_an_ambiguous_key_is_reported_by_qt(qtbot, answers, demo_project, tmp_path):
    """The message handler fixture must be able to fail: Qt does print the message we look for."""
    from tests.key_helpers import QtMessages

    messages = QtMessages()
    messages.install()
    try:
        window = mw.MainWindow(settings=Settings())
        show_window(qtbot, window)
        open_copy(qtbot, window, demo_project, tmp_path)
        extra = QAction("Undo again", window)
        extra.setShortcut(QKeySequence("Ctrl+Z"))
        window.addAction(extra)
        before = window.document.undo_stack.index()
        window.document.push_edit(edits.set_fields(window.document.sheet, window.document.sheet.cues[0].id,
                                                   title="x"))
        focus(qtbot, window.editor.table)
        press("Ctrl+Z")
        assert messages.ambiguous(), messages.messages[-5:]
        assert window.document.undo_stack.index() == before + 1  # and nothing was undone
        window.removeAction(extra)
        press("Ctrl+Z")
        assert window.document.undo_stack.index() == before
    finally:
        messages.uninstall()
    window.document.undo_stack.setClean()
    window.close()
