"""``cuesheet library add|remove|list|stats|upgrade``: the local engine's reference library."""

from __future__ import annotations

import argparse
from typing import Any

from cuesheet_app.cli.errors import CliError


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("library", parents=[common], help="manage the local reference library",
                       description="Index reference tracks for the local engine.")
    lib_sub = p.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    add = lib_sub.add_parser("add", parents=[common], help="index audio files and folders")
    add.add_argument("paths", nargs="+", metavar="PATH")
    add.add_argument("--library", metavar="DIR")
    add.add_argument("--metadata", metavar="FILE.csv|.xlsx", help="rights metadata sheet")
    for name, helptext in (("remove", "drop tracks from the index"), ("list", "list indexed tracks"),
                           ("stats", "index size, counts and format"),
                           ("upgrade", "re-index a library built by an older version")):
        sp = lib_sub.add_parser(name, parents=[common], help=helptext)
        if name == "remove":
            sp.add_argument("paths", nargs="+", metavar="PATH")
        sp.add_argument("--library", metavar="DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from cuesheet_app.cli import library_cli
    except ModuleNotFoundError:
        raise CliError("The local reference library is not available in this build") from None
    return library_cli.run(args)
