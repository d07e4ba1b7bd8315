"""File identity: path + size + mtime for caches, plus a content fingerprint that survives a move."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

_CHUNK = 1 << 20


def quick_fingerprint(path: str | os.PathLike[str]) -> str:
    """sha256 of size + first/middle/last MiB: fast on a 50 GB MXF, stable across copies."""
    p = Path(path)
    size = p.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with open(p, "rb") as fh:
        for offset in sorted({0, max(0, size // 2 - _CHUNK // 2), max(0, size - _CHUNK)}):
            fh.seek(offset)
            h.update(fh.read(_CHUNK))
    return "q1:" + h.hexdigest()[:32]


def content_hash(path: str | os.PathLike[str], on_chunk: Callable[[int, int], None] | None = None) -> str:
    """Full sha256: for result caches where a near-collision would cost money.

    ``on_chunk(bytes_done, size)`` runs after every MiB: hashing a 50 GB master takes minutes,
    so callers report progress there, and may raise to stop.
    """
    size = os.stat(path).st_size
    h = hashlib.sha256()
    done = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            done += len(chunk)
            if on_chunk is not None:
                on_chunk(done, size)
    return h.hexdigest()


def cache_key(path: str | os.PathLike[str]) -> str:
    p = Path(path).resolve()
    st = p.stat()
    return hashlib.sha256(f"{p}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:24]
