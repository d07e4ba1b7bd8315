"""Finished results per file content, so identifying the same episode again costs nothing.

Keyed by the full sha256 of the file (a near-collision would cost money) and the audio
stream. What is stored is exactly the events JSON AudioShake returned, after validation.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cuesheet_app.domain.events import EventsDocument, EventsError, parse_events_json
from cuesheet_app.settings import paths
from cuesheet_app.storage.atomic import WriteError, atomic_write_bytes

log = logging.getLogger(__name__)


class ResultCache:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or paths.results_cache_dir() / "audioshake"

    def path_for(self, content_hash: str, audio_stream: int | None) -> Path:
        return self.directory / f"{content_hash}-a{audio_stream or 0}.json"

    def get(self, content_hash: str, audio_stream: int | None) -> EventsDocument | None:
        path = self.path_for(content_hash, audio_stream)
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("Ignoring unreadable cached result %s: %s", path, exc)
            return None
        try:
            return parse_events_json(text, source=str(path))
        except EventsError as exc:
            log.warning("Ignoring damaged cached result: %s", exc)
            return None

    def put(self, content_hash: str, audio_stream: int | None, raw: bytes) -> Path | None:
        """Store the raw JSON; a failed write only costs the cache, never the result."""
        return self._write(self.path_for(content_hash, audio_stream), raw, "cache the AudioShake result")

    def keep_rejected(self, name: str, raw: bytes) -> Path | None:
        """Keep an output we could not use, so nothing the service returned is lost."""
        return self._write(self.directory / "rejected" / name, raw, "keep the rejected AudioShake output")

    @staticmethod
    def _write(path: Path, raw: bytes, what: str) -> Path | None:
        try:
            paths.ensure(path.parent)
            atomic_write_bytes(path, raw)
        except (OSError, WriteError) as exc:
            log.warning("Could not %s: %s", what, exc)
            return None
        return path
