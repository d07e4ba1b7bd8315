"""``cuesheet revise OLD.cuesheet NEW_EPISODE [--engine ...] [--library DIR] -o NEW.cuesheet``"""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

from cuesheet_app.cli.common import load_project, save_project, settings
from cuesheet_app.cli.errors import EXIT_CANCELLED, CliError
from cuesheet_app.cli.output import emit, info
from cuesheet_app.cli.progress import TerminalProgress
from cuesheet_app.domain.sheet_diff import describe, diff_sheets, format_time
from cuesheet_app.identify.base import Cancelled, CancelToken, IdentificationError
from cuesheet_app.identify.registry import ENGINE_NAMES, create_engine
from cuesheet_app.media.errors import MediaError
from cuesheet_app.services.revise import revise_episode


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("revise", parents=[common], help="carry a sheet forward to a re-cut of its episode",
                       description="Identify the new cut and match its cues to the old sheet's by the music "
                                   "they hold; matched cues keep everything typed on them.")
    p.add_argument("old", metavar="OLD.cuesheet")
    p.add_argument("episode", metavar="NEW_EPISODE")
    p.add_argument("-o", "--output", required=True, metavar="NEW.cuesheet")
    p.add_argument("--engine", choices=ENGINE_NAMES, default=None, help="default: from settings (local)")
    p.add_argument("--library", metavar="DIR", help="local engine: reference library folder")
    p.add_argument("--old-media", metavar="FILE",
                   help="the old cut's media, when it has moved (to find unidentified music again)")
    p.add_argument("--audio-stream", type=int, default=None, metavar="N", help="audio stream (0 = first)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    old = load_project(args.old)
    out = Path(args.output)
    if out.resolve() == Path(args.old).resolve():
        raise CliError("Write the revision to a new file (-o): the old version is what it is compared with")
    cfg = settings()
    engine_name = args.engine or cfg.default_engine
    try:
        engine = create_engine(engine_name, cfg, library_dir=Path(args.library) if args.library else None)
    except IdentificationError as exc:
        raise CliError(str(exc)) from None
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    bar = TerminalProgress(label=Path(args.episode).name, quiet=args.quiet or args.json)
    try:
        outcome = revise_episode(old, Path(args.episode), engine, engine_name, cfg, progress=bar, cancel=cancel,
                                 old_media=Path(args.old_media) if args.old_media else None,
                                 audio_stream=args.audio_stream)
    except Cancelled:
        info(args, "cancelled")
        return EXIT_CANCELLED
    except (IdentificationError, MediaError) as exc:
        raise CliError(str(exc)) from None
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous)
    sheet = outcome.sheet
    save_project(sheet, out)
    for note in outcome.notes:
        info(args, f"Note: {note}")
    assert sheet.previous is not None
    diff = diff_sheets(sheet.previous, sheet)
    lines = [f"{out}: revision {sheet.header.revision_number} of “{sheet.header.program_title or sheet.header.episode_title}”"]
    for cue in sheet.cues:
        mark = outcome.result.marks.get(cue.id, diff.mark_of(cue.id))
        text = f"  {cue.cue_number:>5} {mark:<9} “{cue.title}” {format_time(sheet.program_seconds(cue.start))}" \
               f"–{format_time(sheet.program_seconds(cue.end))}"
        if mark == "changed":
            old_cue = sheet.previous.cue_by_id(cue.id)
            text += (f" (was {format_time(sheet.previous.program_seconds(old_cue.start))}"
                     f"–{format_time(sheet.previous.program_seconds(old_cue.end))})")
        if cue.id in outcome.result.carried_from:
            text += " (rights from an old cue split by the edit)"
        lines.append(text)
    if outcome.result.removed:
        lines.append("Removed:")
        lines += [f"  {c.cue_number:>5} “{c.title}” {format_time(old.program_seconds(c.start))}"
                  f"–{format_time(old.program_seconds(c.end))}" for c in outcome.result.removed]
    lines += describe(diff)[-1:]
    data = {
        "output": str(out),
        "revision_number": sheet.header.revision_number,
        "cues": [{"id": c.id, "cue_number": c.cue_number, "title": c.title,
                  "mark": outcome.result.marks.get(c.id, diff.mark_of(c.id)),
                  "start": float(sheet.program_seconds(c.start)), "end": float(sheet.program_seconds(c.end))}
                 for c in sheet.cues],
        "removed": [{"id": c.id, "cue_number": c.cue_number, "title": c.title,
                     "start": float(old.program_seconds(c.start)), "end": float(old.program_seconds(c.end))}
                    for c in outcome.result.removed],
        "diff": diff.to_json(),
        "notes": outcome.notes,
    }
    emit(args, "\n".join(lines), data)
    return 0
