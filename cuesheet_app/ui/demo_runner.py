"""Running the first-run demo from the window: built on a worker, then opened like any project."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from cuesheet_app.domain.progress import Progress
from cuesheet_app.services.demo import DemoResult, build_demo
from cuesheet_app.settings.store import Settings
from cuesheet_app.ui.jobs import JobRunner
from cuesheet_app.ui.log_panel import LogPanel
from cuesheet_app.ui.welcome import WelcomePanel


class DemoHost(Protocol):
    """What the demo needs of the main window (which imports this module, so not the window itself)."""

    demo_running: bool
    welcome: WelcomePanel
    log_panel: LogPanel
    settings: Settings
    tasks: JobRunner

    def status(self, text: str, ms: int = 8000) -> None: ...

    def open_project(self, path: Path | None = None) -> Any: ...


def start_demo(window: DemoHost) -> None:
    if getattr(window, "demo_running", False):
        return
    window.demo_running = True
    window.welcome.demo_button.setEnabled(False)
    window.welcome.status.setText("Building the demo…")
    window.log_panel.add("info", "Building the demo: synthesized library and episode, local engine")
    settings = Settings(**vars(window.settings))

    def on_progress(job_id: str, p: Progress) -> None:
        if job_id == job.id:
            pct = "" if p.fraction is None else f" {p.fraction * 100:.0f}%"
            window.welcome.status.setText(f"{p.phase}{pct}")
            window.status(f"Demo: {p.phase}{pct}", 4000)

    def finish() -> None:
        window.demo_running = False
        window.welcome.demo_button.setEnabled(True)
        window.tasks.jobProgress.disconnect(on_progress)

    def done(result: DemoResult) -> None:
        finish()
        window.welcome.status.setText("")
        identified = sum(1 for c in result.sheet.cues if c.identified)
        window.log_panel.add("info", f"Demo ready: {len(result.sheet.cues)} cues, {identified} identified "
                                     f"from the demo library ({result.library_dir})"
                             + ("" if result.with_speech else "; espeak-ng is not installed, so no dialogue"))
        window.settings.demo_offered = True  # saved with the recent-projects list by open_project
        window.open_project(result.project_path)

    def failed(message: str, details: str) -> None:
        finish()
        window.welcome.status.setText(f"The demo could not be built: {message}")
        window.log_panel.add("error", f"Demo: {message}", details)

    window.tasks.jobProgress.connect(on_progress)
    job = window.tasks.submit("Demo", lambda progress, cancel: build_demo(settings, progress, cancel),
                              on_done=done, on_error=failed, on_cancelled=finish)
