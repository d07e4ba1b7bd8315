"""Help ▸ About: versions of the app, Python, Qt and the engines (asked on a worker: an engine may be slow to load)."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from cuesheet_app import __version__
from cuesheet_app.identify.registry import ENGINE_LABELS, ENGINE_NAMES, create_engine
from cuesheet_app.settings.store import Settings
from cuesheet_app.ui.jobs import JobRunner


def engine_lines(settings: Settings) -> list[str]:
    lines = []
    for name in ENGINE_NAMES:
        try:
            text = create_engine(name, settings).describe()
        except Exception as exc:  # noqa: BLE001 - About must show what is wrong, not fail
            text = f"not available ({str(exc) or type(exc).__name__})"
        lines.append(f"{ENGINE_LABELS.get(name, name)}: {text}")
    return lines


def about_text(engines: list[str]) -> str:
    rows = [f"Cue Sheet {__version__}", f"Python {platform.python_version()}",
            f"Qt {qVersion()}, PySide6 {pyside_version}", "", "Engines:", *engines]
    return "\n".join(rows)


def show_about(parent: QWidget, settings: Settings, runner: JobRunner) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, "About Cue Sheet", about_text(["checking…"]),
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("aboutBox")
    snapshot = Settings(**vars(settings))
    runner.submit("About: engines", lambda _p, _c: engine_lines(snapshot),
                  on_done=lambda lines: box.setText(about_text(lines)))
    box.open()
    return box
