"""Where the app keeps its files, from platformdirs.

``CUESHEET_HOME`` moves everything under one folder: tests and portable installs use it.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "cuesheet"
APP_AUTHOR = "cuesheet"


def _home() -> Path | None:
    value = os.environ.get("CUESHEET_HOME")
    return Path(value) if value else None


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def cache_dir() -> Path:
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


def default_library_dir() -> Path:
    return data_dir() / "library"


def default_catalogue_path() -> Path:
    return data_dir() / "catalogue.sqlite"


def autosave_dir() -> Path:
    return data_dir() / "autosave"


def peaks_cache_dir() -> Path:
    return cache_dir() / "peaks"


def results_cache_dir() -> Path:
    return cache_dir() / "results"


def demo_dir() -> Path:
    return data_dir() / "demo"


def ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
