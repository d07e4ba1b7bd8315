"""What one identification job does on its worker thread (no widgets, no Qt).

The job builds the project for a new episode (probe, fingerprint, header
defaults), runs the engine and turns the events into cues, all off the GUI thread. It never touches a sheet the
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
from cuesheet_app.domain.model import CueSheet, MediaRef, ProductionHeader
from cuesheet_app.identify.base import CancelToken, Engine, IdentifyRequest, Progress
from cuesheet_app.identify.registry import create_engine
from cuesheet_app.services.projects import add_engine_results, new_sheet_for_media
from cuesheet_app.settings.store import Settings

EngineFactory = Callable[[str, Settings], Engine]


@dataclass
class IdentifyOutcome:
    """A finished job: the events, and the project with them turned into cues.

    ``sheet`` is built on the worker from a snapshot of the project taken when the job was
    queued (or a new project for a new episode), so the GUI thread only has to merge what
    the user changed meanwhile (see ``merge_user_changes``).
    """

    engine: str
    engine_description: str
    events: EventsDocument
    sheet: CueSheet
    state: dict[str, Any]


def run_identification(
    media_path: Path,
    engine_name: str,
    settings: Settings,
    state: dict[str, Any] | None,
    base: dict[str, Any] | None,
    progress: Callable[[Progress], None],
    cancel: CancelToken,
    on_state: Callable[[dict[str, Any]], None] | None = None,
    engine_factory: EngineFactory | None = None,
    audio_stream: int | None = None,
    on_sheet: Callable[[CueSheet], None] | None = None,
) -> IdentifyOutcome:
    progress(Progress("Reading media", None))
    if base is not None:
        sheet = CueSheet.from_dict(base)
    else:
        sheet = new_sheet_for_media(media_path, settings)
        if on_sheet is not None:
            # The project exists from here on (header defaults, fingerprint), so engine state
            # saved during a long cloud job has a project to live in and be autosaved with.
            on_sheet(sheet.copy())
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
    progress(Progress("Building cues", None))
    sheet.engine_state[engine_name] = own_state
    add_engine_results(sheet, doc, engine_name, settings)
    sheet.engine["description"] = description
    return IdentifyOutcome(engine=engine_name, engine_description=description, events=doc,
                           sheet=sheet, state=own_state)


def merge_user_changes(result: CueSheet, current: CueSheet) -> CueSheet:
    """Keep what the user did to the project while the job ran: header, media, export choices,
    engine state of other engines, and cues they added by hand. Cheap: no whole-sheet copy."""
    result.header = ProductionHeader.from_dict(current.header.to_dict())
    result.media = [MediaRef.from_dict(m.to_dict()) for m in current.media]
    result.export_options = copy.deepcopy(current.export_options)
    result.engine_state = {**copy.deepcopy(current.engine_state), **result.engine_state}
    known = {c.id for c in result.cues}
    added = [c.copy() for c in current.cues if c.provenance.engine == "manual" and c.id not in known]
    if added:
        result.cues.extend(added)
        result.sort_and_renumber()
    return result
