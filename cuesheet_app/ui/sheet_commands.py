"""Undo steps that swap whole parts of a project: new results, a recovered project, a relinked file.

They sit beside ``commands.py`` (which wraps the fine-grained domain edits) because they
need the real ``ProjectDocument`` (``replace_sheet``, ``headerChanged``), and the document
itself imports ``commands.py``.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from cuesheet_app.domain.model import CueSheet, MediaRef
from cuesheet_app.ui.document import ProjectDocument


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


def snapshot(sheet: CueSheet) -> dict[str, Any]:
    """The sheet as plain data, safe to read on another thread while the GUI edits the original.

    ``to_dict`` builds new containers for cues, parties and header; the raw engine documents
    are only ever appended to (never edited), so a shallow copy of that list is enough.
    """
    data = sheet.to_dict()
    data["events"] = list(data["events"])
    for key in ("engine", "engine_state", "export_options"):
        data[key] = copy.deepcopy(data[key])
    return data
