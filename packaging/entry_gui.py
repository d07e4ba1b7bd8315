"""Frozen entry point of the windowed app (no console on Windows): `cuesheet gui ARGS`."""

import sys

from cuesheet_app.cli.main import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(args if args and args[0] == "gui" else ["gui", *args]))
