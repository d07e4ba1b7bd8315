"""``cuesheet validate PROJECT``: findings; exit 0 without errors, 1 with."""

from __future__ import annotations

import argparse
from typing import Any

from cuesheet_app.cli.common import load_project
from cuesheet_app.cli.errors import EXIT_FINDINGS, EXIT_OK
from cuesheet_app.cli.output import emit
from cuesheet_app.domain.validation import PROFILES, Severity, has_errors, validate


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("validate", parents=[common], help="check a project against a PRO profile",
                       description="Print validation findings. Exit 0 when there are no errors, 1 otherwise.")
    p.add_argument("project", metavar="PROJECT.cuesheet")
    p.add_argument("--profile", choices=sorted(PROFILES), default=None,
                   help="validation profile (default: the project's, else generic)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sheet = load_project(args.project)
    profile = args.profile or sheet.export_options.get("profile", "generic")
    findings = validate(sheet, profile)
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    lines = [f"{f.severity.value.upper():7} {f.message}" for f in findings]
    lines.append(f"{errors} error(s), {warnings} warning(s) ({PROFILES[profile].label} profile)")
    emit(args, "\n".join(lines), {"profile": profile, "errors": errors, "warnings": warnings,
                                   "findings": [f.to_dict() for f in findings]})
    return EXIT_FINDINGS if has_errors(findings) else EXIT_OK
