"""The open project as the GUI sees it: the CueSheet, its undo stack, its file and selection.

One ProjectDocument per window (no global application object). Every change to
the sheet goes through ``undo_stack`` so undo is exact; views listen to the
signals below instead of holding copies of cues.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from cuesheet_app.domain.model import CueSheet


class ProjectDocument(QObject):
    # The whole sheet was replaced (open, new, identification results): views reset.
    sheetReplaced = Signal()
    # Cues were added/removed/reordered: models re-read the cue list.
    cuesChanged = Signal()
    # Fields of one cue changed: (cue id, list of field names, e.g. ["title"], ["parties"]).
    cueFieldsChanged = Signal(str, list)
    headerChanged = Signal()
    # Selected cue ids, shared by timeline, table and parties editor.
    selectionChanged = Signal(list)
    modifiedChanged = Signal(bool)
    pathChanged = Signal(object)  # Path | None

    def __init__(self, sheet: CueSheet | None = None, path: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sheet = sheet or CueSheet()
        self.path = path
        self.undo_stack = QUndoStack(self)
        self._selection: list[str] = []
        self.undo_stack.cleanChanged.connect(lambda clean: self.modifiedChanged.emit(not clean))

    # --- file state -------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self.undo_stack.setClean()
        self.pathChanged.emit(path)

    def display_name(self) -> str:
        return self.path.stem if self.path else "Untitled"

    def replace_sheet(self, sheet: CueSheet, clear_undo: bool = True) -> None:
        """New content wholesale (open/new); undo history does not reach across it."""
        self.sheet = sheet
        self._selection = []
        if clear_undo:
            self.undo_stack.clear()
        self.sheetReplaced.emit()
        self.selectionChanged.emit([])

    # --- selection --------------------------------------------------------
    @property
    def selection(self) -> list[str]:
        return list(self._selection)

    def set_selection(self, cue_ids: list[str]) -> None:
        known = {c.id for c in self.sheet.cues}
        ids = [i for i in cue_ids if i in known]
        if ids != self._selection:
            self._selection = ids
            self.selectionChanged.emit(list(ids))
