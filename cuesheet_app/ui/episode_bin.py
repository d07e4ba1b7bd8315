"""The episode bin: episodes dropped or added, with their identification status and actions.

Each entry may carry its project (``sheet``): identification results for an
episode that is not open in the editor wait here until the user opens it, so a
batch of fifty episodes does not fight over one editor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.media.suffixes import MEDIA_SUFFIXES
from cuesheet_app.storage.project_file import SUFFIX as PROJECT_SUFFIX
from cuesheet_app.ui.full_text import FullTextDelegate

NEW, QUEUED, IDENTIFYING, DONE, FAILED, CANCELLED = "new", "queued", "identifying", "done", "failed", "cancelled"
STATUS_LABELS = {NEW: "New", QUEUED: "Queued", IDENTIFYING: "Identifying", DONE: "Done",
                 FAILED: "Failed", CANCELLED: "Cancelled"}


@dataclass
class Refusal:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path.name}: {self.reason}"


@dataclass
class Sorted:
    """Dropped paths sorted out: episodes to add, projects to open, and what was refused why."""

    media: list[Path] = field(default_factory=list)
    projects: list[Path] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def _check_file(path: Path) -> str:
    """Empty string when ``path`` is a usable media file, else the reason it is not."""
    suffix = path.suffix.lower()
    if suffix not in MEDIA_SUFFIXES:
        return f"not a supported media file ({suffix or 'no extension'})"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    if size == 0:
        return "file is empty (0 bytes)"
    if not os.access(path, os.R_OK):
        return "permission denied"
    return ""


def sort_paths(paths: list[Path], max_depth: int = 8) -> Sorted:
    """Walk folders (hidden entries skipped), keep media and projects, give a reason for the rest."""
    out = Sorted()

    def visit(p: Path, depth: int) -> None:
        if p.is_dir():
            if depth > max_depth:
                out.refused.append(Refusal(p, "folder nested too deeply"))
                return
            try:
                children = sorted(p.iterdir(), key=lambda c: c.name.lower())
            except OSError as exc:
                out.refused.append(Refusal(p, f"cannot list folder ({exc.strerror or exc})"))
                return
            for child in children:
                if not child.name.startswith("."):
                    visit(child, depth + 1)
            return
        if p.suffix.lower() == PROJECT_SUFFIX:
            out.projects.append(p)
            return
        reason = _check_file(p)
        if reason:
            out.refused.append(Refusal(p, reason))
        else:
            out.media.append(p)

    for path in paths:
        if not path.exists():
            out.refused.append(Refusal(path, "file not found"))
        else:
            visit(path, 0)
    return out


@dataclass
class Episode:
    """One row of the bin."""

    path: Path
    status: str = NEW
    phase: str = ""
    fraction: float | None = None
    message: str = ""
    details: str = ""
    job_id: str = ""
    sheet: CueSheet | None = None
    project_path: Path | None = None
    unsaved: bool = False  # a result (or edits) not yet in a project file
    pending_state: dict = field(default_factory=dict)  # engine state saved before the project exists
    retryable: bool = True  # False when the file itself cannot be read: trying again cannot help
    unreadable: str = ""  # why the file cannot be read (shown instead of "Failed")

    @property
    def busy(self) -> bool:
        return self.status in (QUEUED, IDENTIFYING)

    def status_text(self) -> str:
        if self.status == IDENTIFYING:
            return self.phase or "Identifying"
        if self.status == FAILED:
            return f"Cannot read: {self.unreadable}" if self.unreadable else f"Failed: {self.message}"
        if self.status == DONE and self.sheet is not None:
            n = len(self.sheet.cues)
            return f"Done: {n} cue{'s' if n != 1 else ''}" + (" (unsaved)" if self.unsaved else "")
        return STATUS_LABELS.get(self.status, self.status)


class EpisodeModel(QAbstractTableModel):
    COLUMNS = ("Episode", "Status", "Progress")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.episodes: list[Episode] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.episodes)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        ep = self.episodes[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return ep.path.name
            if col == 1:
                return ep.status_text()
            if col == 2:
                if ep.status == IDENTIFYING:
                    return -1 if ep.fraction is None else int(ep.fraction * 100)
                return 100 if ep.status == DONE else 0
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 1:  # the whole status, however narrow the column
                return ep.status_text() + (f"\n{ep.message}" if ep.message and ep.message not in ep.status_text()
                                           else "")
            return str(ep.path)
        if role == Qt.ItemDataRole.ForegroundRole and col == 1 and ep.status == FAILED:
            from PySide6.QtGui import QColor

            return QColor("#b3261e")
        if role == Qt.ItemDataRole.UserRole:
            return ep
        return None

    # --- changes ---------------------------------------------------------------------------
    def add(self, episode: Episode) -> None:
        n = len(self.episodes)
        self.beginInsertRows(QModelIndex(), n, n)
        self.episodes.append(episode)
        self.endInsertRows()

    def remove(self, episode: Episode) -> None:
        row = self.episodes.index(episode)
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.episodes[row]
        self.endRemoveRows()

    def changed(self, episode: Episode) -> None:
        try:
            row = self.episodes.index(episode)
        except ValueError:
            return
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def find(self, path: Path) -> Episode | None:
        key = _key(path)
        for ep in self.episodes:
            if _key(ep.path) == key:
                return ep
        return None

    def by_job(self, job_id: str) -> Episode | None:
        for ep in self.episodes:
            if ep.job_id == job_id:
                return ep
        return None


def _key(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())


class _MiddleElideDelegate(FullTextDelegate):
    """Episode files differ at their end ("…_ep101.mov", "…_ep102.mov"): both ends stay in view."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # type: ignore[override]
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class _ProgressDelegate(QStyledItemDelegate):
    """A progress bar in the Progress column (busy bar while the length is unknown)."""

    def paint(self, painter, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # type: ignore[override]
        ep: Episode = index.data(Qt.ItemDataRole.UserRole)
        if ep is None or ep.status not in (IDENTIFYING, DONE):
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum = 0
        bar.maximum = 100
        value = index.data(Qt.ItemDataRole.DisplayRole)
        bar.progress = max(0, value)
        bar.text = "" if value < 0 else f"{value}%"
        bar.textVisible = value >= 0
        bar.state = option.state | QStyle.StateFlag.State_Enabled
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class EpisodeBin(QWidget):
    """The list of episodes with its toolbar; actions are owned by the main window."""

    openRequested = Signal(object)  # Episode
    selectionChangedTo = Signal(object)  # Episode | None

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EpisodeModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("episodeTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.verticalHeader().hide()
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        metrics = self.view.fontMetrics()
        header.resizeSection(1, metrics.horizontalAdvance("Done: 00 cues") + 14)
        self.model.dataChanged.connect(lambda *_: self._fit_status())
        self.model.rowsInserted.connect(lambda *_: self._fit_status())
        self.model.rowsRemoved.connect(lambda *_: self._fit_status())
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(2, metrics.horizontalAdvance("Progress") + 18)
        self.view.setWordWrap(False)
        self.view.setItemDelegate(FullTextDelegate(self.view))  # the status, in full on hover
        self.view.setItemDelegateForColumn(0, _MiddleElideDelegate(self.view))
        self.view.setItemDelegateForColumn(2, _ProgressDelegate(self.view))
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._actions = actions
        self.view.customContextMenuRequested.connect(self._context_menu)
        bar = QToolBar(self)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for a in actions:
            # The narrow dock shows the everyday three; the rest is on right-click and in the Episodes menu.
            if a.objectName() in ("episode.identify", "episode.cancel", "episode.retry"):
                bar.addAction(a)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.view)
        self._fit_status()

    def _fit_status(self) -> None:
        """The Status column as wide as its longest text, between "Done: 00 cues" and half the list.

        The name column takes the rest (it elides in the middle; both keep their full text as a tooltip).
        """
        metrics = self.view.fontMetrics()
        low = metrics.horizontalAdvance("Done: 00 cues") + 14
        high = max(low, self.view.viewport().width() // 2)
        wanted = max((metrics.horizontalAdvance(e.status_text()) + 14 for e in self.model.episodes), default=low)
        self.view.horizontalHeader().resizeSection(1, max(low, min(high, wanted)))
        # The Progress column only while something runs: when all is done the name gets the room.
        self.view.setColumnHidden(2, not any(e.busy for e in self.model.episodes))

    def selected(self) -> list[Episode]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        return [self.model.episodes[r] for r in rows if r < len(self.model.episodes)]

    def select(self, episode: Episode) -> None:
        try:
            row = self.model.episodes.index(episode)
        except ValueError:
            return
        # Not ``selectRow``: that extends the selection while Ctrl or Shift is held (e.g. right
        # after a Ctrl+… shortcut), and the next Open or Reveal would act on another episode.
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag
        self.view.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.openRequested.emit(self.model.episodes[index.row()])

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.selectionChangedTo.emit(self.model.episodes[current.row()] if current.isValid() else None)

    def add_context_action(self, action: QAction) -> None:
        """An action for the right-click menu only (the toolbar keeps the everyday ones)."""
        self._actions = [*self._actions, action]

    def context_menu(self) -> QMenu:
        """Right-click on the list: everything the toolbar and the Episodes menu offer for these rows."""
        menu = QMenu(self)
        for a in self._actions:
            if a.objectName() == "episode.remove":
                menu.addSeparator()
            menu.addAction(a)
        return menu

    def _context_menu(self, pos) -> None:  # type: ignore[no-untyped-def]
        self.context_menu().exec(self.view.viewport().mapToGlobal(pos))
