"""Starting the desktop app (a minimal window until the workspace lands)."""

from __future__ import annotations

import argparse
import sys


def run_gui(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    from cuesheet_app import __version__

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle(f"Cue Sheet {__version__}")
    window.setCentralWidget(QLabel("Drop episodes here"))
    w, _, h = args.size.partition("x")
    window.resize(int(w), int(h))
    window.show()
    if args.screenshot:
        def shoot() -> None:
            window.grab().save(args.screenshot)
            app.quit()

        QTimer.singleShot(200, shoot)
    return app.exec()
