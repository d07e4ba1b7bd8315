"""Finding a project's episode again after it moved (plain Python; the window asks the user).

A project stores the episode's path and a content fingerprint
(``media.identity.quick_fingerprint``). When the path no longer holds the same
file, we look for a file of the same name and size near the project and near the
old location, and accept it only when its fingerprint matches.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cuesheet_app.domain.model import MediaRef
from cuesheet_app.media.identity import quick_fingerprint

_MAX_FILES = 20000  # a search near the project must stay quick, even next to a big share


def same_file(ref: MediaRef, path: Path) -> bool:
    """True when ``path`` holds the episode ``ref`` describes (size + content fingerprint)."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if ref.size and size != ref.size:
        return False
    if not ref.fingerprint:
        return True
    try:
        return quick_fingerprint(path) == ref.fingerprint
    except OSError:
        return False


def media_status(ref: MediaRef) -> str:
    """"ok", "missing" (no file at the path) or "changed" (another file is there now)."""
    path = Path(ref.path)
    if not path.is_file():
        return "missing"
    return "ok" if same_file(ref, path) else "changed"


def _walk(root: Path, depth: int) -> Iterator[Path]:
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for e in entries:
        if e.name.startswith("."):
            continue
        try:
            if e.is_file():
                yield Path(e.path)
            elif e.is_dir() and depth > 0:
                yield from _walk(Path(e.path), depth - 1)
        except OSError:
            continue


def search_roots(ref: MediaRef, project_path: Path | None) -> list[Path]:
    roots: list[Path] = []
    if project_path is not None:
        roots += [project_path.parent, project_path.parent.parent]
    old = Path(ref.path).parent
    roots += [old, old.parent]
    seen: list[Path] = []
    for r in roots:
        if r.is_dir() and r not in seen:
            seen.append(r)
    return seen


def find_moved(ref: MediaRef, project_path: Path | None, extra_roots: list[Path] | None = None,
               depth: int = 3) -> Path | None:
    """The moved episode, when a file near the project or the old place has its fingerprint."""
    name = Path(ref.path).name
    checked = 0
    candidates: list[Path] = []
    for root in [*(extra_roots or []), *search_roots(ref, project_path)]:
        for p in _walk(root, depth):
            checked += 1
            if checked > _MAX_FILES:
                break
            if p in candidates:
                continue
            try:
                if ref.size and p.stat().st_size != ref.size:
                    continue
            except OSError:
                continue
            candidates.append(p)
    # Same name first: cheaper to confirm and the likely answer.
    candidates.sort(key=lambda p: p.name != name)
    for p in candidates:
        if p.resolve() == Path(ref.path).resolve() and not p.exists():
            continue
        if same_file(ref, p):
            return p
    return None


def relinked(ref: MediaRef, path: Path) -> MediaRef:
    """The reference pointing at ``path`` (fingerprint and timing kept: it is the same file)."""
    st = path.stat()
    return MediaRef(path=str(path.resolve()), size=st.st_size, mtime=st.st_mtime,
                    fingerprint=ref.fingerprint or quick_fingerprint(path), duration_s=ref.duration_s,
                    start_timecode=ref.start_timecode, frame_rate=ref.frame_rate,
                    audio_stream=ref.audio_stream)
