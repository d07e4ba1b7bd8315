"""`.cuesheet` project files: JSON with a schema version, saved atomically with a backup.

Older schema versions are migrated on load; newer ones are refused, because
saving a file we only half understand would silently drop what we did not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cuesheet_app import __version__
from cuesheet_app.domain.model import CueSheet
from cuesheet_app.storage.atomic import atomic_write_bytes

SCHEMA_VERSION = 3
FORMAT = "cuesheet-project"
SUFFIX = ".cuesheet"


class ProjectError(Exception):
    """A project could not be loaded; nothing was changed on disk."""


def _migrate_1_to_2(d: dict[str, Any]) -> dict[str, Any]:
    """v1 stored cue times as seconds (text); v2 stores frames at the header's rate."""
    from cuesheet_app.domain.timecode import frame_rate, seconds_to_frames

    rate = frame_rate(d.get("header", {}).get("frame_rate", "25"))
    for cue in d.get("cues", []):
        for key in ("start", "end"):
            if f"{key}_s" in cue:
                cue[key] = seconds_to_frames(str(cue.pop(f"{key}_s")), rate)
    return d


def _migrate_2_to_3(d: dict[str, Any]) -> dict[str, Any]:
    """v3 adds the sheet's status (draft / ready for review / submitted) and its date, and the
    previous version a revision is compared with. A v2 sheet was never submitted through the
    app, so it is a draft without a previous version."""
    header = d.setdefault("header", {})
    header.setdefault("status", "draft")
    header.setdefault("status_date", "")
    d.setdefault("previous", None)
    return d


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _migrate_1_to_2, 2: _migrate_2_to_3}


def to_json(sheet: CueSheet) -> str:
    return dict_to_json(sheet.to_dict())


def dict_to_json(data: dict[str, Any]) -> str:
    """File text for a ``CueSheet.to_dict()`` snapshot: lets the GUI serialise on its write thread."""
    doc = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "app_version": __version__, **data}
    return json.dumps(doc, indent=1, ensure_ascii=False)


def from_json(text: str | bytes, source: str = "project") -> CueSheet:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        stripped = text.rstrip() if isinstance(text, str) else text.rstrip().decode("utf-8", "replace")
        hint = " (the file looks truncated)" if not stripped.endswith("}") else ""
        raise ProjectError(
            f"{source} is not a valid project: {exc.msg} at line {exc.lineno}, column {exc.colno}{hint}"
        ) from None
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{source} is not a valid project: not UTF-8 text (byte {exc.start})") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ProjectError(f"{source} is not a cue sheet project (no schema_version)")
    version = data["schema_version"]
    if not isinstance(version, int) or version < 1:
        raise ProjectError(f"{source}: schema_version {version!r} is not valid")
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"{source} was saved by a newer version of the app (project schema {version}, this app "
            f"reads up to {SCHEMA_VERSION}); update the app to open it"
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    try:
        return CueSheet.from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ProjectError(f"{source}: unexpected content ({exc})") from None


def save(sheet: CueSheet, path: str | Path) -> None:
    """Atomic; the previous version stays as ``<name>~``."""
    atomic_write_bytes(path, to_json(sheet).encode("utf-8"), backup=True)


def load(path: str | Path) -> CueSheet:
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise ProjectError(f"{p} is a folder, not a project file") from None
    except FileNotFoundError:
        raise ProjectError(f"{p} does not exist") from None
    except OSError as exc:
        raise ProjectError(f"Cannot read {p}: {exc.strerror or exc}") from None
    if not data.strip():
        raise ProjectError(f"{p} is empty")
    return from_json(data, str(p))
