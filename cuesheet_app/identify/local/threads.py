"""Running independent numpy-heavy jobs of one identification on both (or all) cores.

Why threads, not processes: the pair pass's lookups, sorts and searches are numpy calls that
release the GIL, the jobs share the memory-mapped index and the episode's peaks (no copies,
no process start-up, nothing to pickle), and the engine runs inside the GUI's worker thread,
where starting processes is slow (spawn) or unsafe (fork). Measured in docs/engine-v2.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from cuesheet_app.identify.base import CancelToken


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a container's quota of a larger
    machine), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


THREADS = min(4, usable_cores())
"""Threads per identification; a caller running several identifications at once (the season
batch's worker processes) sets it to its share of the cores."""

_T = TypeVar("_T")
_R = TypeVar("_R")


def ordered_map(fn: Callable[[_T], _R], items: Iterable[_T], cancel: CancelToken | None = None,
                threads: int | None = None) -> Iterator[_R]:
    """``fn(x)`` for each of ``items`` on ``threads`` threads (``THREADS`` when None, read at
    each call so a caller or benchmark can change it), yielded in the items' order (the
    same results as one thread). A cancel (or any error) raises in the caller, and the jobs not
    yet started are dropped."""

    def run(x: _T) -> _R:
        if cancel is not None:
            cancel.raise_if_cancelled()
        return fn(x)

    items = list(items)
    threads = THREADS if threads is None else threads
    if threads <= 1 or len(items) < 2:
        for x in items:
            yield run(x)
        return
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="identify")
    try:
        yield from pool.map(run, items)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
