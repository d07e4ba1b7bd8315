"""Autosave and crash recovery (plain Python; the window schedules it on its write thread).

Each running window has a session id. While it has unsaved work it writes, every
minute, ``<session>-<n>.cuesheet`` files (the open project, and identification
results not yet saved anywhere) plus ``<session>.json`` saying what they are and
which process wrote them. A clean exit deletes them. At the next start, sessions
whose process is gone are offered for recovery: that is what a crash leaves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.settings import paths
from cuesheet_app.storage import project_file
from cuesheet_app.storage.atomic import atomic_write_bytes

log = logging.getLogger(__name__)


@dataclass
class AutosaveItem:
    """One unsaved project: ``kind`` is "document" (open in the editor) or "episode" (in the bin)."""

    kind: str
    data: dict[str, Any]  # ``CueSheet.to_dict()`` snapshot; serialised on the write thread
    project_path: str = ""
    media_path: str = ""
    file: str = ""


@dataclass
class Session:
    """A session's autosave as found on disk."""

    session_id: str
    pid: int
    saved_at: str
    items: list[AutosaveItem] = field(default_factory=list)
    meta_path: Path | None = None

    def load(self, item: AutosaveItem) -> CueSheet:
        directory = self.meta_path.parent if self.meta_path else paths.autosave_dir()
        return project_file.load(directory / item.file)

    def describe(self) -> str:
        names = []
        for it in self.items:
            if it.project_path:
                names.append(Path(it.project_path).name)
            elif it.media_path:
                names.append(Path(it.media_path).name)
            else:
                names.append("Untitled project")
        return f"{', '.join(names)} (autosaved {self.saved_at})"


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


def write_session(session_id: str, items: list[AutosaveItem], directory: Path | None = None) -> None:
    """Write every item, then the index; the index is written last so it never names a missing file."""
    directory = paths.ensure(directory or paths.autosave_dir())
    entries = []
    keep = set()
    for n, item in enumerate(items):
        name = f"{session_id}-{n}{project_file.SUFFIX}"
        atomic_write_bytes(directory / name, project_file.dict_to_json(item.data).encode("utf-8"))
        keep.add(name)
        entries.append({"kind": item.kind, "file": name, "project_path": item.project_path,
                        "media_path": item.media_path})
    meta = {"session": session_id, "pid": os.getpid(),
            "saved_at": dt.datetime.now().isoformat(timespec="seconds"), "items": entries}
    atomic_write_bytes(directory / f"{session_id}.json", json.dumps(meta, indent=1).encode("utf-8"))
    for stale in directory.glob(f"{session_id}-*{project_file.SUFFIX}"):
        if stale.name not in keep:
            with contextlib.suppress(OSError):
                stale.unlink()


def clear_session(session_id: str, directory: Path | None = None) -> None:
    directory = directory or paths.autosave_dir()
    if not directory.exists():
        return
    for f in [directory / f"{session_id}.json", *directory.glob(f"{session_id}-*{project_file.SUFFIX}")]:
        with contextlib.suppress(OSError):
            f.unlink()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return False  # our own pid in an old file: a previous run that had the same pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def find_orphans(own_session: str = "", directory: Path | None = None) -> list[Session]:
    """Sessions left by processes that are gone (crashes), newest first."""
    directory = directory or paths.autosave_dir()
    if not directory.exists():
        return []
    out = []
    for meta_path in directory.glob("*.json"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            session_id = str(meta["session"])
            pid = int(meta.get("pid", 0))
            items = [AutosaveItem(kind=str(e.get("kind", "document")), data={},
                                  project_path=str(e.get("project_path") or ""),
                                  media_path=str(e.get("media_path") or ""), file=str(e["file"]))
                     for e in meta.get("items", [])]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Ignoring unreadable autosave index %s: %s", meta_path, exc)
            continue
        if session_id == own_session or _alive(pid):
            continue
        items = [it for it in items if (directory / it.file).exists()]
        if items:
            out.append(Session(session_id, pid, str(meta.get("saved_at", "")), items, meta_path))
    out.sort(key=lambda s: s.saved_at, reverse=True)
    return out
