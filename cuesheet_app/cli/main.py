"""Entry point: parse arguments, run a subcommand, turn exceptions into one readable line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from cuesheet_app import __version__
from cuesheet_app.cli import (
    cmd_batch,
    cmd_catalogue,
    cmd_diff,
    cmd_export,
    cmd_gui,
    cmd_identify,
    cmd_import_edit,
    cmd_import_events,
    cmd_library,
    cmd_revise,
    cmd_validate,
)
from cuesheet_app.cli.errors import EXIT_CANCELLED, EXIT_FAILURE, CliError

COMMANDS = (cmd_gui, cmd_identify, cmd_library, cmd_export, cmd_validate, cmd_import_events, cmd_import_edit,
            cmd_catalogue, cmd_revise, cmd_diff, cmd_batch)


def _common_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", default=default,
                        help="no progress or informational output")
    parser.add_argument("--json", action="store_true", default=default, help="machine-readable output on stdout")
    parser.add_argument("--debug", action="store_true", default=default, help="show tracebacks and debug logging")


def build_parser() -> argparse.ArgumentParser:
    # Subcommands repeat the common options so they work on either side of the command name;
    # SUPPRESS there keeps a subparser's default from overwriting a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    _common_options(common, argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="cuesheet",
        description="Broadcast music cue sheets from episode media. Without a command, opens the app.",
    )
    _common_options(parser, False)
    parser.add_argument("--version", action="version", version=f"cuesheet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        args = parser.parse_args(["gui", *argv])
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args) or 0)
    except CliError as exc:
        if args.debug:
            raise
        print(f"cuesheet: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("\ncuesheet: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # noqa: BLE001 - one readable line unless --debug
        if args.debug:
            raise
        from cuesheet_app.settings.secrets import redact

        print(f"cuesheet: error: {redact(str(exc)) or type(exc).__name__}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
