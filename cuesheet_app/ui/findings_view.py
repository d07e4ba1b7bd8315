"""The validation findings as a list; clicking one selects its cue (and the field's cell)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QStyle, QVBoxLayout, QWidget

from cuesheet_app.domain.validation import Finding, Severity
from cuesheet_app.ui.document import ProjectDocument

_COLOURS = {Severity.ERROR: QColor(179, 38, 30), Severity.WARNING: QColor(138, 90, 0)}
FINDING_ROLE = Qt.ItemDataRole.UserRole + 1


class FindingsView(QWidget):
    """Follows ``document.findingsChanged``; ``findingActivated`` carries the finding clicked."""

    findingActivated = Signal(object)  # Finding

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.summary = QLabel(self)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        self.list.itemClicked.connect(self._activate)
        self.list.itemActivated.connect(self._activate)
        document.findingsChanged.connect(self.refresh)
        document.sheetReplaced.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        rows = {c.id: i for i, c in enumerate(self.doc.sheet.cues)}
        findings = sorted(self.doc.findings(),
                          key=lambda f: (f.severity is not Severity.ERROR, -1 if f.cue_id is None else rows.get(f.cue_id, 1 << 30)))
        self.list.clear()
        style = self.style()
        icons = {Severity.ERROR: style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
                 Severity.WARNING: style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)}
        for f in findings:
            item = QListWidgetItem(icons[f.severity], f.message)
            item.setData(FINDING_ROLE, f)
            item.setForeground(QBrush(_COLOURS[f.severity]))
            item.setToolTip(f"{f.code}: {f.message}")
            self.list.addItem(item)
        errors = sum(f.severity is Severity.ERROR for f in findings)
        warnings = len(findings) - errors
        self.summary.setText("No problems found" if not findings
                             else f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")

    def _activate(self, item: QListWidgetItem) -> None:
        finding: Finding = item.data(FINDING_ROLE)
        if finding.cue_id is not None:
            self.doc.set_selection([finding.cue_id])
        self.findingActivated.emit(finding)
