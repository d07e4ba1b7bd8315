"""The non-blocking offer to save a cue's corrected rights to the catalogue.

When a user edits a cue's parties (or ISWC), a slim bar offers once per cue to save them
for that recording/work, so the next episode using the same track is filled in
automatically. "Always" is remembered (``Settings.always_learn_rights``) and from then on
corrections are saved without asking. The bar never blocks editing: it is a strip the
main window places above the editor, not a dialog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from cuesheet_app.domain.model import Cue
from cuesheet_app.rights.catalogue import CatalogueError, SchemaError
from cuesheet_app.rights.learn import can_learn, learn_cue
from cuesheet_app.rights.location import is_server_url
from cuesheet_app.rights.offline import open_catalogue
from cuesheet_app.settings.store import Settings, save_settings
from cuesheet_app.ui.document import ProjectDocument

RIGHTS_FIELDS = frozenset({"parties", "iswc"})
_DONE_MS = 4000
QUIET_SAVE_DELAY_MS = 800


class LearnRightsBar(QFrame):
    """Place it above the cue editor; it hides itself when there is nothing to offer."""

    # cue id, catalogue reference ("recording:<id>") after a successful save
    learned = Signal(str, str)

    def __init__(self, document: ProjectDocument, catalogue_path: Path | str, settings: Settings,
                 parent: QWidget | None = None, settings_path: Path | None = None) -> None:
        super().__init__(parent)
        self.document = document
        # A SQLite file or a team server URL (rights.location); opened per save.
        self.catalogue_path: Path | str = catalogue_path if is_server_url(str(catalogue_path)) else Path(catalogue_path)
        self.settings = settings
        self._settings_path = settings_path
        self._offered: set[str] = set()
        self._pending: list[str] = []
        self.current: str | None = None
        self.setObjectName("learnRightsBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#learnRightsBar { background: #eef5ff; border: 1px solid #9bbbe8; }")

        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.save_button = QPushButton("Save to catalogue", self)
        self.always_button = QPushButton("Always", self)
        self.always_button.setToolTip("Save corrected rights to the catalogue from now on without asking")
        self.dismiss_button = QToolButton(self)
        self.dismiss_button.setText("Not now")
        self.dismiss_button.setAutoRaise(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.message, 1)
        for w in (self.save_button, self.always_button, self.dismiss_button):
            row.addWidget(w)

        self._quiet: dict[str, Cue] = {}  # "always" mode: latest copy, saved after a pause
        self._quiet_timer = QTimer(self)
        self._quiet_timer.setSingleShot(True)
        self._quiet_timer.setInterval(QUIET_SAVE_DELAY_MS)
        self._quiet_timer.timeout.connect(self.flush)
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(self._next)
        self.save_button.clicked.connect(self.save_current)
        self.always_button.clicked.connect(self.always)
        self.dismiss_button.clicked.connect(self.dismiss)
        document.cueFieldsChanged.connect(self._on_fields_changed)
        document.sheetReplaced.connect(self._reset)
        self.hide()

    # --- reacting to edits ------------------------------------------------
    def _on_fields_changed(self, cue_id: str, fields: list) -> None:
        if not RIGHTS_FIELDS & set(fields):
            return
        cue = self._cue(cue_id)
        if cue is None or not can_learn(cue):
            return
        if self.settings.always_learn_rights:
            # Edits come cell by cell; write once the user pauses, not on every cell.
            self._quiet[cue_id] = cue.copy()
            self._quiet_timer.start()
            return
        if cue_id in self._offered:
            return
        self._offered.add(cue_id)
        self._pending.append(cue_id)
        if self.current is None:
            self._next()

    def _cue(self, cue_id: str) -> Cue | None:
        try:
            return self.document.sheet.cue_by_id(cue_id)
        except KeyError:
            return None

    def _next(self) -> None:
        """Show the next waiting offer (skipping cues deleted meanwhile), or hide."""
        self._hide_timer.stop()
        self.current = None
        while self._pending:
            cue_id = self._pending.pop(0)
            cue = self._cue(cue_id)
            if cue is not None and can_learn(cue):
                self.current = cue_id
                name = cue.title or cue.isrc or cue.catalogue_number
                self.message.setText(f"You changed the rights of “{name}”. Save them to the catalogue so "
                                     "later episodes using this track get them automatically?")
                self._set_buttons(True)
                self.show()
                return
        self.hide()

    def _set_buttons(self, offering: bool) -> None:
        self.save_button.setVisible(offering)
        self.always_button.setVisible(offering)
        self.dismiss_button.setText("Not now" if offering else "Close")

    def _reset(self) -> None:
        self.flush()  # corrections made to the previous sheet still go in
        self._offered.clear()
        self._pending.clear()
        self._next()

    # --- actions ----------------------------------------------------------
    def flush(self) -> None:
        """Save the corrections waiting for the pause now ("always" mode; also before closing)."""
        self._quiet_timer.stop()
        waiting, self._quiet = self._quiet, {}
        for cue_id, copy in waiting.items():
            cue = self._cue(cue_id) or copy  # the sheet may have been replaced meanwhile
            if can_learn(cue):
                self._learn(cue_id, quiet=True, cue=cue)

    def save_current(self) -> None:
        if self.current is not None:
            self._learn(self.current, quiet=False)

    def always(self) -> None:
        self.settings.always_learn_rights = True
        try:
            save_settings(self.settings, self._settings_path)
        except OSError as exc:
            self._show_note(f"Could not remember “always”: {exc}", error=True)
            return
        self.save_current()

    def dismiss(self) -> None:
        self._next()

    def _learn(self, cue_id: str, quiet: bool, cue: Cue | None = None) -> None:
        cue = cue or self._cue(cue_id)
        if cue is None:
            self._next()
            return
        try:
            with open_catalogue(self.catalogue_path, user=self.settings.catalogue_display_name) as cat:
                result = learn_cue(cat, cue)
        except (CatalogueError, SchemaError, OSError) as exc:
            # Keep the offer open: the user can fix the shares and press Save again.
            self.current = cue_id
            self._offered.add(cue_id)
            self.message.setText(f"Not saved to the catalogue: {exc}")
            self._set_buttons(True)
            self.always_button.setVisible(False)
            self.show()
            return
        self.learned.emit(cue_id, result.ref)
        name = cue.title or cue.isrc or cue.catalogue_number
        if quiet and self.current is not None and self.current != cue_id:
            return  # an offer for another cue is showing; don't cover it
        self.current = None
        self._show_note(f"Saved the rights of “{name}” to the catalogue.")

    def _show_note(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self._set_buttons(False)
        self.show()
        if not error:
            self._hide_timer.start(_DONE_MS)
