"""Versions and seasons in the window: the sheet's status and lock, reopening, the compare view,
and the episode bin's series header and season report.

A room beside ``main_window.py`` (see ``workspace_host``): it holds the window only through
the ``VersionsHost`` protocol. A submitted sheet is read-only: the document refuses edits
(``ProjectDocument.refuse_if_locked``), the header form is disabled and a banner above the
editor says so, with the button that reopens it as the next revision. Status changes and
reopening are undo steps like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from cuesheet_app.domain.status import StatusError, reopen, set_status, status_line
from cuesheet_app.domain.vocab import STATUSES
from cuesheet_app.export import season_report
from cuesheet_app.services.season import SeasonError, SeriesHeader
from cuesheet_app.storage import project_file
from cuesheet_app.storage.atomic import WriteError
from cuesheet_app.ui.compare_view import CompareDialog
from cuesheet_app.ui.shortcuts import SHORTCUTS, Shortcut, make_action, register
from cuesheet_app.ui.workspace_host import WorkspaceHost

VERSION_SHORTCUTS = [
    Shortcut("sheet.status_draft", (), "&Draft", "Status"),
    Shortcut("sheet.status_ready_for_review", (), "&Ready for Review", "Status"),
    Shortcut("sheet.status_submitted", (), "&Submitted (locks the sheet)", "Status"),
    Shortcut("sheet.reopen", ("Ctrl+Alt+R",), "Re&open for Revision", "Status",
             tip="Unlock a submitted sheet as its next revision (the submitted version is kept to compare)"),
    Shortcut("sheet.compare_previous", ("Ctrl+Alt+D",), "&Compare with Previous Version", "Status"),
    Shortcut("sheet.compare_with", (), "Compare with &Project…", "Status"),
    Shortcut("episode.apply_header", (), "Apply &Series Header to Selected…", "Episodes",
             tip="Set the header fields of a series (HEADER.json, as for `cuesheet batch`) on the selected episodes"),
    Shortcut("episode.season_report", (), "Export Season &Report…", "Episodes",
             tip="season.csv and season.xlsx: every cue of every episode, totals per track, publisher and usage"),
]
_known = {s.action_id for s in SHORTCUTS}
for _entry in VERSION_SHORTCUTS:
    if _entry.action_id not in _known:
        register(_entry)

LOCKED_STYLE = "QFrame#statusBanner { background: #FFF4CC; border-bottom: 1px solid #E0C060; }"


class VersionsHost(WorkspaceHost, Protocol):
    header_form: QWidget


class StatusBanner(QFrame):
    """"Submitted 2026-12-01 — read-only" with the Reopen button; hidden unless submitted."""

    def __init__(self, reopen_action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBanner")
        self.setStyleSheet(LOCKED_STYLE)
        self.text = QLabel(self)
        self.text.setObjectName("statusBannerText")
        self.button = QPushButton("Reopen for Revision", self)
        self.button.setObjectName("reopenButton")
        self.button.clicked.connect(reopen_action.trigger)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self.hide()


class SheetVersions(QObject):
    def __init__(self, host: VersionsHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for term in STATUSES:
            a = self._action(f"sheet.status_{term.code}", lambda code=term.code: self.set_status(code), True)
            group.addAction(a)
        self._action("sheet.reopen", self.reopen)
        self._action("sheet.compare_previous", self.compare_previous)
        self._action("sheet.compare_with", self.compare_with)
        self._action("episode.apply_header", self.apply_series_header)
        self._action("episode.season_report", self.export_season_report)
        self.banner = StatusBanner(self.actions["sheet.reopen"])
        self.last_dialog: CompareDialog | None = None
        doc = host.document
        doc.sheetReplaced.connect(self.refresh)
        doc.headerChanged.connect(self.refresh)
        doc.editRefused.connect(lambda text: host.status(text))
        self.refresh()

    def _action(self, action_id: str, slot, checkable: bool = False) -> QAction:  # type: ignore[no-untyped-def]
        a = make_action(action_id, self, slot, checkable)
        self.actions[action_id] = a
        return a

    # --- status ------------------------------------------------------------------------------
    def refresh(self) -> None:
        sheet = self.host.document.sheet
        for term in STATUSES:
            self.actions[f"sheet.status_{term.code}"].setChecked(sheet.header.status == term.code)
        locked = sheet.submitted
        self.actions["sheet.reopen"].setEnabled(locked)
        self.actions["sheet.compare_previous"].setEnabled(sheet.previous is not None)
        for term in STATUSES:
            if term.code != "submitted":
                self.actions[f"sheet.status_{term.code}"].setEnabled(not locked)
        self.host.header_form.setEnabled(not locked)
        if locked:
            self.banner.text.setText(f"{status_line(sheet.header)} — read-only. Reopen it to change anything "
                                     f"(that starts revision {sheet.header.revision_number + 1}).")
        self.banner.setVisible(locked)

    def set_status(self, code: str) -> None:
        from cuesheet_app.ui.sheet_commands import ReplaceSheetCommand

        doc = self.host.document
        if doc.sheet.header.status == code:
            return
        sheet = doc.sheet.copy()
        try:
            set_status(sheet, code)
        except StatusError as exc:
            self.host.status(str(exc))
            self.refresh()
            return
        doc.undo_stack.push(ReplaceSheetCommand(doc, sheet, f"Status: {status_line(sheet.header)}"))
        self.host.status(f"Status: {status_line(sheet.header)}")

    def reopen(self) -> None:
        from cuesheet_app.ui.sheet_commands import ReplaceSheetCommand

        doc = self.host.document
        sheet = doc.sheet.copy()
        try:
            reopen(sheet)
        except StatusError as exc:
            self.host.status(str(exc))
            return
        doc.undo_stack.push(ReplaceSheetCommand(doc, sheet, f"Reopen as revision {sheet.header.revision_number}"))
        self.host.status(f"Reopened as revision {sheet.header.revision_number}: the submitted version is kept "
                         f"for comparison")

    # --- compare -----------------------------------------------------------------------------
    def compare_previous(self) -> None:
        sheet = self.host.document.sheet
        if sheet.previous is None:
            self.host.inform("Compare", "This sheet has no previous version (it was never revised).")
            return
        prev = sheet.previous.header.revision_number
        self._show(sheet.previous, sheet, "Original" if not prev else f"Revision {prev}",
                   f"Revision {sheet.header.revision_number}")

    def compare_with(self) -> None:
        from cuesheet_app.ui.projects import PROJECT_FILTER

        paths = self.host.choose_open("Compare with Project", PROJECT_FILTER)
        if not paths:
            return
        try:
            other = project_file.load(paths[0])
        except project_file.ProjectError as exc:
            self.host.inform("Compare", str(exc))
            return
        self._show(other, self.host.document.sheet, paths[0].stem, "This project")

    def _show(self, old, new, old_label: str, new_label: str) -> None:  # type: ignore[no-untyped-def]
        dialog = CompareDialog(old, new, old_label, new_label, self.host if isinstance(self.host, QWidget) else None)
        self.last_dialog = dialog
        dialog.show()

    # --- the season ---------------------------------------------------------------------------
    def apply_series_header(self) -> None:
        from cuesheet_app.ui.sheet_commands import ReplaceSheetCommand

        host = self.host
        chosen = [e for e in host.bin.selected() if e.sheet is not None or e is host.current]
        if not chosen:
            host.inform("Apply Series Header", "Select identified episodes in the bin first.")
            return
        paths = host.choose_open("Series Header", "Series header (*.json)")
        if not paths:
            return
        try:
            header = SeriesHeader.load(paths[0])
        except SeasonError as exc:
            host.inform("Apply Series Header", str(exc))
            return
        changed, locked = 0, 0
        for ep in chosen:
            if ep is host.current:
                sheet = host.document.sheet.copy()
                if sheet.submitted:
                    locked += 1
                elif header.apply(sheet, ep.path):
                    host.document.undo_stack.push(ReplaceSheetCommand(host.document, sheet, "Apply series header"))
                    changed += 1
                continue
            assert ep.sheet is not None
            if ep.sheet.submitted:
                locked += 1
            elif header.apply(ep.sheet, ep.path):
                changed += 1
                if ep.project_path and not ep.unsaved:
                    try:
                        project_file.save(ep.sheet, ep.project_path)
                    except WriteError as exc:
                        host.log_panel.add("warning", f"{ep.path.name}: {exc}")
                        ep.unsaved = True
                else:
                    ep.unsaved = True
                host.bin.model.changed(ep)
        note = f"; {locked} submitted sheet(s) left as they are" if locked else ""
        host.status(f"Series header applied to {changed} episode(s){note}")

    def export_season_report(self) -> None:
        host = self.host
        sheets = []
        for ep in host.bin.model.episodes:
            if ep is host.current:
                sheets.append(host.document.sheet)
            elif ep.sheet is not None:
                sheets.append(ep.sheet)
        if not sheets:
            host.inform("Export Season Report", "No identified episodes in the bin yet.")
            return
        target = host.choose_save("Export Season Report (season.csv and season.xlsx)", "season.xlsx",
                                  "Excel workbook (*.xlsx)")
        if target is None:
            return
        try:
            csv_path, xlsx_path = season_report.write(sheets, Path(target).parent)
        except WriteError as exc:
            host.inform("Export Season Report", str(exc))
            return
        host.status(f"Season report of {len(sheets)} episode(s): {xlsx_path} and {csv_path.name}")
