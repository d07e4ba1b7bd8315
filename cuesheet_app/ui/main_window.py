"""The main window: episode bin, identification jobs, playback, header, projects, settings.

One ``ProjectDocument`` per window holds the project open in the editor. The
episode bin may hold many episodes; each keeps its own project (``Episode.sheet``)
so a batch can run while one episode is being edited. Opening another episode
swaps the document's sheet, as opening another project does.

Questions to the user go through the module functions ``ask``, ``choose_open``
and ``choose_save`` so tests can answer them without a modal dialog.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QUndoCommand
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

from cuesheet_app.domain.model import CueSheet, MediaRef
from cuesheet_app.identify.base import Progress
from cuesheet_app.settings import secrets
from cuesheet_app.settings.store import Settings, load_settings, save_settings
from cuesheet_app.storage import project_file
from cuesheet_app.storage.atomic import atomic_write_bytes
from cuesheet_app.ui import autosave, relink
from cuesheet_app.ui import workspace_shortcuts as _ws  # noqa: F401 - registers the workspace keys
from cuesheet_app.ui.document import ProjectDocument
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
    sort_paths,
)
from cuesheet_app.ui.header_form import HeaderForm
from cuesheet_app.ui.identify_job import (
    EngineFactory,
    IdentifyOutcome,
    merge_user_changes,
    run_identification,
)
from cuesheet_app.ui.jobs import JobRunner, WriteQueue
from cuesheet_app.ui.log_panel import LogPanel
from cuesheet_app.ui.playback import Player, TransportBar
from cuesheet_app.ui.shortcuts import SHORTCUTS, make_action
from cuesheet_app.ui.welcome import WelcomePanel

log = logging.getLogger(__name__)
SB = QMessageBox.StandardButton
APP_TITLE = "Cue Sheet"


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


PROJECT_FILTER = f"Cue sheet projects (*{project_file.SUFFIX})"
MEDIA_FILTER = "Episodes (*.mov *.mxf *.mp4 *.m4v *.mkv *.avi *.wav *.aif *.aiff *.flac *.mp3 *.m4a *.aac);;All files (*)"


# Saved dock layouts of another version are ignored: version 2 has narrower side docks and a
# Viewer that only shows for episodes with a picture.
_LAYOUT_VERSION = 2


class ReplaceSheetCommand(QUndoCommand):
    """Identification results or a recovered project: the whole sheet, as one undo step."""

    def __init__(self, document: ProjectDocument, sheet: CueSheet, text: str) -> None:
        super().__init__(text)
        self.document = document
        self.new = sheet
        self.old = document.sheet

    def redo(self) -> None:
        self.document.replace_sheet(self.new, clear_undo=False)

    def undo(self) -> None:
        self.document.replace_sheet(self.old, clear_undo=False)


class SetMediaCommand(QUndoCommand):
    """Relink: the project's episode reference(s) point at the moved file."""

    def __init__(self, document: ProjectDocument, media: list[MediaRef]) -> None:
        super().__init__("Relink episode")
        self.document = document
        self.new = [MediaRef.from_dict(m.to_dict()) for m in media]
        self.old = [MediaRef.from_dict(m.to_dict()) for m in document.sheet.media]

    def redo(self) -> None:
        self.document.sheet.media = [MediaRef.from_dict(m.to_dict()) for m in self.new]
        self.document.headerChanged.emit()

    def undo(self) -> None:
        self.document.sheet.media = [MediaRef.from_dict(m.to_dict()) for m in self.old]
        self.document.headerChanged.emit()


class _StateRelay(QObject):
    """Engine state (e.g. an AudioShake task id) saved from a worker, delivered on the GUI thread."""

    saved = Signal(object, object)  # Episode, dict
    sheetReady = Signal(object, object)  # Episode, CueSheet of a new episode (before its results)


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


def _snapshot(sheet: CueSheet) -> dict[str, Any]:
    """The sheet as plain data, safe to read on another thread while the GUI edits the original.

    ``to_dict`` builds new containers for cues, parties and header; the raw engine documents
    are only ever appended to (never edited), so a shallow copy of that list is enough.
    """
    data = sheet.to_dict()
    data["events"] = list(data["events"])
    for key in ("engine", "engine_state", "export_options"):
        data[key] = copy.deepcopy(data[key])
    return data


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
        self.engine_factory = engine_factory
        self.session_id = autosave.new_session_id()
        self._closed = False
        self.remember_layout_off = False  # --screenshot: a fixed size must not become the user's
        self.document = ProjectDocument(self.blank_sheet(), parent=self)
        self.current: Episode | None = None
        self.last_refusals: list = []
        self.jobs = JobRunner(self.settings.jobs_at_once, "identify", self)
        self.tasks = JobRunner(2, "task", self)
        self.writer = WriteQueue(self)
        self.player = Player(self)
        self._state_relay = _StateRelay(self)
        self._state_relay.saved.connect(self._store_engine_state)
        self._state_relay.sheetReady.connect(self._new_episode_sheet)
        self._peaks_job = None
        self._peaks: Any = None
        self.actions_by_id: dict[str, QAction] = {}
        self._build_actions()
        self._build_ui()
        self._build_menus()
        self._connect()
        self.setAcceptDrops(True)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(autosave_interval_ms)
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.autosave_timer.start()
        self._update_title()
        self._update_central()
        self._update_actions()
        self.resize(1400, 900)
        self._restore_layout()

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
        undo = act("edit.undo", self.document.undo_stack.undo)
        redo = act("edit.redo", self.document.undo_stack.redo)
        self.document.undo_stack.canUndoChanged.connect(undo.setEnabled)
        self.document.undo_stack.canRedoChanged.connect(redo.setEnabled)
        undo.setEnabled(False)
        redo.setEnabled(False)
        for a in (undo, redo):
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if not self.player.available:
            for key, a in self.actions_by_id.items():
                if key.startswith("transport."):
                    a.setEnabled(False)
                    a.setToolTip(self.player.reason)

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
        # The learn-rights offer sits above the editor: non-modal, it hides itself when idle.
        from cuesheet_app.ui.learn_rights import LearnRightsBar

        self.learn_bar = LearnRightsBar(self.document, self.settings.catalogue(), self.settings, self)
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
        self.setCentralWidget(self.central)

        self.bin_dock = self._dock("Episodes", self.bin, Qt.DockWidgetArea.LeftDockWidgetArea)
        viewer = QWidget(self)
        vlayout = QVBoxLayout(viewer)
        vlayout.setContentsMargins(0, 0, 0, 0)
        self.video = self._video_widget(viewer)
        vlayout.addWidget(self.video)
        self.viewer_dock = self._dock("Viewer", viewer, Qt.DockWidgetArea.LeftDockWidgetArea)
        # Side docks run the full height; the log sits under the editor only.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.header_form = HeaderForm(self.document, self, on_error=lambda m: self.log_panel.add("warning", m))
        self.header_dock = self._dock("Production header", self.header_form, Qt.DockWidgetArea.RightDockWidgetArea)
        self.log_panel = LogPanel(self)
        self.log_dock = self._dock("Log", self.log_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        # Narrow side docks: the cue table (nine columns) and the parties need the width more.
        self.resizeDocks([self.bin_dock, self.header_dock], [270, 290], Qt.Orientation.Horizontal)
        self.resizeDocks([self.bin_dock, self.viewer_dock], [380, 220], Qt.Orientation.Vertical)
        self.resizeDocks([self.log_dock], [72], Qt.Orientation.Vertical)
        self._has_video = False
        self.viewer_dock.hide()  # shown only for an episode with a picture (see _show_viewer_for)
        self._probe_job = None
        mp = self.player.media_player
        if mp is not None:
            mp.hasVideoChanged.connect(lambda has: self._set_has_video(True) if has else None)

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

    def _video_widget(self, parent: QWidget) -> QWidget:
        """The picture, or a line saying why there is none (audio-only episode, playback disabled)."""
        stack = QStackedWidget(parent)
        label = QLabel(f"Playback disabled: {self.player.reason}" if not self.player.available
                       else "No episode loaded", stack)
        label.setObjectName("viewerMessage")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: palette(dark);")
        stack.addWidget(label)
        self.viewer_message = label
        mp = self.player.media_player
        if mp is not None:
            try:
                from PySide6.QtMultimediaWidgets import QVideoWidget

                video = QVideoWidget(stack)
                video.setMinimumHeight(120)
                mp.setVideoOutput(video)
                stack.addWidget(video)
                mp.hasVideoChanged.connect(lambda has: stack.setCurrentWidget(video if has else label))
                mp.sourceChanged.connect(lambda _src: label.setText(
                    "Audio only: no picture" if self.player.path else "No episode loaded"))
            except Exception as exc:  # noqa: BLE001 - no video output: audio and timecode still work
                log.info("No video widget: %s", exc)
        return stack

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
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addAction(ids["file.add_episodes"])
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
        self.jobs.jobProgress.connect(self._job_progress)
        self.jobs.jobStarted.connect(self._job_started)
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
        ids["episode.identify"].setEnabled(any(e.status in (NEW, DONE, FAILED, CANCELLED) for e in sel))
        ids["episode.cancel"].setEnabled(any(e.busy for e in sel))
        ids["episode.retry"].setEnabled(any(e.status in (FAILED, CANCELLED) for e in sel))
        ids["episode.open"].setEnabled(any(e.sheet is not None for e in sel))
        ids["episode.remove"].setEnabled(bool(sel))
        ids["episode.reveal"].setEnabled(bool(sel))

    def _modified_changed(self, modified: bool) -> None:
        if self.current is not None and modified:
            self.current.unsaved = True
            self.bin.model.changed(self.current)

    def _sheet_replaced(self) -> None:
        if self.current is not None:
            self.current.sheet = self.document.sheet
            self.bin.model.changed(self.current)
        self.transport.set_sheet(self.document.sheet)
        self._load_media_for_sheet()
        self._update_central()
        self._update_title()

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
        QTimer.singleShot(0, lambda: self.add_paths(paths))

    def add_episodes_dialog(self) -> None:
        files = choose_open(self, "Add episodes", MEDIA_FILTER)
        if files:
            self.add_paths(files)

    def add_paths(self, paths: list[Path], identify: bool = True) -> Sorted:
        """Episodes into the bin (identification queued), projects opened, the rest refused with reasons."""
        result = sort_paths([Path(p) for p in paths])
        added = []
        for path in result.media:
            if self.bin.model.find(path) is not None:
                from cuesheet_app.ui.episode_bin import Refusal

                result.refused.append(Refusal(path, "already in the episode bin"))
                continue
            ep = Episode(path=path)
            self.bin.model.add(ep)
            added.append(ep)
        self.last_refusals = list(result.refused)
        for r in result.refused:
            self.log_panel.add("warning", f"Not added: {r}")
        if result.refused:
            more = f" (+{len(result.refused) - 3} more, see Log)" if len(result.refused) > 3 else ""
            self.status("Not added: " + "; ".join(str(r) for r in result.refused[:3]) + more, 15000)
        if added:
            self.log_panel.add("info", f"Added {len(added)} episode{'s' if len(added) != 1 else ''}")
            if self.current is None and not self.document.sheet.media and not self.document.modified \
                    and self.document.path is None:
                self.current = added[0]
                self._update_central()
                self._update_title()
            self.bin.select(added[0])
            if identify:
                self.identify(added)
        for project in result.projects[:1]:
            self.open_project(project)
        self.episodesChanged.emit()
        self._update_actions()
        return result

    # ============================================================================ jobs
    def identify(self, episodes: list[Episode], engine: str | None = None) -> None:
        self.jobs.set_max_jobs(self.settings.jobs_at_once)
        for ep in episodes:
            if ep.busy:
                continue
            self._submit(ep, engine or self.settings.default_engine)

    def retry(self, episodes: list[Episode]) -> None:
        self.identify([e for e in episodes if e.status in (FAILED, CANCELLED)])

    def _submit(self, ep: Episode, engine: str) -> None:
        ep.status, ep.phase, ep.fraction, ep.message, ep.details = QUEUED, "", None, "", ""
        sheet = ep.sheet
        state = copy.deepcopy(sheet.engine_state.get(engine, {})) if sheet else dict(ep.pending_state.get(engine, {}))
        base = _snapshot(sheet) if sheet is not None else None
        settings = Settings(**vars(self.settings))
        relay = self._state_relay

        def work(progress: Callable[[Progress], None], cancel) -> IdentifyOutcome:  # type: ignore[no-untyped-def]
            return run_identification(ep.path, engine, settings, state, base,
                                      progress=progress, cancel=cancel,
                                      on_state=lambda st: relay.saved.emit(ep, {engine: st}),
                                      engine_factory=self.engine_factory,
                                      on_sheet=lambda sh: relay.sheetReady.emit(ep, sh),
                                      audio_stream=sheet.media[0].audio_stream if sheet and sheet.media else None)

        job = self.jobs.submit(ep.path.name, work,
                               on_done=lambda outcome: self._job_done(ep, outcome),
                               on_error=lambda msg, details: self._job_failed(ep, msg, details),
                               on_cancelled=lambda: self._job_cancelled(ep))
        if job.state in (QUEUED, "running"):  # not already finished (e.g. cancelled at once)
            ep.job_id = job.id
        if job.state == "running":  # started inside submit: jobStarted came before the id was known
            ep.status, ep.phase = IDENTIFYING, "Starting"
        self.bin.model.changed(ep)
        self._update_actions()

    def _job_started(self, job_id: str) -> None:
        ep = self.bin.model.by_job(job_id)
        if ep is not None:
            ep.status, ep.phase = IDENTIFYING, "Starting"
            self.bin.model.changed(ep)
            self.log_panel.add("info", f"{ep.path.name}: identifying")

    def _job_progress(self, job_id: str, p: Progress) -> None:
        ep = self.bin.model.by_job(job_id)
        if ep is None:
            return
        ep.status = IDENTIFYING
        ep.phase = p.phase + (f" {p.detail}" if p.detail else "")
        ep.fraction = p.fraction
        self.bin.model.changed(ep)

    def _new_episode_sheet(self, ep: Episode, sheet: CueSheet) -> None:
        """A new episode's project, made by its job before the results: header, media, state."""
        if ep.sheet is not None or ep not in self.bin.model.episodes:
            return
        sheet.engine_state.update(ep.pending_state)
        if ep is self.current and not self.document.sheet.media and self.document.path is None:
            self.document.undo_stack.push(ReplaceSheetCommand(self.document, sheet, "Add episode"))
        else:
            ep.sheet = sheet
        ep.unsaved = True
        self.bin.model.changed(ep)
        if ep.pending_state:
            self.autosave_now()

    def _store_engine_state(self, ep: Episode, state: dict[str, Any]) -> None:
        if ep.sheet is not None:
            ep.sheet.engine_state.update(state)
            self.autosave_now()
        else:
            ep.pending_state.update(state)

    def _job_done(self, ep: Episode, outcome: IdentifyOutcome) -> None:
        ep.job_id = ""
        ep.status, ep.phase, ep.fraction = DONE, "", 1.0
        if ep not in self.bin.model.episodes:
            return
        result = outcome.sheet if ep.sheet is None else merge_user_changes(outcome.sheet, ep.sheet)
        ep.pending_state.clear()
        n = len(result.cues)
        self.log_panel.add("info", f"{ep.path.name}: {len(outcome.events.events)} event(s), {n} cue(s)")
        if ep is self.current:
            self.document.undo_stack.push(ReplaceSheetCommand(self.document, result,
                                                              f"Identification ({outcome.engine})"))
        else:
            ep.sheet = result
            ep.unsaved = True
            if self.current is None and not self.document.modified and not self.document.sheet.media \
                    and self.document.path is None:
                self.current = ep
                self.document.undo_stack.push(ReplaceSheetCommand(self.document, result,
                                                                  f"Identification ({outcome.engine})"))
        self.bin.model.changed(ep)
        self._update_actions()

    def _job_failed(self, ep: Episode, message: str, details: str) -> None:
        ep.job_id = ""
        ep.status, ep.message, ep.details, ep.phase = FAILED, message, details, ""
        self.bin.model.changed(ep)
        self.log_panel.add("error", f"{ep.path.name}: {message}", details)
        self._update_actions()

    def _job_cancelled(self, ep: Episode) -> None:
        ep.job_id = ""
        ep.status, ep.phase, ep.fraction = CANCELLED, "", None
        self.bin.model.changed(ep)
        self.log_panel.add("info", f"{ep.path.name}: cancelled")
        self._update_actions()

    def cancel(self, episodes: list[Episode]) -> None:
        for ep in episodes:
            if ep.job_id:
                self.jobs.cancel(ep.job_id)

    def remove(self, episodes: list[Episode]) -> None:
        for ep in episodes:
            if ep.unsaved and ep is not self.current and ep.sheet is not None:
                answer = ask(self, "Remove episode", f"The results for {ep.path.name} are not saved in a "
                             "project. Remove anyway?", SB.Yes | SB.No, SB.No)
                if answer != SB.Yes:
                    continue
            if ep.job_id:
                self.jobs.cancel(ep.job_id)
            if ep is self.current:
                self.current = None
            self.bin.model.remove(ep)
        self._update_central()
        self._update_actions()

    def reveal(self, path: Path) -> None:
        """Open the folder holding the file in the system's file manager."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    # ============================================================================ media
    def _load_media_for_sheet(self) -> None:
        sheet = self.document.sheet
        path = Path(sheet.media[0].path) if sheet.media else None
        if path is not None and not path.is_file():
            path = None
        if path == self.player.path:
            return
        try:
            duration = float(sheet.media[0].duration_s) if sheet.media else None
        except ValueError:
            duration = None
        self.player.load(path, sheet.rate, duration)
        self._load_peaks(path)
        self._show_viewer_for(path)

    def _show_viewer_for(self, path: Path | None) -> None:
        """Viewer dock only for episodes with a picture: an audio-only mix would get an empty panel.

        The container is probed off the GUI thread (a network share can be slow to open).
        """
        if self._probe_job is not None:
            self.tasks.cancel(self._probe_job.id)
            self._probe_job = None
        if path is None or importlib.util.find_spec("cuesheet_app.media.probe") is None:
            self._set_has_video(False)
            return

        def work(progress, cancel):  # type: ignore[no-untyped-def]
            from cuesheet_app.media.probe import probe

            return probe(path).has_video

        def done(has_video: Any) -> None:
            self._probe_job = None
            if self.player.path == path:
                self._set_has_video(bool(has_video))

        def failed(message: str, details: str) -> None:  # the player says why it cannot play
            self._probe_job = None
            if self.player.path == path:
                self._set_has_video(False)

        self._probe_job = self.tasks.submit(f"Probe {path.name}", work, on_done=done, on_error=failed)

    def _set_has_video(self, has_video: bool) -> None:
        """Show the Viewer dock for a picture, hide it otherwise (View ▸ Viewer still opens it)."""
        self._has_video = has_video
        self.viewer_dock.setVisible(has_video)

    def _load_peaks(self, path: Path | None) -> None:
        if self._peaks_job is not None:
            self.tasks.cancel(self._peaks_job.id)
            self._peaks_job = None
        if path is None or importlib.util.find_spec("cuesheet_app.media.peaks") is None:
            return
        stream = self.document.sheet.media[0].audio_stream if self.document.sheet.media else None

        def work(progress, cancel):  # type: ignore[no-untyped-def]
            from cuesheet_app.media.peaks import load_or_compute_peaks

            return load_or_compute_peaks(path, progress, cancel, audio_stream=stream)

        def done(peaks: Any) -> None:
            self._peaks_job = None
            if self.player.path == path:
                self._peaks = peaks
                setter = getattr(self.editor, "set_peaks", None)
                if setter is not None:
                    setter(peaks)

        def failed(message: str, details: str) -> None:
            self._peaks_job = None
            self.log_panel.add("warning", f"Waveform of {path.name}: {message}", details)

        self._peaks_job = self.tasks.submit(f"Waveform {path.name}", work, on_done=done, on_error=failed)

    # ============================================================================ projects
    def maybe_save(self, closing: bool = False) -> bool:
        """Ask about unsaved work; True when it is fine to go on (saved or discarded)."""
        running, queued = self.jobs.counts()
        if closing and (running or queued):
            answer = ask(self, APP_TITLE, f"{running + queued} episode(s) are still being identified. "
                         "Stop them and close? (AudioShake jobs resume from their task next time.)",
                         SB.Yes | SB.Cancel, SB.Cancel)
            if answer != SB.Yes:
                return False
        others = [e for e in self.bin.model.episodes if e.unsaved and e is not self.current and e.sheet]
        if not self.document.modified and not (closing and others):
            return True
        what = []
        if self.document.modified:
            what.append(f"“{self._document_name()}” has unsaved changes.")
        if closing and others:
            what.append(f"{len(others)} identified episode(s) are not saved in a project; Save puts "
                        "each project next to its episode.")
        answer = ask(self, APP_TITLE, " ".join(what) + " Save before closing?" if closing else
                     " ".join(what) + " Save them?", SB.Save | SB.Discard | SB.Cancel, SB.Save)
        if answer == SB.Cancel:
            return False
        if answer == SB.Discard:
            return True
        if self.document.modified and not self.save(wait=True):
            return False
        if closing:
            for ep in others:
                target = ep.path.with_suffix(project_file.SUFFIX)
                try:
                    project_file.save(ep.sheet, target)  # type: ignore[arg-type]
                    ep.project_path, ep.unsaved = target, False
                except OSError as exc:
                    self.log_panel.add("error", f"Cannot save {target}: {exc}")
                    return False
        return True

    def _document_name(self) -> str:
        if self.document.path is None and self.current is not None:
            return self.current.path.stem
        return self.document.display_name()

    def blank_sheet(self) -> CueSheet:
        """An empty project with the house defaults (rate, program start, date, preparer)."""
        import datetime as dt

        from cuesheet_app.domain import timecode as tc

        sheet = CueSheet()
        h = sheet.header
        try:
            rate = tc.frame_rate(self.settings.default_frame_rate)
            h.frame_rate = rate.name
            h.program_start = tc.frames_to_timecode(
                tc.timecode_to_frames(self.settings.default_program_start, rate), rate)
        except tc.TimecodeError:
            pass
        h.date_prepared = dt.date.today().isoformat()
        h.prepared_by = self.settings.prepared_by
        h.prepared_by_email = self.settings.prepared_by_email
        return sheet

    def new_project(self) -> None:
        if not self.maybe_save():
            return
        self.current = None
        self.document.path = None
        self.document.replace_sheet(self.blank_sheet())
        self.document.pathChanged.emit(None)
        self._update_central()

    def open_project(self, path: Path | None = None) -> bool:
        if path is None or isinstance(path, bool):
            files = choose_open(self, "Open project", PROJECT_FILTER)
            if not files:
                return False
            path = files[0]
        if not self.maybe_save():
            return False
        try:
            sheet = project_file.load(path)
        except project_file.ProjectError as exc:
            self.log_panel.add("error", str(exc))
            inform(self, "Cannot open project", str(exc))
            return False
        new_media = self._check_media(sheet, Path(path))
        self._show_sheet(sheet, Path(path))
        if new_media is not None:
            self.document.undo_stack.push(SetMediaCommand(self.document, new_media))
            self._load_media_for_sheet()
            self.log_panel.add("info", f"Relinked the episode to {new_media[0].path} (save to keep it)")
        self.settings.add_recent(str(Path(path).resolve()))
        self._save_settings_later()
        self.log_panel.add("info", f"Opened {path}")
        return True

    def _show_sheet(self, sheet: CueSheet, path: Path | None) -> None:
        """Put a loaded project into the document, tied to its bin entry (added when missing)."""
        ep = None
        if sheet.media:
            media_path = Path(sheet.media[0].path)
            ep = self.bin.model.find(media_path)
            if ep is None:
                ep = Episode(path=media_path, status=DONE if sheet.cues or sheet.events else NEW)
                self.bin.model.add(ep)
            ep.sheet, ep.project_path, ep.unsaved = sheet, path, False
            self.bin.select(ep)
        self.current = ep
        self.document.path = path
        self.document.replace_sheet(sheet)
        self.document.pathChanged.emit(path)

    def _check_media(self, sheet: CueSheet, project_path: Path) -> list[MediaRef] | None:
        """Relink a moved episode: found by fingerprint, or located by the user. None: no change."""
        if not sheet.media:
            return None
        ref = sheet.media[0]
        state = relink.media_status(ref)
        if state == "ok":
            return None
        name = Path(ref.path).name
        found = relink.find_moved(ref, project_path)
        if found is not None:
            answer = ask(self, "Episode moved", f"The episode {name} is no longer at\n{ref.path}.\n\n"
                         f"The same file (by content) is at\n{found}\n\nUse it?", SB.Yes | SB.No, SB.Yes)
            if answer == SB.Yes:
                return [relink.relinked(ref, found), *sheet.media[1:]]
        why = "has changed (different content)" if state == "changed" else "is missing"
        answer = ask(self, "Episode not found", f"The episode {name} {why}:\n{ref.path}\n\n"
                     "Locate it? (Without it the cues stay, but there is no playback or waveform.)",
                     SB.Yes | SB.No, SB.Yes)
        if answer != SB.Yes:
            return None
        files = choose_open(self, f"Locate {name}", MEDIA_FILTER)
        if not files:
            return None
        chosen = files[0]
        if not relink.same_file(ref, chosen):
            answer = ask(self, "Different file", f"{chosen.name} does not have the content of the "
                         f"episode this project was made from. Use it anyway?", SB.Yes | SB.No, SB.No)
            if answer != SB.Yes:
                return None
            from cuesheet_app.media.identity import quick_fingerprint

            ref = MediaRef.from_dict({**ref.to_dict(), "fingerprint": quick_fingerprint(chosen), "size": 0})
        return [relink.relinked(ref, chosen), *sheet.media[1:]]

    def save(self, wait: bool = False) -> bool:
        if self.document.path is None:
            return self.save_as(wait=wait)
        return self._write_project(self.document.path, wait)

    def save_as(self, path: Path | None = None, wait: bool = False) -> bool:
        if path is None or isinstance(path, bool):
            suggestion = self.document.path or (self.current.path.with_suffix(project_file.SUFFIX)
                                                if self.current else Path("Untitled" + project_file.SUFFIX))
            path = choose_save(self, "Save project", str(suggestion), PROJECT_FILTER)
            if path is None:
                return False
        path = Path(path)
        if path.suffix.lower() != project_file.SUFFIX:
            path = path.with_name(path.name + project_file.SUFFIX)
        return self._write_project(path, wait)

    def _write_project(self, path: Path, wait: bool) -> bool:
        """Serialise now (GUI thread, exact state), write on the write thread, mark clean when written."""
        data = _snapshot(self.document.sheet)
        index = self.document.undo_stack.index()
        outcome: dict[str, Any] = {}

        def done(_result: Any) -> None:
            outcome["ok"] = True
            if self.document.undo_stack.index() == index:
                self.document.mark_saved(path)
            else:
                self.document.path = path
                self.document.pathChanged.emit(path)
            if self.current is not None:
                self.current.project_path = path
                self.current.unsaved = self.document.modified
                self.bin.model.changed(self.current)
            self.settings.add_recent(str(path.resolve()))
            self._save_settings_later()
            self.status(f"Saved {path}")
            if not self._dirty_items():
                self.writer.write("clear autosave", lambda: autosave.clear_session(self.session_id))

        def failed(message: str, details: str) -> None:
            outcome["ok"] = False
            self.log_panel.add("error", f"Save failed: {message}", details)
            inform(self, "Save failed", message)

        self.writer.write(f"Save {path.name}",
                          lambda: atomic_write_bytes(path, project_file.dict_to_json(data).encode("utf-8"),
                                                     backup=True),
                          on_done=done, on_error=failed)
        if wait:
            while "ok" not in outcome:
                self.writer.wait(100)
                QApplication.processEvents()
            return bool(outcome["ok"])
        return True

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.settings.recent_projects:
            a = self.recent_menu.addAction(p)
            a.triggered.connect(lambda _c=False, p=p: self.open_project(Path(p)))
        if not self.settings.recent_projects:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _save_settings_later(self) -> None:
        snapshot = Settings(**vars(self.settings))
        self.writer.write("settings", lambda: save_settings(snapshot))

    # ============================================================================ autosave
    def _dirty_items(self) -> list[autosave.AutosaveItem]:
        items = []
        if self.document.modified:
            items.append(autosave.AutosaveItem(
                "document", _snapshot(self.document.sheet),
                project_path=str(self.document.path or ""),
                media_path=str(self.current.path) if self.current else ""))
        for ep in self.bin.model.episodes:
            if ep is not self.current and ep.unsaved and ep.sheet is not None:
                items.append(autosave.AutosaveItem("episode", _snapshot(ep.sheet),
                                                   project_path=str(ep.project_path or ""),
                                                   media_path=str(ep.path)))
        return items

    def autosave_now(self) -> None:
        items = self._dirty_items()
        if not items:
            return
        session = self.session_id
        self.writer.write("autosave", lambda: autosave.write_session(session, items),
                          on_error=lambda m, d: self.log_panel.add("warning", f"Autosave failed: {m}", d))

    def offer_recovery(self) -> int:
        """Ask about each crashed session's autosave; returns how many projects were recovered."""
        recovered = 0
        for session in autosave.find_orphans(self.session_id):
            answer = ask(self, "Recover unsaved work",
                         f"The app closed without saving {session.describe()}. Recover it?",
                         SB.Yes | SB.Discard | SB.Ignore, SB.Yes)
            if answer == SB.Ignore:
                continue
            if answer == SB.Yes:
                for item in session.items:
                    try:
                        sheet = session.load(item)
                    except project_file.ProjectError as exc:
                        self.log_panel.add("error", f"Cannot recover: {exc}")
                        continue
                    self._recover(item, sheet)
                    recovered += 1
            autosave.clear_session(session.session_id, session.meta_path.parent if session.meta_path else None)
        if recovered:
            self.autosave_now()
        return recovered

    def _recover(self, item: autosave.AutosaveItem, sheet: CueSheet) -> None:
        media = Path(item.media_path) if item.media_path else (Path(sheet.media[0].path) if sheet.media else None)
        project = Path(item.project_path) if item.project_path else None
        ep = None
        if media is not None:
            ep = self.bin.model.find(media) or Episode(path=media)
            if ep not in self.bin.model.episodes:
                self.bin.model.add(ep)
            ep.status = DONE
            ep.project_path, ep.unsaved = project, True
        if item.kind == "document" and not self.document.modified:
            self.current = ep
            self.document.path = project
            self.document.pathChanged.emit(project)
            self.document.undo_stack.push(ReplaceSheetCommand(self.document, sheet, "Recovered project"))
        elif ep is not None:
            ep.sheet = sheet
        if ep is not None:
            self.bin.model.changed(ep)
        self.log_panel.add("info", f"Recovered {item.project_path or item.media_path or 'a project'}")

    # ============================================================================ open an episode
    def open_episode(self, ep: Episode) -> None:
        if ep is self.current:
            return
        if ep.sheet is None:
            self.status(f"{ep.path.name} has no results yet")
            return
        if not self.maybe_save():
            return
        self.current = ep
        self.document.path = ep.project_path
        self.document.replace_sheet(ep.sheet)
        self.document.pathChanged.emit(ep.project_path)
        if ep.unsaved and ep.project_path is None:
            # Results that were never saved: the document says so (title mark, close prompt).
            self.document.undo_stack.push(ReplaceSheetCommand(self.document, ep.sheet.copy(), "Open results"))

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

        window = getattr(self, "catalogue_window", None)
        if window is not None and (not window.isVisible() or window.path != self.settings.catalogue()):
            window.close()  # a closed window has released its database: start afresh
            window.deleteLater()
            window = None
        if window is None:
            try:
                window = CatalogueWindow(self.settings.catalogue(), self)
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
        self.viewer_dock.setVisible(self._has_video)  # no episode yet: no picture to show
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
        self.autosave_timer.stop()
        if not self.remember_layout_off:
            with contextlib.suppress(OSError):
                self.save_layout()
        self.jobs.cancel_all()
        self.tasks.cancel_all()
        self.player.stop()
        self.jobs.wait(5000)
        self.tasks.wait(5000)
        self.writer.wait(10000)
        with contextlib.suppress(OSError):
            autosave.clear_session(self.session_id)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._closed = True
        event.accept()


__all__ = ["MainWindow", "ask", "choose_open", "choose_save", "IDENTIFYING", "QUEUED"]
