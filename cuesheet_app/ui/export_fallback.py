"""File ▸ Export when the export dialog (``ui/export_dialog.py``) is not installed: findings first,
then a file name whose suffix picks the format, written by ``export.registry`` on a worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.validation import Finding, has_errors, validate
from cuesheet_app.export import registry
from cuesheet_app.settings.store import Settings
from cuesheet_app.ui.document import ProjectDocument
from cuesheet_app.ui.jobs import JobRunner

LABELS = {"xlsx": "Excel (*.xlsx)", "pdf": "PDF (*.pdf)", "csv": "CSV (*.csv)"}


class FindingsDialog(QDialog):
    """Validation findings before export: continue, or pick one to go and fix it."""

    def __init__(self, findings: list[Finding], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check before export")
        self.chosen_cue: str | None = None
        errors = sum(1 for f in findings if f.severity == "error")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{errors} error(s), {len(findings) - errors} warning(s). Double-click one "
                                "to select its cue, or export anyway.", self))
        self.list = QListWidget(self)
        for f in findings:
            item = QListWidgetItem(f"{f.severity.upper()}: {f.message}")
            item.setData(Qt.ItemDataRole.UserRole, f.cue_id)
            self.list.addItem(item)
        self.list.itemDoubleClicked.connect(self._pick)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(self)
        buttons.addButton("Export anyway", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Go fix", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def _pick(self, item: QListWidgetItem) -> None:
        self.chosen_cue = item.data(Qt.ItemDataRole.UserRole)
        self.reject()


def export_with_registry(parent: QWidget, sheet: CueSheet, document: ProjectDocument, settings: Settings,
                         runner: JobRunner, ask: Callable, choose_save: Callable) -> None:  # type: ignore[type-arg]
    findings = validate(sheet, settings.validation_profile)
    if findings:
        dialog = FindingsDialog(findings, parent)
        if not dialog.exec():
            if dialog.chosen_cue:
                document.set_selection([dialog.chosen_cue])
            return
    formats = registry.available_formats()
    if not formats:
        QMessageBox.information(parent, "Export", "No exporter is installed.")
        return
    stem = sheet.header.episode_title or "cue sheet"
    target = choose_save(parent, "Export cue sheet", stem + registry.FORMATS[formats[0]][1],
                         ";;".join(LABELS.get(f, f) for f in formats))
    if target is None:
        return
    fmt = next((f for f in formats if registry.FORMATS[f][1] == Path(target).suffix.lower()), formats[0])
    if Path(target).suffix.lower() != registry.FORMATS[fmt][1]:
        target = Path(str(target) + registry.FORMATS[fmt][1])
    snapshot = sheet.copy()
    warn = " (with validation errors)" if has_errors(findings) else ""
    runner.submit(f"Export {Path(target).name}", lambda _p, _c: registry.export(snapshot, fmt, target),
                  on_done=lambda _r: parent.statusBar().showMessage(f"Exported {target}{warn}", 10000),
                  on_error=lambda msg, _d: QMessageBox.warning(parent, "Export failed", msg))
