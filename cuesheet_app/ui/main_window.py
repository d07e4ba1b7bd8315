"""The main window: builds the panels, actions and menus, and wires the rooms together.

One ``ProjectDocument`` per window holds the project open in the editor. The
episode bin may hold many episodes; each keeps its own project (``Episode.sheet``)
so a batch can run while one episode is being edited. Opening another episode
swaps the document's sheet, as opening another project does.

The work is done in rooms beside this file, each with one job, reached through the
``WorkspaceHost`` protocol: ``projects.Projects`` (new, open, save, the unsaved-work
prompt), ``autosaver.Autosaver`` (autosave and crash recovery), ``episode_jobs.EpisodeJobs``
(episodes in the bin and their identification) and ``media_view.MediaView`` (playback
source, waveform, Viewer). A new panel or menu entry is wired here; its logic gets a room.

Questions to the user go through the module functions ``ask``, ``choose_open``,
``choose_save`` and ``inform`` so tests can answer them without a modal dialog.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.editlists.reader import looks_like_edit_list
from cuesheet_app.rights.location import settings_location
from cuesheet_app.settings import secrets
from cuesheet_app.settings.store import Settings, load_settings
from cuesheet_app.ui import autosave
from cuesheet_app.ui import workspace_shortcuts as _ws  # noqa: F401 - registers the workspace keys
from cuesheet_app.ui.autosaver import Autosaver
from cuesheet_app.ui.document import ProjectDocument
from cuesheet_app.ui.edit_import import EditListImport
from cuesheet_app.ui.episode_bin import (
    CANCELLED,
    DONE,
    FAILED,
    IDENTIFYING,
    NEW,
    QUEUED,
    Episode,
    EpisodeBin,
    Sorted,
)
from cuesheet_app.ui.episode_jobs import EpisodeJobs
from cuesheet_app.ui.header_form import HeaderForm
from cuesheet_app.ui.identify_job import EngineFactory
from cuesheet_app.ui.jobs import JobRunner, WriteQueue
from cuesheet_app.ui.log_panel import LogPanel
from cuesheet_app.ui.media_view import MediaView
from cuesheet_app.ui.message_bar import MessageBar
from cuesheet_app.ui.playback import Player, TransportBar
from cuesheet_app.ui.projects import APP_TITLE, MEDIA_FILTER, PROJECT_FILTER, Projects
from cuesheet_app.ui.sheet_commands import ReplaceSheetCommand, SetMediaCommand, snapshot
from cuesheet_app.ui.sheet_versions import SheetVersions
from cuesheet_app.ui.shortcuts import SHORTCUTS, keys_of, make_action
from cuesheet_app.ui.welcome import WelcomePanel

log = logging.getLogger(__name__)
SB = QMessageBox.StandardButton
_snapshot = snapshot  # the name benchmarks/bench_workspace.py measures


# --- questions (replaced in tests) -------------------------------------------------------------
def ask(parent: QWidget, title: str, text: str, buttons: SB, default: SB) -> SB:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, parent)
    box.setDefaultButton(default)
    return SB(box.exec())


def choose_open(parent: QWidget, title: str, filters: str) -> list[Path]:
    files, _ = QFileDialog.getOpenFileNames(parent, title, "", filters)
    return [Path(f) for f in files]


def choose_save(parent: QWidget, title: str, suggestion: str, filters: str) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, title, suggestion, filters)
    return Path(name) if name else None


def inform(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


# Saved dock layouts of another version are ignored: version 2 has narrower side docks and a
# Viewer that only shows for episodes with a picture.
_LAYOUT_VERSION = 2


class _PlaceholderEditor(QLabel):
    """Stands in for the cue editor until ``ui/editor_area.py`` is installed."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        document.sheetReplaced.connect(self._update)
        document.cuesChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        cues = self.document.sheet.cues
        lines = [f"{c.cue_number}  {self.document.sheet.timecode_at(c.start)}  {c.title}" for c in cues[:30]]
        self.setText(f"{len(cues)} cue(s)\n\n" + "\n".join(lines))

    def menu_actions(self) -> list[QAction]:
        return []


# Modules the workers import. Importing a C extension holds the GIL for its whole initialisation,
# so a worker's first ``import av`` (or scipy) would freeze the GUI thread for a few hundred ms in
# the middle of the user's work; importing them while the window is built moves that to start-up.
_PRELOAD = ("av", "numpy", "cuesheet_app.media.probe", "cuesheet_app.media.identity",
            "cuesheet_app.media.peaks", "cuesheet_app.identify.local.engine",
            "cuesheet_app.identify.audioshake.engine", "cuesheet_app.rights.autofill")


def preload_worker_modules() -> None:
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a missing optional engine shows up when it is used
            log.info("Not preloaded %s: %s", name, exc)


def _editor_class() -> type | None:
    if importlib.util.find_spec("cuesheet_app.ui.editor_area") is None:
        return None
    from cuesheet_app.ui.editor_area import EditorArea

    return EditorArea


class MainWindow(QMainWindow):
    """The workspace. ``engine_factory`` replaces ``identify.registry.create_engine`` (tests)."""

    episodesChanged = Signal()

    def __init__(self, settings: Settings | None = None, engine_factory: EngineFactory | None = None,
                 autosave_interval_ms: int = 60_000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        preload_worker_modules()
        self.setObjectName("mainWindow")
        self.settings = settings or load_settings()
        self.session_id = autosave.new_session_id()
        self._closed = False
        self.demo_running = False
        self.remember_layout_off = False  # --screenshot: a fixed size must not become the user's
        self.current: Episode | None = None
        self.jobs = JobRunner(self.settings.jobs_at_once, "identify", self)
        self.tasks = JobRunner(2, "task", self)
        self.writer = WriteQueue(self)
        self.player = Player(self)
        # The rooms (each one job; see the module docstring). The document comes first: the
        # projects room makes its blank sheet.
        self.projects = Projects(self, after_save=lambda: self.autosaver.clear_if_clean(),
                                 media_changed=self._load_media_for_sheet)
        self.document = ProjectDocument(self.projects.blank_sheet(), parent=self)
        self.autosaver = Autosaver(self, autosave_interval_ms, self)
        self.autosave_timer = self.autosaver.timer
        self.episodes = EpisodeJobs(self, engine_factory, open_project=self.open_project,
                                    autosave_now=self.autosave_now, parent=self)
        self.episodes.episodesChanged.connect(self.episodesChanged)
        self.edit_import = EditListImport(self, self, add_episode=self._episode_for, maybe_save=self.maybe_save,
                                          parent=self)
        self.media = MediaView(self.player, self.tasks,
                               warn=lambda text, details: self.log_panel.add("warning", text, details),
                               set_peaks=None)
        self.actions_by_id: dict[str, QAction] = {}
        self._build_actions()
        self._build_ui()
        self._build_menus()
        self._connect()
        self.setAcceptDrops(True)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.refresh_state()
        self.resize(1400, 900)
        self._restore_layout()

    # ============================================================================ questions (WorkspaceHost)
    # Looked up in this module at call time, so tests and --screenshot runs answer them.
    def ask(self, title: str, text: str, buttons: SB, default: SB) -> SB:
        return ask(self, title, text, buttons, default)

    def choose_open(self, title: str, filters: str) -> list[Path]:
        return choose_open(self, title, filters)

    def choose_save(self, title: str, suggestion: str, filters: str) -> Path | None:
        return choose_save(self, title, suggestion, filters)

    def inform(self, title: str, text: str) -> None:
        inform(self, title, text)

    def tell(self, text: str, level: str = "warning") -> None:
        self.message_bar.show_message(text, level)
        self.status(text, 15000)

    # ============================================================================ building
    def _act(self, action_id: str, slot: Callable[[], object], checkable: bool = False) -> QAction:
        a = make_action(action_id, self, slot, checkable)
        self.addAction(a)  # window-wide shortcuts even while a dock has focus
        self.actions_by_id[action_id] = a
        return a

    def _build_actions(self) -> None:
        act = self._act
        act("file.new", self.new_project)
        act("file.open", self.open_project)
        act("file.add_episodes", self.add_episodes_dialog)
        act("file.import_edit", lambda: self.edit_import.choose())
        act("file.save", self.save)
        act("file.save_as", self.save_as)
        act("file.export", self.export)
        for fmt in ("xlsx", "pdf", "csv"):
            act(f"file.export_{fmt}", lambda fmt=fmt: self.export(fmt))
        act("file.settings", self.open_settings)
        act("file.quit", self.close)
        act("tools.catalogue", self.open_catalogue)
        act("episode.identify", lambda: self.identify(self.bin.selected()))
        act("episode.cancel", lambda: self.cancel(self.bin.selected()))
        act("episode.retry", lambda: self.retry(self.bin.selected()))
        act("episode.open", lambda: [self.open_episode(e) for e in self.bin.selected()[:1]])
        act("episode.remove", lambda: self.remove(self.bin.selected()))
        act("episode.reveal", lambda: [self.reveal(e.path) for e in self.bin.selected()[:1]])
        p = self.player
        act("transport.play_pause", p.toggle)
        act("transport.stop", p.stop)
        act("transport.back_second", lambda: p.step(-1.0))
        act("transport.forward_second", lambda: p.step(1.0))
        act("transport.back_frame", lambda: p.step_frames(-1))
        act("transport.forward_frame", lambda: p.step_frames(1))
        act("transport.shuttle_reverse", p.shuttle_reverse)
        act("transport.shuttle_stop", p.shuttle_stop)
        act("transport.shuttle_forward", p.shuttle_forward)
        act("help.about", self.about)
        act("help.shortcuts", self.show_shortcuts)
        act("help.welcome", self.show_welcome)
        if not self.player.available:
            for key, a in self.actions_by_id.items():
                if key.startswith("transport."):
                    a.setEnabled(False)
                    a.setToolTip(self.player.reason)

    def _install_undo_actions(self) -> None:
        """One Undo/Redo pair per window: the editor's, whose text names the step ("Undo Split cue").

        A second pair with the same keys would make Qt call Ctrl+Z ambiguous and do nothing.
        """
        get = getattr(self.editor, "action", None)
        try:
            pair = [get("edit.undo"), get("edit.redo")] if get else []
        except KeyError:
            pair = []
        if len(pair) != 2:  # the placeholder editor has no actions: make the pair here
            stack = self.document.undo_stack
            pair = [stack.createUndoAction(self, "&Undo"), stack.createRedoAction(self, "&Redo")]
            for a, action_id in zip(pair, ("edit.undo", "edit.redo"), strict=True):
                a.setObjectName(action_id)
                a.setShortcuts([QKeySequence(k) for k in keys_of(action_id)])
        for a in pair:
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(a)  # works on the welcome page and in the docks too
            self.actions_by_id[a.objectName()] = a

    def _build_ui(self) -> None:
        ids = self.actions_by_id
        bin_actions = [ids[k] for k in ("episode.identify", "episode.cancel", "episode.retry",
                                        "episode.open", "episode.remove", "episode.reveal")]
        self.bin = EpisodeBin(bin_actions, self)
        self.welcome = WelcomePanel(self)
        editor_cls = _editor_class()
        self.editor = editor_cls(self.document, self, settings=self.settings) if editor_cls \
            else _PlaceholderEditor(self.document, self)
        self.editor.setObjectName("editorArea")
        self.media.set_peaks_to(getattr(self.editor, "set_peaks", None))
        self._install_undo_actions()
        # The learn-rights offer sits above the editor: non-modal, it hides itself when idle.
        from cuesheet_app.ui.learn_rights import LearnRightsBar

        self.learn_bar = LearnRightsBar(self.document, settings_location(self.settings, strict=False), self.settings,
                                        self)
        refresh = getattr(self.editor, "refresh_party_directory", None)
        if refresh is not None:  # names just learned are offered while typing the next ones
            self.learn_bar.learned.connect(lambda *_: refresh())
        self.editor_page = QWidget(self)
        page_layout = QVBoxLayout(self.editor_page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.setSpacing(0)
        page_layout.addWidget(self.learn_bar)
        page_layout.addWidget(self.editor, 1)
        self.central = QStackedWidget(self)
        self.central.addWidget(self.welcome)
        self.central.addWidget(self.editor_page)
        self.message_bar = MessageBar(self)
        outer = QWidget(self)
        outer_layout = QVBoxLayout(outer)
        outer_layout.setContentsMargins(0, 0, 0, 0)
        outer_layout.setSpacing(0)
        outer_layout.addWidget(self.message_bar)
        outer_layout.addWidget(self.central, 1)
        self.setCentralWidget(outer)

        self.bin_dock = self._dock("Episodes", self.bin, Qt.DockWidgetArea.LeftDockWidgetArea)
        viewer = QWidget(self)
        vlayout = QVBoxLayout(viewer)
        vlayout.setContentsMargins(0, 0, 0, 0)
        self.video = self.media.video_widget(viewer)
        self.viewer_message = self.media.viewer_message
        vlayout.addWidget(self.video)
        self.viewer_dock = self._dock("Viewer", viewer, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.media.viewer_dock = self.viewer_dock
        # Side docks run the full height; the log sits under the editor only.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.header_form = HeaderForm(self.document, self, on_error=lambda m: self.log_panel.add("warning", m))
        self.versions = SheetVersions(self, self)  # status, lock, compare, series header, season report
        page_layout.insertWidget(0, self.versions.banner)
        self.header_dock = self._dock("Production header", self.header_form, Qt.DockWidgetArea.RightDockWidgetArea)
        self.log_panel = LogPanel(self)
        self.log_dock = self._dock("Log", self.log_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        # Narrow side docks: the cue table (nine columns) and the parties need the width more.
        self.resizeDocks([self.bin_dock, self.header_dock], [270, 290], Qt.Orientation.Horizontal)
        self.resizeDocks([self.bin_dock, self.viewer_dock], [380, 220], Qt.Orientation.Vertical)
        self.resizeDocks([self.log_dock], [72], Qt.Orientation.Vertical)
        self.viewer_dock.hide()  # shown only for an episode with a picture (see MediaView)

        transport = {k.split(".", 1)[1]: a for k, a in ids.items() if k.startswith("transport.")}
        self.transport = TransportBar(self.player, transport, self)
        bar = QToolBar("Transport", self)
        bar.setObjectName("transportToolbar")
        bar.setMovable(False)
        bar.addWidget(self.transport)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

        self.busy_label = QLabel(self)
        self.busy_label.setObjectName("busyLabel")
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("busyIndicator")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(140)
        self.busy_bar.setMaximumHeight(14)
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.busy_bar)
        self.busy_bar.hide()
        self.busy_label.hide()
        self.welcome.set_configured(self._has_library(), bool(secrets.get_api_key()))

    def _has_library(self) -> bool:
        """Music folders are set, or a library index exists (e.g. made with ``cuesheet library add``)."""
        return bool(self.settings.library_sources) or (self.settings.library_dir() / "library.json").exists()

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower().replace(" ", "_") + "_dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        ids = self.actions_by_id
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        for key in ("file.new", "file.open"):
            file_menu.addAction(ids[key])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(lambda: self.projects.fill_recent(self.recent_menu))
        file_menu.addAction(ids["file.add_episodes"])
        file_menu.addAction(ids["file.import_edit"])
        file_menu.addSeparator()
        file_menu.addAction(ids["file.save"])
        file_menu.addAction(ids["file.save_as"])
        export_menu = file_menu.addMenu("E&xport")
        for key in ("file.export", "file.export_xlsx", "file.export_pdf", "file.export_csv"):
            export_menu.addAction(ids[key])
        file_menu.addSeparator()
        file_menu.addAction(ids["file.settings"])
        file_menu.addSeparator()
        file_menu.addAction(ids["file.quit"])

        edit_menu = mb.addMenu("&Edit")
        edit_menu.addAction(ids["edit.undo"])
        edit_menu.addAction(ids["edit.redo"])
        editor_actions = self._editor_actions()
        menus: dict[str, QMenu] = {"Edit": edit_menu}
        for menu_name, actions in editor_actions.items():
            menu = menus.get(menu_name) or mb.addMenu("&" + menu_name)
            menus[menu_name] = menu
            if menu is edit_menu and actions:
                menu.addSeparator()
            for a in actions:
                if a.objectName() in ("edit.undo", "edit.redo"):
                    continue
                menu.addAction(a)
        episodes = mb.addMenu("E&pisodes")
        for key in ("episode.identify", "episode.cancel", "episode.retry", "episode.open",
                    "episode.remove", "episode.reveal"):
            episodes.addAction(ids[key])
        episodes.addSeparator()
        v = self.versions.actions
        for key in ("episode.apply_header", "episode.season_report"):
            episodes.addAction(v[key])
            self.bin.add_context_action(v[key])
        status_menu = mb.addMenu("&Status")
        for key in ("sheet.status_draft", "sheet.status_ready_for_review", "sheet.status_submitted", None,
                    "sheet.reopen", None, "sheet.compare_previous", "sheet.compare_with"):
            if key is None:
                status_menu.addSeparator()
            else:
                status_menu.addAction(v[key])
                self.addAction(v[key])
        transport = mb.addMenu("&Transport")
        for key in ("transport.play_pause", "transport.stop", None, "transport.back_second",
                    "transport.forward_second", "transport.back_frame", "transport.forward_frame", None,
                    "transport.shuttle_reverse", "transport.shuttle_stop", "transport.shuttle_forward"):
            if key is None:
                transport.addSeparator()
            else:
                transport.addAction(ids[key])
        view = menus.get("View") or mb.addMenu("&View")
        view.addSeparator()
        for dock in (self.bin_dock, self.viewer_dock, self.header_dock, self.log_dock):
            view.addAction(dock.toggleViewAction())
        tools = mb.addMenu("T&ools")
        tools.addAction(ids["tools.catalogue"])
        help_menu = mb.addMenu("&Help")
        help_menu.addAction(ids["help.welcome"])
        help_menu.addAction(ids["help.shortcuts"])
        help_menu.addAction(ids["help.about"])

    def _editor_actions(self) -> dict[str, list[QAction]]:
        """The editor's actions grouped by the menu the shortcut table gives them."""
        getter = getattr(self.editor, "menu_actions", None)
        raw = getter() if getter else []
        if isinstance(raw, dict):
            return {str(k).replace("&", ""): list(v) for k, v in raw.items()}
        menu_of = {s.action_id: s.menu for s in SHORTCUTS}
        out: dict[str, list[QAction]] = {}
        for a in raw:
            out.setdefault(menu_of.get(a.objectName(), "Cue"), []).append(a)
        return out

    def _connect(self) -> None:
        d = self.document
        d.modifiedChanged.connect(lambda _m: self._update_title())
        d.pathChanged.connect(lambda _p: self._update_title())
        d.sheetReplaced.connect(self._sheet_replaced)
        d.modifiedChanged.connect(self._modified_changed)
        d.cuesChanged.connect(self._cues_changed)
        for runner in (self.jobs, self.tasks, self.writer):
            runner.busyChanged.connect(lambda _b: self._update_busy())
            runner.countsChanged.connect(lambda _r, _q: self._update_busy())
        self.bin.openRequested.connect(self.open_episode)
        self.bin.selectionChangedTo.connect(lambda _e: self._update_actions())
        self.bin.model.dataChanged.connect(lambda *_: self._update_actions())
        self.welcome.demoRequested.connect(self.run_demo)
        self.welcome.addEpisodesRequested.connect(self.add_episodes_dialog)
        self.welcome.openProjectRequested.connect(self.open_project)
        self.welcome.settingsRequested.connect(self.open_settings)
        for signal, slot in (("seekRequested", self.player.seek), ("playRangeRequested", self.player.play_range)):
            sig = getattr(self.editor, signal, None)
            if sig is not None:
                sig.connect(slot)
        if hasattr(self.editor, "set_playhead"):
            self.player.positionChanged.connect(self.editor.set_playhead)
        if hasattr(self.editor, "message"):
            self.editor.message.connect(lambda text: self.status(text))
        if hasattr(self.editor, "headerFieldRequested"):
            self.editor.headerFieldRequested.connect(self.show_header_field)

    # ============================================================================ state display
    def refresh_state(self) -> None:
        """Title, central page and enabled actions, after the rooms changed the document or the bin."""
        self._update_title()
        self._update_central()
        self._update_actions()

    def _update_title(self) -> None:
        name = self.document.display_name()
        if self.document.path is None and self.current is not None:
            name = self.current.path.stem
        self.setWindowTitle(f"{name}[*] — {APP_TITLE}")
        self.setWindowModified(self.document.modified)

    def _update_central(self) -> None:
        sheet = self.document.sheet
        empty = not sheet.media and not sheet.cues and self.document.path is None and self.current is None
        self.central.setCurrentWidget(self.welcome if empty else self.editor_page)

    def _update_busy(self) -> None:
        running, queued = self.jobs.counts()
        busy = self.jobs.busy or self.tasks.busy or self.writer.busy
        parts = []
        if running or queued:
            parts.append(f"Identifying {running} episode{'s' if running != 1 else ''}"
                         + (f", {queued} queued" if queued else ""))
        t_running, _ = self.tasks.counts()
        if t_running:
            parts.append(f"{t_running} background task{'s' if t_running != 1 else ''}")
        if self.writer.busy:
            parts.append("saving")
        self.busy_label.setText(" · ".join(parts))
        self.busy_bar.setVisible(busy)
        self.busy_label.setVisible(busy)

    def _update_actions(self) -> None:
        sel = self.bin.selected()
        ids = self.actions_by_id
        ids["episode.identify"].setEnabled(any(e.status in (NEW, DONE, FAILED, CANCELLED) and e.retryable
                                               for e in sel))
        ids["episode.cancel"].setEnabled(any(e.busy for e in sel))
        ids["episode.retry"].setEnabled(any(e.status in (FAILED, CANCELLED) and e.retryable for e in sel))
        ids["episode.open"].setEnabled(any(e.sheet is not None for e in sel))
        ids["episode.remove"].setEnabled(bool(sel))
        ids["episode.reveal"].setEnabled(bool(sel))

    def _modified_changed(self, modified: bool) -> None:
        if self.current is not None and modified:
            self.current.unsaved = True
            self.bin.model.changed(self.current)

    def _cues_changed(self) -> None:
        """The bin's "Done: N cues" follows edits and their undo."""
        if self.current is not None and self.current.sheet is self.document.sheet:
            self.bin.model.changed(self.current)

    def _sheet_replaced(self) -> None:
        if self.current is not None:
            self.current.sheet = self.document.sheet
            self.bin.model.changed(self.current)
        self.transport.set_sheet(self.document.sheet)
        self._load_media_for_sheet()
        self._update_central()
        self._update_title()

    def _load_media_for_sheet(self) -> None:
        sheet = self.document.sheet
        try:
            duration = float(sheet.media[0].duration_s) if sheet.media else None
        except ValueError:
            duration = None
        self.media.load(Path(sheet.media[0].path) if sheet.media else None, sheet.rate, duration,
                        sheet.media[0].audio_stream if sheet.media else None)

    def is_idle(self) -> bool:
        """No job, task or write running or queued (used by --screenshot and tests)."""
        return not (self.jobs.busy or self.tasks.busy or self.writer.busy)

    def status(self, text: str, ms: int = 8000) -> None:
        self.statusBar().showMessage(text, ms)

    # ============================================================================ episodes in
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Drops anywhere on this window land here, even on children that take text drops."""
        t = event.type()
        if t in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop) and isinstance(obj, QWidget) \
                and obj is not self and obj.window() is self:
            mime = event.mimeData()  # type: ignore[attr-defined]
            if mime is not None and mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
                if t == QEvent.Type.Drop:
                    self._drop(event)
                else:
                    event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        return super().eventFilter(obj, event)

    def dragEnterEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self._drop(event)

    def _drop(self, event) -> None:  # type: ignore[no-untyped-def]
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        # Handle after the drag-and-drop machinery returns: opening may ask questions.
        edits = [p for p in paths if looks_like_edit_list(p)]
        if edits:  # an edit list, with its episode or onto the open one
            media = [p for p in paths if p not in edits]
            QTimer.singleShot(0, lambda: self.edit_import.drop(edits, media))
            return
        QTimer.singleShot(0, lambda: self.add_paths(paths))

    def _episode_for(self, path: Path) -> Episode | None:
        """The bin entry of an episode an edit list came with (added, not identified, when new)."""
        if self.bin.model.find(path) is None:
            self.add_paths([path], identify=False)
        return self.bin.model.find(path)

    def add_episodes_dialog(self) -> None:
        files = choose_open(self, "Add episodes", MEDIA_FILTER)
        if files:
            self.add_paths(files)

    # ============================================================================ the rooms' verbs
    # Menus, tests and scripts call these on the window; the work is in the rooms.
    def add_paths(self, paths: list[Path], identify: bool = True) -> Sorted:
        return self.episodes.add_paths(paths, identify)

    @property
    def last_refusals(self) -> list:
        return self.episodes.last_refusals

    @property
    def engine_factory(self) -> EngineFactory | None:
        return self.episodes.engine_factory

    @engine_factory.setter
    def engine_factory(self, factory: EngineFactory | None) -> None:
        self.episodes.engine_factory = factory

    def identify(self, episodes: list[Episode], engine: str | None = None) -> None:
        self.episodes.identify(episodes, engine)

    def retry(self, episodes: list[Episode]) -> None:
        self.episodes.retry(episodes)

    def cancel(self, episodes: list[Episode]) -> None:
        self.episodes.cancel(episodes)

    def remove(self, episodes: list[Episode]) -> None:
        self.episodes.remove(episodes)

    def reveal(self, path: Path) -> None:
        self.episodes.reveal(path)

    def open_episode(self, ep: Episode) -> None:
        self.projects.open_episode(ep)

    def maybe_save(self, closing: bool = False) -> bool:
        return self.projects.maybe_save(closing)

    def blank_sheet(self) -> CueSheet:
        return self.projects.blank_sheet()

    def new_project(self) -> None:
        self.projects.new_project()

    def open_project(self, path: Path | None = None) -> bool:
        return self.projects.open_project(path)

    def save(self, wait: bool = False) -> bool:
        return self.projects.save(wait=wait)

    def save_as(self, path: Path | None = None, wait: bool = False) -> bool:
        return self.projects.save_as(path, wait=wait)

    def autosave_now(self) -> None:
        self.autosaver.autosave_now()

    def offer_recovery(self) -> int:
        return self.autosaver.offer_recovery()

    # ============================================================================ export, settings, about
    def export(self, fmt: str | None = None) -> None:
        """File ▸ Export: the export dialog shows the findings first; one can go fix a cue instead.

        ``fmt`` preselects Excel, PDF or CSV; without it the dialog offers the last one used.
        """
        from cuesheet_app.ui.export_dialog import ExportDialog

        dialog = ExportDialog(self.document.sheet, self.settings, self, project_path=self.document.path,
                              remember_options=self._remember_export_options)
        if isinstance(fmt, str):
            dialog.set_format(fmt)
        dialog.findingActivated.connect(lambda cue_id: self.document.set_selection([cue_id]))
        dialog.headerFindingActivated.connect(self.show_header_field)
        dialog.exported.connect(lambda path: self.log_panel.add("info", f"Exported {path}"))
        dialog.exec()

    def _remember_export_options(self, options: dict[str, Any]) -> None:
        """Export choices are kept with the project (saved with it; not an undo step)."""
        if options != self.document.sheet.export_options:
            self.document.sheet.export_options = dict(options)

    def show_header_field(self, name: str) -> None:
        """Bring the header form up with the cursor in one field (from a header finding)."""
        self.header_dock.show()
        self.header_dock.raise_()
        editor = self.header_form.editors.get(name.removeprefix("header."))
        if editor is not None:
            editor.setFocus()

    def open_settings(self, tab: str = "") -> None:
        from cuesheet_app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self, tab=tab if isinstance(tab, str) else "")
        if dialog.exec():
            self.apply_settings(dialog.settings)

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.jobs.set_max_jobs(settings.jobs_at_once)
        apply = getattr(self.editor, "apply_settings", None)
        if apply is not None:
            apply(settings)
        self.welcome.set_configured(self._has_library(), bool(secrets.get_api_key()))

    def open_catalogue(self) -> None:
        """One catalogue window per main window, raised when already open."""
        from cuesheet_app.rights.catalogue import CatalogueError
        from cuesheet_app.rights.schema import SchemaError
        from cuesheet_app.ui.catalogue_window import CatalogueWindow

        try:
            location = settings_location(self.settings)
        except CatalogueError as exc:  # a URL with a password in it, refused
            inform(self, "Rights catalogue", str(exc))
            return
        window = getattr(self, "catalogue_window", None)
        if window is not None and (not window.isVisible() or window.path != location):
            window.close()  # a closed window has released its database: start afresh
            window.deleteLater()
            window = None
        if window is None:
            try:
                window = CatalogueWindow(location, self, user=self.settings.catalogue_display_name)
            except (CatalogueError, SchemaError, OSError) as exc:
                inform(self, "Rights catalogue", f"Cannot open the rights catalogue: {exc}")
                return
            window.setWindowFlag(Qt.WindowType.Window, True)
            self.catalogue_window = window
        window.show()
        window.raise_()
        window.activateWindow()

    def about(self) -> None:
        from cuesheet_app.ui.about import show_about

        show_about(self, self.settings, self.tasks)

    def show_shortcuts(self) -> None:
        from cuesheet_app.ui.shortcuts_help import ShortcutsDialog

        ShortcutsDialog(self).open()

    def show_welcome(self) -> None:
        self.central.setCurrentWidget(self.welcome)

    def run_demo(self) -> None:
        from cuesheet_app.ui.demo_runner import start_demo

        start_demo(self)

    # ============================================================================ layout memory
    def _layout_store(self):  # type: ignore[no-untyped-def]
        from PySide6.QtCore import QSettings

        from cuesheet_app.settings import paths

        return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_layout(self) -> None:
        """Dock arrangement and window size from last time (a separate file: Qt's own blobs)."""
        store = self._layout_store()
        geometry, state = store.value("geometry"), store.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, _LAYOUT_VERSION)
        self.viewer_dock.setVisible(self.media.has_video)  # no episode yet: no picture to show
        hidden = store.value("hiddenCueColumns")
        if isinstance(hidden, str) and hasattr(self.editor, "set_hidden_columns"):
            # JSON text: QSettings' INI format cannot tell an empty list from no value
            with contextlib.suppress(ValueError):
                keys = json.loads(hidden)
                if isinstance(keys, list):
                    self.editor.set_hidden_columns([str(k) for k in keys])

    def save_layout(self) -> None:
        store = self._layout_store()
        store.setValue("geometry", self.saveGeometry())
        store.setValue("state", self.saveState(_LAYOUT_VERSION))
        if hasattr(self.editor, "hidden_columns"):
            store.setValue("hiddenCueColumns", json.dumps(self.editor.hidden_columns()))
        store.sync()

    # ============================================================================ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:  # already shut down (Qt closes windows again when the app exits)
            event.accept()
            return
        if not self.maybe_save(closing=True):
            event.ignore()
            return
        self.learn_bar.flush()  # corrections waiting for the quiet timer still reach the catalogue
        self.autosaver.stop()
        if not self.remember_layout_off:
            with contextlib.suppress(OSError):
                self.save_layout()
        self.jobs.cancel_all()
        self.tasks.cancel_all()
        self.player.stop()
        self.jobs.wait(5000)
        self.tasks.wait(5000)
        self.writer.wait(10000)
        self.autosaver.clear_session()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._closed = True
        event.accept()


__all__ = ["APP_TITLE", "CANCELLED", "DONE", "FAILED", "IDENTIFYING", "MEDIA_FILTER", "NEW", "PROJECT_FILTER",
           "QUEUED", "MainWindow", "ReplaceSheetCommand", "SetMediaCommand", "ask", "choose_open", "choose_save",
           "inform"]
