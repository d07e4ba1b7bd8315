"""``--catalogue URL|FILE``: one option, one meaning, on every command that touches the catalogue.

Call ``add_catalogue_option(parser)`` when building a subcommand and ``apply_catalogue_option(args,
cfg)`` on its Settings before use (identify, import-edit, batch do this); commands that open the
catalogue themselves call ``open_catalogue_from_args(args)``. Precedence: ``--catalogue`` beats
``CUESHEET_CATALOGUE_URL`` beats the ``catalogue_url`` setting beats the personal SQLite file.
A URL carrying a password is refused with a message that shows it redacted.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cuesheet_app.cli.common import settings
from cuesheet_app.cli.errors import CliError
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.errors import CatalogueError, SchemaError
from cuesheet_app.rights.location import ENV_VAR, is_server_url, settings_location
from cuesheet_app.settings.store import Settings

HELP = ("rights catalogue: a SQLite file or a team server postgresql://user@host/db (password from the "
        "OS keyring, PGPASSWORD or ~/.pgpass); default: CUESHEET_CATALOGUE_URL, then settings")


def add_catalogue_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalogue", metavar="URL|FILE", default=None, help=HELP)


def catalogue_location(args: argparse.Namespace, cfg: Settings | None = None) -> str | Path:
    """Where the catalogue is for this command (a Path, or a password-free server URL)."""
    try:
        return settings_location(cfg or settings(), getattr(args, "catalogue", None))
    except CatalogueError as exc:
        raise CliError(str(exc)) from None


def apply_catalogue_option(args: argparse.Namespace, cfg: Settings) -> Settings:
    """Point ``cfg`` at the catalogue this command should use (services read it from Settings).

    An explicit ``--catalogue`` also becomes this process's ``CUESHEET_CATALOGUE_URL`` so it beats
    the environment everywhere below, including worker processes (``batch``).
    """
    location = catalogue_location(args, cfg)
    if getattr(args, "catalogue", None):
        os.environ[ENV_VAR] = str(location)
    if is_server_url(str(location)):
        cfg.catalogue_url = str(location)
    else:
        cfg.catalogue_url = ""
        cfg.catalogue_path = str(location)
    return cfg


def open_catalogue_from_args(args: argparse.Namespace, cfg: Settings | None = None) -> Catalogue:
    """The open catalogue, with CLI-friendly errors; offline edits left from earlier are replayed
    (and reported on stderr) when a server is back."""
    from cuesheet_app.cli.output import info
    from cuesheet_app.rights.offline import open_catalogue

    cfg = cfg or settings()
    location = catalogue_location(args, cfg)
    try:
        cat = open_catalogue(location, user=cfg.catalogue_display_name)
    except (CatalogueError, SchemaError) as exc:
        raise CliError(str(exc)) from None
    replayed = getattr(cat, "replayed", None)
    if replayed is not None:
        info(args, f"Team catalogue: {replayed.summary()}")
        for entry in [*replayed.conflicts, *replayed.failed]:
            info(args, f"  {entry.describe()}: {entry.message}")
    if getattr(cat, "offline", False):
        info(args, f"Team catalogue offline ({cat.reason}); using the local read cache, "  # type: ignore[attr-defined]
                   "edits wait in the outbox")
    return cat
