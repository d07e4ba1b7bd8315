"""``cuesheet identify EPISODE... [--engine local|audioshake] [--events OUT.json] [-o PROJECT]``"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from cuesheet_app.cli.catalogue_option import add_catalogue_option, apply_catalogue_option
from cuesheet_app.cli.cmd_import_edit import add_rule_options, make_plan, parse_rate
from cuesheet_app.cli.common import load_project, save_project, settings
from cuesheet_app.cli.errors import EXIT_CANCELLED, CliError
from cuesheet_app.cli.output import emit, info
from cuesheet_app.cli.progress import TerminalProgress
from cuesheet_app.identify.base import Cancelled, CancelToken, IdentificationError, IdentifyRequest
from cuesheet_app.identify.registry import ENGINE_NAMES, create_engine
from cuesheet_app.media.errors import MediaError
from cuesheet_app.media.probe import probe
from cuesheet_app.rights.location import settings_location
from cuesheet_app.services.edit_import import add_engine_results_with_edit
from cuesheet_app.services.projects import add_engine_results, new_sheet_for_media
from cuesheet_app.storage.atomic import atomic_write_bytes


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("identify", parents=[common], help="find and identify the music in episodes",
                       description="Detect and identify music; write events JSON and/or a project.")
    p.add_argument("episodes", nargs="+", metavar="EPISODE")
    p.add_argument("--engine", choices=ENGINE_NAMES, default=None, help="default: from settings (local)")
    p.add_argument("--library", metavar="DIR", help="local engine: reference library folder")
    p.add_argument("--events", metavar="OUT.json",
                   help="write the events JSON (with several episodes: a folder, one file each)")
    p.add_argument("-o", "--output", metavar="PROJECT.cuesheet",
                   help="write a project (with several episodes: a folder, one project each)")
    p.add_argument("--audio-stream", type=int, default=None, metavar="N", help="audio stream (0 = first)")
    p.add_argument("--force", action="store_true", help="ignore cached results and resume state; run anew")
    p.add_argument("--yes", "-y", action="store_true",
                   help="AudioShake: accept the estimated cost without asking (for scripts)")
    p.add_argument("--edit-list", metavar="FILE",
                   help="the episode's edit list (EDL, XML, AAF, OTIO, Pro Tools text): cue times and "
                        "sources from the edit, confirmed by the audio; disagreements become findings")
    p.add_argument("--fps", metavar="RATE", help="with --edit-list: timeline rate (default: the media's)")
    add_rule_options(p)
    add_catalogue_option(p)
    p.set_defaults(run=run)


def _approve_cost(args: argparse.Namespace, engine: Any, episodes: list[Path]) -> dict[str, Any] | None:
    """Print what a paid engine will charge for these episodes, and ask once for the batch.

    Engines without an ``estimate`` (the local one) cost nothing. Without ``--yes`` the answer
    comes from the terminal (or piped stdin); no answer means no, since money is involved.
    """
    estimate_fn = getattr(engine, "estimate", None)
    if estimate_fn is None:
        return None
    try:
        estimate = estimate_fn(episodes, args.audio_stream, force=args.force)
    except IdentificationError as exc:
        raise CliError(str(exc)) from None
    summary = {"credits": estimate.credits, "minutes": round(estimate.minutes, 3),
               "credits_per_minute": estimate.credits_per_minute, "files": len(estimate.files),
               "cached": len(estimate.cached)}
    if not estimate.files or args.yes:
        info(args, estimate.describe())
        return summary
    print(f"{estimate.describe()}\nUpload and identify? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().casefold()
    if answer not in ("y", "yes"):
        raise CliError("Not uploaded: the estimated cost was not accepted "
                       "(answer y, or pass --yes in scripts).")
    return summary


def _target(option: str | None, episode: Path, many: bool, suffix: str) -> Path | None:
    if not option:
        return None
    base = Path(option)
    if many:
        base.mkdir(parents=True, exist_ok=True)
        return base / (episode.stem + suffix)
    return base


def run(args: argparse.Namespace) -> int:
    cfg = apply_catalogue_option(args, settings())
    engine_name = args.engine or cfg.default_engine
    library = Path(args.library) if args.library else None
    try:
        engine = create_engine(engine_name, cfg, library_dir=library)
    except IdentificationError as exc:
        raise CliError(str(exc)) from None
    episodes = [Path(e) for e in args.episodes]
    many = len(episodes) > 1
    if args.edit_list and many:
        raise CliError("--edit-list belongs to one episode: identify one episode at a time with its edit list")
    cost = _approve_cost(args, engine, episodes)
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    results = []
    failures = 0
    try:
        for episode in episodes:
            project_path = _target(args.output, episode, many, ".cuesheet")
            events_path = _target(args.events, episode, many, ".events.json")
            try:
                sheet = None
                if project_path and project_path.exists() and not args.force:
                    sheet = load_project(project_path)  # resume: keeps the engine state (task ids)
                if sheet is None or not sheet.media:
                    sheet = new_sheet_for_media(episode, cfg)
                plan = None
                fps = parse_rate(args.fps)
                if fps is not None and fps != sheet.rate:
                    sheet.header.frame_rate = fps.name
                if args.edit_list:  # read and check the edit before spending time on the audio
                    plan = make_plan(args, cfg, sheet, probe(episode), edit_path=args.edit_list)
                    for note in plan.notes:
                        info(args, f"note: {note}")
                state = sheet.engine_state.setdefault(engine_name, {})

                def persist(sheet=sheet, project_path=project_path) -> None:
                    if project_path:
                        save_project(sheet, project_path)

                request = IdentifyRequest(media_path=episode, audio_stream=args.audio_stream,
                                          force=args.force, state=state)
                request_state_saver = getattr(engine, "set_state_saver", None)
                if request_state_saver:
                    request_state_saver(persist)
                bar = TerminalProgress(label=episode.name, quiet=args.quiet or args.json)
                try:
                    doc = engine.identify(request, progress=bar, cancel=cancel)
                finally:
                    bar.close()
                if events_path:
                    atomic_write_bytes(events_path, doc.to_json().encode("utf-8"))
                if plan is not None:
                    add_engine_results_with_edit(sheet, doc, engine_name, cfg, plan, settings_location(cfg))
                else:
                    add_engine_results(sheet, doc, engine_name, cfg)
                persist()
                identified = sum(1 for c in sheet.cues if c.identified)
                results.append({"episode": str(episode), "events": len(doc.events), "cues": len(sheet.cues),
                                "identified": identified, "project": str(project_path or ""),
                                "events_file": str(events_path or "")})
                info(args, f"{episode.name}: {len(doc.events)} event(s), {len(sheet.cues)} cue(s), "
                           f"{identified} identified")
                if not project_path and not events_path and not args.json:
                    print(doc.to_json())
            except Cancelled:
                raise
            except (IdentificationError, MediaError, CliError) as exc:
                failures += 1
                results.append({"episode": str(episode), "error": str(exc)})
                if not many:
                    raise CliError(str(exc)) from None
                info(args, f"{episode.name}: failed: {exc}")
    except Cancelled:
        info(args, "cancelled")
        return EXIT_CANCELLED
    finally:
        signal.signal(signal.SIGINT, previous)
    emit(args, "", {"results": results, **({"estimated_cost": cost} if cost is not None else {})})
    return 2 if failures else 0
