"""Atomic file replacement: a failed write never leaves a half-written file over a good one."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO


class WriteError(OSError):
    """Writing failed; the previous file (if any) is untouched. The message names the file."""


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], backup: bool = False) -> Iterator[BinaryIO]:
    """Write to a temp file beside ``path``; fsync, then rename over it.

    With ``backup``, the previous version is kept as ``<name>~`` (hard link when
    possible, so there is never a moment without a complete file at ``path``).
    """
    with _replacing(Path(path), ".tmp", backup) as tmp, open(tmp, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, backup: bool = False) -> None:
    with atomic_open(path, backup=backup) as fh:
        fh.write(data)


def atomic_write_with(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> None:
    """For libraries that insist on writing to a path (openpyxl, reportlab): they write a temp path."""
    target = Path(path)
    # the target's suffix: some writers choose the format from it
    with _replacing(target, target.suffix or ".tmp") as tmp:
        writer(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())


@contextlib.contextmanager
def _replacing(target: Path, suffix: str, backup: bool = False) -> Iterator[Path]:
    """A temp path beside ``target`` that replaces it when the block succeeds, and vanishes if not.

    The temp name starts with '.' and, with suffix '.tmp', never matches a glob for the target's type.
    """
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=directory)
    except OSError as exc:
        raise WriteError(f"Cannot write {target}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if backup and target.exists():
            _keep_backup(target)
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        _fsync_dir(directory)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(f"Cannot write {target}: {exc.strerror or exc}") from exc
        raise


def _keep_backup(target: Path) -> None:
    bak = target.with_name(target.name + "~")
    with contextlib.suppress(FileNotFoundError):
        bak.unlink()
    try:
        os.link(target, bak)
    except OSError:
        shutil.copy2(target, bak)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
