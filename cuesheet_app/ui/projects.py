"""Projects in the window: new, open (with relinking), save, save as, the unsaved-work prompt.

A room of the main window (see ``workspace_host.py``): it owns how a project gets into the
document and back onto disk. Saves are serialised on the GUI thread (the exact state at the
moment of Save) and written on the window's one write thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import CueSheet, MediaRef
from cuesheet_app.settings.store import Settings, save_settings
from cuesheet_app.storage import project_file
from cuesheet_app.storage.atomic import atomic_write_bytes
from cuesheet_app.ui import relink
from cuesheet_app.ui.episode_bin import DONE, NEW, Episode
from cuesheet_app.ui.sheet_commands import ReplaceSheetCommand, SetMediaCommand, snapshot
from cuesheet_app.ui.workspace_host import WorkspaceHost

SB = QMessageBox.StandardButton
APP_TITLE = "Cue Sheet"
PROJECT_FILTER = f"Cue sheet projects (*{project_file.SUFFIX})"
MEDIA_FILTER = ("Episodes (*.mov *.mxf *.mp4 *.m4v *.mkv *.avi *.wav *.aif *.aiff *.flac *.mp3 *.m4a *.aac)"
                ";;All files (*)")


class Projects:
    """Opening and saving projects for one window.

    ``after_save(all_clean)`` runs once a save is written (the autosave room clears its files
    when nothing is left unsaved); ``media_changed()`` runs when a relink changed the episode.
    """

    def __init__(self, host: WorkspaceHost, after_save: Callable[[], None],
                 media_changed: Callable[[], None]) -> None:
        self.host = host
        self._after_save = after_save
        self._media_changed = media_changed

    # --- the unsaved-work prompt -------------------------------------------------------------
    def maybe_save(self, closing: bool = False) -> bool:
        """Ask about unsaved work; True when it is fine to go on (saved or discarded)."""
        h = self.host
        running, queued = h.jobs.counts()
        if closing and (running or queued):
            answer = h.ask(APP_TITLE, f"{running + queued} episode(s) are still being identified. "
                           "Stop them and close? (AudioShake jobs resume from their task next time.)",
                           SB.Yes | SB.Cancel, SB.Cancel)
            if answer != SB.Yes:
                return False
        others = [e for e in h.bin.model.episodes if e.unsaved and e is not h.current and e.sheet]
        if not h.document.modified and not (closing and others):
            return True
        what = []
        if h.document.modified:
            what.append(f"“{self.document_name()}” has unsaved changes.")
        if closing and others:
            what.append(f"{len(others)} identified episode(s) are not saved in a project; Save puts "
                        "each project next to its episode.")
        answer = h.ask(APP_TITLE, " ".join(what) + " Save before closing?" if closing else
                       " ".join(what) + " Save them?", SB.Save | SB.Discard | SB.Cancel, SB.Save)
        if answer == SB.Cancel:
            return False
        if answer == SB.Discard:
            return True
        if h.document.modified and not self.save(wait=True):
            return False
        if closing:
            for ep in others:
                target = ep.path.with_suffix(project_file.SUFFIX)
                try:
                    project_file.save(ep.sheet, target)  # type: ignore[arg-type]
                    ep.project_path, ep.unsaved = target, False
                except OSError as exc:
                    h.log_panel.add("error", f"Cannot save {target}: {exc}")
                    return False
        return True

    def document_name(self) -> str:
        """The name the title bar and the prompts use: the project's, or its episode's."""
        h = self.host
        if h.document.path is None and h.current is not None:
            return h.current.path.stem
        return h.document.display_name()

    # --- new, open -----------------------------------------------------------------------------
    def blank_sheet(self) -> CueSheet:
        """An empty project with the house defaults (rate, program start, date, preparer)."""
        settings = self.host.settings
        sheet = CueSheet()
        h = sheet.header
        try:
            rate = tc.frame_rate(settings.default_frame_rate)
            h.frame_rate = rate.name
            h.program_start = tc.frames_to_timecode(tc.timecode_to_frames(settings.default_program_start, rate), rate)
        except tc.TimecodeError:
            pass
        h.date_prepared = dt.date.today().isoformat()
        h.prepared_by = settings.prepared_by
        h.prepared_by_email = settings.prepared_by_email
        return sheet

    def new_project(self) -> None:
        h = self.host
        if not self.maybe_save():
            return
        h.current = None
        h.document.path = None
        h.document.replace_sheet(self.blank_sheet())
        h.document.pathChanged.emit(None)
        h.refresh_state()

    def open_project(self, path: Path | None = None) -> bool:
        h = self.host
        if path is None or isinstance(path, bool):
            files = h.choose_open("Open project", PROJECT_FILTER)
            if not files:
                return False
            path = files[0]
        if not self.maybe_save():
            return False
        try:
            sheet = project_file.load(path)
        except project_file.ProjectError as exc:
            h.log_panel.add("error", str(exc))
            h.inform("Cannot open project", str(exc))
            return False
        new_media = self._check_media(sheet, Path(path))
        self._show_sheet(sheet, Path(path))
        if new_media is not None:
            h.document.undo_stack.push(SetMediaCommand(h.document, new_media))
            self._media_changed()
            h.log_panel.add("info", f"Relinked the episode to {new_media[0].path} (save to keep it)")
        h.settings.add_recent(str(Path(path).resolve()))
        self.save_settings_later()
        h.log_panel.add("info", f"Opened {path}")
        return True

    def open_episode(self, ep: Episode) -> None:
        """Put a bin entry's project into the editor (asking about unsaved work first)."""
        h = self.host
        if ep is h.current:
            return
        if ep.sheet is None:
            h.status(f"{ep.path.name} has no results yet")
            return
        if not self.maybe_save():
            return
        h.current = ep
        h.document.path = ep.project_path
        h.document.replace_sheet(ep.sheet)
        h.document.pathChanged.emit(ep.project_path)
        if ep.unsaved and ep.project_path is None:
            # Results that were never saved: the document says so (title mark, close prompt).
            h.document.undo_stack.push(ReplaceSheetCommand(h.document, ep.sheet.copy(), "Open results"))

    def _show_sheet(self, sheet: CueSheet, path: Path | None) -> None:
        """Put a loaded project into the document, tied to its bin entry (added when missing)."""
        h = self.host
        ep = None
        if sheet.media:
            media_path = Path(sheet.media[0].path)
            ep = h.bin.model.find(media_path)
            if ep is None:
                ep = Episode(path=media_path, status=DONE if sheet.cues or sheet.events else NEW)
                h.bin.model.add(ep)
            ep.sheet, ep.project_path, ep.unsaved = sheet, path, False
            h.bin.select(ep)
        h.current = ep
        h.document.path = path
        h.document.replace_sheet(sheet)
        h.document.pathChanged.emit(path)

    def _check_media(self, sheet: CueSheet, project_path: Path) -> list[MediaRef] | None:
        """Relink a moved episode: found by fingerprint, or located by the user. None: no change."""
        h = self.host
        if not sheet.media:
            return None
        ref = sheet.media[0]
        state = relink.media_status(ref)
        if state == "ok":
            return None
        name = Path(ref.path).name
        found = relink.find_moved(ref, project_path)
        if found is not None:
            answer = h.ask("Episode moved", f"The episode {name} is no longer at\n{ref.path}.\n\n"
                           f"The same file (by content) is at\n{found}\n\nUse it?", SB.Yes | SB.No, SB.Yes)
            if answer == SB.Yes:
                return [relink.relinked(ref, found), *sheet.media[1:]]
        why = "has changed (different content)" if state == "changed" else "is missing"
        answer = h.ask("Episode not found", f"The episode {name} {why}:\n{ref.path}\n\n"
                       "Locate it? (Without it the cues stay, but there is no playback or waveform.)",
                       SB.Yes | SB.No, SB.Yes)
        if answer != SB.Yes:
            return None
        files = h.choose_open(f"Locate {name}", MEDIA_FILTER)
        if not files:
            return None
        chosen = files[0]
        if not relink.same_file(ref, chosen):
            answer = h.ask("Different file", f"{chosen.name} does not have the content of the "
                           f"episode this project was made from. Use it anyway?", SB.Yes | SB.No, SB.No)
            if answer != SB.Yes:
                return None
            from cuesheet_app.media.identity import quick_fingerprint

            ref = MediaRef.from_dict({**ref.to_dict(), "fingerprint": quick_fingerprint(chosen), "size": 0})
        return [relink.relinked(ref, chosen), *sheet.media[1:]]

    # --- save ----------------------------------------------------------------------------------
    def save(self, wait: bool = False) -> bool:
        if self.host.document.path is None:
            return self.save_as(wait=wait)
        return self.write_project(self.host.document.path, wait)

    def save_as(self, path: Path | None = None, wait: bool = False) -> bool:
        h = self.host
        if path is None or isinstance(path, bool):
            suggestion = h.document.path or (h.current.path.with_suffix(project_file.SUFFIX)
                                             if h.current else Path("Untitled" + project_file.SUFFIX))
            path = h.choose_save("Save project", str(suggestion), PROJECT_FILTER)
            if path is None:
                return False
        path = Path(path)
        if path.suffix.lower() != project_file.SUFFIX:
            path = path.with_name(path.name + project_file.SUFFIX)
        return self.write_project(path, wait)

    def write_project(self, path: Path, wait: bool) -> bool:
        """Serialise now (GUI thread, exact state), write on the write thread, mark clean when written."""
        h = self.host
        data = snapshot(h.document.sheet)
        index = h.document.undo_stack.index()
        outcome: dict[str, Any] = {}

        def done(_result: Any) -> None:
            outcome["ok"] = True
            if h.document.undo_stack.index() == index:
                h.document.mark_saved(path)
            else:
                h.document.path = path
                h.document.pathChanged.emit(path)
            if h.current is not None:
                h.current.project_path = path
                h.current.unsaved = h.document.modified
                h.bin.model.changed(h.current)
            h.settings.add_recent(str(path.resolve()))
            self.save_settings_later()
            h.status(f"Saved {path}")
            self._after_save()

        def failed(message: str, details: str) -> None:
            outcome["ok"] = False
            h.log_panel.add("error", f"Save failed: {message}", details)
            h.inform("Save failed", message)

        h.writer.write(f"Save {path.name}",
                       lambda: atomic_write_bytes(path, project_file.dict_to_json(data).encode("utf-8"), backup=True),
                       on_done=done, on_error=failed)
        if wait:
            while "ok" not in outcome:
                h.writer.wait(100)
                QApplication.processEvents()
            return bool(outcome["ok"])
        return True

    # --- recent projects and settings ----------------------------------------------------------
    def fill_recent(self, menu: QMenu) -> None:
        menu.clear()
        for p in self.host.settings.recent_projects:
            a = menu.addAction(p)
            a.triggered.connect(lambda _c=False, p=p: self.open_project(Path(p)))
        if not self.host.settings.recent_projects:
            menu.addAction("(none)").setEnabled(False)

    def save_settings_later(self) -> None:
        snapshot_ = Settings(**vars(self.host.settings))
        self.host.writer.write("settings", lambda: save_settings(snapshot_))
