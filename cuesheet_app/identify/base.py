"""The one interface every identification engine implements.

Engines are plain Python (no Qt): the GUI runs them on worker threads and the CLI
runs them in the foreground, so progress and cancellation are passed in as a
callback and a token rather than as signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cuesheet_app.domain.events import EventsDocument


class IdentificationError(Exception):
    """A failure the user can act on; the message is shown as is (never holds secrets)."""


class Cancelled(IdentificationError):
    """The user (or Ctrl-C) stopped the job."""

    def __init__(self, message: str = "Cancelled") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Progress:
    """One progress report: a phase name the user understands, and how far it is.

    ``fraction`` is 0..1 within the phase, or None when the length is unknown
    (e.g. waiting for a cloud task).
    """

    phase: str
    fraction: float | None = None
    detail: str = ""


ProgressCallback = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    """Default progress sink."""


class CancelToken:
    """Shared between the job and whoever may stop it; checked between chunks of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; returns True early when cancelled."""
        return self._event.wait(seconds)


@dataclass
class IdentifyRequest:
    """What an engine is asked to do for one episode.

    ``state`` is a per-project dict the engine may read and update (e.g. the
    AudioShake task id) so a job can resume after the app closed; the caller
    persists it.
    """

    media_path: Path
    audio_stream: int | None = None
    force: bool = False
    state: dict[str, Any] | None = None


class Engine(Protocol):
    """Identification engine: media file in, event JSON document out."""

    name: str

    def identify(
        self,
        request: IdentifyRequest,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
    ) -> EventsDocument: ...

    def describe(self) -> str:
        """A one-line description with version, for Help ▸ About and project provenance."""
        ...
