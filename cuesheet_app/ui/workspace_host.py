"""What the main window's rooms (projects, autosave, episode jobs, media) may use of the window.

Each room is a class beside ``main_window.py`` that does one job; it holds the window only
through this protocol, so a room never imports the window (no import circle) and the list
below is the whole of what the rooms share. Questions go through the host so tests (and
``--screenshot`` runs) answer them by replacing ``main_window.ask`` and friends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from cuesheet_app.settings.store import Settings
    from cuesheet_app.ui.document import ProjectDocument
    from cuesheet_app.ui.episode_bin import Episode, EpisodeBin
    from cuesheet_app.ui.jobs import JobRunner, WriteQueue
    from cuesheet_app.ui.log_panel import LogPanel

SB = QMessageBox.StandardButton


class WorkspaceHost(Protocol):
    document: ProjectDocument
    bin: EpisodeBin
    log_panel: LogPanel
    settings: Settings
    current: Episode | None  # the bin entry whose project is open in the editor
    jobs: JobRunner  # identification, a few at once
    tasks: JobRunner  # peaks, probes, the demo
    writer: WriteQueue  # saves and autosaves, one at a time
    session_id: str

    def status(self, text: str, ms: int = 8000) -> None: ...

    def tell(self, text: str, level: str = "warning") -> None:
        """A message that stays in view until dismissed (refusals, unreadable files)."""
        ...

    def ask(self, title: str, text: str, buttons: SB, default: SB) -> SB: ...

    def choose_open(self, title: str, filters: str) -> list[Path]: ...

    def choose_save(self, title: str, suggestion: str, filters: str) -> Path | None: ...

    def inform(self, title: str, text: str) -> None: ...

    def refresh_state(self) -> None:
        """Title, central page and the enabled actions follow the document and the bin."""
        ...
