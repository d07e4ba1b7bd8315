"""``cuesheet import-edit EDIT_FILE [--media EPISODE] [--library DIR] [--fps RATE] -o PROJECT.cuesheet``"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cuesheet_app.cli.catalogue_option import add_catalogue_option, apply_catalogue_option
from cuesheet_app.cli.common import save_project, settings
from cuesheet_app.cli.errors import CliError
from cuesheet_app.cli.output import emit, info
from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.edit_merge import EditRangeError
from cuesheet_app.domain.music_rules import RulesError
from cuesheet_app.editlists.errors import EditListError
from cuesheet_app.media.errors import MediaError
from cuesheet_app.rights.location import settings_location
from cuesheet_app.services.edit_import import (
    ImportPlan,
    plan_import,
    rules_from_settings,
    sheet_from_edit,
)
from cuesheet_app.services.projects import new_sheet_for_media


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import-edit", parents=[common], help="build a project from an edit list (EDL, XML, AAF...)",
                       description="Build a project from the picture edit: CMX 3600 EDL, FCP 7 XML, FCPXML, "
                                   "AAF, .otio/.otioz or Pro Tools 'Session Info as Text'.")
    p.add_argument("edit", metavar="EDIT_FILE")
    p.add_argument("--media", metavar="EPISODE", help="the episode file (its rate, start timecode and length)")
    p.add_argument("--library", metavar="DIR", help="reference library folder (default: from settings)")
    p.add_argument("--fps", metavar="RATE", help="timeline rate, e.g. 25, 29.97DF (default: the media's)")
    add_rule_options(p)
    p.add_argument("-o", "--output", required=True, metavar="PROJECT.cuesheet")
    p.add_argument("--force", action="store_true", help="overwrite an existing project")
    add_catalogue_option(p)
    p.set_defaults(run=run)


def add_rule_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--music-only", dest="music_only", action="store_true", default=None,
                       help="every clip is music except DX/FX/... (default for CMX 3600 EDLs)")
    group.add_argument("--not-music-only", dest="music_only", action="store_false",
                       help="only clips the rules recognise as music")
    p.add_argument("--bridge-frames", type=int, default=None, metavar="N",
                   help="same piece with a gap of up to N frames is one cue (default: settings, 12)")


def parse_rate(text: str | None) -> tc.FrameRate | None:
    if not text:
        return None
    try:
        return tc.frame_rate(text)
    except tc.TimecodeError as exc:
        raise CliError(str(exc)) from None


def make_plan(args: argparse.Namespace, cfg: Any, media_sheet: Any = None, media_info: Any = None,
              edit_path: str | None = None) -> ImportPlan:
    try:
        rules = rules_from_settings(cfg, args.music_only, args.bridge_frames)
    except RulesError as exc:
        raise CliError(f"settings: {exc}") from None
    rate = parse_rate(args.fps)
    library = Path(args.library) if getattr(args, "library", None) else cfg.library_dir()
    try:
        return plan_import(
            edit_path or args.edit, rules, rate=rate, media=media_info,
            media_rate=media_sheet.rate if media_sheet is not None else None,
            media_start_timecode=(media_sheet.media[0].start_timecode if media_sheet is not None else None),
            library_dir=library, catalogue_path=settings_location(cfg))
    except (EditListError, EditRangeError) as exc:
        raise CliError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.exists() and not args.force:
        raise CliError(f"{out} exists; use --force to overwrite it")
    cfg = apply_catalogue_option(args, settings())
    media_sheet = media_info = None
    if args.media:
        from cuesheet_app.media.probe import probe

        try:
            media_info = probe(args.media)
            media_sheet = new_sheet_for_media(args.media, cfg, media_info)
        except MediaError as exc:
            raise CliError(str(exc)) from None
        rate = parse_rate(args.fps)
        if rate is not None and rate != media_sheet.rate:
            media_sheet.header.frame_rate = rate.name
            media_sheet.media[0].frame_rate = rate.name
    plan = make_plan(args, cfg, media_sheet, media_info)
    for note in plan.notes:
        info(args, f"note: {note}")
    sheet = sheet_from_edit(plan, cfg, media_sheet, settings_location(cfg))
    save_project(sheet, out)
    needs_rights = sum(1 for c in sheet.cues if "rights-needed" in c.flags)
    emit(args, f"{out}: {len(sheet.cues)} cue(s) from {plan.summary()}; {needs_rights} need rights",
         {"project": str(out), "cues": len(sheet.cues), "format": plan.edit.format, "notes": plan.notes,
          "clips": [{"track": d.clip.track, "clip": d.clip.name, "music": d.music, "rule": d.rule}
                    for d in plan.decisions],
          "rights_needed": needs_rights})
    return 0
