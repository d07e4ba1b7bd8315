"""Recall per group of a library-scale run already made, from its saved events: the worst group,
not only the mean.

    .venv/bin/python benchmarks/library_scale_groups.py --work DIR --tracks N [--episode-seed 13]

Groups: each excerpt condition (level x speed or tempo change), and each source package of the
real library music at 0/-6 dB (changed or not). The events are the ones ``library_scale.py``
(or ``library_scale_heldout.py`` with ``--episode-seed``) saved beside the episode; nothing runs
again, so a group table costs seconds and describes exactly the run in the results file.
Groups of fewer than 5 excerpts are listed but not ranked (one miss would be 20 % or more).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from library_scale import identifications  # noqa: E402
from library_scale_score import score  # noqa: E402

MIN_RANKED = 5


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--tracks", type=int, required=True)
    ap.add_argument("--episode-seed", type=int, help="the held-out episode (library_scale_heldout.py)")
    args = ap.parse_args(argv)
    if args.episode_seed is None:
        folder, suffix, seed = args.work / "episodes", "", 12
    else:
        folder, suffix, seed = args.work / "episodes-heldout", f"-s{args.episode_seed}", args.episode_seed
    truth = json.loads((folder / f"episode-s{seed}.truth.json").read_text())
    events = json.loads((folder / f"events-{args.tracks}{suffix}.json").read_text())["events"]
    details = score(truth, identifications(events, args.work / f"library-{args.tracks}"))["details"]
    rows = [(f"condition {k}", v) for k, v in details["excerpts"].items()]
    rows += [(f"package {k} (0/-6 dB)", v) for k, v in details["loud_by_package"].items()]
    print(f"| group ({args.tracks} tracks, episode seed {seed}) | found | excerpts | recall |")
    print("| --- | --- | --- | --- |")
    for name, (hit, n) in rows:
        print(f"| {name} | {hit} | {n} | {hit / n:.3f} |")
    ranked = [(hit / n, name) for name, (hit, n) in rows if n >= MIN_RANKED]
    packages = [(r, name) for r, name in ranked if name.startswith("package")]
    for label, pool in (("group", ranked), ("package", packages)):
        if pool:
            r, name = min(pool)
            print(f"worst {label} (>= {MIN_RANKED} excerpts): {name} {r:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
