"""Helpers shared by subcommands: loading projects and settings with CLI-friendly errors."""

from __future__ import annotations

from pathlib import Path

from cuesheet_app.cli.errors import CliError
from cuesheet_app.domain.model import CueSheet
from cuesheet_app.settings.store import Settings, load_settings
from cuesheet_app.storage import project_file
from cuesheet_app.storage.atomic import WriteError


def load_project(path: str | Path) -> CueSheet:
    try:
        return project_file.load(path)
    except project_file.ProjectError as exc:
        raise CliError(str(exc)) from None


def save_project(sheet: CueSheet, path: str | Path) -> None:
    try:
        project_file.save(sheet, path)
    except WriteError as exc:
        raise CliError(str(exc)) from None


def settings() -> Settings:
    return load_settings()
