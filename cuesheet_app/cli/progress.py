"""A terminal progress bar fed by engine ``Progress`` reports.

Draws only on a TTY (a log file gets one line per phase), and never with --quiet.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

from cuesheet_app.domain.progress import Progress


class TerminalProgress:
    def __init__(self, label: str = "", quiet: bool = False, stream: TextIO | None = None) -> None:
        self.label = label
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._phase = ""
        self._last_draw = 0.0
        self._drawn = False

    def __call__(self, p: Progress) -> None:
        if self.quiet:
            return
        if not self.tty:
            if p.phase != self._phase:
                self._phase = p.phase
                print(f"{self.label}: {p.phase}", file=self.stream, flush=True)
            return
        now = time.monotonic()
        if p.phase == self._phase and now - self._last_draw < 0.1 and (p.fraction or 0) < 1:
            return
        self._phase = p.phase
        self._last_draw = now
        width = shutil.get_terminal_size((80, 20)).columns
        text = f"{self.label} {p.phase}"
        if p.fraction is not None:
            bar_w = max(10, min(30, width - len(text) - 20))
            filled = int(bar_w * max(0.0, min(1.0, p.fraction)))
            text += f" [{'#' * filled}{'.' * (bar_w - filled)}] {p.fraction * 100:5.1f}%"
        if p.detail:
            text += f" {p.detail}"
        self.stream.write("\r" + text[: width - 1].ljust(width - 1))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
