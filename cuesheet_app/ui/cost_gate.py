"""One question about money per batch: before a paid engine gets episodes, show what it costs.

AudioShake charges per minute. Asking per episode would be twenty dialogs for a season; not
asking would spend a partner's credits behind their back. So a batch is estimated once on a
worker (the model list over the network, the files hashed and probed), the user answers once,
and only then are the episodes' jobs submitted. Engines without an ``estimate`` (the local
one) pass straight through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox

from cuesheet_app.domain.progress import Progress
from cuesheet_app.identify.base import IdentificationError
from cuesheet_app.identify.registry import create_engine
from cuesheet_app.settings.store import Settings
from cuesheet_app.ui.episode_bin import CANCELLED, QUEUED, Episode
from cuesheet_app.ui.identify_job import EngineFactory
from cuesheet_app.ui.workspace_host import WorkspaceHost

SB = QMessageBox.StandardButton
ESTIMATING = "Estimating cost"

Go = Callable[[list[Episode]], None]
Failed = Callable[[Episode, str, str], None]


class CostGate:
    """``check(episodes, engine, go, failed)``: ``go`` runs once the batch's cost is accepted."""

    def __init__(self, host: WorkspaceHost, engine_factory: EngineFactory | None) -> None:
        self.host = host
        self.engine_factory = engine_factory

    def check(self, episodes: list[Episode], engine_name: str, go: Go, failed: Failed) -> None:
        settings = Settings(**vars(self.host.settings))
        try:
            engine: Any = (self.engine_factory or create_engine)(engine_name, settings)
        except IdentificationError:
            go(episodes)  # the job itself will fail with the engine's own reason, in the row
            return
        estimate = getattr(engine, "estimate", None)
        if estimate is None:
            go(episodes)
            return
        for ep in episodes:
            ep.status, ep.phase, ep.fraction, ep.message, ep.details = QUEUED, ESTIMATING, None, "", ""
            self.host.bin.model.changed(ep)
        paths = [ep.path for ep in episodes]

        def work(progress: Callable[[Progress], None], cancel) -> Any:  # type: ignore[no-untyped-def]
            progress(Progress(ESTIMATING, None))
            return estimate(paths, cancel=cancel)

        def done(result: Any) -> None:
            self._answer(result, episodes, go)

        def error(message: str, details: str) -> None:
            for ep in episodes:
                failed(ep, message, details)

        def cancelled() -> None:
            self._not_sent(episodes, "Cancelled before upload")

        self.host.tasks.submit(f"{engine_name}: cost of {len(episodes)} episode(s)", work,
                               on_done=done, on_error=error, on_cancelled=cancelled)

    def _answer(self, estimate: Any, episodes: list[Episode], go: Go) -> None:
        live = [ep for ep in episodes if ep in self.host.bin.model.episodes]
        if not live:
            return
        if not estimate.files:  # every file has a result already: free
            go(live)
            return
        answer = self.host.ask("Upload to AudioShake?", f"{estimate.describe()}\n\nUpload and identify "
                                                        f"{len(live)} episode(s)?", SB.Yes | SB.No, SB.No)
        if answer == SB.Yes:
            self.host.log_panel.add("info", estimate.describe())
            go(live)
        else:
            self._not_sent(live, "Not sent: the estimated cost was declined")

    def _not_sent(self, episodes: list[Episode], why: str) -> None:
        for ep in episodes:
            ep.status, ep.phase, ep.message = CANCELLED, "", why
            self.host.bin.model.changed(ep)
        self.host.status(why)
        self.host.refresh_state()
