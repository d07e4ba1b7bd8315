"""Exit codes and the error type subcommands raise for a one-line message."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1  # validate: the sheet has errors
EXIT_FAILURE = 2  # the command could not do its job (bad input, I/O, engine)
EXIT_USAGE = 64
EXIT_CANCELLED = 130


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code
