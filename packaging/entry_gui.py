"""Frozen entry point of the windowed app (no console on Windows): `cuesheet gui ARGS`."""

import multiprocessing
import os
import sys

from cuesheet_app.cli.main import main

if __name__ == "__main__":
    # Worker processes of the library indexer start this executable again: without
    # freeze_support() each of them would open another main window.
    multiprocessing.freeze_support()
    # A windowed Windows/macOS app has no console: sys.stdout/stderr are None, and any direct
    # write (log handlers, argparse errors) would raise. Send them to the null device instead.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the app
    # Older macOS passes a process serial number (-psn_0_1234) to apps opened from the Finder.
    args = [a for a in sys.argv[1:] if not a.startswith("-psn_")]
    sys.exit(main(args if args and args[0] == "gui" else ["gui", *args]))
