"""The empty window's panel: what the app does, the demo, and the two settings that matter."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

MAX_WIDTH = 560  # a comfortable line length for the notes
MIN_WIDTH = 340


class WelcomePanel(QWidget):
    """Shown while no project or episode is open; every button is a real next step."""

    demoRequested = Signal()
    addEpisodesRequested = Signal()
    openProjectRequested = Signal()
    settingsRequested = Signal(str)  # settings tab name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        page = QWidget(self)  # scrolls in a small window instead of squeezing its lines together
        box = QFrame(page)
        box.setFixedWidth(MAX_WIDTH)
        inner = QVBoxLayout(box)
        title = QLabel("<h2>Music cue sheets from your episodes</h2>", box)
        intro = QLabel(
            "Drop episode files or whole folders anywhere on this window. The app finds where music "
            "plays, identifies it, and gives you a timeline of cues to correct and export to Excel, "
            "PDF and CSV.", box)
        title.setWordWrap(True)
        intro.setWordWrap(True)
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addSpacing(6)
        self.demo_button = self._button(box, inner, "Try the demo",
                                        "Builds a small library and an episode on this computer (no "
                                        "download) and identifies it: a few seconds.")
        self.demo_button.setObjectName("tryDemo")
        self.demo_button.clicked.connect(self.demoRequested)
        self._button(box, inner, "Add episodes…", "").clicked.connect(self.addEpisodesRequested)
        self._button(box, inner, "Open a project…", "").clicked.connect(self.openProjectRequested)
        setup = QLabel("<b>Two settings make it yours</b>", box)
        inner.addSpacing(12)
        inner.addWidget(setup)
        self.library_button = self._button(
            box, inner, "Add your music library…",
            "Index the folders of your production-music library so the local engine (offline, "
            "no key) can name the tracks it hears.")
        self.library_button.clicked.connect(lambda: self.settingsRequested.emit("Library"))
        self.key_button = self._button(
            box, inner, "Add your AudioShake key…",
            "Partners with an AudioShake API key can identify commercial music in the cloud.")
        self.key_button.clicked.connect(lambda: self.settingsRequested.emit("AudioShake"))
        self.status = QLabel(box)
        self.status.setObjectName("welcomeStatus")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing())  # room for progress
        inner.addWidget(self.status)
        inner.addStretch(1)
        self._box = box
        self._fit_height()
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        scroll = QScrollArea(self)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        scroll.viewport().setAutoFillBackground(False)
        page.setAutoFillBackground(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        """The column narrows with a small window (down to a readable width) rather than scrolling sideways."""
        width = max(MIN_WIDTH, min(MAX_WIDTH, event.size().width() - 64))  # margins and a scrollbar
        if width != self._box.width():
            self._box.setFixedWidth(width)
            self._fit_height()
        super().resizeEvent(event)

    def _fit_height(self) -> None:
        """The column's height for its fixed width: without it, the wrapped lines get squeezed
        over the title (a centred widget is laid out at its width-less size hint)."""
        self._box.setMinimumHeight(self._box.layout().totalHeightForWidth(self._box.width()))

    @staticmethod
    def _button(parent: QWidget, layout: QVBoxLayout, text: str, note: str) -> QPushButton:
        b = QPushButton(text, parent)
        b.setMinimumHeight(30)
        layout.addWidget(b)
        if note:
            label = QLabel(note, parent)
            label.setWordWrap(True)
            label.setStyleSheet("color: palette(dark); margin-left: 4px; margin-bottom: 6px;")
            layout.addWidget(label)
        return b

    def set_configured(self, has_library: bool, has_key: bool) -> None:
        self.library_button.setText("Library: set up ✓ (change…)" if has_library else "Add your music library…")
        self.key_button.setText("AudioShake key: stored ✓ (change…)" if has_key else "Add your AudioShake key…")
        self._fit_height()
