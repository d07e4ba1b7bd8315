"""Find and replace across cues (one undo step), and the table filter by text, status and usage.

The filter narrows both what the table shows and what "Replace all" touches, so
a supervisor can fix a misspelled composer only in the library cues, say.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain import edits
from cuesheet_app.domain.model import Cue
from cuesheet_app.domain.parties import format_parties
from cuesheet_app.domain.vocab import USAGES
from cuesheet_app.ui.cue_table_model import CueTableModel
from cuesheet_app.ui.document import ProjectDocument

STATUS_FILTERS: tuple[tuple[str, str], ...] = (
    ("all", "All cues"),
    ("active", "Active"),
    ("inactive", "Inactive"),
    ("identified", "Identified"),
    ("unidentified", "Unidentified"),
    ("problems", "With problems"),
)
FIELD_CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("All text fields", edits.TEXT_FIELDS),
    ("Title", ("title",)),
    ("Composers and publishers", ("parties",)),
    ("Artists", ("artists",)),
    ("Album", ("album",)),
    ("Label", ("label",)),
    ("Library / catalogue", ("library", "catalogue_number")),
    ("Notes", ("notes",)),
)


def cue_text(cue: Cue) -> str:
    """Everything a text filter searches in a cue."""
    return " ".join((cue.cue_number, cue.title, cue.album, cue.label, cue.library, cue.catalogue_number,
                     cue.isrc, cue.notes, " ".join(cue.artists), format_parties(cue.parties))).casefold()


class CueFilterProxy(QSortFilterProxyModel):
    """Rows of the cue table that pass the text/status/usage filter (order kept: time order)."""

    def __init__(self, source: CueTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.text = ""
        self.status = "all"
        self.usage = ""

    @property
    def cue_model(self) -> CueTableModel:
        return self.sourceModel()  # type: ignore[return-value]

    def set_filter(self, text: str | None = None, status: str | None = None, usage: str | None = None) -> None:
        modern = hasattr(self, "beginFilterChange")  # Qt 6.10+; invalidateFilter is deprecated there
        if modern:
            self.beginFilterChange()
        if text is not None:
            self.text = text.strip().casefold()
        if status is not None:
            self.status = status
        if usage is not None:
            self.usage = usage
        if modern:
            self.endFilterChange()
        else:
            self.invalidateFilter()

    def is_filtering(self) -> bool:
        return bool(self.text or self.usage or self.status != "all")

    def accepts(self, cue: Cue) -> bool:
        if self.usage and cue.usage != self.usage:
            return False
        st = self.status
        if st == "active" and not cue.active or st == "inactive" and cue.active:
            return False
        if st == "identified" and not cue.identified or st == "unidentified" and cue.identified:
            return False
        if st == "problems" and cue.id not in self.cue_model.doc.findings_by_cue():
            return False
        return not self.text or self.text in cue_text(cue)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        return self.accepts(self.cue_model.cue_at(source_row))

    def visible_ids(self) -> list[str]:
        return [c.id for c in self.cue_model.doc.sheet.cues if self.accepts(c)]


class FindReplacePanel(QWidget):
    """Filter fields and find & replace controls; ``message`` reports what happened."""

    message = Signal(str)

    def __init__(self, document: ProjectDocument, proxy: CueFilterProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.proxy = proxy
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter cues by text…")
        self.filter_edit.setClearButtonEnabled(True)
        self.status_combo = QComboBox(self)
        for code, label in STATUS_FILTERS:
            self.status_combo.addItem(label, code)
        self.usage_combo = QComboBox(self)
        self.usage_combo.addItem("Any usage", "")
        for term in USAGES:
            self.usage_combo.addItem(f"{term.code} – {term.label}", term.code)
        self.find_edit = QLineEdit(self)
        self.find_edit.setPlaceholderText("Find")
        self.replace_edit = QLineEdit(self)
        self.replace_edit.setPlaceholderText("Replace with")
        self.field_combo = QComboBox(self)
        for label, names in FIELD_CHOICES:
            self.field_combo.addItem(label, names)
        self.case_box = QCheckBox("Match case", self)
        self.word_box = QCheckBox("Whole words", self)
        self.find_button = QPushButton("Select matches", self)
        self.replace_button = QPushButton("Replace all", self)
        self.result_label = QLabel(self)

        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 2)
        filters.addWidget(self.status_combo)
        filters.addWidget(self.usage_combo)
        form = QFormLayout()
        form.addRow("Find", self.find_edit)
        form.addRow("Replace", self.replace_edit)
        form.addRow("In", self.field_combo)
        opts = QHBoxLayout()
        for w in (self.case_box, self.word_box, self.find_button, self.replace_button):
            opts.addWidget(w)
        opts.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(form)
        layout.addLayout(opts)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

        self.filter_edit.textChanged.connect(lambda t: self.proxy.set_filter(text=t))
        self.status_combo.currentIndexChanged.connect(lambda _i: self.proxy.set_filter(status=self.status_combo.currentData()))
        self.usage_combo.currentIndexChanged.connect(lambda _i: self.proxy.set_filter(usage=self.usage_combo.currentData()))
        self.find_button.clicked.connect(self.select_matches)
        self.replace_button.clicked.connect(self.replace_all)
        self.find_edit.returnPressed.connect(self.select_matches)

    def spec(self) -> edits.ReplaceSpec:
        return edits.ReplaceSpec(self.find_edit.text(), self.replace_edit.text(), tuple(self.field_combo.currentData()),
                                 self.case_box.isChecked(), self.word_box.isChecked())

    def _scope(self) -> list[str] | None:
        return self.proxy.visible_ids() if self.proxy.is_filtering() else None

    def select_matches(self) -> int:
        try:
            hits = edits.find_matches(self.doc.sheet, self.spec(), self._scope())
        except edits.EditError as exc:
            self._say(str(exc))
            return 0
        self.doc.set_selection(list(hits))
        self._say(f"{len(hits)} cue{'s' * (len(hits) != 1)} match")
        return len(hits)

    def replace_all(self) -> int:
        try:
            op = edits.replace_all(self.doc.sheet, self.spec(), self._scope())
        except edits.EditError as exc:
            self._say(str(exc))
            return 0
        n = len(op.parts)
        if n:
            self.doc.push_edit(op)
        self._say(f"Replaced in {n} cue{'s' * (n != 1)}" if n else "Nothing to replace")
        return n

    def _say(self, text: str) -> None:
        self.result_label.setText(text)
        self.message.emit(text)

    def focus_find(self) -> None:
        self.find_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_edit.selectAll()
