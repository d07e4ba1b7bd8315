"""CLI adapter for ``cuesheet library add|remove|list|stats|upgrade`` (the parser is cli/cmd_library.py).

Everything goes through the ``identify.local.library.Library`` API the GUI uses too; this
module only adds terminal progress, Ctrl-C, one-line errors and --json output.
"""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from cuesheet_app.cli.common import settings
from cuesheet_app.cli.errors import EXIT_CANCELLED, CliError
from cuesheet_app.cli.output import emit, info
from cuesheet_app.cli.progress import TerminalProgress
from cuesheet_app.identify.base import Cancelled, CancelToken
from cuesheet_app.identify.local.library import Library, LibraryError
from cuesheet_app.rights.metadata_sheet import MetadataSheetError, read_metadata_sheet
from cuesheet_app.storage.atomic import WriteError


def _library(args: argparse.Namespace) -> Library:
    folder = Path(args.library) if getattr(args, "library", None) else settings().library_dir()
    return Library(folder)


def run(args: argparse.Namespace) -> int:
    try:
        return _COMMANDS[args.library_command](args, _library(args))
    except (LibraryError, MetadataSheetError, WriteError) as exc:
        raise CliError(str(exc)) from None


def _add(args: argparse.Namespace, lib: Library) -> int:
    sheet = read_metadata_sheet(args.metadata) if args.metadata else None
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    bar = TerminalProgress(label="library", quiet=args.quiet or args.json)
    try:
        report = lib.add([Path(p) for p in args.paths], metadata=sheet, progress=bar, cancel=cancel)
    except Cancelled:
        bar.close()
        info(args, "cancelled (tracks indexed so far are kept)")
        return EXIT_CANCELLED
    finally:
        signal.signal(signal.SIGINT, previous)
    bar.close()
    for line in report.sheet_errors:
        info(args, f"warning: {line}")
    sheet_counts: dict[str, int] = {}
    if sheet is not None:
        notes = sheet.note_lines()
        if notes:
            info(args, f"note: {len(notes)} value(s) normalised, e.g. {notes[0]}")
        unmatched = set(report.unmatched_rows)
        sheet_counts = {
            "rows_applied_with_problems": sum(1 for r in sheet.rows_with_problems if r.row not in unmatched),
            "values_normalised": len(notes),
        }
    if report.unmatched_rows and sheet is not None:
        info(args, f"warning: {sheet.path.name}: {len(report.unmatched_rows)} row(s) matched no file "
                   f"(rows {', '.join(map(str, report.unmatched_rows[:10]))}"
                   f"{'...' if len(report.unmatched_rows) > 10 else ''})")
    for _path, error in report.failed:
        info(args, f"failed: {error}")
    human = (f"{lib.folder}: {len(report.added)} added, {len(report.updated)} re-indexed, "
             f"{len(report.unchanged)} unchanged, {len(report.dropped)} dropped, {len(report.failed)} failed")
    if sheet_counts.get("rows_applied_with_problems"):
        human += f"; {sheet_counts['rows_applied_with_problems']} sheet row(s) applied with problems"
    emit(args, human, {"library": str(lib.folder), **report.to_dict(), **sheet_counts})
    if report.failed and not (report.added or report.updated or report.unchanged):
        return 2
    return 0


def _remove(args: argparse.Namespace, lib: Library) -> int:
    removed = lib.remove([Path(p) for p in args.paths])
    if not removed:
        raise CliError(f"{lib.folder}: no indexed track matches {', '.join(args.paths)}")
    emit(args, f"{lib.folder}: removed {len(removed)} track(s)",
         {"library": str(lib.folder), "removed": [r.path for r in removed]})
    return 0


def _list(args: argparse.Namespace, lib: Library) -> int:
    tracks = lib.tracks()
    lines = []
    for t in tracks:
        who = ", ".join(t.metadata.get("artists") or [])
        cat = t.metadata.get("catalogue_number", "")
        lines.append(f"{t.duration_s:8.1f}s  {t.title}" + (f" — {who}" if who else "")
                     + (f" [{cat}]" if cat else "") + f"  ({t.path})")
    emit(args, "\n".join(lines) if lines else f"{lib.folder}: empty library",
         {"library": str(lib.folder),
          "tracks": [{"id": t.id, "path": t.path, "duration_s": t.duration_s, "hashes": t.hashes,
                      "metadata_source": t.metadata_source, **t.metadata} for t in tracks]})
    return 0


def _stats(args: argparse.Namespace, lib: Library) -> int:
    s = lib.stats()
    human = (f"{s.folder}: {s.tracks} track(s), {s.total_duration_s / 3600:.2f} h of audio, "
             f"{s.postings:,} landmarks, index {s.index_bytes / 1e6:.1f} MB, "
             f"{s.with_rights} with rights data, {s.missing_files} missing file(s); "
             f"format {s.format}" + (" (index damaged: run 'cuesheet library upgrade' to rebuild it)"
                                     if s.index_damaged else
                                     " (built by an older version: run 'cuesheet library upgrade')"
                                     if s.upgrade_needed else f", {s.segments} index segment(s)"
                                     + (f"; {s.held_hashes:,} hash(es) too common to look up, "
                                        f"{s.held_postings:,} landmarks held back "
                                        f"(over {s.posting_cap:,} postings a hash)" if s.held_hashes else "")))
    emit(args, human, s.to_dict())
    return 0


def _upgrade(args: argparse.Namespace, lib: Library) -> int:
    if not lib.needs_upgrade():
        emit(args, f"{lib.folder}: already in the current format", {"library": str(lib.folder), "upgraded": 0})
        return 0
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    bar = TerminalProgress(label="upgrade", quiet=args.quiet or args.json)
    try:
        report = lib.upgrade(progress=bar, cancel=cancel)
    except Cancelled:
        bar.close()
        info(args, "cancelled (tracks re-indexed so far are kept; run it again to finish)")
        return EXIT_CANCELLED
    finally:
        signal.signal(signal.SIGINT, previous)
    bar.close()
    for _path, error in report.failed:
        info(args, f"warning: {error}")
    emit(args, f"{lib.folder}: upgraded, {len(report.updated)} track(s) re-indexed, {len(report.failed)} not",
         {"library": str(lib.folder), "upgraded": len(report.updated), **report.to_dict()})
    return 0


_COMMANDS = {"add": _add, "remove": _remove, "list": _list, "stats": _stats, "upgrade": _upgrade}
