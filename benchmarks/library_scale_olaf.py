"""Olaf (J. Six, open source) as a peer in the library-scale benchmark: same library, same episode.

We call its binary only; its code is never copied here. Build it from its public source outside
the repository (it needs ``ziglang`` from PyPI and Debian's ``ffmpeg``)::

    python3 -m venv /work/cache/zigenv && /work/cache/zigenv/bin/pip install "ziglang==0.15.*"
    cd <olaf checkout> && /work/cache/zigenv/bin/python -m ziglang build -Doptimize=ReleaseFast
    # -> zig-out/bin/olaf ; pass it as --olaf

Olaf keeps its LMDB database under ``$HOME/.olaf/db``; each library size gets its own HOME
under the work folder, so runs never share or pollute a database. Indexing uses Olaf's own
two-step parallel path (``olaf cache --threads 2`` then ``olaf store_cached``). The query is
``olaf query`` on the whole episode with one thread (its default). Its ``--fragmented`` mode
prints fragment-relative times without saying which fragment a line belongs to, so it cannot
be scored; the whole-episode query reports episode times, and we raise its ``max_results``
from 50 to 1,000 (a 60-minute episode holds about 100 excerpts; everything else is Olaf's
default configuration; ``skip_duplicates`` is off because its check opens the database
read-only before ``store_cached`` has created it, and fails on an empty one). Each reported match becomes an identification from its query start to
its stop, scored by the same rules as our engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from library_scale_proc import run_measured


def _run(binary: Path, home: Path, args: list[str], out: Path | None = None) -> dict:
    env = {**os.environ, "HOME": str(home)}
    config = home / ".olaf" / "olaf_config.json"
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        (home / ".olaf" / "db").mkdir(exist_ok=True)
        (home / ".olaf" / "cache").mkdir(exist_ok=True)
        config.write_text(json.dumps({"db_folder": f"{home}/.olaf/db/", "cache_folder": f"{home}/.olaf/cache/",
                                      "max_results": 1000, "skip_duplicates": False}))
    with open(out, "w") if out else open(os.devnull, "w") as sink:
        run = run_measured([str(binary), *args], env=env, cwd=home, stdout=sink, stderr=subprocess.DEVNULL)
    if run["status"] != 0:
        raise SystemExit(f"olaf {args[0]} failed (status {run['status']})")
    return run


def parse(lines: list[str]) -> list[tuple[float, float, str, None]]:
    """Olaf's CSV result lines -> (start_s, end_s, reference path, None)."""
    out = []
    for line in lines:
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 11:
            continue
        try:
            offset, count = float(parts[3]), int(parts[4])
            q_start, q_stop = float(parts[5]), float(parts[6])
        except ValueError:
            continue
        if count <= 0 or not parts[7]:
            continue
        out.append((offset + q_start, offset + q_stop, parts[7], None))
    return out


def measure(binary: Path, work: Path, paths: list[str], n: int, episode: Path, truth: dict, score,  # type: ignore[no-untyped-def]
            grow_from: int | None = None) -> dict:
    """Index (once per library size) and query; ``grow_from`` adds to a copy of the smaller
    library's database, as ``library_scale.index`` does for ours."""
    home = work / f"olaf-{n}"
    db = home / ".olaf" / "db"
    stamp = home / "indexed.txt"
    index_s = None
    if not stamp.exists():
        shutil.rmtree(home, ignore_errors=True)
        base_s, todo = 0.0, paths
        if grow_from:
            base = work / f"olaf-{grow_from}"
            base_s = float((base / "indexed.txt").read_text().split()[0])
            have = set((base / "library.txt").read_text().split("\n"))
            shutil.copytree(base, home, symlinks=True)
            (home / "indexed.txt").unlink()
            cfg = home / ".olaf" / "olaf_config.json"  # the copy's folders, not the base's
            cfg.write_text(cfg.read_text().replace(str(base), str(home)))
            (home / ".olaf" / "cache").mkdir(exist_ok=True)
            todo = [p for p in paths if p not in have]
        home.mkdir(parents=True, exist_ok=True)
        listing = home / "library.txt"
        listing.write_text("\n".join(paths) + "\n")
        new = home / "new.txt"
        new.write_text("\n".join(todo) + "\n")
        t_cache = _run(binary, home, ["cache", "--threads", "2", str(new)])["wall_s"]
        t_store = _run(binary, home, ["store_cached"])["wall_s"]
        index_s = base_s + t_cache + t_store
        stamp.write_text(f"{index_s:.1f}\n")
        shutil.rmtree(home / ".olaf" / "cache", ignore_errors=True)
    else:
        index_s = float(stamp.read_text().split()[0])
    out = home / "query.csv"
    run = _run(binary, home, ["query", str(episode)], out)
    wall = run["wall_s"]
    idents = parse(out.read_text().splitlines())
    s = score(truth, idents)
    (home / "missed.txt").write_text("\n".join(s["details"].pop("missed")) + "\n")
    seconds = truth["segments"][-1]["end_s"]
    db_bytes = sum(f.stat().st_size for f in db.rglob("*") if f.is_file())
    return {"query_x_realtime_1_thread": round(seconds / wall, 1), "query_wall_s": round(wall, 2),
            "index_bytes": db_bytes, "index_s": round(index_s, 1), "peak_rss_mb": run["peak_rss_mb"],
            "recall_loud": s["recall_loud"], "recall_m12": s["recall_m12"], "recall_speed": s["recall_speed"],
            "wrong_ids": s["wrong_ids"], "details": {**s["details"], "query_cpu_s": run["cpu_s"],
                                                           "query_load_1_5_15_min": run["load"]}}
