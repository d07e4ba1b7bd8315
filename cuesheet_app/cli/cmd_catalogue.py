"""``cuesheet catalogue import|export|find``: the rights catalogue."""

from __future__ import annotations

import argparse
from typing import Any

from cuesheet_app.cli.errors import CliError


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("catalogue", parents=[common], help="rights catalogue: import, export, find",
                       description="The rights catalogue that fills writers and publishers automatically.")
    cat_sub = p.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True)
    imp = cat_sub.add_parser("import", parents=[common], help="import a metadata sheet (csv/xlsx) or audio tags")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    exp = cat_sub.add_parser("export", parents=[common], help="back up the catalogue to csv/xlsx")
    exp.add_argument("file", metavar="FILE")
    find = cat_sub.add_parser("find", parents=[common], help="search titles, writers, publishers, ISRC, ISWC")
    find.add_argument("text", metavar="TEXT")
    for sp in (imp, exp, find):
        sp.add_argument("--catalogue", metavar="FILE.sqlite", help="default: from settings")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from cuesheet_app.cli import catalogue_cli
    except ModuleNotFoundError:
        raise CliError("The rights catalogue is not available in this build") from None
    return catalogue_cli.run(args)
