"""``cuesheet import-events EVENTS.json --media EPISODE -o PROJECT``"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cuesheet_app.cli.common import save_project, settings
from cuesheet_app.cli.errors import CliError
from cuesheet_app.cli.output import emit
from cuesheet_app.domain.events import EventsError, parse_events_json
from cuesheet_app.media.errors import MediaError
from cuesheet_app.services.projects import add_engine_results, new_sheet_for_media


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import-events", parents=[common], help="build a project from an events JSON",
                       description="Build a project from an engine events JSON (e.g. saved from AudioShake).")
    p.add_argument("events", metavar="EVENTS.json")
    p.add_argument("--media", required=True, metavar="EPISODE", help="the episode the events describe")
    p.add_argument("-o", "--output", required=True, metavar="PROJECT.cuesheet")
    p.add_argument("--engine", default="import", help="engine name recorded as provenance")
    p.add_argument("--force", action="store_true", help="overwrite an existing project")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.exists() and not args.force:
        raise CliError(f"{out} exists; use --force to overwrite it")
    try:
        doc = parse_events_json(Path(args.events).read_bytes(), source=args.events)
    except OSError as exc:
        raise CliError(f"Cannot read {args.events}: {exc.strerror or exc}") from None
    except EventsError as exc:
        raise CliError(str(exc)) from None
    cfg = settings()
    try:
        sheet = new_sheet_for_media(args.media, cfg)
    except MediaError as exc:
        raise CliError(str(exc)) from None
    add_engine_results(sheet, doc, args.engine, cfg)
    save_project(sheet, out)
    emit(args, f"{out}: {len(sheet.cues)} cue(s) from {len(doc.events)} event(s)",
         {"project": str(out), "cues": len(sheet.cues), "events": len(doc.events)})
    return 0
