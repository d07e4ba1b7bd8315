"""Help ▸ Keyboard Shortcuts: every key of the app, from the one table in ``ui/shortcuts.py``, searchable."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.ui.shortcuts import table_rows


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [r for r in table_rows() if r[2]]
        self.search = QLineEdit(self)
        self.search.setObjectName("shortcutsSearch")
        self.search.setPlaceholderText("Search actions or keys (e.g. undo, split, Ctrl+E)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        for i, (menu, label, keys) in enumerate(rows):
            for j, text in enumerate((menu, label, keys)):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 620)
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        """Rows whose menu, action or keys contain every word typed (any case)."""
        words = text.lower().split()
        for row in range(self.table.rowCount()):
            line = " ".join(self.table.item(row, c).text() for c in range(3)).lower()
            self.table.setRowHidden(row, not all(w in line for w in words))

    def visible_rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(r, c).text() for c in range(3))  # type: ignore[misc]
                for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]
