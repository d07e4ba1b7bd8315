"""Media errors name the file, so a batch of fifty episodes says which one is bad."""

from __future__ import annotations


class MediaError(Exception):
    """A media file cannot be used; the message names the file and the reason."""
