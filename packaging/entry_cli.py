"""Frozen entry point of the `cuesheet` command (CLI and GUI)."""

import sys

from cuesheet_app.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
