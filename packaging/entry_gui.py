"""Frozen entry point of the windowed app (no console on Windows): `cuesheet gui ARGS`."""

import multiprocessing
import sys

from cuesheet_app.cli.main import main

if __name__ == "__main__":
    # Worker processes of the library indexer start this executable again: without
    # freeze_support() each of them would open another main window.
    multiprocessing.freeze_support()
    args = sys.argv[1:]
    sys.exit(main(args if args and args[0] == "gui" else ["gui", *args]))
