"""What one identification job does on its worker thread (no widgets, no Qt).

The job builds the project for a new episode (probe, fingerprint, header
defaults), runs the engine and returns the events. It never touches a sheet the
GUI may be showing: the engine gets a private copy of its resumable state, and
changes to that state are handed back through ``on_state`` (the GUI stores them
in the project and autosaves, so an AudioShake task survives a crash).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cuesheet_app.domain.events import EventsDocument
from cuesheet_app.domain.model import CueSheet
from cuesheet_app.identify.base import CancelToken, Engine, IdentifyRequest, Progress
from cuesheet_app.identify.registry import create_engine
from cuesheet_app.services.projects import new_sheet_for_media
from cuesheet_app.settings.store import Settings

EngineFactory = Callable[[str, Settings], Engine]


@dataclass
class IdentifyOutcome:
    """A finished job: the events, and a fresh project when the episode had none yet."""

    engine: str
    engine_description: str
    events: EventsDocument
    new_sheet: CueSheet | None
    state: dict[str, Any]


def run_identification(
    media_path: Path,
    engine_name: str,
    settings: Settings,
    state: dict[str, Any] | None,
    need_sheet: bool,
    progress: Callable[[Progress], None],
    cancel: CancelToken,
    on_state: Callable[[dict[str, Any]], None] | None = None,
    engine_factory: EngineFactory | None = None,
    audio_stream: int | None = None,
) -> IdentifyOutcome:
    progress(Progress("Reading media", None))
    sheet = new_sheet_for_media(media_path, settings) if need_sheet else None
    cancel.raise_if_cancelled()
    progress(Progress("Starting engine", None))
    engine = (engine_factory or create_engine)(engine_name, settings)
    own_state = copy.deepcopy(state or {})
    saver = getattr(engine, "set_state_saver", None)
    if saver and on_state:
        saver(lambda: on_state(copy.deepcopy(own_state)))
    request = IdentifyRequest(media_path=media_path, audio_stream=audio_stream, state=own_state)
    doc = engine.identify(request, progress, cancel)
    cancel.raise_if_cancelled()
    try:
        description = engine.describe()
    except Exception:  # noqa: BLE001 - a description is cosmetic
        description = engine_name
    return IdentifyOutcome(engine=engine_name, engine_description=description, events=doc,
                           new_sheet=sheet, state=own_state)
