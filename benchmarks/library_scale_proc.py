"""Run a benchmarked program in a child and measure its wall time, CPU time and peak memory.

Why not ``os.wait4`` on a child forked from the harness: on Linux a forked child starts with
the parent's memory high-water mark and keeps it across ``exec`` (the kernel carries the old
address space's peak into the new program's ``ru_maxrss``). After the harness has indexed a
library in-process (1.6 GB), every child it forks reported 1.6 GB, Olaf's 12-second query
included. So the program is started by a small launcher (a fresh Python of ~10 MB), which
forks it and reports the ``wait4`` figures of *its* child: the program's own peak, plus at
most the launcher's ~10 MB floor.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_LAUNCHER = (
    "import json, os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, ru = os.wait4(p.pid, 0)\n"
    "open(sys.argv[1], 'w').write(json.dumps({'status': os.waitstatus_to_exitcode(status),\n"
    "    'cpu_s': ru.ru_utime + ru.ru_stime, 'maxrss_kb': ru.ru_maxrss}))\n"
)


def run_measured(cmd: list[str], *, env: dict | None = None, cwd: Path | str | None = None,
                 stdout=None, stderr=None) -> dict:  # type: ignore[no-untyped-def]
    """``cmd`` to completion: ``{"status", "wall_s", "cpu_s", "peak_rss_mb", "load"}``
    (``load``: the 1/5/15-minute load averages at the start and at the end)."""
    fd, report = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    load = os.getloadavg()
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", _LAUNCHER, report, *cmd], env=env, cwd=cwd,
                              stdout=stdout, stderr=stderr, check=False)
        wall = time.perf_counter() - t0
        got = json.loads(Path(report).read_text() or "{}")
    finally:
        Path(report).unlink(missing_ok=True)
    return {"status": got.get("status", proc.returncode), "wall_s": round(wall, 2),
            "cpu_s": round(got.get("cpu_s", 0.0), 2), "peak_rss_mb": round(got.get("maxrss_kb", 0) / 1024, 1),
            "load": {"start": [round(x, 2) for x in load], "end": [round(x, 2) for x in os.getloadavg()]}}
