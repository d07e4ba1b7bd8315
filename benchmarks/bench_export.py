"""Export speed: a 1,000-cue sheet with 4 interested parties per cue, to xlsx, PDF and CSV.

    .venv/bin/python benchmarks/bench_export.py [N_CUES] [RUNS]

Targets (issue 7): xlsx under 2 s, PDF under 3 s. Times are wall clock for the whole
``export.registry.export`` call (build rows, validate, lay out, write atomically),
best and median of RUNS runs; the first PDF run also pays for loading the fonts.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cuesheet_app.export.options import ExportOptions  # noqa: E402
from cuesheet_app.export.registry import export  # noqa: E402
from tests.export_sample import big_sheet  # noqa: E402

TARGETS = {"xlsx": 2.0, "pdf": 3.0, "csv": None}


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    sheet = big_sheet(n, 4)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, target in TARGETS.items():
            times = []
            out = Path(tmp) / f"sheet.{fmt}"
            for _ in range(runs):
                t0 = time.perf_counter()
                export(sheet, fmt, out, ExportOptions())
                times.append(time.perf_counter() - t0)
            best, median = min(times), statistics.median(times)
            verdict = "" if target is None else (" OK" if median < target else f" SLOWER than {target:.0f} s")
            failed |= target is not None and median >= target
            extra = ""
            if fmt == "pdf":
                from pypdf import PdfReader

                extra = f", {len(PdfReader(out).pages)} pages"
            print(f"export {fmt:4s} {n} cues x 4 parties: best {best:.2f} s, median {median:.2f} s "
                  f"({out.stat().st_size / 1024:.0f} KiB{extra}){verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
