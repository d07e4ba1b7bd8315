"""Application services: the use cases the CLI and the GUI share (no Qt here)."""
