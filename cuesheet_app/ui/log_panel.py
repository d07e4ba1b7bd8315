"""The log panel: what background work reported, with the full details of failures one click away."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

_COLOURS = {"error": "#b3261e", "warning": "#8a5a00"}


class LogPanel(QWidget):
    """One line per event; an error line keeps its details (traceback) for "Copy details"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setObjectName("logList")
        self.list.setWordWrap(True)
        self.copy_button = QPushButton("Copy details", self)
        self.copy_button.setObjectName("copyDetails")
        self.copy_button.setToolTip("Copy the selected message (or the last error) with its details")
        self.copy_button.clicked.connect(self.copy_details)
        clear = QPushButton("Clear", self)
        clear.clicked.connect(self.list.clear)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

    def add(self, level: str, message: str, details: str = "") -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        item = QListWidgetItem(f"{stamp}  {message}")
        item.setData(Qt.ItemDataRole.UserRole, (level, message, details))
        if level in _COLOURS:
            item.setForeground(QColor(_COLOURS[level]))
        if details:
            item.setToolTip(details[-2000:])
        self.list.addItem(item)
        self.list.scrollToBottom()

    def details_text(self) -> str:
        """The selected entry, else the last error, as text for a bug report."""
        item = self.list.currentItem()
        if item is None:
            for row in range(self.list.count() - 1, -1, -1):
                candidate = self.list.item(row)
                if candidate.data(Qt.ItemDataRole.UserRole)[0] == "error":
                    item = candidate
                    break
        if item is None and self.list.count():
            item = self.list.item(self.list.count() - 1)
        if item is None:
            return ""
        level, message, details = item.data(Qt.ItemDataRole.UserRole)
        return f"{level.upper()}: {message}" + (f"\n\n{details}" if details else "")

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())
