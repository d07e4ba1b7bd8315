"""The catalogue's errors, shared by both backends and everything above them."""

from __future__ import annotations

from typing import Any


class CatalogueError(Exception):
    """A change was refused (invalid data, duplicate ISRC/ISWC, unreadable file); nothing was written."""


class SchemaError(RuntimeError):
    """The catalogue cannot be used by this version; the message names the file or server."""


class CatalogueUnavailable(CatalogueError):
    """The team server cannot be reached (or refused the login); the message never holds a password."""


class ConflictError(CatalogueError):
    """Someone else saved this entry after it was read: ours is refused, theirs is attached.

    ``theirs`` is the stored Work or Recording (with its version, who saved it and when), so a
    window can show both versions and let the user choose or merge.
    """

    def __init__(self, message: str, ours: Any, theirs: Any) -> None:
        super().__init__(message)
        self.ours = ours
        self.theirs = theirs
