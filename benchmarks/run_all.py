"""Run every benchmark script in this folder and print what each measured.

    .venv/bin/python benchmarks/run_all.py [NAME_SUBSTRING...]

Each ``benchmarks/*.py`` (except this file and names starting with ``_``) runs in its own
process with its default arguments, one after the other so they do not compete for the
CPU. Exit status: 0 when every script exited 0 (a script exits non-zero when it misses its
target or fails), 1 otherwise.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT_S = 1800


def scripts(filters: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    return [p for p in found if not filters or any(f in p.stem for f in filters)]


def main(argv: list[str]) -> int:
    failed: list[str] = []
    todo = scripts(argv)
    if not todo:
        print("no benchmark scripts found" + (f" matching {argv}" if argv else ""))
        return 1
    for script in todo:
        print(f"== {script.name}", flush=True)
        t0 = time.perf_counter()
        try:
            result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, timeout=TIMEOUT_S)
            code = result.returncode
        except subprocess.TimeoutExpired:
            print(f"   timed out after {TIMEOUT_S} s")
            code = -1
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"   {status}, {time.perf_counter() - t0:.1f} s\n", flush=True)
        if code != 0:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    print(f"all {len(todo)} benchmark(s) passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
