"""Long work's two channels back to the user: progress reports and cancellation.

Decoding (``media/``), fingerprinting (``identify/``), catalogue imports and the demo all
run for seconds to minutes on a worker thread or in the terminal. They report how far
they are and stop when asked through these plain-Python types, which live here, below
every layer that does long work, so ``media/`` need not import ``identify/`` to get them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


class Cancelled(Exception):
    """The user (or Ctrl-C) stopped the work; not a failure, so it is never shown as one."""

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
