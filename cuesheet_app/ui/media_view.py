"""The open project's episode in the window: playback source, waveform peaks, and the Viewer dock.

A room of the main window. Peaks and the container probe run on the window's ``tasks``
runner (a network share can be slow to open); the Viewer dock shows only for an episode
with a picture, since an audio-only mix would get an empty panel.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QStackedWidget, QWidget

from cuesheet_app.ui.jobs import Job, JobRunner
from cuesheet_app.ui.playback import Player

log = logging.getLogger(__name__)


class MediaView:
    """Loads the document's episode into the player and the waveform; keeps the Viewer honest."""

    def __init__(self, player: Player, tasks: JobRunner, warn: Callable[[str, str], None],
                 set_peaks: Callable[[Any], None] | None) -> None:
        self.player = player
        self.tasks = tasks
        self._warn = warn
        self._set_peaks = set_peaks
        self.viewer_dock: QDockWidget | None = None
        self.has_video = False
        self.peaks: Any = None
        self._peaks_job: Job | None = None
        self._probe_job: Job | None = None
        self.viewer_message: QLabel | None = None

    def set_peaks_to(self, setter: Callable[[Any], None] | None) -> None:
        """Where finished waveforms go (the editor's timeline)."""
        self._set_peaks = setter

    def video_widget(self, parent: QWidget) -> QWidget:
        """The picture, or a line saying why there is none (audio-only episode, playback disabled)."""
        stack = QStackedWidget(parent)
        label = QLabel(f"Playback disabled: {self.player.reason}" if not self.player.available
                       else "No episode loaded", stack)
        label.setObjectName("viewerMessage")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: palette(dark);")
        stack.addWidget(label)
        self.viewer_message = label
        mp = self.player.media_player
        if mp is not None:
            try:
                from PySide6.QtMultimediaWidgets import QVideoWidget

                video = QVideoWidget(stack)
                video.setMinimumHeight(120)
                mp.setVideoOutput(video)
                stack.addWidget(video)
                mp.hasVideoChanged.connect(lambda has: stack.setCurrentWidget(video if has else label))
                mp.sourceChanged.connect(lambda _src: label.setText(
                    "Audio only: no picture" if self.player.path else "No episode loaded"))
            except Exception as exc:  # noqa: BLE001 - no video output: audio and timecode still work
                log.info("No video widget: %s", exc)
            mp.hasVideoChanged.connect(lambda has: self.set_has_video(True) if has else None)
        return stack

    def load(self, path: Path | None, rate: Any, duration: float | None, audio_stream: int | None) -> None:
        """Play ``path`` and draw its waveform (None: no episode, or its file is missing)."""
        if path is not None and not path.is_file():
            path = None
        if path == self.player.path:
            return
        self.player.load(path, rate, duration)
        self._load_peaks(path, audio_stream)
        self._show_viewer_for(path)

    def set_has_video(self, has_video: bool) -> None:
        """Show the Viewer dock for a picture, hide it otherwise (View ▸ Viewer still opens it)."""
        self.has_video = has_video
        if self.viewer_dock is not None:
            self.viewer_dock.setVisible(has_video)

    def _show_viewer_for(self, path: Path | None) -> None:
        if self._probe_job is not None:
            self.tasks.cancel(self._probe_job.id)
            self._probe_job = None
        if path is None or importlib.util.find_spec("cuesheet_app.media.probe") is None:
            self.set_has_video(False)
            return

        def work(progress, cancel):  # type: ignore[no-untyped-def]
            from cuesheet_app.media.probe import probe

            return probe(path).has_video

        def done(has_video: Any) -> None:
            self._probe_job = None
            if self.player.path == path:
                self.set_has_video(bool(has_video))

        def failed(message: str, details: str) -> None:  # the player says why it cannot play
            self._probe_job = None
            if self.player.path == path:
                self.set_has_video(False)

        self._probe_job = self.tasks.submit(f"Probe {path.name}", work, on_done=done, on_error=failed)

    def _load_peaks(self, path: Path | None, stream: int | None) -> None:
        if self._peaks_job is not None:
            self.tasks.cancel(self._peaks_job.id)
            self._peaks_job = None
        if path is None or importlib.util.find_spec("cuesheet_app.media.peaks") is None:
            return

        def work(progress, cancel):  # type: ignore[no-untyped-def]
            from cuesheet_app.media.peaks import load_or_compute_peaks

            return load_or_compute_peaks(path, progress, cancel, audio_stream=stream)

        def done(peaks: Any) -> None:
            self._peaks_job = None
            if self.player.path == path:
                self.peaks = peaks
                if self._set_peaks is not None:
                    self._set_peaks(peaks)

        def failed(message: str, details: str) -> None:
            self._peaks_job = None
            self._warn(f"Waveform of {path.name}: {message}", details)

        self._peaks_job = self.tasks.submit(f"Waveform {path.name}", work, on_done=done, on_error=failed)
