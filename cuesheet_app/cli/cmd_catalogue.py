"""``cuesheet catalogue import|export|find|history|migrate|sync|password``: the rights catalogue."""

from __future__ import annotations

import argparse
from typing import Any

from cuesheet_app.cli.errors import CliError


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    from cuesheet_app.cli.catalogue_option import add_catalogue_option

    p = sub.add_parser("catalogue", parents=[common], help="rights catalogue: import, export, find, migrate",
                       description="The rights catalogue that fills writers and publishers automatically: "
                                   "a personal SQLite file or a team's PostgreSQL server.")
    cat_sub = p.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True)
    imp = cat_sub.add_parser("import", parents=[common], help="import a metadata sheet (csv/xlsx) or audio tags")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    exp = cat_sub.add_parser("export", parents=[common], help="back up the catalogue to csv/xlsx")
    exp.add_argument("file", metavar="FILE")
    find = cat_sub.add_parser("find", parents=[common], help="search titles, writers, publishers, ISRC, ISWC")
    find.add_argument("text", metavar="TEXT")
    hist = cat_sub.add_parser("history", parents=[common],
                              help="who changed a work's parties, identifiers or shares, and when")
    hist.add_argument("text", metavar="TEXT", help="a title, ISWC or ISRC (every matching work is shown)")
    mig = cat_sub.add_parser("migrate", parents=[common],
                             help="copy this catalogue to another (e.g. the team server); safe to repeat")
    mig.add_argument("--to", required=True, metavar="URL|FILE", dest="to")
    sync = cat_sub.add_parser("sync", parents=[common],
                              help="team server: apply offline edits and refresh the local read cache")
    pw = cat_sub.add_parser("password", parents=[common],
                            help="store the team server's password in the OS keyring (read from the terminal)")
    pw.add_argument("--forget", action="store_true", help="remove the stored password")
    for sp in (imp, exp, find, hist, mig, sync, pw):
        add_catalogue_option(sp)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from cuesheet_app.cli import catalogue_cli
    except ModuleNotFoundError:
        raise CliError("The rights catalogue is not available in this build") from None
    return catalogue_cli.run(args)
