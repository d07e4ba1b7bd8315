"""``cuesheet export PROJECT --format xlsx|pdf|csv -o OUT``"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cuesheet_app.cli.common import load_project
from cuesheet_app.cli.errors import CliError
from cuesheet_app.cli.output import emit, info
from cuesheet_app.domain.timecode import Rounding
from cuesheet_app.domain.validation import PROFILES, Severity, validate
from cuesheet_app.export.options import ExportOptions
from cuesheet_app.export.registry import FORMATS, ExportError, export
from cuesheet_app.storage.atomic import WriteError


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("export", parents=[common], help="write the cue sheet as xlsx, pdf or csv",
                       description="Export a project. Options not given come from the project.")
    p.add_argument("project", metavar="PROJECT.cuesheet")
    p.add_argument("--format", "-f", choices=sorted(FORMATS), default=None,
                   help="default: from the output file's extension")
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.add_argument("--rounding", choices=[r.value for r in Rounding])
    p.add_argument("--relative-to", choices=["program", "media"])
    p.add_argument("--include-inactive", action="store_true", default=None)
    p.add_argument("--profile", choices=sorted(PROFILES))
    p.add_argument("--paper", choices=["A4", "Letter"])
    p.add_argument("--orientation", choices=["landscape", "portrait"])
    p.add_argument("--csv-variant", choices=["cues", "parties"])
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sheet = load_project(args.project)
    out = Path(args.output)
    fmt = args.format or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise CliError(f"Cannot tell the format from {out.name!r}; pass --format ({', '.join(FORMATS)})")
    options = ExportOptions.from_dict(sheet.export_options)
    for attr, value in (
        ("rounding", Rounding(args.rounding) if args.rounding else None),
        ("relative_to", args.relative_to),
        ("include_inactive", args.include_inactive),
        ("profile", args.profile),
        ("paper_size", args.paper),
        ("orientation", args.orientation),
        ("csv_variant", args.csv_variant),
    ):
        if value is not None:
            setattr(options, attr, value)
    try:
        export(sheet, fmt, out, options)
    except (ExportError, WriteError) as exc:
        raise CliError(str(exc)) from None
    # The file is written either way (a producer may need a draft); say what a PRO would reject.
    findings = validate(sheet, options.profile)
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    if errors:
        info(args, f"Note: the sheet has {errors} validation error(s) for the {options.profile} profile; "
                   f"run `cuesheet validate {args.project}` to see them")
    emit(args, f"Wrote {out}", {"output": str(out), "format": fmt, "options": options.to_dict(),
                                "validation_errors": errors,
                                "validation_warnings": len(findings) - errors})
    return 0
