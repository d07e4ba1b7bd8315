"""Background work for the GUI: identification jobs, small tasks, and a one-thread write queue.

Engines and file writers are plain Python that block; they run on QThreadPool
workers so the GUI thread never waits on them. Workers never touch widgets:
they report through Qt signals of an object living on the GUI thread, so every
callback (progress, result, error) is delivered there, in order.

A ``JobRunner`` keeps its own queue (instead of QThreadPool's) so that "jobs at
once" can change while a batch runs and a queued job can be cancelled before it
starts. Saves go through a separate ``WriteQueue`` with exactly one thread, so
two saves of one file can never interleave (the approach MusicBrainz Picard
takes with its save thread).
"""

from __future__ import annotations

import itertools
import logging
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from cuesheet_app.export.registry import ExportError
from cuesheet_app.identify.base import Cancelled, CancelToken, IdentificationError, Progress
from cuesheet_app.media.errors import MediaError
from cuesheet_app.settings.secrets import redact
from cuesheet_app.storage.atomic import WriteError
from cuesheet_app.storage.project_file import ProjectError

log = logging.getLogger(__name__)

# Errors whose message is written for users; anything else is a bug and gets its type name.
USER_ERRORS: tuple[type[BaseException], ...] = (
    IdentificationError, MediaError, WriteError, ExportError, ProjectError, OSError, ValueError,
)

# How often a worker may post progress for one job: engines may report per chunk, thousands
# of times a second, and every report is an event the GUI thread has to process.
PROGRESS_INTERVAL_S = 0.05

WorkFn = Callable[[Callable[[Progress], None], CancelToken], Any]

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"


@dataclass
class Job:
    """One unit of background work and what became of it."""

    id: str
    label: str
    fn: WorkFn
    cancel: CancelToken = field(default_factory=CancelToken)
    state: str = QUEUED
    progress: Progress | None = None
    result: Any = None
    error: str = ""
    details: str = ""
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[str, str], None] | None = None
    on_cancelled: Callable[[], None] | None = None


class _Relay(QObject):
    """Lives on the GUI thread; workers emit, Qt queues the calls to the GUI thread."""

    progress = Signal(str, object)  # job id, Progress
    finished = Signal(str, str, object, str, str)  # job id, state, result, error, details


class _Worker(QRunnable):
    def __init__(self, job: Job, relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.job = job
        self.relay = relay
        self._last = 0.0
        self._phase = ""

    def _report(self, p: Progress) -> None:
        now = time.monotonic()
        final = p.fraction is not None and p.fraction >= 1.0
        if p.phase == self._phase and not final and now - self._last < PROGRESS_INTERVAL_S:
            return
        self._phase, self._last = p.phase, now
        self.relay.progress.emit(self.job.id, p)

    def run(self) -> None:
        job = self.job
        try:
            job.cancel.raise_if_cancelled()
            result = job.fn(self._report, job.cancel)
            if job.cancel.cancelled:
                raise Cancelled()
        except Cancelled:
            self.relay.finished.emit(job.id, CANCELLED, None, "Cancelled", "")
        except USER_ERRORS as exc:
            self.relay.finished.emit(job.id, FAILED, None, redact(str(exc)) or type(exc).__name__,
                                     redact(traceback.format_exc()))
        except Exception as exc:  # noqa: BLE001 - a bug in a worker must not take the app down
            log.exception("Background job %s failed", job.label)
            self.relay.finished.emit(job.id, FAILED, None,
                                     redact(f"Unexpected error: {type(exc).__name__}: {exc}"),
                                     redact(traceback.format_exc()))
        else:
            self.relay.finished.emit(job.id, DONE, result, "", "")


class JobRunner(QObject):
    """Runs jobs on a thread pool, at most ``max_jobs`` at a time, with GUI-thread callbacks."""

    jobStarted = Signal(str)
    jobProgress = Signal(str, object)  # job id, Progress
    jobFinished = Signal(str, str)  # job id, final state (done / failed / cancelled)
    busyChanged = Signal(bool)
    countsChanged = Signal(int, int)  # running, queued

    _ids = itertools.count(1)

    def __init__(self, max_jobs: int = 1, name: str = "jobs", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, max_jobs))
        self._max = max(1, max_jobs)
        self._relay = _Relay(self)
        self._relay.progress.connect(self._on_progress)
        self._relay.finished.connect(self._on_finished)
        self._jobs: dict[str, Job] = {}
        self._queue: deque[str] = deque()
        self._running: set[str] = set()
        self._busy = False

    # --- public API -------------------------------------------------------------------------
    @property
    def max_jobs(self) -> int:
        return self._max

    def set_max_jobs(self, n: int) -> None:
        self._max = max(1, int(n))
        self._pool.setMaxThreadCount(max(self._max, self._pool.maxThreadCount()))
        self._start_more()

    def submit(self, label: str, fn: WorkFn, on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[str, str], None] | None = None,
               on_cancelled: Callable[[], None] | None = None) -> Job:
        job = Job(id=f"{self.name}-{next(self._ids)}", label=label, fn=fn, on_done=on_done,
                  on_error=on_error, on_cancelled=on_cancelled)
        self._jobs[job.id] = job
        self._queue.append(job.id)
        self._start_more()
        self._update_busy()
        return job

    def job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> None:
        """A queued job never starts; a running one stops at its next cancellation check."""
        job = self._jobs.get(job_id)
        if job is None or job.state not in (QUEUED, RUNNING):
            return
        job.cancel.cancel()
        if job.state == QUEUED and job_id in self._queue:
            self._queue.remove(job_id)
            self._finish(job, CANCELLED, None, "Cancelled", "")

    def cancel_all(self) -> None:
        for job_id in list(self._queue) + list(self._running):
            self.cancel(job_id)

    @property
    def busy(self) -> bool:
        return bool(self._queue or self._running)

    def counts(self) -> tuple[int, int]:
        return len(self._running), len(self._queue)

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until workers are idle (closing the app, tests); callbacks still need events."""
        return self._pool.waitForDone(timeout_ms)

    # --- internals --------------------------------------------------------------------------
    def _start_more(self) -> None:
        while self._queue and len(self._running) < self._max:
            job = self._jobs[self._queue.popleft()]
            job.state = RUNNING
            self._running.add(job.id)
            self._pool.start(_Worker(job, self._relay))
            self.jobStarted.emit(job.id)
        self.countsChanged.emit(len(self._running), len(self._queue))

    def _on_progress(self, job_id: str, p: Progress) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.state != RUNNING:
            return
        job.progress = p
        self.jobProgress.emit(job_id, p)

    def _on_finished(self, job_id: str, state: str, result: Any, error: str, details: str) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        self._running.discard(job_id)
        self._finish(job, state, result, error, details)
        self._start_more()

    def _finish(self, job: Job, state: str, result: Any, error: str, details: str) -> None:
        job.state, job.result, job.error, job.details = state, result, error, details
        try:
            if state == DONE and job.on_done:
                job.on_done(result)
            elif state == FAILED and job.on_error:
                job.on_error(error, details)
            elif state == CANCELLED and job.on_cancelled:
                job.on_cancelled()
        finally:
            self.jobFinished.emit(job.id, state)
            self._jobs.pop(job.id, None)
            self._update_busy()
            self.countsChanged.emit(len(self._running), len(self._queue))

    def _update_busy(self) -> None:
        if self.busy != self._busy:
            self._busy = self.busy
            self.busyChanged.emit(self._busy)


class WriteQueue(JobRunner):
    """Exactly one writer thread: saves and autosaves happen one after another, in order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(max_jobs=1, name="write", parent=parent)

    def set_max_jobs(self, n: int) -> None:  # noqa: ARG002 - one writer, always
        return

    def write(self, label: str, fn: Callable[[], None], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[str, str], None] | None = None) -> Job:
        return self.submit(label, lambda _progress, _cancel: fn(), on_done=on_done, on_error=on_error)
