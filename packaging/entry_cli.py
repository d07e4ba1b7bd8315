"""Frozen entry point of the `cuesheet` command (CLI and GUI)."""

import multiprocessing
import sys

from cuesheet_app.cli.main import main

if __name__ == "__main__":
    # The library indexer fingerprints in "spawn" worker processes; frozen, each worker is this
    # executable started again, and freeze_support() turns it into the worker instead of the CLI.
    multiprocessing.freeze_support()
    sys.exit(main())
