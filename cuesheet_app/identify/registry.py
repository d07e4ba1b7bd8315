"""Engine names -> engines. Imports are lazy so the CLI starts fast and a broken optional
engine cannot stop the other one."""

from __future__ import annotations

from pathlib import Path

from cuesheet_app.identify.base import Engine, IdentificationError
from cuesheet_app.settings.store import Settings

ENGINE_NAMES = ("local", "audioshake")
ENGINE_LABELS = {"local": "Local (offline, your library)", "audioshake": "AudioShake (cloud)"}


def create_engine(name: str, settings: Settings, library_dir: Path | None = None) -> Engine:
    if name == "local":
        from cuesheet_app.identify.local.engine import LocalEngine

        return LocalEngine.from_settings(settings, library_dir=library_dir)
    if name == "audioshake":
        from cuesheet_app.identify.audioshake.engine import AudioShakeEngine

        return AudioShakeEngine.from_settings(settings)
    raise IdentificationError(f"Unknown engine {name!r}; choose one of: {', '.join(ENGINE_NAMES)}")
