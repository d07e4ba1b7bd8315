"""Two versions of a sheet side by side: both timelines with the differences marked, and a table.

Read-only: it shows ``domain/sheet_diff`` (the same comparison as ``cuesheet diff`` and the
revised PDF's last page). Added cues are green on the new timeline, removed ones red on the
old, changed ones amber on both; selecting a row outlines that cue on both timelines.
"""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.sheet_diff import SheetDiff, describe_field, diff_sheets, format_time

MARK_COLOURS = {
    "added": QColor("#2E9D4F"),
    "removed": QColor("#C62828"),
    "changed": QColor("#E0A000"),
    "unchanged": QColor("#9AA5B1"),
}
MARK_LABELS = {"added": "Added", "removed": "Removed", "changed": "Changed", "unchanged": "Unchanged"}


class DiffTimeline(QWidget):
    """One version's cues as blocks over program time, coloured by what happened to them."""

    def __init__(self, label: str, sheet: CueSheet, marks: dict[str, str], span: tuple[Fraction, Fraction],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.sheet = sheet
        self.marks = marks
        self.span = span
        self.highlight: str | None = None
        self.setMinimumHeight(46)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def blocks(self) -> list[tuple[str, QRectF, str]]:
        """(cue id, rectangle, mark) of every cue, in widget coordinates."""
        left, width = 90.0, max(10.0, self.width() - 100.0)
        lo, hi = self.span
        scale = width / float(max(Fraction(1), hi - lo))
        out = []
        for c in self.sheet.cues:
            a = float(self.sheet.program_seconds(c.start) - lo) * scale + left
            b = float(self.sheet.program_seconds(c.end) - lo) * scale + left
            out.append((c.id, QRectF(a, 8, max(2.0, b - a), self.height() - 16), self.marks.get(c.id, "unchanged")))
        return out

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().base())
        p.setPen(self.palette().text().color())
        p.drawText(QRectF(4, 0, 84, self.height()), Qt.AlignmentFlag.AlignVCenter, self.label)
        for cue_id, rect, mark in self.blocks():
            p.setBrush(QBrush(MARK_COLOURS[mark]))
            outline = QPen(self.palette().highlight().color(), 3) if cue_id == self.highlight else QPen(Qt.PenStyle.NoPen)
            p.setPen(outline)
            p.drawRect(rect)
        p.end()


class CompareDialog(QDialog):
    def __init__(self, old: CueSheet, new: CueSheet, old_label: str, new_label: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareDialog")
        self.setWindowTitle(f"Compare: {old_label} → {new_label}")
        self.resize(980, 560)
        self.old, self.new = old, new
        self.diff: SheetDiff = diff_sheets(old, new)
        d = self.diff
        old_marks = {c.id: "removed" for c in d.removed} | {c.old.id: "changed" for c in d.changed}
        new_marks = {c.id: "added" for c in d.added} | {c.new.id: "changed" for c in d.changed}
        times = [old.program_seconds(c.start) for c in old.cues] + [new.program_seconds(c.start) for c in new.cues]
        ends = [old.program_seconds(c.end) for c in old.cues] + [new.program_seconds(c.end) for c in new.cues]
        span = (min(times, default=Fraction(0)), max(ends, default=Fraction(1)))
        self.old_timeline = DiffTimeline(old_label, old, old_marks, span, self)
        self.new_timeline = DiffTimeline(new_label, new, new_marks, span, self)
        self.old_timeline.setObjectName("oldTimeline")
        self.new_timeline.setObjectName("newTimeline")
        summary = QLabel(f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed, "
                         f"{len(d.unchanged)} unchanged", self)
        summary.setObjectName("compareSummary")
        self.table = QTableWidget(self)
        self.table.setObjectName("compareTable")
        self.table.setColumnCount(6)
        self.table.setHorizontalHeaderLabels(["", "Cue #", "Title", "Before", "After", "What changed"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self._rows: list[tuple[str | None, str | None]] = []  # (old id, new id) per row
        self._fill()
        self.table.currentCellChanged.connect(lambda row, *_: self._highlight(row))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.old_timeline)
        layout.addWidget(self.new_timeline)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    def _fill(self) -> None:
        d = self.diff
        rows: list[tuple[str, str | None, str | None, str, str, str, str, str]] = []
        for c in d.changed:
            what = "; ".join(describe_field(k, a, b) for k, (a, b) in c.fields.items())
            rows.append(("changed", c.old.id, c.new.id, c.new.cue_number, c.new.title, _span(c.old), _span(c.new), what))
        for c in d.added:
            rows.append(("added", None, c.id, c.cue_number, c.title, "", _span(c), ""))
        for c in d.removed:
            rows.append(("removed", c.id, None, c.cue_number, c.title, _span(c), "", ""))
        for a, b in d.unchanged:
            rows.append(("unchanged", a.id, b.id, b.cue_number, b.title, _span(a), _span(b), ""))
        self.table.setRowCount(len(rows))
        for r, (mark, old_id, new_id, number, title, before, after, what) in enumerate(rows):
            self._rows.append((old_id, new_id))
            badge = QTableWidgetItem(MARK_LABELS[mark])
            badge.setBackground(QBrush(MARK_COLOURS[mark]))
            badge.setForeground(QBrush(QColor("white")))
            for col, item in enumerate([badge, QTableWidgetItem(number), QTableWidgetItem(title),
                                        QTableWidgetItem(before), QTableWidgetItem(after), QTableWidgetItem(what)]):
                self.table.setItem(r, col, item)
        self.table.resizeColumnsToContents()

    def marks(self) -> list[str]:
        """The mark of every table row (tests, accessibility)."""
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def _highlight(self, row: int) -> None:
        old_id, new_id = self._rows[row] if 0 <= row < len(self._rows) else (None, None)
        self.old_timeline.highlight, self.new_timeline.highlight = old_id, new_id
        self.old_timeline.update()
        self.new_timeline.update()


def _span(c) -> str:  # type: ignore[no-untyped-def]
    return f"{format_time(c.start)}–{format_time(c.end)}"
