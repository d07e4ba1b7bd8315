"""Rights catalogue speed: import a library sheet, re-import it, look up cues, search, back up.

    .venv/bin/python benchmarks/bench_catalogue.py [N_TRACKS]

No targets in the issue; this reports what a producer would wait for with a production
library of N_TRACKS tracks (default 5,000): preview + import, an unchanged re-import,
auto-filling 1,000 cues (ISRC, catalogue-number and title+artist hits), search latency
and a CSV/XLSX backup. Wall clock, one run, on whatever else the machine is doing.
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cuesheet_app.domain.model import Cue  # noqa: E402
from cuesheet_app.rights.autofill import fill_cues  # noqa: E402
from cuesheet_app.rights.backup import export_catalogue  # noqa: E402
from cuesheet_app.rights.catalogue import Catalogue  # noqa: E402
from cuesheet_app.rights.importer import import_file  # noqa: E402

HEADER = ["Library Name", "Album Code", "Track Title", "Track Number", "Artist(s)", "Composer(s)",
          "Publisher(s)", "ISRC", "Duration"]


def make_sheet(path: Path, n: int, rng: random.Random) -> list[list[str]]:
    writers = [f"Writer{i} Surname{i} [{rng.choice(['ASCAP', 'BMI', 'PRS'])}] [{rng.randrange(10**10):011d}]"
               for i in range(300)]
    pubs = [f"Publisher {i} Music [{rng.choice(['ASCAP', 'BMI', 'PRS'])}]" for i in range(40)]
    rows = []
    for i in range(n):
        w = rng.sample(writers, 2)
        rows.append([f"LIB{i // 2000}", f"ALB {i // 20:04d}", f"Track {i} {rng.choice(['Run', 'Dream', 'Rise'])}",
                     str(i % 20 + 1), f"Artist {i % 97}", f"{w[0]} 50%; {w[1]} 50%",
                     f"{rng.choice(pubs)} 100%", f"GBAAA{i:07d}", f"{rng.randrange(30, 300)}"])
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        out.writerows(rows)
    return rows


def timed(label: str, fn):  # noqa: ANN001, ANN202 - a tiny helper
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<44} {time.perf_counter() - t0:8.2f} s")
    return result


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "library.csv"
        rows = make_sheet(sheet, n, rng)
        with Catalogue(Path(tmp) / "cat.sqlite") as cat:
            print(f"Rights catalogue, {n} tracks")
            timed("preview (dry run)", lambda: import_file(cat, sheet, dry_run=True))
            rep = timed("import", lambda: import_file(cat, sheet))
            assert rep.count("add") == n, rep.summary()
            rep = timed("re-import (all unchanged)", lambda: import_file(cat, sheet))
            assert rep.count("unchanged") == n, rep.summary()
            cues = []
            for k in range(1000):
                r = rows[rng.randrange(n)]
                if k % 3 == 0:
                    cues.append(Cue(title=r[2], isrc=r[7]))
                elif k % 3 == 1:
                    cues.append(Cue(title=r[2], library=r[0], catalogue_number=r[1], track_number=r[3]))
                else:
                    cues.append(Cue(title=r[2], artists=[r[4]]))
            report = timed("auto-fill 1,000 cues", lambda: fill_cues(cat, cues))
            assert report.matched == 1000, report.matched
            timed("search 'surname12' x20", lambda: [cat.search("surname12") for _ in range(20)])
            timed("search ISRC x20", lambda: [cat.search(rows[7][7]) for _ in range(20)])
            timed("list everything (first 500 hits)", lambda: cat.search(""))
            timed("backup to CSV", lambda: export_catalogue(cat, Path(tmp) / "b.csv"))
            timed("backup to XLSX", lambda: export_catalogue(cat, Path(tmp) / "b.xlsx"))
            size = sum(p.stat().st_size for p in Path(tmp).glob("cat.sqlite*"))
            print(f"{'catalogue file size (with WAL)':<44} {size / 1e6:8.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
