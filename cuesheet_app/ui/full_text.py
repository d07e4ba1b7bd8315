"""Cells that are cut off say what they hold: the whole text as a tooltip when it does not fit.

Tables keep one line per row (so many rows fit); a long title, a list of writers or a file
name is elided to the column's width. ``FullTextDelegate`` shows the full text on hover,
only for cells that are actually elided, above any tooltip the model gives (e.g. a finding).

It is also where an open cell editor is kept safe from refreshes: see ``setEditorData``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

_Index = QModelIndex | QPersistentModelIndex
_FILLED = "cuesheetFilledWith"  # editor property: the value the editor was filled with


def _typed_in(editor: QWidget) -> bool:
    """Whether the user has changed the editor's text since it was filled."""
    if isinstance(editor, QComboBox):
        line = editor.lineEdit()
        return line is not None and line.isModified()
    return isinstance(editor, QLineEdit) and editor.isModified()


def is_elided(delegate: QStyledItemDelegate, option: QStyleOptionViewItem, index: _Index) -> bool:
    """Whether the cell's text is wider than the room the style gives it."""
    opt = QStyleOptionViewItem(option)
    delegate.initStyleOption(opt, index)
    if not opt.text:
        return False
    widget = opt.widget
    style = widget.style() if widget is not None else QApplication.style()
    room = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget).width()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
    return opt.fontMetrics.horizontalAdvance(opt.text) > room - 2 * margin


class FullTextDelegate(QStyledItemDelegate):
    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        """Fill an editor once; a refresh while it is open never overwrites what is being typed.

        Qt calls this again for every open editor whose cell is in a ``dataChanged`` range, and
        the models emit whole-table ``dataChanged`` for things that are not the cell's value (a
        validation pass, the time format). Without this guard a finding refresh landing between
        two key presses reset the cell to its old text and the typing went on after it.
        A value that really changed (undo from the menu, a colleague's save) still reaches an
        editor the user has not typed in.
        """
        value = repr(index.data(Qt.ItemDataRole.EditRole))
        filled = editor.property(_FILLED)
        if filled is not None and (filled == value or _typed_in(editor)):
            return
        editor.setProperty(_FILLED, value)
        self.fill_editor(editor, index)

    def fill_editor(self, editor: QWidget, index: _Index) -> None:
        """Put the cell's value into its editor (subclasses: combos and other special editors)."""
        super().setEditorData(editor, index)

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem,  # type: ignore[override]
                  index: _Index) -> bool:
        if event is None or event.type() != QEvent.Type.ToolTip or not index.isValid():
            return super().helpEvent(event, view, option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if isinstance(text, str) and text and is_elided(self, option, index):
            tip = index.data(Qt.ItemDataRole.ToolTipRole)
            full = text if not tip or tip == text else f"{text}\n\n{tip}"
            QToolTip.showText(event.globalPos(), full, view.viewport() if view is not None else None)
            return True
        return super().helpEvent(event, view, option, index)
