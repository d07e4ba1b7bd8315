"""Settings ▸ Edit lists: the music rules for edit lists, as a user edits them.

Words are typed comma-separated; catalogue-code patterns one per line as ``Label = regex``
with named groups ``library``, ``catalogue`` and ``track``. ``rules()`` raises ``RulesError``
naming a pattern that is not a regular expression, so the dialog can say which.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from cuesheet_app.domain.music_rules import MusicRules, RulesError

_MUSIC_ONLY = (("Format's default (yes for CMX EDLs)", None), ("Always", True), ("Never", False))


class EditRulesForm(QWidget):
    def __init__(self, rules: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editRulesForm")
        try:
            current = MusicRules.from_dict(rules)
        except RulesError:
            current = MusicRules()
        form = QFormLayout(self)
        self.music_words = QLineEdit(", ".join(current.music_words), self)
        self.music_words.setObjectName("musicWords")
        form.addRow("&Music track names:", self.music_words)
        self.excluded_words = QLineEdit(", ".join(current.excluded_words), self)
        self.excluded_words.setObjectName("excludedWords")
        form.addRow("&Never cues (tracks, clip prefixes):", self.excluded_words)
        self.music_only = QComboBox(self)
        self.music_only.setObjectName("musicOnlyDefault")
        for label, value in _MUSIC_ONLY:
            self.music_only.addItem(label, value)
        self.music_only.setCurrentIndex([v for _l, v in _MUSIC_ONLY].index(current.music_only))
        form.addRow("Music-&only edit lists:", self.music_only)
        self.bridge = QSpinBox(self)
        self.bridge.setObjectName("bridgeFrames")
        self.bridge.setRange(0, 10 * 60 * 60)
        self.bridge.setSuffix(" frames")
        self.bridge.setValue(current.bridge_gap_frames)
        form.addRow("&Bridge gaps of one piece up to:", self.bridge)
        self.patterns = QPlainTextEdit(self)
        self.patterns.setObjectName("cataloguePatterns")
        self.patterns.setPlainText("\n".join(f"{p.get('label', '')} = {p['regex']}" for p in current.patterns))
        form.addRow("&Catalogue codes:", self.patterns)
        hint = QLabel("One per line: <i>Label = regular expression</i> with groups "
                      "(?P&lt;library&gt;…), (?P&lt;catalogue&gt;…), (?P&lt;track&gt;…).", self)
        hint.setWordWrap(True)
        form.addRow("", hint)
        self._base = current

    @staticmethod
    def _words(text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w.strip().upper() for w in text.replace(";", ",").split(",") if w.strip()))

    def rules(self) -> MusicRules:
        patterns = []
        for line in self.patterns.toPlainText().splitlines():
            if not line.strip():
                continue
            label, sep, regex = line.partition("=")
            if not sep:
                label, regex = "", line
            patterns.append({"label": label.strip() or regex.strip(), "regex": regex.strip()})
        d = self._base.to_dict()
        d.update(music_words=list(self._words(self.music_words.text())),
                 excluded_words=list(self._words(self.excluded_words.text())),
                 music_only=self.music_only.currentData(), bridge_gap_frames=self.bridge.value(),
                 patterns=patterns)
        return MusicRules.from_dict(d)
