"""The library-scale query on another episode seed, against an already built library.

Why: ``library_scale.py`` ties the episode to the library's ``--seed`` (its decoys), so a
change tuned on the seed-12 episode would be reported on the episode it was tuned on. The
episode uses only the real library tracks, which every seed's library holds: this builds the
episode of ``--episode-seed`` and runs the engine on the library in ``--work`` (built by
``library_scale.py``), scored the same way.

    python benchmarks/library_scale_heldout.py --tracks 1000 --work DIR --episode-seed 13 --json OUT
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import library_scale as ls  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracks", type=int, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--episode-seed", type=int, required=True)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--json", type=Path, required=True)
    args = ap.parse_args()
    work = args.work.resolve()
    real = ls.real_music(work)
    lib_dir = work / f"library-{args.tracks}"
    stamp = json.loads((lib_dir / "scale_index.json").read_text())
    if not ls.reusable(stamp):
        raise SystemExit(f"{lib_dir} was built by other index code: run library_scale.py first")
    ls.bd.DATA = work
    folder = work / "episodes-heldout"
    folder.mkdir(parents=True, exist_ok=True)
    episode = folder / f"episode-s{args.episode_seed}.flac"
    truth = ls.build_episode(episode, args.minutes, real["library"], real["non_library"], args.episode_seed,
                             durations=real["seconds"], decode=lambda p, r: ls.decode_all(p, rate=r),
                             speech_pool=ls.bd.speech_pool, encode=lambda x, out: ls._write_flac(out, x, ls.EPISODE_RATE))
    episode_s = truth["segments"][-1]["end_s"]
    events_path = folder / f"events-{args.tracks}-s{args.episode_seed}.json"
    run = ls.run_engine(str(lib_dir), episode, events_path)
    events = json.loads(events_path.read_text())["events"]
    s = ls.score(truth, ls.identifications(events, lib_dir))
    (folder / f"missed-{args.tracks}-s{args.episode_seed}.txt").write_text("\n".join(s["details"].pop("missed")) + "\n")
    out = {"tracks": args.tracks, "episode_seed": args.episode_seed, "episode_minutes": round(episode_s / 60, 2),
           "recall_loud": s["recall_loud"], "recall_m12": s["recall_m12"], "recall_speed": s["recall_speed"],
           "wrong_ids": s["wrong_ids"], "query_wall_s": run["wall_s"], "query_cpu_s": run["cpu_s"],
           "query_x_realtime_per_cpu_s": round(episode_s / run["cpu_s"], 1), "peak_rss_mb": run["peak_rss_mb"],
           "load": run["load"], "engine_commit": ls.engine_commit(), "details": s["details"]}
    args.json.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k != "details"}, indent=1))
    print(json.dumps(s["details"]["excerpts"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
