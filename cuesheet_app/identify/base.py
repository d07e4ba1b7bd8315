"""The one interface every identification engine implements.

Engines are plain Python (no Qt): the GUI runs them on worker threads and the CLI
runs them in the foreground, so progress and cancellation are passed in as a
callback and a token rather than as signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cuesheet_app.domain.events import EventsDocument

# Progress and cancellation live below every layer that does long work (media/ too); they are
# re-exported here because engines and their callers have always imported them from here.
from cuesheet_app.domain.progress import (
    Cancelled,
    CancelToken,
    Progress,
    ProgressCallback,
    ignore_progress,
)


class IdentificationError(Exception):
    """A failure the user can act on; the message is shown as is (never holds secrets).

    ``Cancelled`` is not one: a stopped job is not a failed one.
    """


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


__all__ = ["Cancelled", "CancelToken", "Engine", "IdentificationError", "IdentifyRequest", "Progress",
           "ProgressCallback", "ignore_progress"]
