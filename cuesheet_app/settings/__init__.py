"""User settings and file locations (no Qt: the CLI reads the same settings as the GUI)."""
