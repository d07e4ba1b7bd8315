"""The open project as the GUI sees it: the CueSheet, its undo stack, its file and selection.

One ProjectDocument per window (no global application object). Every change to
the sheet goes through ``undo_stack`` so undo is exact; views listen to the
signals below instead of holding copies of cues. Domain edits are applied by
``ui/commands.py``, which calls ``notify`` with what the edit touched.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from cuesheet_app.domain.edits import Edit, Effect
from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.validation import Finding, validate
from cuesheet_app.ui.commands import EditCommand


class ProjectDocument(QObject):
    # The whole sheet was replaced (open, new, identification results): views reset.
    sheetReplaced = Signal()
    # Cues were added/removed/reordered: models re-read the cue list.
    cuesChanged = Signal()
    # Fields of one cue changed: (cue id, list of field names, e.g. ["title"], ["parties"]).
    cueFieldsChanged = Signal(str, list)
    headerChanged = Signal()
    # Selected cue ids, shared by timeline, table and parties editor.
    selectionChanged = Signal(list)
    modifiedChanged = Signal(bool)
    pathChanged = Signal(object)  # Path | None
    # Validation findings were recomputed (shortly after any change; see ``findings``).
    findingsChanged = Signal()
    # An edit was refused because the sheet is submitted (read-only until reopened): the reason.
    editRefused = Signal(str)

    def __init__(self, sheet: CueSheet | None = None, path: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sheet = sheet or CueSheet()
        self.path = path
        self.undo_stack = QUndoStack(self)
        self._selection: list[str] = []
        self.validation_profile = "generic"
        self._findings: list[Finding] | None = None
        self._findings_timer = QTimer(self)
        self._findings_timer.setSingleShot(True)
        self._findings_timer.setInterval(120)  # a drag re-validates once it pauses, not per pixel
        self._findings_timer.timeout.connect(self._refresh_findings)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _on_clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    # --- file state -------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self.undo_stack.setClean()
        self.pathChanged.emit(path)

    def display_name(self) -> str:
        return self.path.stem if self.path else "Untitled"

    def replace_sheet(self, sheet: CueSheet, clear_undo: bool = True) -> None:
        """New content wholesale (open/new); undo history does not reach across it."""
        self.sheet = sheet
        self._selection = []
        if clear_undo:
            self.undo_stack.clear()
        self._invalidate_findings()
        self.sheetReplaced.emit()
        self.selectionChanged.emit([])

    # --- edits ------------------------------------------------------------
    @property
    def locked(self) -> bool:
        """A submitted sheet is read-only until reopened (which starts a revision)."""
        return self.sheet.submitted

    def refuse_if_locked(self) -> bool:
        """True (and the views told to drop any half-made change) when the sheet is submitted."""
        if not self.locked:
            return False
        self.editRefused.emit("This sheet is submitted and read-only: Status ▸ Reopen for Revision to change it")
        self.cuesChanged.emit()
        self.headerChanged.emit()
        return True

    def push_edit(self, op: Edit, merge_key: str | None = None) -> None:
        """Apply a domain edit as one undo step (consecutive steps with one merge key combine)."""
        if self.refuse_if_locked():
            return
        self.undo_stack.push(EditCommand(self, op, merge_key))

    def notify(self, effect: Effect) -> None:
        """Tell the views what an applied edit touched (called by the undo commands)."""
        if effect.structure:
            known = {c.id for c in self.sheet.cues}
            kept = [i for i in self._selection if i in known]
            self.cuesChanged.emit()
            if kept != self._selection:
                self._selection = kept
                self.selectionChanged.emit(list(kept))
        for cue_id, names in effect.cue_fields.items():
            self.cueFieldsChanged.emit(cue_id, sorted(names))
        if effect.header:
            self.headerChanged.emit()
        self._invalidate_findings()

    # --- validation -------------------------------------------------------
    def findings(self) -> list[Finding]:
        """Validation findings of the current sheet (computed on demand, cached until a change)."""
        if self._findings is None:
            self._findings = validate(self.sheet, self.validation_profile)
        return self._findings

    def findings_by_cue(self) -> dict[str | None, list[Finding]]:
        out: dict[str | None, list[Finding]] = {}
        for f in self.findings():
            out.setdefault(f.cue_id, []).append(f)
        return out

    def set_validation_profile(self, name: str) -> None:
        self.validation_profile = name
        self._invalidate_findings()

    def _invalidate_findings(self) -> None:
        self._findings = None
        self._findings_timer.start()

    def _refresh_findings(self) -> None:
        self.findings()
        self.findingsChanged.emit()

    def flush_findings(self) -> None:
        """Recompute and announce findings now (tests; before export)."""
        self._findings_timer.stop()
        self._findings = None
        self._refresh_findings()

    # --- selection --------------------------------------------------------
    @property
    def selection(self) -> list[str]:
        return list(self._selection)

    def set_selection(self, cue_ids: list[str]) -> None:
        known = {c.id for c in self.sheet.cues}
        ids = [i for i in cue_ids if i in known]
        if ids != self._selection:
            self._selection = ids
            self.selectionChanged.emit(list(ids))
