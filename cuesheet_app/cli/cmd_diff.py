"""``cuesheet diff A.cuesheet B.cuesheet [--json]``: cue-level differences between two sheets."""

from __future__ import annotations

import argparse
from typing import Any

from cuesheet_app.cli.common import load_project
from cuesheet_app.cli.output import emit
from cuesheet_app.domain.sheet_diff import describe, diff_sheets


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("diff", parents=[common], help="compare two cue sheets cue by cue",
                       description="Added, removed and changed cues (which fields, old → new) and how many "
                                   "are unchanged. Exit 0 when the sheets have the same cues, 1 when they differ.")
    p.add_argument("a", metavar="A.cuesheet")
    p.add_argument("b", metavar="B.cuesheet")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    a, b = load_project(args.a), load_project(args.b)
    diff = diff_sheets(a, b)
    head = f"{args.a} → {args.b}"
    emit(args, "\n".join([head, *describe(diff)]), diff.to_json())
    return 0 if diff.empty else 1
