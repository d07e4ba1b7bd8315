"""The ``cuesheet`` command: one entry point, subcommands usable headless."""
