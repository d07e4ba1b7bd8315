"""The settings file: versioned JSON in the config dir. Never holds the API key (keyring does)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from cuesheet_app.settings import paths
from cuesheet_app.settings.secrets import without_password
from cuesheet_app.storage.atomic import atomic_write_bytes

log = logging.getLogger(__name__)
SETTINGS_VERSION = 1
AUDIOSHAKE_DEFAULT_URL = "https://api.audioshake.ai"


@dataclass
class Settings:
    default_engine: str = "local"
    audioshake_base_url: str = AUDIOSHAKE_DEFAULT_URL
    audioshake_timeout_s: int = 3600
    library_dirs: list[str] = field(default_factory=list)  # empty: paths.default_library_dir()
    library_sources: list[str] = field(default_factory=list)  # music folders "Index now" adds to it
    catalogue_path: str = ""  # empty: paths.default_catalogue_path()
    catalogue_url: str = ""  # a team's PostgreSQL catalogue (postgresql://user@host/db, never a password)
    catalogue_display_name: str = ""  # who catalogue changes are recorded as; empty: the OS user
    default_frame_rate: str = "25"
    default_program_start: str = "01:00:00:00"
    rounding: str = "nearest"
    time_display: str = "timecode"  # the editor's In/Out/Duration: timecode, minutes (MM:SS) or seconds
    merge_gap_s: float = 2.0
    min_cue_length_s: float = 3.0
    short_cue_action: str = "flag"
    detection_sensitivity: float = 0.5  # 0 = strict, 1 = catch everything
    jobs_at_once: int = 1
    prepared_by: str = ""
    prepared_by_email: str = ""
    validation_profile: str = "generic"
    paper_size: str = "A4"
    orientation: str = "landscape"
    preroll_s: float = 2.0
    postroll_s: float = 1.0
    snapping: bool = True
    always_learn_rights: bool = False
    recent_projects: list[str] = field(default_factory=list)
    demo_offered: bool = False
    edit_rules: dict[str, Any] = field(default_factory=dict)  # music rules for edit lists; empty: defaults

    def library_dir(self) -> Path:
        return Path(self.library_dirs[0]) if self.library_dirs else paths.default_library_dir()

    def catalogue(self) -> Path:
        return Path(self.catalogue_path) if self.catalogue_path else paths.default_catalogue_path()

    def add_recent(self, path: str, keep: int = 10) -> None:
        self.recent_projects = [path] + [p for p in self.recent_projects if p != path]
        del self.recent_projects[keep:]


def settings_path() -> Path:
    return paths.config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """Unknown keys are ignored and bad values fall back to defaults: settings must never stop the app."""
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("Ignoring unreadable settings file %s: %s", path, exc)
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    defaults = Settings()
    kwargs: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name in data:
            value = data[f.name]
            default = getattr(defaults, f.name)
            if isinstance(default, bool) != isinstance(value, bool):
                continue
            if isinstance(default, (int, float)) and isinstance(value, (int, float)):
                kwargs[f.name] = type(default)(value)
            elif type(value) is type(default):
                kwargs[f.name] = value
    return Settings(**kwargs)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    path = path or settings_path()
    paths.ensure(path.parent)
    doc = {"settings_version": SETTINGS_VERSION, **asdict(settings)}
    doc["catalogue_url"] = without_password(settings.catalogue_url)
    atomic_write_bytes(path, json.dumps(doc, indent=2).encode("utf-8"))
