"""``cuesheet gui [PROJECT_OR_MEDIA...] [--screenshot FILE.png]``"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("gui", parents=[common], help="open the desktop app (the default)",
                       description="Open the desktop app, optionally with projects or episodes.")
    p.add_argument("paths", nargs="*", metavar="PROJECT_OR_MEDIA", help=".cuesheet projects or episode files")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="render the main window offscreen once loaded, save it and exit")
    p.add_argument("--size", default="1400x900", metavar="WxH", help="window size for --screenshot")
    p.add_argument("--demo", action="store_true", help="open the generated demo project")
    p.add_argument("--select-cue", type=int, metavar="N",
                   help="with --screenshot: select the Nth cue (1 = first) so its parties show")
    p.add_argument("--grab", metavar="WIDGET",
                   help="with --screenshot: save only the first child widget with this class or object "
                        "name (e.g. PartiesEditor), not the whole window")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cuesheet_app.ui.app import run_gui

    return run_gui(args)
