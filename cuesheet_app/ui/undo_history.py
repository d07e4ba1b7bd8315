"""The undo history: every edit as a step; clicking a step undoes or redoes to it."""

from __future__ import annotations

from PySide6.QtWidgets import QUndoView, QWidget

from cuesheet_app.ui.document import ProjectDocument


class UndoHistoryView(QUndoView):
    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(document.undo_stack, parent)
        self.setEmptyLabel("Opened project")
        self.setObjectName("undoHistory")
