"""Starting the desktop app: ``cuesheet gui [PROJECT_OR_MEDIA...] [--screenshot FILE.png] [--demo]``.

With ``--screenshot`` the window is rendered offscreen once everything asked for
has loaded (identification jobs, waveform peaks, the demo) and laid out, saved
as a PNG, and the app exits 0; used for the README pictures and for review.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

SCREENSHOT_TIMEOUT_S = 600.0
_SETTLE_MS = 400


def _size(text: str) -> tuple[int, int]:
    w, _, h = (text or "1400x900").lower().partition("x")
    try:
        return max(320, int(w)), max(240, int(h))
    except ValueError:
        raise SystemExit(f"cuesheet: error: --size must be WIDTHxHEIGHT, not {text!r}") from None


def _non_interactive() -> None:
    """A screenshot run has nobody to answer: questions take their default, dialogs are skipped."""
    from cuesheet_app.ui import main_window as mw

    mw.ask = lambda _parent, _title, _text, _buttons, default: default
    mw.choose_open = lambda *_args: []
    mw.choose_save = lambda *_args: None
    mw.inform = lambda _parent, title, text: log.warning("%s: %s", title, text)


def run_gui(args: argparse.Namespace) -> int:
    screenshot = getattr(args, "screenshot", None)
    if screenshot and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # render without a display
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from cuesheet_app import __version__
    from cuesheet_app.resources import app_icon_path
    from cuesheet_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Cue Sheet")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("cuesheet")
    # Wayland's app id: desktops match the window to packaging/linux/<this>.desktop (name, icon)
    app.setDesktopFileName("io.github.cuesheet.CueSheet")
    icon = app_icon_path()
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    if screenshot:
        _non_interactive()
    window = MainWindow()
    from cuesheet_app.ui import file_open

    file_open.install(app, window)  # macOS: a .cuesheet opened from the Finder
    width, height = _size(getattr(args, "size", "1400x900"))
    if screenshot:
        window.remember_layout_off = True
        window.resize(width, height)
    window.show()

    paths = [Path(p) for p in getattr(args, "paths", []) or []]
    if paths:
        window.add_paths(paths)
    if getattr(args, "demo", False):
        window.run_demo()
    elif not screenshot:
        QTimer.singleShot(0, window.offer_recovery)

    if screenshot:
        started = time.monotonic()
        out = Path(screenshot)

        def poll() -> None:
            waiting = not window.is_idle() or getattr(window, "demo_running", False)
            if waiting and time.monotonic() - started < SCREENSHOT_TIMEOUT_S:
                QTimer.singleShot(100, poll)
                return
            if waiting:
                log.warning("Screenshot taken before background work finished (timeout)")
            _select_cue(window, getattr(args, "select_cue", None))
            QTimer.singleShot(_SETTLE_MS, shoot)

        def shoot() -> None:
            if not window.is_idle():  # results arriving started more work (e.g. peaks): wait again
                QTimer.singleShot(100, poll)
                return
            app.processEvents()
            target = _grab_target(window, getattr(args, "grab", None))
            ok = target is not None and target.grab().save(str(out))
            window.document.undo_stack.setClean()  # nothing to ask when a screenshot run closes
            for ep in window.bin.model.episodes:
                ep.unsaved = False
            window.close()
            if target is None:
                print(f"cuesheet: error: --grab: no visible widget named {args.grab!r}", file=sys.stderr)
            elif not ok:
                print(f"cuesheet: error: cannot write {out}", file=sys.stderr)
            app.exit(0 if ok else 2)

        QTimer.singleShot(200, poll)
    return app.exec()


def _select_cue(window, number: int | None) -> None:  # type: ignore[no-untyped-def]
    """``--select-cue N``: select the Nth cue of the open sheet, as a click in the table would."""
    if not number:
        return
    cues = window.document.sheet.cues
    if not 1 <= number <= len(cues):
        log.warning("--select-cue %d: the sheet has %d cue(s)", number, len(cues))
        return
    window.document.set_selection([cues[number - 1].id])


def _grab_target(window, name: str | None):  # type: ignore[no-untyped-def]
    """``--grab NAME``: the first visible child whose object name or class name is NAME (else the window)."""
    if not name:
        return window
    from PySide6.QtWidgets import QWidget

    for child in window.findChildren(QWidget):
        if child.isVisible() and name in (child.objectName(), type(child).__name__):
            return child
    return None
