"""Room: cues from the picture edit. An edit list dropped with its episode, or onto an open
episode (or chosen with File ▸ Import Edit List…), is previewed; Apply is one undo step.

Bad input (a malformed EDL event, XML that is not FCP, an AAF without audio, record times past
the media...) is a message and a log line, and the project is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from cuesheet_app.domain.edit_merge import EditRangeError
from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.music_rules import MusicRules, RulesError
from cuesheet_app.editlists.errors import EditListError
from cuesheet_app.editlists.reader import FILE_FILTER
from cuesheet_app.media.errors import MediaError
from cuesheet_app.media.probe import MediaInfo, probe
from cuesheet_app.rights.location import settings_location
from cuesheet_app.services.edit_import import (
    ImportPlan,
    plan_import,
    rules_from_settings,
    sheet_from_edit,
)
from cuesheet_app.services.projects import new_sheet_for_media
from cuesheet_app.ui.edit_list_preview import EditListPreview
from cuesheet_app.ui.sheet_commands import ReplaceSheetCommand
from cuesheet_app.ui.workspace_host import WorkspaceHost

TITLE = "Import edit list"


class EditListImport(QObject):
    def __init__(self, host: WorkspaceHost, dialog_parent: QWidget, add_episode: Callable[[Path], object],
                 maybe_save: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self._dialog_parent = dialog_parent
        self._add_episode = add_episode
        self._maybe_save = maybe_save
        self.dialog: EditListPreview | None = None

    def choose(self) -> None:
        files = self.host.choose_open(TITLE, FILE_FILTER)
        if files:
            self.preview(files[0])

    def drop(self, edit_lists: list[Path], media: list[Path]) -> None:
        """An edit list with its episode: that episode's project; alone: onto the open episode."""
        if len(edit_lists) > 1:
            self.host.status(f"One edit list at a time: importing {edit_lists[0].name}", 10000)
        self.preview(edit_lists[0], media[0] if media else None)

    def _fail(self, message: str) -> None:
        self.host.log_panel.add("error", f"Edit list not imported: {message}")
        self.host.inform(TITLE, message + "\n\nNothing was changed.")

    def preview(self, path: Path, episode: Path | None = None) -> EditListPreview | None:
        h = self.host
        settings = h.settings
        if episode is None and h.document.refuse_if_locked():
            self._fail("This sheet is submitted and read-only: Status ▸ Reopen for Revision to change it.")
            return None
        try:
            base, info = self._base(episode)
            rules = rules_from_settings(settings)
        except (MediaError, RulesError, ValueError) as exc:
            self._fail(str(exc))
            return None
        start_tc = base.media[0].start_timecode if base.media else ""

        def replan(rules: MusicRules) -> ImportPlan:
            return plan_import(path, rules, rate=base.rate, media=info, media_rate=base.rate,
                               media_start_timecode=start_tc, library_dir=settings.library_dir(),
                               catalogue_path=settings_location(settings, strict=False))

        try:
            plan = replan(rules)
        except (EditListError, EditRangeError) as exc:
            self._fail(str(exc))
            return None
        dialog = EditListPreview(plan, replan, self._dialog_parent)
        dialog.accepted.connect(lambda: self.apply(dialog.plan, base, episode))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.dialog = dialog
        dialog.open()
        return dialog

    def _base(self, episode: Path | None) -> tuple[CueSheet, MediaInfo]:
        """The sheet the cues go into, and its media (for rate, start timecode and length)."""
        h = self.host
        if episode is not None:
            info = probe(episode)
            known = h.bin.model.find(episode)
            if known is not None and known.sheet is not None:  # identified before: keep its results
                return known.sheet.copy(), info
            return new_sheet_for_media(episode, h.settings, info), info
        sheet = h.document.sheet
        if not sheet.media:
            raise ValueError("Drop the edit list together with its episode, or open the episode first: "
                             "the episode's frame rate, start timecode and length place the cues.")
        info = probe(sheet.media[0].path)
        return sheet.copy(), info

    def apply(self, plan: ImportPlan, base: CueSheet, episode: Path | None) -> None:
        h = self.host
        if episode is not None:
            if not self._maybe_save():
                return
            ep = self._add_episode(episode)
            h.current = ep  # type: ignore[assignment]
            h.document.path = None
            h.document.replace_sheet(base.copy())
            h.document.pathChanged.emit(None)
        elif h.document.refuse_if_locked():  # submitted while the preview was open
            return
        sheet = sheet_from_edit(plan, h.settings, base.copy(), settings_location(h.settings, strict=False))
        h.document.undo_stack.push(ReplaceSheetCommand(h.document, sheet, "Import edit list"))
        if h.current is not None:
            h.current.sheet = h.document.sheet
            h.current.unsaved = True
        rights = sum(1 for c in sheet.cues if "rights-needed" in c.flags)
        h.log_panel.add("info", f"Imported {Path(plan.edit.source).name}: {plan.summary()}"
                                + (f"; {rights} need rights" if rights else ""))
        h.status(f"{len(plan.cues)} cue(s) from {Path(plan.edit.source).name}")
        h.refresh_state()
