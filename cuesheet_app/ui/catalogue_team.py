"""The catalogue window's team features: offline banner, conflict chooser, a work's history, live refresh.

Kept out of catalogue_window.py (which stays about browsing and editing): the window calls
``TeamFeatures`` at a few points (after opening, on save conflicts, on selection) and this module
does the rest. Everything here also works on a personal SQLite catalogue, where the banner never
shows and no listener runs.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain.parties import format_party
from cuesheet_app.rights.audit import HistoryEntry
from cuesheet_app.rights.errors import CatalogueError, CatalogueUnavailable, ConflictError
from cuesheet_app.rights.records import Recording, Work

log = logging.getLogger(__name__)
POLL_MS = 1000  # how often the window asks its listener what others saved
RETRY_MS = 15000  # how often an offline window tries the server again


class OfflineBanner(QFrame):
    """A yellow bar across the top while the team server is away: what you see is the local copy."""

    retryRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offlineBanner")
        self.setStyleSheet("#offlineBanner { background: #fff3bf; border: 1px solid #e0b000; }"
                           " QLabel { color: #5c4300; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.retry_button = QPushButton("Try again", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.retry_button)
        self.retry_button.clicked.connect(self.retryRequested)
        self.hide()

    def show_offline(self, where: str, reason: str, waiting: int) -> None:
        self.label.setText(
            f"<b>Team catalogue offline.</b> Showing the local copy of {where}. "
            f"{waiting} edit(s) waiting to be sent; they are applied when the server is back. "
            f"<span style='color:#7a6400'>({reason})</span>")
        self.show()


class HistoryTable(QTableWidget):
    """A work's recorded changes, newest first: when, who, what, old → new."""

    COLUMNS = ("When (UTC)", "Who", "What", "Was", "Now")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        for col in (0, 1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        rows = list(reversed(entries))
        self.setRowCount(len(rows))
        for r, e in enumerate(rows):
            for c, text in enumerate((e.at, e.who, e.field, e.old or "—", e.new or "—")):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.setItem(r, c, item)


def _describe(entry: Work | Recording | None) -> str:
    if entry is None:
        return "(deleted)"
    if isinstance(entry, Work):
        lines = [f"Title: {entry.title}", f"ISWC: {entry.iswc or '—'}",
                 f"Alternative titles: {'; '.join(entry.alt_titles) or '—'}", "Parties:"]
        lines += [f"  {format_party(p)}" for p in entry.parties] or ["  —"]
        return "\n".join(lines)
    return "\n".join(f"{name}: {'; '.join(value) if isinstance(value, list) else value or '—'}"
                     for name, value in entry.__dict__.items()
                     if name not in ("id", "version", "updated_by", "updated_at", "work_id"))


def merge_works(mine: Work, theirs: Work) -> Work:
    """Theirs, plus what only mine has: parties theirs lacks (by role and name), alternative
    titles, and my ISWC/title where theirs left them empty. The user reviews it before saving."""
    merged = Work(id=theirs.id, title=theirs.title or mine.title, iswc=theirs.iswc or mine.iswc,
                  alt_titles=list(theirs.alt_titles), parties=list(theirs.parties), notes=theirs.notes or mine.notes,
                  version=theirs.version)
    if mine.title and mine.title != merged.title and mine.title not in merged.alt_titles:
        merged.alt_titles.append(mine.title)
    for alt in mine.alt_titles:
        if alt not in merged.alt_titles and alt != merged.title:
            merged.alt_titles.append(alt)
    known = {(p.role, p.display_name.lower()) for p in theirs.parties}
    merged.parties += [p for p in mine.parties if (p.role, p.display_name.lower()) not in known]
    return merged


class ConflictDialog(QDialog):
    """Both versions side by side; the user keeps theirs, saves mine over it, or merges."""

    KEEP_THEIRS, USE_MINE, MERGE = 1, 2, 3

    def __init__(self, error: ConflictError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Someone else saved this entry")
        self.error = error
        self.choice = 0
        theirs = error.theirs
        message = QLabel(str(error), self)
        message.setWordWrap(True)
        self.mine_text = QPlainTextEdit(_describe(error.ours), self)
        self.theirs_text = QPlainTextEdit(_describe(theirs), self)
        for box in (self.mine_text, self.theirs_text):
            box.setReadOnly(True)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Yours</b> (not saved)", self), 0, 0)
        by = f"by {theirs.updated_by or 'someone'} at {theirs.updated_at} UTC" if theirs is not None else ""
        grid.addWidget(QLabel(f"<b>Theirs</b> (saved {by})", self), 0, 1)
        grid.addWidget(self.mine_text, 1, 0)
        grid.addWidget(self.theirs_text, 1, 1)
        buttons = QDialogButtonBox(self)
        self.theirs_button = buttons.addButton("Keep theirs", QDialogButtonBox.ButtonRole.RejectRole)
        self.mine_button = buttons.addButton("Save mine over theirs", QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button = buttons.addButton("Merge…", QDialogButtonBox.ButtonRole.ActionRole)
        self.merge_button.setEnabled(isinstance(error.ours, Work) and isinstance(theirs, Work))
        self.merge_button.setToolTip("Theirs plus the parties and titles only yours has, in the editor to check")
        self.theirs_button.clicked.connect(lambda: self._choose(self.KEEP_THEIRS))
        self.mine_button.clicked.connect(lambda: self._choose(self.USE_MINE))
        self.merge_button.clicked.connect(lambda: self._choose(self.MERGE))
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addLayout(grid, 1)
        layout.addWidget(buttons)
        self.resize(900, 480)

    def _choose(self, choice: int) -> None:
        self.choice = choice
        self.accept()


class TeamFeatures(QObject):
    """Wires the banner, history and live refresh into a CatalogueWindow."""

    changedByOthers = Signal(object)  # list[rights.live.Change]

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.banner = OfflineBanner(window)
        self.history = HistoryTable(window)
        self.listener: Any = None
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(RETRY_MS)
        self.retry_timer.timeout.connect(self.try_reconnect)
        self.banner.retryRequested.connect(self.try_reconnect)
        self.update_state()

    # --- state ----------------------------------------------------------------
    @property
    def catalogue(self) -> Any:
        return self.window.catalogue

    def update_state(self) -> None:
        """Show the banner (offline) or start listening (online team server)."""
        cat = self.catalogue
        if getattr(cat, "offline", False):
            self.stop_listening()
            self.banner.show_offline(cat.where, cat.reason, cat.outbox.pending_count())
            self.retry_timer.start()
            return
        self.banner.hide()
        self.retry_timer.stop()
        if cat.kind == "postgresql" and self.listener is None:
            from cuesheet_app.rights.live import ChangeListener

            try:
                self.listener = ChangeListener(cat.backend.url)
            except CatalogueError as exc:
                log.info("No live refresh: %s", exc)
                return
            self.poll_timer.start()

    def stop_listening(self) -> None:
        self.poll_timer.stop()
        if self.listener is not None:
            self.listener.close()
            self.listener = None

    def poll(self) -> None:
        if self.listener is None:
            return
        try:
            changes = self.listener.poll()
        except CatalogueUnavailable:
            self.stop_listening()
            self.window.statusBar().showMessage("Lost the team catalogue; trying again…", 5000)
            self.retry_timer.start()
            return
        others = [c for c in changes if c.by != self.catalogue.user]
        if others:
            self.changedByOthers.emit(others)

    def try_reconnect(self) -> None:
        """Back online: replay the outbox (conflicts are shown one by one), refresh the cache."""
        from cuesheet_app.rights.offline import cache_place, open_catalogue, refresh_cache

        cat = self.catalogue
        url = getattr(cat, "url", None) or (cat.backend.url if cat.kind == "postgresql" else None)
        if url is None:
            return
        try:
            fresh = open_catalogue(url, user=cat.user, offline_ok=False)
        except CatalogueError as exc:
            if getattr(cat, "offline", False):
                self.banner.show_offline(cat.where, str(exc), cat.outbox.pending_count())
            return
        self.stop_listening()
        self.window.replace_catalogue(fresh)
        try:
            refresh_cache(fresh, cache_place(url).cache)
        except (CatalogueError, OSError) as exc:
            log.warning("Read cache not refreshed: %s", exc)
        self.update_state()
        replayed = getattr(fresh, "replayed", None)
        if replayed is not None:
            self.window.statusBar().showMessage(f"Back online: {replayed.summary()}", 10000)
            self.resolve_outbox_conflicts(url)

    def resolve_outbox_conflicts(self, url: str) -> int:
        """Show each offline edit that met a newer save; the user's choice settles it."""
        from cuesheet_app.rights.offline import cache_place
        from cuesheet_app.rights.outbox import (
            CONFLICT,
            Outbox,
            recording_from_payload,
            work_from_payload,
        )

        outbox = Outbox(cache_place(url).outbox)
        shown = 0
        try:
            for entry in outbox.entries(CONFLICT):
                ours = (work_from_payload(entry.payload) if entry.kind == "work"
                        else recording_from_payload(entry.payload) if entry.kind == "recording" else None)
                if ours is None:
                    continue
                theirs = (self.catalogue.get_work(ours.id) if isinstance(ours, Work)
                          else self.catalogue.get_recording(ours.id))
                dialog = ConflictDialog(ConflictError(entry.message, ours=ours, theirs=theirs), self.window)
                dialog.exec()
                shown += 1
                if dialog.choice == ConflictDialog.KEEP_THEIRS:
                    outbox.resolve(entry.seq, self.catalogue, keep="theirs")
                elif dialog.choice == ConflictDialog.USE_MINE:
                    outbox.resolve(entry.seq, self.catalogue, keep="mine")
                elif dialog.choice == ConflictDialog.MERGE and isinstance(theirs, Work):
                    outbox.resolve(entry.seq, self.catalogue, keep="mine", merged=merge_works(ours, theirs))
        finally:
            outbox.close()
        if shown:
            self.window.refresh()
        return shown

    def show_history(self, work: Work | None) -> None:
        self.history.set_entries(self.catalogue.history(work.id) if work is not None and work.id else [])

    def close(self) -> None:
        self.stop_listening()
        self.retry_timer.stop()
