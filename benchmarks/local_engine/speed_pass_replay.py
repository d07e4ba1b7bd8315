"""Iterate on the speed pass alone, on the library-scale episode.

``capture``: run the engine once on the episode and keep what the speed pass receives (the
detected segments, the pair matches, both phases' fine peaks) in a pickle. ``replay``: run only
the speed pass on it and score its matches (spans as matched, no edge refinement or event
building, so the numbers compare variants, not the benchmark) with the benchmark's scoring.

    python benchmarks/local_engine/speed_pass_replay.py capture LIB_DIR EPISODE OUT.pkl
    python benchmarks/local_engine/speed_pass_replay.py replay LIB_DIR EPISODE OUT.pkl
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from library_scale_score import score  # noqa: E402

from cuesheet_app.identify.base import IdentifyRequest  # noqa: E402
from cuesheet_app.identify.local import engine as engine_mod  # noqa: E402
from cuesheet_app.identify.local import speed_pass  # noqa: E402
from cuesheet_app.identify.local.library import Library  # noqa: E402
from cuesheet_app.identify.local.matcher import MatchParams  # noqa: E402
from cuesheet_app.identify.local.spectro import FRAME_S  # noqa: E402
from cuesheet_app.identify.local.triplets import QUERY, QUERY_PARTNERS, TripletCollector  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def capture(lib: Path, episode: Path, out: Path) -> None:
    box: dict = {}

    def grab(index, collectors, segments, matches, params, cancel=None, pair_index=None):  # type: ignore[no-untyped-def]
        box.update(peaks=[c.peaks() for c in collectors], levels=[c.levels() for c in collectors],
                   segments=segments, matches=matches)
        return matches

    engine_mod.speed_matches = grab
    engine_mod.LocalEngine(lib).identify(IdentifyRequest(media_path=episode))
    out.write_bytes(pickle.dumps(box))


def replay(lib: Path, episode: Path, data: Path, pairs: bool = True) -> None:
    box = pickle.loads(data.read_bytes())
    library = Library(lib)
    collectors = []
    for (f, b), y in zip(box["peaks"], box["levels"], strict=True):  # a capture of format 4 or later
        c = TripletCollector(QUERY, QUERY_PARTNERS)
        c.frames, c.bins, c._levels = [f], [b], [y]
        collectors.append(c)
    drift = speed_pass.drifting(box["matches"])
    regions = speed_pass.unidentified_regions(box["segments"], [m for m in box["matches"] if m not in drift])
    print(f"regions: {len(regions)}, {sum(b - a for a, b in regions) * FRAME_S:.0f} s", flush=True)
    t0, c0 = time.time(), _cpu()
    found = speed_pass.speed_matches(library.load_triplet_index() if speed_pass.TRIPLET_PASS else None, collectors, box["segments"], box["matches"],
                                     MatchParams(), None, library.load_index() if pairs else None)
    wall, cpu = time.time() - t0, _cpu() - c0
    by_id = {int(t.id): t.path for t in library.tracks()}
    ident = [(m.start_frame * FRAME_S, m.end_frame * FRAME_S, by_id.get(m.track_id, "?"), m.ratio) for m in found]
    truth = json.loads(episode.with_suffix(".truth.json").read_text())
    s = score(truth, ident)
    d = s["details"]
    print(json.dumps({"speed_pass_wall_s": round(wall, 1), "speed_pass_cpu_s": round(cpu, 1),
                      "load": os.getloadavg(), "recall_loud": s["recall_loud"], "recall_m12": s["recall_m12"],
                      "recall_speed": s["recall_speed"], "wrong_ids": s["wrong_ids"],
                      "excerpts": d["excerpts"], "wrong": d.get("wrong_list")}, indent=None))
    for line in d["missed"]:
        if " none " not in line:
            print("missed", line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["capture", "replay"])
    ap.add_argument("library", type=Path)
    ap.add_argument("episode", type=Path)
    ap.add_argument("data", type=Path)
    ap.add_argument("--set", nargs="*", default=[], help="speed_pass constants, NAME=value")
    ap.add_argument("--no-pairs", action="store_true", help="no search at candidate factors (with "
                    "--set TRIPLET_PASS=True: the triplet speed pass as before)")
    a = ap.parse_args()
    for kv in a.set:
        k, v = kv.split("=")
        setattr(speed_pass, k, type(getattr(speed_pass, k))(eval(v)))  # noqa: S307 (a local experiment)
    if a.mode == "capture":
        capture(a.library, a.episode, a.data)
    else:
        replay(a.library, a.episode, a.data, not a.no_pairs)


if __name__ == "__main__":
    main()
