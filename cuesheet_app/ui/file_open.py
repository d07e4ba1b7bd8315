"""Files handed to the running app by the desktop: macOS Finder "Open", or a drop on the Dock icon.

macOS does not pass such files on the command line; it sends the application a
``QFileOpenEvent`` (at launch and while running). Without this filter nothing
would receive it and a double-clicked ``.cuesheet`` would open an empty window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFileOpenEvent

PROJECT_SUFFIX = ".cuesheet"


class _Opener(Protocol):
    def open_project(self, path: Path | None = None) -> bool: ...

    def add_paths(self, paths: list[Path], identify: bool = True) -> object: ...

    def raise_(self) -> None: ...

    def activateWindow(self) -> None: ...


class FileOpenFilter(QObject):
    """Installed on the QApplication: a project file opens in the window, media is added to its bin."""

    def __init__(self, window: _Opener, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        name = event.file() or event.url().toLocalFile()
        if not name:
            return False
        path = Path(name)
        # Later, not inside the event: opening may ask about unsaved changes (a modal dialog).
        QTimer.singleShot(0, lambda: self.open(path))
        return True

    def open(self, path: Path) -> None:
        """What a double-click on ``path`` means: open a project, or add an episode and identify it."""
        self.window.raise_()
        self.window.activateWindow()
        if path.suffix.lower() == PROJECT_SUFFIX:
            self.window.open_project(path)
        else:
            self.window.add_paths([path])


def install(app: QObject, window: _Opener) -> FileOpenFilter:
    """Route the application's file-open events to ``window``; the filter lives as long as ``app``."""
    handler = FileOpenFilter(window, app)
    app.installEventFilter(handler)
    return handler
