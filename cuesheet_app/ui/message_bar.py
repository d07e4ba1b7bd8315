"""A message across the top of the window: what was refused or went wrong, where the user looks.

The status bar is too easy to miss for "your file was not added" and clears itself; a
modal dialog stops the work. This bar stays until it is closed or replaced, and says the
whole reason in words (the Log keeps the details).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

_STYLES = {
    "warning": "#messageBar { background: #fff4e5; border: 1px solid #e0a84e; }",
    "error": "#messageBar { background: #fdecea; border: 1px solid #d9534f; }",
    "info": "#messageBar { background: #eef5ff; border: 1px solid #9bbbe8; }",
}


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setObjectName("messageBarText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, level: str = "warning") -> None:
        self.setStyleSheet(_STYLES.get(level, _STYLES["warning"]))
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
