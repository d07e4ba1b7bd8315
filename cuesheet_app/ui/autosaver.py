"""Autosave and crash recovery for one window: what is unsaved, written every minute, offered back.

A room of the main window (see ``workspace_host.py``); the file format and the session
bookkeeping are in ``autosave.py`` (plain Python), this class decides what to write and when.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.storage import project_file
from cuesheet_app.ui import autosave
from cuesheet_app.ui.episode_bin import DONE, Episode
from cuesheet_app.ui.sheet_commands import ReplaceSheetCommand, snapshot
from cuesheet_app.ui.workspace_host import WorkspaceHost

SB = QMessageBox.StandardButton


class Autosaver(QObject):
    """Writes the window's unsaved projects on a timer, through the window's write queue."""

    def __init__(self, host: WorkspaceHost, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave_now)
        self.timer.start()

    def dirty_items(self) -> list[autosave.AutosaveItem]:
        """The open project when modified, and identification results saved nowhere yet."""
        h = self.host
        items = []
        if h.document.modified:
            items.append(autosave.AutosaveItem(
                "document", snapshot(h.document.sheet), project_path=str(h.document.path or ""),
                media_path=str(h.current.path) if h.current else ""))
        for ep in h.bin.model.episodes:
            if ep is not h.current and ep.unsaved and ep.sheet is not None:
                items.append(autosave.AutosaveItem("episode", snapshot(ep.sheet),
                                                   project_path=str(ep.project_path or ""),
                                                   media_path=str(ep.path)))
        return items

    def autosave_now(self) -> None:
        items = self.dirty_items()
        if not items:
            return
        session = self.host.session_id
        self.host.writer.write("autosave", lambda: autosave.write_session(session, items),
                               on_error=lambda m, d: self.host.log_panel.add("warning", f"Autosave failed: {m}", d))

    def clear_if_clean(self) -> None:
        """After a save: nothing unsaved left means nothing to recover after a crash."""
        if not self.dirty_items():
            session = self.host.session_id
            self.host.writer.write("clear autosave", lambda: autosave.clear_session(session))

    def stop(self) -> None:
        """The window is closing cleanly: no more autosaves, and this session's files go."""
        self.timer.stop()

    def clear_session(self) -> None:
        with contextlib.suppress(OSError):
            autosave.clear_session(self.host.session_id)

    def offer_recovery(self) -> int:
        """Ask about each crashed session's autosave; returns how many projects were recovered."""
        h = self.host
        recovered = 0
        for session in autosave.find_orphans(h.session_id):
            answer = h.ask("Recover unsaved work", f"The app closed without saving {session.describe()}. Recover it?",
                           SB.Yes | SB.Discard | SB.Ignore, SB.Yes)
            if answer == SB.Ignore:
                continue
            if answer == SB.Yes:
                for item in session.items:
                    try:
                        sheet = session.load(item)
                    except project_file.ProjectError as exc:
                        h.log_panel.add("error", f"Cannot recover: {exc}")
                        continue
                    self._recover(item, sheet)
                    recovered += 1
            autosave.clear_session(session.session_id, session.meta_path.parent if session.meta_path else None)
        if recovered:
            self.autosave_now()
        return recovered

    def _recover(self, item: autosave.AutosaveItem, sheet: CueSheet) -> None:
        h = self.host
        media = Path(item.media_path) if item.media_path else (Path(sheet.media[0].path) if sheet.media else None)
        project = Path(item.project_path) if item.project_path else None
        ep = None
        if media is not None:
            ep = h.bin.model.find(media) or Episode(path=media)
            if ep not in h.bin.model.episodes:
                h.bin.model.add(ep)
            ep.status = DONE
            ep.project_path, ep.unsaved = project, True
        if item.kind == "document" and not h.document.modified:
            h.current = ep
            h.document.path = project
            h.document.pathChanged.emit(project)
            h.document.undo_stack.push(ReplaceSheetCommand(h.document, sheet, "Recovered project"))
        elif ep is not None:
            ep.sheet = sheet
        if ep is not None:
            h.bin.model.changed(ep)
        h.log_panel.add("info", f"Recovered {item.project_path or item.media_path or 'a project'}")
