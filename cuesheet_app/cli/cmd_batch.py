"""``cuesheet batch EPISODE_OR_FOLDER... --header HEADER.json --out-dir DIR [--jobs N]``"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from cuesheet_app.cli.catalogue_option import add_catalogue_option, apply_catalogue_option
from cuesheet_app.cli.common import settings
from cuesheet_app.cli.errors import EXIT_CANCELLED, CliError
from cuesheet_app.cli.output import emit, info
from cuesheet_app.domain.progress import CancelToken
from cuesheet_app.export import season_report
from cuesheet_app.identify.registry import ENGINE_NAMES
from cuesheet_app.services.season import (
    SeasonError,
    SeriesHeader,
    collect_episodes,
    load_projects,
    run_batch,
)
from cuesheet_app.storage.atomic import WriteError


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("batch", parents=[common], help="a whole season: one project per episode and a season report",
                       description="Identify every episode into DIR/<episode>.cuesheet with the series header "
                                   "applied, then write DIR/season.csv and DIR/season.xlsx. Run it again to "
                                   "resume: finished episodes whose media did not change are skipped.")
    p.add_argument("inputs", nargs="+", metavar="EPISODE_OR_FOLDER")
    p.add_argument("--header", required=True, metavar="HEADER.json",
                   help="series header fields by their project-file names (program_title, network, ...); "
                        "'episode_number_pattern' reads the episode number from file names")
    p.add_argument("--out-dir", required=True, metavar="DIR")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N", help="episodes at once (at most the cores)")
    p.add_argument("--engine", choices=ENGINE_NAMES, default=None, help="default: from settings (local)")
    p.add_argument("--library", metavar="DIR", help="local engine: reference library folder")
    p.add_argument("--yes", "-y", action="store_true",
                   help="AudioShake: accept the cost without asking (batch never asks; without --yes it refuses)")
    p.add_argument("--audio-stream", type=int, default=None, metavar="N", help="audio stream (0 = first)")
    add_catalogue_option(p)
    p.set_defaults(run=run)


class _Printer:
    """One line per episode phase (and every quarter of its progress), with the overall count."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.last: dict[str, tuple[str, int]] = {}

    def __call__(self, name: str, phase: str, fraction: float | None, done: int, total: int) -> None:
        if self.quiet:
            return
        step = -1 if fraction is None else int(fraction * 4)
        if self.last.get(name) == (phase, step):
            return
        self.last[name] = (phase, step)
        pct = "" if fraction is None else f" {fraction * 100:3.0f}%"
        print(f"[{done}/{total} done] {name}: {phase}{pct}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise CliError("--jobs must be 1 or more")
    try:
        header = SeriesHeader.load(args.header)
        episodes = collect_episodes(args.inputs)
    except SeasonError as exc:
        raise CliError(str(exc)) from None
    cfg = apply_catalogue_option(args, settings())
    engine = args.engine or cfg.default_engine
    if engine == "audioshake" and not args.yes:
        raise CliError("AudioShake charges per minute: run `cuesheet identify --engine audioshake` first to see "
                       "the estimate, then pass --yes to batch")
    out_dir = Path(args.out_dir)
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        results = run_batch(episodes, header, out_dir, engine, Path(args.library) if args.library else None,
                            jobs=args.jobs, progress=_Printer(args.quiet or args.json), cancel=cancel,
                            audio_stream=args.audio_stream)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        csv_path, xlsx_path = season_report.write([s for _, s in load_projects(results)], out_dir)
    except WriteError as exc:
        raise CliError(str(exc)) from None
    failed = [r for r in results if r.state == "failed"]
    counts = {state: sum(1 for r in results if r.state == state)
              for state in ("done", "skipped", "header", "failed", "cancelled")}
    lines = [f"{r.episode.name}: {r.state}{' - ' + r.error if r.error else ''} ({r.cues} cues)" for r in results]
    lines.append(f"{counts['done']} identified, {counts['skipped'] + counts['header']} already done "
                 f"({counts['header']} with the header updated), {counts['failed']} failed; "
                 f"season report: {csv_path}, {xlsx_path}")
    emit(args, "\n".join(lines), {
        "episodes": [{"episode": str(r.episode), "project": str(r.project), "state": r.state, "cues": r.cues,
                      "error": r.error} for r in results],
        "counts": counts, "season_csv": str(csv_path), "season_xlsx": str(xlsx_path)})
    if cancel.cancelled:
        info(args, "cancelled: finished episodes are kept; run the same command again to resume")
        return EXIT_CANCELLED
    return 2 if failed else 0
