"""``cuesheet catalogue migrate|sync|history|password``: the team catalogue's own commands."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from cuesheet_app.cli.catalogue_option import catalogue_location, open_catalogue_from_args
from cuesheet_app.cli.common import settings
from cuesheet_app.cli.errors import EXIT_FINDINGS, EXIT_OK, CliError
from cuesheet_app.cli.output import emit, info
from cuesheet_app.rights.errors import CatalogueError, SchemaError
from cuesheet_app.rights.location import check_url, connection_parts, is_server_url, redact_url


def run(args: argparse.Namespace) -> int:
    command = args.catalogue_command
    try:
        if command == "migrate":
            return _migrate(args)
        if command == "sync":
            return _sync(args)
        if command == "password":
            return _password(args)
        return _history(args)
    except (CatalogueError, SchemaError) as exc:
        raise CliError(str(exc)) from None


def _migrate(args: argparse.Namespace) -> int:
    from cuesheet_app.rights.offline import open_catalogue
    from cuesheet_app.rights.transfer import transfer

    source = catalogue_location(args)
    if isinstance(source, Path) and not source.exists():
        raise CliError(f"No rights catalogue at {source} to migrate")
    target = check_url(args.to) if is_server_url(args.to) else Path(args.to)
    if str(target) == str(source):
        raise CliError("--to names the catalogue being copied; give the team server's URL")
    user = settings().catalogue_display_name
    with open_catalogue_from_args(args) as src, open_catalogue(target, user=user, offline_ok=False) as dst:
        report = transfer(src, dst)
    lines = [*(f"kept: {d}" for d in report.differences), *(f"REFUSED {r}" for r in report.refused),
             report.summary()]
    emit(args, "\n".join(lines), report.to_dict())
    return EXIT_FINDINGS if report.refused else EXIT_OK


def _sync(args: argparse.Namespace) -> int:
    from cuesheet_app.rights.offline import cache_place, refresh_cache

    location = catalogue_location(args)
    if not is_server_url(str(location)):
        raise CliError("sync is for a team catalogue: give --catalogue postgresql://… or set catalogue_url")
    with open_catalogue_from_args(args) as cat:
        if getattr(cat, "offline", False):
            raise CliError(f"The team catalogue is still unreachable: {cat.reason}")  # type: ignore[attr-defined]
        counts = refresh_cache(cat, cache_place(str(location)).cache)
    emit(args, f"Read cache refreshed from {redact_url(str(location))}: {counts.get('works', 0)} work(s), "
               f"{counts.get('recordings', 0)} recording(s)", {"catalogue": redact_url(str(location)), **counts})
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    with open_catalogue_from_args(args) as cat:
        works = {h.work.id: h.work for h in cat.search(args.text) if h.work is not None}
        lines: list[str] = []
        data = []
        for work in works.values():
            entries = cat.history(work.id)
            lines.append(f"{work.title} (work {work.id}, version {work.version})")
            lines += [f"  {e.line()}" for e in entries] or ["  (no recorded changes)"]
            data.append({"work": work.id, "title": work.title, "history": [e.__dict__ for e in entries]})
    emit(args, "\n".join(lines) or f"No work matches {args.text!r}", {"works": data})
    return EXIT_OK if works else EXIT_FINDINGS


def _password(args: argparse.Namespace) -> int:
    from cuesheet_app.settings.catalogue_secrets import account_for, set_db_password

    location = catalogue_location(args)
    if not is_server_url(str(location)):
        raise CliError("password is for a team catalogue: give --catalogue postgresql://user@host/db")
    parts = connection_parts(str(location))
    account = account_for(parts["user"], parts["host"], parts["port"], parts["dbname"])
    try:
        if args.forget:
            set_db_password(account, None)
            info(args, f"Password for {account} removed from the OS keyring")
            return EXIT_OK
        value = getpass.getpass(f"Password for {account}: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        if not value:
            raise CliError("No password given; nothing stored")
        set_db_password(account, value)
    except CliError:
        raise
    except Exception as exc:  # noqa: BLE001 - keyring backends raise their own types
        raise CliError(f"The OS keyring refused the password ({type(exc).__name__}); use PGPASSWORD or "
                       "~/.pgpass instead") from None
    info(args, f"Password for {account} stored in the OS keyring")
    return EXIT_OK
