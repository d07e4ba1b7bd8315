"""``cuesheet catalogue ...``: the rights catalogue from a terminal (team commands: catalogue_team_cli).

Lives in cli/ (not rights/) because rights/ is an inner layer and may not import cli/.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from cuesheet_app.cli.catalogue_option import catalogue_location, open_catalogue_from_args
from cuesheet_app.cli.errors import EXIT_FINDINGS, EXIT_OK, CliError
from cuesheet_app.cli.output import emit, info
from cuesheet_app.cli.progress import TerminalProgress
from cuesheet_app.domain.identifiers import format_isrc, format_iswc
from cuesheet_app.domain.parties import format_parties
from cuesheet_app.domain.progress import Progress
from cuesheet_app.rights.backup import BackupError, export_catalogue
from cuesheet_app.rights.catalogue import Catalogue, CatalogueError, SchemaError
from cuesheet_app.rights.importer import ImportSourceError, import_file
from cuesheet_app.rights.records import SearchHit
from cuesheet_app.storage.atomic import WriteError


def run(args: argparse.Namespace) -> int:
    command = args.catalogue_command
    if command in ("migrate", "sync", "password", "history"):
        from cuesheet_app.cli import catalogue_team_cli

        return catalogue_team_cli.run(args)
    location = catalogue_location(args)
    if isinstance(location, Path):
        if command != "import" and not location.exists():
            raise CliError(f"No rights catalogue at {location} yet: import a metadata sheet first "
                           "(cuesheet catalogue import FILE)")
        if command == "import" and args.dry_run and not location.exists():
            # A preview writes nothing, not even an empty catalogue file.
            with tempfile.TemporaryDirectory(prefix="cuesheet-preview-") as tmp:
                args.catalogue = str(Path(tmp) / location.name)
                return _guarded(args, command)
    return _guarded(args, command)


def _guarded(args: argparse.Namespace, command: str) -> int:
    try:
        with open_catalogue_from_args(args) as cat:
            if command == "import":
                return _import(args, cat)
            if command == "export":
                return _export(args, cat)
            return _find(args, cat)
    except (CatalogueError, SchemaError, ImportSourceError, BackupError, WriteError) as exc:
        raise CliError(str(exc)) from None


def _import(args: argparse.Namespace, cat: Catalogue) -> int:
    bar = TerminalProgress(Path(args.file).name, quiet=args.quiet or args.json)
    try:
        report = import_file(cat, args.file, dry_run=args.dry_run,
                             progress=lambda phase, done, total: bar(Progress(phase, done / total,
                                                                              f"{done}/{total}")))
    finally:
        bar.close()
    lines = []
    for o in report.outcomes:
        if o.action == "skip":
            lines.append(f"SKIPPED {o.where}: {o.reason}")
        elif o.action != "unchanged":
            lines.append(f"{o.action.upper():7} {o.where}: {o.title}" + (f" ({'; '.join(o.changes)})"
                                                                         if o.changes else ""))
        if o.action != "skip":
            lines.extend(f"  left out: {line}" for line in o.problem_lines())
    notes = [f"{o.where}, {n}" for o in report.outcomes for n in o.notes]
    if notes:
        lines.append(f"{len(notes)} value(s) normalised, e.g. {notes[0]}")
    lines.append(report.summary() + ("" if report.applied else " (dry run: nothing written)"))
    emit(args, "\n".join(lines), {"catalogue": cat.where, **report.to_dict()})
    if report.applied:
        info(args, f"Catalogue {cat.where}: {_counts(cat)}")
    return EXIT_FINDINGS if report.skipped else EXIT_OK


def _export(args: argparse.Namespace, cat: Catalogue) -> int:
    rows = export_catalogue(cat, args.file)
    emit(args, f"{args.file}: {rows} row(s) from {cat.where}", {"file": str(args.file), "rows": rows,
                                                                "catalogue": cat.where})
    return EXIT_OK


def _find(args: argparse.Namespace, cat: Catalogue) -> int:
    hits = cat.search(args.text)
    lines = [_hit_line(h) for h in hits] or [f"Nothing in the catalogue matches {args.text!r}"]
    emit(args, "\n".join(lines), {"query": args.text, "count": len(hits), "hits": [_hit_dict(h) for h in hits]})
    return EXIT_OK if hits else EXIT_FINDINGS


def _counts(cat: Catalogue) -> str:
    c = cat.counts()
    return f"{c['works']} work(s), {c['recordings']} recording(s), {c['parties']} parties"


def _hit_line(hit: SearchHit) -> str:
    parts = [hit.title]
    rec, work = hit.recording, hit.work
    if rec and rec.artists:
        parts.append(", ".join(rec.artists))
    if rec and (rec.library or rec.catalogue_number):
        parts.append(" ".join(x for x in (rec.library, rec.catalogue_number, rec.track_number and
                                          f"#{rec.track_number}") if x))
    if rec and rec.isrc:
        parts.append(f"ISRC {format_isrc(rec.isrc)}")
    if work and work.iswc:
        parts.append(f"ISWC {format_iswc(work.iswc)}")
    if work and work.parties:
        parts.append(format_parties(work.parties))
    elif not work:
        parts.append("(no rights yet)")
    return " | ".join(parts)


def _hit_dict(hit: SearchHit) -> dict[str, object]:
    out: dict[str, object] = {"title": hit.title}
    if hit.recording:
        out["recording"] = dict(hit.recording.__dict__)
    if hit.work:
        out["work"] = {"id": hit.work.id, "title": hit.work.title, "iswc": hit.work.iswc,
                       "alt_titles": hit.work.alt_titles,
                       "parties": [p.to_dict() for p in hit.work.parties]}
    return out
