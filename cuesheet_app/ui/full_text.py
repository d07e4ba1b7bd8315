"""Cells that are cut off say what they hold: the whole text as a tooltip when it does not fit.

Tables keep one line per row (so many rows fit); a long title, a list of writers or a file
name is elided to the column's width. ``FullTextDelegate`` shows the full text on hover,
only for cells that are actually elided, above any tooltip the model gives (e.g. a finding).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

_Index = QModelIndex | QPersistentModelIndex


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
