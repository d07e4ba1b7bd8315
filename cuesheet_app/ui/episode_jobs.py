"""Episodes in the bin and their identification jobs: added, queued, run, cancelled, removed.

A room of the main window (see ``workspace_host.py``). Identification runs on the window's
``jobs`` runner; results come back on the GUI thread and either land in the document (the
episode open in the editor, as one undo step) or wait in the episode's own project.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.progress import Progress
from cuesheet_app.media.errors import MediaError
from cuesheet_app.settings.store import Settings
from cuesheet_app.ui.cost_gate import CostGate
from cuesheet_app.ui.episode_bin import (
    CANCELLED,
    DONE,
    FAILED,
    IDENTIFYING,
    QUEUED,
    Episode,
    Refusal,
    Sorted,
    sort_paths,
)
from cuesheet_app.ui.identify_job import (
    EngineFactory,
    IdentifyOutcome,
    merge_user_changes,
    run_identification,
)
from cuesheet_app.ui.sheet_commands import ReplaceSheetCommand, snapshot
from cuesheet_app.ui.workspace_host import WorkspaceHost

SB = QMessageBox.StandardButton


class Unreadable:
    """A job's answer when the episode file itself cannot be read (corrupt, not media, gone)."""

    def __init__(self, message: str) -> None:
        self.message = message


class EpisodeJobs(QObject):
    """The bin's episodes and their identification; ``open_project`` opens dropped project files."""

    episodesChanged = Signal()
    # Engine state (e.g. an AudioShake task id) saved from a worker, delivered on the GUI thread.
    _stateSaved = Signal(object, object)  # Episode, dict
    _sheetReady = Signal(object, object)  # Episode, CueSheet of a new episode (before its results)

    def __init__(self, host: WorkspaceHost, engine_factory: EngineFactory | None,
                 open_project: Callable[[Path], object], autosave_now: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.engine_factory = engine_factory
        self.cost_gate = CostGate(host, engine_factory)
        self._open_project = open_project
        self._autosave_now = autosave_now
        self.last_refusals: list[Refusal] = []
        self._stateSaved.connect(self._store_engine_state)
        self._sheetReady.connect(self._new_episode_sheet)
        host.jobs.jobProgress.connect(self._job_progress)
        host.jobs.jobStarted.connect(self._job_started)

    # --- episodes in -----------------------------------------------------------------------------
    def add_paths(self, paths: list[Path], identify: bool = True) -> Sorted:
        """Episodes into the bin (identification queued), projects opened, the rest refused with reasons."""
        h = self.host
        result = sort_paths([Path(p) for p in paths])
        added = []
        for path in result.media:
            if h.bin.model.find(path) is not None:
                result.refused.append(Refusal(path, "already in the episode bin"))
                continue
            ep = Episode(path=path)
            h.bin.model.add(ep)
            added.append(ep)
        self.last_refusals = list(result.refused)
        for r in result.refused:
            h.log_panel.add("warning", f"Not added: {r}")
        if result.refused:
            more = f" (+{len(result.refused) - 3} more, see Log)" if len(result.refused) > 3 else ""
            h.tell("Not added: " + "; ".join(str(r) for r in result.refused[:3]) + more)
        if added:
            h.log_panel.add("info", f"Added {len(added)} episode{'s' if len(added) != 1 else ''}")
            if h.current is None and not h.document.sheet.media and not h.document.modified \
                    and h.document.path is None:
                h.current = added[0]
                h.refresh_state()
            h.bin.select(added[0])
            if identify:
                self.identify(added)
        for project in result.projects[:1]:
            self._open_project(project)
        self.episodesChanged.emit()
        h.refresh_state()
        return result

    def remove(self, episodes: list[Episode]) -> None:
        h = self.host
        for ep in episodes:
            if ep.unsaved and ep is not h.current and ep.sheet is not None:
                answer = h.ask("Remove episode", f"The results for {ep.path.name} are not saved in a "
                               "project. Remove anyway?", SB.Yes | SB.No, SB.No)
                if answer != SB.Yes:
                    continue
            if ep.job_id:
                h.jobs.cancel(ep.job_id)
            if ep is h.current:
                h.current = None
            h.bin.model.remove(ep)
        h.refresh_state()

    @staticmethod
    def reveal(path: Path) -> None:
        """Open the folder holding the file in the system's file manager."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    # --- jobs --------------------------------------------------------------------------------------
    def identify(self, episodes: list[Episode], engine: str | None = None) -> None:
        """Queue the episodes; a paid engine first shows the batch's cost, once (``CostGate``)."""
        h = self.host
        h.jobs.set_max_jobs(h.settings.jobs_at_once)
        name = engine or h.settings.default_engine
        todo = [ep for ep in episodes if not ep.busy and ep.retryable]
        if not todo:
            return

        def go(approved: list[Episode]) -> None:
            for ep in approved:
                self._submit(ep, name)

        self.cost_gate.check(todo, name, go, self._job_failed)

    def retry(self, episodes: list[Episode]) -> None:
        self.identify([e for e in episodes if e.status in (FAILED, CANCELLED) and e.retryable])

    def cancel(self, episodes: list[Episode]) -> None:
        for ep in episodes:
            if ep.job_id:
                self.host.jobs.cancel(ep.job_id)

    def _submit(self, ep: Episode, engine: str) -> None:
        h = self.host
        ep.status, ep.phase, ep.fraction, ep.message, ep.details = QUEUED, "", None, "", ""
        sheet = ep.sheet
        state = copy.deepcopy(sheet.engine_state.get(engine, {})) if sheet else dict(ep.pending_state.get(engine, {}))
        base = snapshot(sheet) if sheet is not None else None
        settings = Settings(**vars(h.settings))
        factory = self.engine_factory
        saved, ready = self._stateSaved, self._sheetReady

        def work(progress: Callable[[Progress], None], cancel) -> IdentifyOutcome | Unreadable:  # type: ignore[no-untyped-def]
            try:
                return run_identification(ep.path, engine, settings, state, base,
                                          progress=progress, cancel=cancel,
                                          on_state=lambda st: saved.emit(ep, {engine: st}),
                                          engine_factory=factory,
                                          on_sheet=lambda sh: ready.emit(ep, sh),
                                          audio_stream=sheet.media[0].audio_stream if sheet and sheet.media else None)
            except MediaError as exc:  # the file, not the engine: trying again cannot help
                return Unreadable(str(exc))

        job = h.jobs.submit(ep.path.name, work,
                            on_done=lambda outcome: self._job_done(ep, outcome),
                            on_error=lambda msg, details: self._job_failed(ep, msg, details),
                            on_cancelled=lambda: self._job_cancelled(ep))
        if job.state in (QUEUED, "running"):  # not already finished (e.g. cancelled at once)
            ep.job_id = job.id
        if job.state == "running":  # started inside submit: jobStarted came before the id was known
            ep.status, ep.phase = IDENTIFYING, "Starting"
        h.bin.model.changed(ep)
        h.refresh_state()

    def _job_started(self, job_id: str) -> None:
        ep = self.host.bin.model.by_job(job_id)
        if ep is not None:
            ep.status, ep.phase = IDENTIFYING, "Starting"
            self.host.bin.model.changed(ep)
            self.host.log_panel.add("info", f"{ep.path.name}: identifying")

    def _job_progress(self, job_id: str, p: Progress) -> None:
        ep = self.host.bin.model.by_job(job_id)
        if ep is None:
            return
        ep.status = IDENTIFYING
        ep.phase = p.phase + (f" {p.detail}" if p.detail else "")
        ep.fraction = p.fraction
        self.host.bin.model.changed(ep)

    def _new_episode_sheet(self, ep: Episode, sheet: CueSheet) -> None:
        """A new episode's project, made by its job before the results: header, media, state."""
        h = self.host
        if ep.sheet is not None or ep not in h.bin.model.episodes:
            return
        sheet.engine_state.update(ep.pending_state)
        if ep is h.current and not h.document.sheet.media and h.document.path is None:
            h.document.undo_stack.push(ReplaceSheetCommand(h.document, sheet, "Add episode"))
        else:
            ep.sheet = sheet
        ep.unsaved = True
        h.bin.model.changed(ep)
        if ep.pending_state:
            self._autosave_now()

    def _store_engine_state(self, ep: Episode, state: dict[str, Any]) -> None:
        if ep.sheet is not None:
            ep.sheet.engine_state.update(state)
            self._autosave_now()
        else:
            ep.pending_state.update(state)

    def _job_done(self, ep: Episode, outcome: IdentifyOutcome | Unreadable) -> None:
        h = self.host
        ep.job_id = ""
        if isinstance(outcome, Unreadable):
            self._unreadable(ep, outcome.message)
            return
        ep.status, ep.phase, ep.fraction = DONE, "", 1.0
        if ep not in h.bin.model.episodes:
            return
        result = outcome.sheet if ep.sheet is None else merge_user_changes(outcome.sheet, ep.sheet)
        ep.pending_state.clear()
        n = len(result.cues)
        h.log_panel.add("info", f"{ep.path.name}: {len(outcome.events.events)} event(s), {n} cue(s)")
        step = f"Identification ({outcome.engine})"
        if ep is h.current:
            h.document.undo_stack.push(ReplaceSheetCommand(h.document, result, step))
        else:
            ep.sheet = result
            ep.unsaved = True
            if h.current is None and not h.document.modified and not h.document.sheet.media \
                    and h.document.path is None:
                h.current = ep
                h.document.undo_stack.push(ReplaceSheetCommand(h.document, result, step))
        h.bin.model.changed(ep)
        h.refresh_state()

    def _unreadable(self, ep: Episode, message: str) -> None:
        """Refused as an unsupported drop is: said in the message bar, no Retry, not in the editor."""
        h = self.host
        reason = message.removeprefix(f"{ep.path}: ")
        ep.status, ep.message, ep.details, ep.phase, ep.fraction = FAILED, message, "", "", None
        ep.retryable = False
        ep.unreadable = reason
        h.bin.model.changed(ep)
        h.log_panel.add("error", f"Cannot read {ep.path.name}: {reason}", message)
        h.tell(f"Cannot use {ep.path.name}: {reason}. Check the file, or add another one.", "error")
        if ep is h.current and ep.sheet is None:
            h.current = None  # nothing of it is open: the window is not about this file
        h.refresh_state()

    def _job_failed(self, ep: Episode, message: str, details: str) -> None:
        h = self.host
        ep.job_id = ""
        ep.status, ep.message, ep.details, ep.phase = FAILED, message, details, ""
        h.bin.model.changed(ep)
        h.log_panel.add("error", f"{ep.path.name}: {message}", details)
        h.refresh_state()

    def _job_cancelled(self, ep: Episode) -> None:
        h = self.host
        ep.job_id = ""
        ep.status, ep.phase, ep.fraction = CANCELLED, "", None
        h.bin.model.changed(ep)
        h.log_panel.add("info", f"{ep.path.name}: cancelled")
        h.refresh_state()
