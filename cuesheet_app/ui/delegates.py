"""Cell editors of the cue table: vocabulary combos and a timecode editor that refuses the impossible."""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QStyleOptionViewItem,
    QWidget,
)

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.vocab import ORIGINS, USAGES, Term
from cuesheet_app.ui.cue_table_model import COLUMNS, CueTableModel
from cuesheet_app.ui.full_text import FullTextDelegate

_Index = QModelIndex | QPersistentModelIndex


_PARTIAL = re.compile(r"^\d{0,2}(:\d{0,2}(:\d{0,2}([:;.]\d{0,2})?)?)?$")


class TimecodeValidator(QValidator):
    """Acceptable only for a timecode that exists at the rate (e.g. no 00:01:00;00 in 29.97 DF)."""

    def __init__(self, rate: Callable[[], tc.FrameRate], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rate = rate

    def validate(self, text: str, pos: int) -> object:
        stripped = text.replace("_", "").strip()
        if not _PARTIAL.match(stripped):
            return QValidator.State.Invalid, text, pos
        if "_" in text or len(stripped) < 11:
            return QValidator.State.Intermediate, text, pos
        if tc.is_valid_timecode(text, self._rate()):
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos  # typed in full, but impossible: not committed


class TimecodeEdit(QLineEdit):
    """HH:MM:SS:FF with an input mask; turns red when the timecode cannot exist at the rate.

    Drop-frame rates are typed as HH:MM:SS;FF. Qt masks cannot hold a ';' (it starts
    the blank-character part), so there the validator alone keeps the shape.
    """

    def __init__(self, rate: Callable[[], tc.FrameRate], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not rate().drop_frame:
            self.setInputMask("99:99:99:99;_")
        else:
            self.setPlaceholderText("HH:MM:SS;FF")
            self.setMaxLength(11)
        self.setValidator(TimecodeValidator(rate, self))
        self.textChanged.connect(self._mark)

    def _mark(self) -> None:
        complete = "_" not in self.text() and len(self.text()) >= 11
        bad = complete and not self.hasAcceptableInput()
        self.setStyleSheet("background: #ffd2d2;" if bad else "")
        self.setToolTip("This timecode does not exist at the project's frame rate" if bad else "")


def _source(index: _Index) -> tuple[CueTableModel, int, int] | None:
    """The cue table model, row and column behind an index (through a filter proxy)."""
    model = index.model()
    while isinstance(model, QSortFilterProxyModel):
        index = model.mapToSource(index)
        model = index.model()
    if isinstance(model, CueTableModel):
        return model, index.row(), index.column()
    return None


def _mark_live(editor: QLineEdit, problems: list[str]) -> None:
    """Findings update as the user types: red editor and the reasons as its tooltip."""
    editor.setStyleSheet("background: #ffd2d2;" if problems else "")
    editor.setToolTip("\n".join(problems))


def _combo(parent: QWidget, terms: tuple[Term, ...]) -> QComboBox:
    combo = QComboBox(parent)
    for term in terms:
        combo.addItem(f"{term.code} – {term.label}" if term.code.isupper() else term.label, term.code)
    return combo


class CueDelegate(FullTextDelegate):
    """Picks the editor by column: usage/origin combos, timecode editors, free text elsewhere."""

    def __init__(self, rate: Callable[[], tc.FrameRate], parent: QWidget | None = None,
                 display: Callable[[], tc.TimeDisplay] = lambda: tc.TimeDisplay.TIMECODE) -> None:
        super().__init__(parent)
        self._rate = rate
        self._display = display

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        key = COLUMNS[index.column()].key
        if key == "usage":
            return _combo(parent, USAGES)
        if key == "origin":
            return _combo(parent, ORIGINS)
        if key in ("start", "end") and self._display() is tc.TimeDisplay.TIMECODE:
            return TimecodeEdit(self._rate, parent)
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            source = _source(index)
            if source is not None:
                model, row, column = source
                editor.textEdited.connect(lambda text: _mark_live(editor, model.preview_findings(row, column, text)))
        return editor

    def fill_editor(self, editor: QWidget, index: _Index) -> None:
        if isinstance(editor, QComboBox):
            i = editor.findData(index.data(Qt.ItemDataRole.EditRole))
            editor.setCurrentIndex(max(i, 0))
            return
        super().fill_editor(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
            return
        if isinstance(editor, TimecodeEdit) and not editor.hasAcceptableInput():
            return  # an impossible timecode is never written
        super().setModelData(editor, model, index)
