"""File ▸ Export: check the sheet, choose format and options, write the file, say how it went.

Usage from the main window::

    dialog = ExportDialog(document.sheet, settings, window, project_path=document.path,
                          remember_options=lambda opts: commands.push(
                              document, edits.set_export_options(document.sheet, opts)))
    dialog.findingActivated.connect(lambda cue_id: document.set_selection([cue_id]))
    dialog.exec()
    if dialog.chosen_cue_id: ...   # the user pressed "Go fix" on a finding of that cue

The validation findings come first, because what leaves the app is what gets
royalties paid: the user either fixes them ("Go fix" returns the finding's cue id
and closes) or exports anyway. The dialog never edits the sheet itself: the
options the user chose are handed to ``remember_options`` (a dict for
``sheet.export_options``) so the caller can apply them through its undo stack;
without a callback nothing is remembered. The export runs on a copy of the sheet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.timecode import Rounding
from cuesheet_app.domain.validation import PROFILES, Finding, Severity, validate
from cuesheet_app.export import registry
from cuesheet_app.export.options import ExportOptions
from cuesheet_app.settings.store import Settings
from cuesheet_app.storage.atomic import WriteError

FORMAT_LABELS = {"xlsx": "Excel workbook (.xlsx)", "pdf": "PDF document (.pdf)", "csv": "CSV text (.csv)"}
FILE_FILTERS = {"xlsx": "Excel (*.xlsx)", "pdf": "PDF (*.pdf)", "csv": "CSV (*.csv)"}


def initial_options(sheet: CueSheet, settings: Settings) -> tuple[ExportOptions, str]:
    """Options for a first export come from Settings; what the project remembered wins."""
    base = ExportOptions.from_dict({
        "rounding": settings.rounding,
        "profile": settings.validation_profile,
        "paper_size": settings.paper_size,
        "orientation": settings.orientation,
    })
    remembered = sheet.export_options or {}
    merged = ExportOptions.from_dict({**base.to_dict(), **remembered})
    fmt = remembered.get("format", "xlsx")
    return merged, fmt if fmt in registry.FORMATS else "xlsx"


def default_file_name(sheet: CueSheet) -> str:
    h = sheet.header
    parts = [p for p in (h.program_title, h.episode_number and f"#{h.episode_number}", h.episode_title) if p]
    stem = " ".join(parts) or "Cue sheet"
    return "".join(ch for ch in stem if ch not in '<>:"/\\|?*').strip() + " - cue sheet"


class ExportDialog(QDialog):
    """Findings first, then format and options, then Export (or "Export anyway" with errors)."""

    findingActivated = Signal(str)  # cue id of the finding the user wants to fix
    headerFindingActivated = Signal(str)  # "header.<field>" of a header finding to fix
    exported = Signal(str)  # path written

    def __init__(self, sheet: CueSheet, settings: Settings, parent: QWidget | None = None, *,
                 project_path: Path | None = None,
                 remember_options: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export cue sheet")
        self.sheet = sheet
        self.settings = settings
        self.remember_options = remember_options
        self.chosen_cue_id: str | None = None
        self.chosen_field: str | None = None
        self.exported_path: Path | None = None
        self._findings: list[Finding] = []
        options, fmt = initial_options(sheet, settings)
        folder = Path(project_path).parent if project_path else Path.home()
        self._build(options, fmt, folder)
        self._revalidate()
        self._format_changed()
        self.resize(680, 620)

    # --- layout --------------------------------------------------------------------------------
    def _build(self, options: ExportOptions, fmt: str, folder: Path) -> None:
        layout = QVBoxLayout(self)

        check = QGroupBox("Check before export", self)
        check_layout = QVBoxLayout(check)
        self.summary = QLabel(check)
        self.summary.setWordWrap(True)
        check_layout.addWidget(self.summary)
        self.findings_list = QListWidget(check)
        self.findings_list.setWordWrap(True)
        self.findings_list.setAlternatingRowColors(True)
        self.findings_list.itemDoubleClicked.connect(lambda _item: self.go_fix())
        self.findings_list.currentItemChanged.connect(lambda *_: self._update_buttons())
        check_layout.addWidget(self.findings_list)
        layout.addWidget(check, 1)

        box = QGroupBox("Export", self)
        form = QFormLayout(box)
        self.format_box = QComboBox(box)
        available = registry.available_formats()
        for name in registry.FORMATS:
            if name in available:
                self.format_box.addItem(FORMAT_LABELS.get(name, name), name)
        self.format_box.setCurrentIndex(max(0, self.format_box.findData(fmt)))
        self.format_box.currentIndexChanged.connect(lambda _i: self._format_changed())
        form.addRow("&Format", self.format_box)

        path_row = QHBoxLayout()
        self.path_edit = QLineEdit(str(folder / (default_file_name(self.sheet) + registry.FORMATS[fmt][1])), box)
        browse = QPushButton("Browse…", box)
        browse.clicked.connect(self._browse)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        save_label = QLabel("&Save as", box)
        save_label.setBuddy(self.path_edit)
        form.addRow(save_label, path_row)

        self.rounding_box = QComboBox(box)
        for r in Rounding:
            self.rounding_box.addItem(r.label, r.value)
        self.rounding_box.setCurrentIndex(max(0, self.rounding_box.findData(Rounding(options.rounding).value)))
        form.addRow("Duration &rounding", self.rounding_box)

        self.relative_box = QComboBox(box)
        self.relative_box.addItem("Program start (PRO convention)", "program")
        self.relative_box.addItem("Start of the media file", "media")
        self.relative_box.setCurrentIndex(max(0, self.relative_box.findData(options.relative_to)))
        form.addRow("&Times relative to", self.relative_box)

        self.inactive_check = QCheckBox("Include inactive cues (marked, not counted in the total)", box)
        self.inactive_check.setChecked(bool(options.include_inactive))
        form.addRow("", self.inactive_check)

        self.profile_box = QComboBox(box)
        for name, profile in PROFILES.items():
            self.profile_box.addItem(profile.label, name)
        self.profile_box.setCurrentIndex(max(0, self.profile_box.findData(options.profile)))
        self.profile_box.currentIndexChanged.connect(lambda _i: self._revalidate())
        form.addRow("&Check against", self.profile_box)

        self.paper_box = QComboBox(box)
        self.paper_box.addItems(["A4", "Letter"])
        self.paper_box.setCurrentIndex(max(0, self.paper_box.findText(options.paper_size)))
        form.addRow("&Paper", self.paper_box)

        self.orientation_box = QComboBox(box)
        self.orientation_box.addItem("Landscape", "landscape")
        self.orientation_box.addItem("Portrait", "portrait")
        self.orientation_box.setCurrentIndex(max(0, self.orientation_box.findData(options.orientation)))
        form.addRow("&Orientation", self.orientation_box)

        self.csv_box = QComboBox(box)
        self.csv_box.addItem("One row per cue", "cues")
        self.csv_box.addItem("One row per interested party", "parties")
        self.csv_box.setCurrentIndex(max(0, self.csv_box.findData(options.csv_variant)))
        form.addRow("CSV &layout", self.csv_box)
        layout.addWidget(box)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.fix_button = self.buttons.addButton("Go fix", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button = self.buttons.addButton("Open file", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setVisible(False)
        self.open_button.clicked.connect(self.open_exported)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.run_export)
        self.fix_button.clicked.connect(self.go_fix)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

    # --- state -------------------------------------------------------------------------------
    def export_options(self) -> ExportOptions:
        """The options as currently chosen in the dialog."""
        return ExportOptions(
            rounding=Rounding(self.rounding_box.currentData()),
            relative_to=self.relative_box.currentData(),
            include_inactive=self.inactive_check.isChecked(),
            profile=self.profile_box.currentData(),
            paper_size=self.paper_box.currentText(),
            orientation=self.orientation_box.currentData(),
            csv_variant=self.csv_box.currentData(),
        )

    def export_format(self) -> str:
        return self.format_box.currentData()

    def set_format(self, fmt: str) -> None:
        """Preselect a format (File ▸ Export to Excel / PDF / CSV); the file name follows."""
        index = self.format_box.findData(fmt)
        if index < 0:
            raise ValueError(f"unknown export format {fmt!r}")
        self.format_box.setCurrentIndex(index)

    def target_path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def findings(self) -> list[Finding]:
        return list(self._findings)

    def _revalidate(self) -> None:
        self._findings = validate(self.sheet, self.profile_box.currentData())
        errors = sum(1 for f in self._findings if f.severity is Severity.ERROR)
        warnings = len(self._findings) - errors
        self.findings_list.clear()
        if not self._findings:
            self.summary.setText("No problems found: the sheet is complete for this profile.")
        else:
            counts = f"{_count(errors, 'error')} and {_count(warnings, 'warning')}."
            self.summary.setText(
                f"{counts[:1].upper()}{counts[1:]} PROs reject or underpay "
                "incomplete sheets: select a problem and press Go fix (or double-click it), or export anyway.")
        for f in self._findings:
            item = QListWidgetItem(f"{'Error' if f.severity is Severity.ERROR else 'Warning'}: {f.message}")
            item.setData(Qt.ItemDataRole.UserRole, f.cue_id)
            item.setToolTip(item.text() + (f"\n({f.field})" if f.field else ""))  # whole, however narrow
            if f.severity is Severity.ERROR:
                item.setForeground(Qt.GlobalColor.darkRed)
            self.findings_list.addItem(item)
        self.findings_list.setVisible(bool(self._findings))
        self._update_buttons()

    def _update_buttons(self) -> None:
        errors = any(f.severity is Severity.ERROR for f in self._findings)
        if self.exported_path is None:
            self.export_button.setText("Export anyway" if errors else "Export")
        row = self.findings_list.currentRow()
        fixable = 0 <= row < len(self._findings) and bool(self._findings[row].cue_id or self._findings[row].field)
        self.fix_button.setEnabled(fixable)
        self.fix_button.setVisible(bool(self._findings))

    def _format_changed(self) -> None:
        fmt = self.export_format()
        suffix = registry.FORMATS[fmt][1]
        text = self.path_edit.text().strip()
        if text:
            path = Path(text)
            if path.suffix.lower() in {s for _m, s in registry.FORMATS.values()}:
                path = path.with_suffix(suffix)
            elif path.suffix.lower() != suffix:
                path = path.with_name(path.name + suffix)
            self.path_edit.setText(str(path))
        self.paper_box.setEnabled(fmt in ("pdf", "xlsx"))
        self.orientation_box.setEnabled(fmt == "pdf")
        self.csv_box.setEnabled(fmt == "csv")

    def _browse(self) -> None:
        fmt = self.export_format()
        path, _filter = QFileDialog.getSaveFileName(self, "Export cue sheet", str(self.target_path()),
                                                    FILE_FILTERS.get(fmt, ""))
        if path:
            self.path_edit.setText(path)
            self._format_changed()

    # --- actions -------------------------------------------------------------------------------
    def go_fix(self) -> None:
        """Close and hand the selected finding to the caller.

        A cue's finding: ``findingActivated(cue_id)`` and ``chosen_cue_id``. A header finding
        (e.g. program title missing): ``headerFindingActivated("header.program_title")`` and
        ``chosen_field``, so the main window can open the header form at that field.
        """
        item = self.findings_list.currentItem()
        if item is None:
            return
        finding = self._findings[self.findings_list.row(item)]
        self.chosen_field = finding.field
        if finding.cue_id:
            self.chosen_cue_id = finding.cue_id
            self.findingActivated.emit(finding.cue_id)
        elif finding.field:
            self.headerFindingActivated.emit(finding.field)
        else:
            return
        self.reject()

    def run_export(self) -> bool:
        """Write the file; report the outcome in the dialog. Returns True when the file was written."""
        path = self.target_path()
        fmt = self.export_format()
        options = self.export_options()
        if not self.path_edit.text().strip():
            self._say("Choose where to save the file first.", error=True)
            return False
        if self.remember_options is not None:
            remembered = {**options.to_dict(), "format": fmt}
            if remembered != self.sheet.export_options:
                self.remember_options(remembered)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            registry.export(self.sheet.copy(), fmt, path, options)
        except (registry.ExportError, WriteError, OSError) as exc:
            self._say(f"Export failed: {exc}. Nothing was overwritten.", error=True)
            return False
        except Exception as exc:  # a bug in an exporter must not take the open project down
            self._say(f"Export failed with an unexpected error ({type(exc).__name__}: {exc}). "
                      "Nothing was overwritten.", error=True)
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.exported_path = path
        errors = sum(1 for f in self._findings if f.severity is Severity.ERROR)
        note = f" It still has {_count(errors, 'validation error')}." if errors else ""
        self._say(f"Exported the cue sheet to {path}.{note}", error=False)
        self.export_button.setText("Export again")
        self.close_button.setText("Close")
        self.open_button.setVisible(True)
        self.exported.emit(str(path))
        return True

    def open_exported(self) -> None:
        """Open the written file in the system's viewer (Excel, a PDF reader...)."""
        if self.exported_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.exported_path)))

    def _say(self, text: str, error: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #a00000;" if error else "color: #1a6b1a;")


def _count(n: int, noun: str) -> str:
    if n == 0:
        return f"no {noun}s"
    return f"{n} {noun}" + ("" if n == 1 else "s")
