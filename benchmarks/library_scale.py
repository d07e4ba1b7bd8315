"""How the local engine scales with the library: build N tracks, query a 60-minute episode.

    .venv/bin/python benchmarks/library_scale.py --tracks 1000 --work benchmarks/data/library_scale \\
        --json out.json [--olaf /path/to/olaf] [--results benchmarks/results/library_scale.json]

Writes ONE JSON object (issue 12's keys): ``tracks, reference_hours, index_bytes, index_s,
index_x_realtime, query_x_realtime, recall_loud, recall_m12, recall_speed, wrong_ids,
peak_rss_mb``, plus ``details`` (per change, boundaries, the machine, the engine commit) and,
with ``--olaf``, ``olaf`` (the peer on the same library and episode).

The library (reproducible from ``--seed``; data under ``--work``, git-ignored):
1. the local-engine benchmark's real library tracks (Debian game-music packages, the same seeded
   75/25 split as ``local_engine/build_dataset.py``; the other quarter is non-library music);
2. every other real music we fetch from Debian (``EXTRA_PACKAGES``, tracks of 45 s or more,
   duplicates removed): real distractors, never queried;
3. procedurally generated decoys (``library_scale_decoys.py``) up to N tracks: different
   pieces, not speed-shifted copies.
It is indexed through the product's own path, ``Library.add`` (both cores), timed here.

The episode (``library_scale_episode.py``): 60 minutes of library excerpts (8-30 s) at
0/-6/-12 dB under speech, a third of them at 0.96, 1.02, 25/24 or tempo 1.03, plus non-library
music and speech. It is written as FLAC (22,050 Hz mono): the question here is scale, and
codec robustness is what the local-engine benchmark's AAC episodes measure (encoding an hour
of AAC on a loaded 2-core machine cost more than building the library). The engine runs in a child process (wall time and peak RSS of that child).

Scoring: an excerpt is identified when an identified event names its track and overlaps it by
min(2 s, half its length). ``recall_loud``: unchanged excerpts at 0/-6 dB; ``recall_m12``:
unchanged at -12 dB; ``recall_speed``: changed excerpts at 0/-6 dB (the same levels as
``recall_loud``, so the two compare); ``wrong_ids``: identified events whose best-overlapping
block is another library track, non-library music or speech. ``index_bytes`` is everything the
engine reads at query time (the whole library folder: hash index and per-track landmarks).

Olaf (``--olaf``, the binary built from its public source by ``library_scale_olaf.sh`` in
/work/cache, never vendored): the same library files stored with ``olaf cache`` + ``olaf
store_cached``, the whole episode queried with ``olaf query`` on one thread; its matches are
scored the same way.

Cost and reuse: decoys are cached on disk by seed (``--prepare`` builds all data and stops, so
the run that follows times only indexing and the query); a library is reused while the code that
builds it (``INDEX_CODE``) is unchanged since the commit that built it, or while that code writes a
probe library byte for byte as the builder's did (``library_scale_probe.py``: a query-side edit in
a file that also writes no longer throws a 20-minute library away); ``--grow-from N`` builds the library by adding to the N-track one (ours and
Olaf's), the incremental path a library delivery takes. The load average is recorded with
every index and query: on a shared 2-core machine, the ``*_per_cpu_s`` figures say more.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "benchmarks" / "local_engine"))

import build_dataset as bd  # noqa: E402
import library_scale_olaf as olaf_peer  # noqa: E402
from library_scale_decoys import RATE as DECOY_RATE  # noqa: E402
from library_scale_decoys import render_decoy  # noqa: E402
from library_scale_episode import RATE as EPISODE_RATE  # noqa: E402
from library_scale_episode import build_episode  # noqa: E402
from library_scale_probe import index_probe  # noqa: E402
from library_scale_proc import run_measured  # noqa: E402
from library_scale_score import Ident, score  # noqa: E402

from cuesheet_app.identify.local.library import Library  # noqa: E402
from cuesheet_app.media.decode import decode_all  # noqa: E402
from cuesheet_app.media.identity import quick_fingerprint  # noqa: E402
from cuesheet_app.media.probe import probe  # noqa: E402

EXTRA_PACKAGES = ["asc-music", "fb-music-high", "nexuiz-music", "ufoai-music", "warzone2100-music",
                  "neverball-data", "extremetuxracer-data", "lincity-ng-data", "xmoto-data",
                  "chromium-bsu-data", "pingus-data"]
EXTRA_PKGS = bd.PKGS.parent / "pkgs-extra"  # apart, so build_dataset.py's own split never sees them
AUDIO = (".ogg", ".oga", ".opus", ".mp3", ".flac", ".wav")
SPLIT_SEED = 7  # the local-engine benchmark's split of its real tracks


def fetch(packages: list[str], root: Path) -> None:
    """``apt-get download`` + ``dpkg-deb -x`` into ``root`` (the Debian client only)."""
    bd.DEBS.mkdir(parents=True, exist_ok=True)
    root.mkdir(parents=True, exist_ok=True)  # dpkg-deb -x fails when the parent is missing
    for pkg in packages:
        target = root / pkg
        if target.exists():
            continue
        if not list(bd.DEBS.glob(f"{pkg}_*.deb")):
            print(f"apt-get download {pkg}", flush=True)
            subprocess.run(["apt-get", "download", pkg], cwd=bd.DEBS, check=True)
        deb = sorted(bd.DEBS.glob(f"{pkg}_*.deb"))[-1]
        subprocess.run(["dpkg-deb", "-x", str(deb), str(target) + ".tmp"], check=True)
        os.replace(str(target) + ".tmp", target)
    for pk3 in sorted(p for pkg in packages for p in (root / pkg).rglob("*.pk3")):
        unpack_music(pk3)


def unpack_music(archive: Path) -> None:
    """Game data archives (``.pk3`` is a zip) hold their music as Ogg files: take those out."""
    out = archive.with_name(archive.name + ".music")
    if out.exists():
        return
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(archive) as z:
        for name in z.namelist():
            if name.lower().endswith(AUDIO) and not name.endswith("/"):
                z.extract(name, tmp)
    os.replace(tmp, out)


def scan(packages: list[str], root: Path, min_s: float = 45.0) -> list[tuple[str, float, str]]:
    """Audio files of ``min_s`` or more under the packages, in path order: (path, seconds, quick fp)."""
    out = []
    for path in sorted(p for pkg in packages for p in (root / pkg).rglob("*")):
        if not path.name.lower().endswith(AUDIO) or not path.is_file():
            continue
        try:
            seconds = float(probe(path).duration_s)
        except Exception:
            continue
        if seconds >= min_s:
            out.append((str(path), seconds, quick_fingerprint(path)))
    return out


def real_music(work: Path) -> dict:
    """The benchmark's library/non-library split, plus the extra real distractors (cached)."""
    cache = work / "real_tracks.json"
    if cache.exists():
        return json.loads(cache.read_text())
    fetch(bd.PACKAGES, bd.PKGS)
    fetch(EXTRA_PACKAGES, EXTRA_PKGS)
    base, seen = [], set()
    for path, seconds, fp in scan(bd.PACKAGES, bd.PKGS):
        if fp not in seen:
            seen.add(fp)
            base.append((path, seconds))
    order = np.random.default_rng(SPLIT_SEED).permutation(len(base))
    n_lib = int(round(len(base) * 0.75))
    extra = []
    for path, seconds, fp in scan(EXTRA_PACKAGES, EXTRA_PKGS):
        if fp not in seen:
            seen.add(fp)
            extra.append((path, seconds))
    out = {"library": sorted(base[i][0] for i in order[:n_lib]),
           "non_library": sorted(base[i][0] for i in order[n_lib:]),
           "extra": [p for p, _ in extra],
           "seconds": {p: s for p, s in base + extra}}
    work.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(out, indent=1))
    return out


def _write_flac(out: Path, signal: np.ndarray, rate: int) -> None:
    tmp = out.with_name(out.stem + ".tmp.flac")
    bd.write_flac(tmp, signal, rate)
    os.replace(tmp, out)


def _write_decoy(job: tuple[int, int, float, str]) -> str:
    index, seed, seconds, dst = job
    if not Path(dst).exists():  # a per-process temporary name: two runs may fill the same cache at once
        tmp = f"{dst}.{os.getpid()}.tmp.flac"
        bd.write_flac(Path(tmp), render_decoy(index, seed, seconds), DECOY_RATE)
        os.replace(tmp, dst)
    return dst


def decoys(work: Path, count: int, seed: int, seconds: float, workers: int) -> list[str]:
    folder = work / f"decoys-s{seed}-{int(seconds)}s"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(i, seed, seconds, str(folder / f"{i // 1000:03d}" / f"decoy-{i:06d}.flac")) for i in range(count)]
    for sub in {Path(j[3]).parent for j in jobs}:
        sub.mkdir(exist_ok=True)
    todo = [j for j in jobs if not Path(j[3]).exists()]
    t0 = time.perf_counter()
    if todo:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for k, _ in enumerate(pool.map(_write_decoy, todo, chunksize=16)):
                if k % 500 == 0:
                    print(f"decoys {k}/{len(todo)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return [j[3] for j in jobs]


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def index(work: Path, paths: list[str], n: int, grow_from: int | None = None) -> dict:
    """Index the library (reused when the code that builds it would write it the same: ``reusable``).

    ``grow_from``: start from the smaller library ``library-<grow_from>`` built by the same index
    code (a copy) and add only the tracks it lacks, through the same ``Library.add``: the
    incremental path a library delivery takes. Times and CPU are the smaller build's plus the
    add's, so ``index_s`` is still the cost of the whole library, paid in two steps."""
    lib_dir = work / f"library-{n}"
    stamp = lib_dir / "scale_index.json"
    commit = engine_commit()
    if stamp.exists():
        old = json.loads(stamp.read_text())
        if reusable(old):
            return old
    shutil.rmtree(lib_dir, ignore_errors=True)
    base: dict = {}
    todo = paths
    if grow_from:
        base = json.loads((work / f"library-{grow_from}" / "scale_index.json").read_text())
        if not reusable(base):
            raise SystemExit(f"library-{grow_from} was built by {base.get('engine_commit')}, whose index code differs")
        commit = base["engine_commit"]
        shutil.copytree(work / f"library-{grow_from}", lib_dir)
        (lib_dir / "scale_index.json").unlink()
        have = {t.path for t in Library(lib_dir).tracks()}
        todo = [p for p in paths if p not in have]
    load = os.getloadavg()
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    report = Library(lib_dir).add(todo)
    wall = time.perf_counter() - t0
    cpu = _cpu_s() - cpu0
    stats = Library(lib_dir).stats()
    out = {"dir": str(lib_dir), "tracks": stats.tracks, "seconds": stats.total_duration_s,
           "wall_s": round(wall + base.get("wall_s", 0.0), 1), "cpu_s": round(cpu + (base.get("cpu_s") or 0.0), 1),
           "failed": len(report.failed) + base.get("failed", 0), "index_bytes": folder_bytes(lib_dir),
           "hash_index_bytes": stats.index_bytes, "engine_commit": commit, "index_probe": index_probe(),
           "load": {"start": [round(x, 2) for x in load], "end": [round(x, 2) for x in os.getloadavg()]}}
    if grow_from:
        out["grown_from"] = {"tracks": grow_from, "base_wall_s": base["wall_s"], "base_load": base.get("load"),
                             "added_tracks": len(todo), "add_wall_s": round(wall, 1), "add_cpu_s": round(cpu, 1),
                             "add_seconds": round(stats.total_duration_s - base["seconds"], 1)}
    stamp.write_text(json.dumps(out, indent=1))
    return out


def _cpu_s() -> float:
    """CPU seconds of this process and its reaped children (the indexing pool's workers): on a
    shared machine wall time says more about the neighbours than about the code."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def engine_commit() -> str:
    """The last commit that touched the local engine (recorded with each run and each library)."""
    try:
        return subprocess.run(["git", "log", "-1", "--format=%h", "--", "cuesheet_app/identify/local"],
                              cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


INDEX_CODE = ["cuesheet_app/identify/local/" + f for f in (
    "library.py", "fingerprints.py", "hash_index.py", "pair_segments.py", "pair_segment_files.py", "segment_index.py", "landmarks.py", "triplets.py",
    "spectro.py", "tags.py")] + ["cuesheet_app/media/decode.py"]  # not edges.py: library.py uses it at query time only


def same_index_code(commit: str) -> bool:
    """Whether the code that builds a library (fingerprints and index files) is the same at
    ``commit`` as now: a change to the matcher or to cue boundaries then reuses the library
    (re-indexing 1,000 tracks costs ~20 minutes here) and only the query runs again."""
    if not commit or commit == "unknown":
        return False
    return subprocess.run(["git", "diff", "--quiet", commit, "--", *INDEX_CODE], cwd=ROOT).returncode == 0


def identifications(events: list[dict], lib_dir: Path) -> list[Ident]:
    """The engine's identified events as the scorer takes them (start, end, track path, speed
    ratio), the library's ids resolved to paths ("?" for an id it does not hold)."""
    by_id = {int(t.id): t.path for t in Library(lib_dir).tracks()}
    return [(e["start_time_s"], e["end_time_s"], by_id.get(int(e.get("reference_id", -1)), "?"),
             e.get("speed_ratio")) for e in events if e.get("music_identified")]


def reusable(stamp: dict) -> bool:
    """Whether a library with this stamp is what today's code would write: its index code's
    source is unchanged since the commit that built it, or (when the source changed, say on the
    query side of a file that also writes) the probe library comes out byte for byte the same
    (``library_scale_probe``; the stamp keeps the probe's digest from its build)."""
    if same_index_code(stamp.get("engine_commit", "")):
        return True
    return bool(stamp.get("index_probe")) and stamp["index_probe"] == index_probe()


def run_engine(lib_dir: str, episode: Path, events_out: Path) -> dict:
    """The engine in a child process (like the CLI would run): wall time and peak RSS."""
    code = (
        "import sys; from pathlib import Path\n"
        "from cuesheet_app.identify.local.engine import LocalEngine\n"
        "from cuesheet_app.identify.base import IdentifyRequest\n"
        f"doc = LocalEngine(Path({lib_dir!r})).identify(IdentifyRequest(media_path=Path({str(episode)!r})))\n"
        f"Path({str(events_out)!r}).write_text(doc.to_json())\n"
    )
    run = run_measured([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if run["status"] != 0:
        raise SystemExit(f"engine failed on {episode} (status {run['status']})")
    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracks", type=int, required=True)
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "data" / "library_scale")
    ap.add_argument("--json", type=Path, required=True, help="where the one result object is written")
    ap.add_argument("--results", type=Path, help="also merge the result into this JSON list (by tracks)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--decoy-seconds", type=float, default=60.0)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--olaf", type=Path, help="an Olaf binary to measure side by side")
    ap.add_argument("--skip-engine", action="store_true", help="only (re)measure Olaf")
    ap.add_argument("--grow-from", type=int, help="build the library by adding to the N-track one (same engine "
                    "commit; Olaf's too): the incremental path, and the smaller build is not paid twice")
    ap.add_argument("--prepare", action="store_true",
                    help="only build the data (real music, decoys, episode) and stop: decoys are cached on disk by "
                         "seed, so a run that follows times nothing but indexing and the query")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    real = real_music(work)
    fixed = real["library"] + real["extra"]
    if args.tracks < len(real["library"]):
        raise SystemExit(f"--tracks must be at least the {len(real['library'])} real library tracks")
    fixed = fixed[:args.tracks]
    paths = fixed + decoys(work, args.tracks - len(fixed), args.seed, args.decoy_seconds, args.workers)
    (work / "episodes").mkdir(parents=True, exist_ok=True)
    bd.DATA = work  # espeak's temporary file goes here
    episode = work / "episodes" / f"episode-s{args.seed}.flac"
    truth = build_episode(episode, args.minutes, real["library"], real["non_library"], args.seed,
                          durations=real["seconds"], decode=lambda p, r: decode_all(p, rate=r), speech_pool=bd.speech_pool,
                          encode=lambda x, out: _write_flac(out, x, EPISODE_RATE))
    episode_s = truth["segments"][-1]["end_s"]
    if args.prepare:
        print(f"data ready: {len(paths)} library files, episode {episode_s / 60:.1f} min")
        return 0
    result: dict = {"tracks": args.tracks}
    if not args.skip_engine:
        idx = index(work, paths, args.tracks, args.grow_from)
        events_path = work / "episodes" / f"events-{args.tracks}.json"
        run = run_engine(idx["dir"], episode, events_path)
        events = json.loads(events_path.read_text())["events"]
        s = score(truth, identifications(events, Path(idx["dir"])))
        (work / "episodes" / f"missed-{args.tracks}.txt").write_text("\n".join(s["details"].pop("missed")) + "\n")
        hours = idx["seconds"] / 3600
        result.update({
            "reference_hours": round(hours, 2), "index_bytes": idx["index_bytes"], "index_s": idx["wall_s"],
            "index_x_realtime": round(idx["seconds"] / idx["wall_s"], 1),
            "query_x_realtime": round(episode_s / run["wall_s"], 1),
            "recall_loud": s["recall_loud"], "recall_m12": s["recall_m12"], "recall_speed": s["recall_speed"],
            "wrong_ids": s["wrong_ids"], "peak_rss_mb": run["peak_rss_mb"],
            "details": {**s["details"], "index_mb_per_hour": round(idx["index_bytes"] / 1e6 / hours, 2),
                        "hash_index_bytes": idx["hash_index_bytes"], "query_wall_s": run["wall_s"],
                        "query_cpu_s": run["cpu_s"], "query_x_realtime_per_cpu_s": round(episode_s / run["cpu_s"], 1),
                        "index_cpu_s": idx.get("cpu_s"),
                        "index_x_realtime_per_cpu_s": round(idx["seconds"] / idx["cpu_s"], 1) if idx.get("cpu_s") else None,
                        "episode_minutes": round(episode_s / 60, 2), "index_failed": idx["failed"],
                        "real_library_tracks": len(real["library"]), "real_extra_tracks": len(fixed) - len(real["library"]),
                        "decoys": args.tracks - len(fixed), "decoy_seconds": args.decoy_seconds,
                        "engine_commit": engine_commit(), "index_built_by": idx["engine_commit"],
                        "index_grown_from": idx.get("grown_from"),
                        "load_1_5_15_min": {"index": idx.get("load"), "query": run["load"]},
                        "run_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "machine": f"{os.cpu_count()} cores shared with other engineers' work (see load), "
                                   f"{platform.machine()}, Python {platform.python_version()}"},
        })
    if args.olaf:
        peer = olaf_peer.measure(args.olaf, work, paths, args.tracks, episode, truth, score, args.grow_from)
        if "reference_hours" in result:
            peer["index_mb_per_hour"] = round(peer["index_bytes"] / 1e6 / result["reference_hours"], 2)
        result["olaf"] = peer
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1))
    if args.results:
        merge(args.results, result)
    print(json.dumps({k: v for k, v in result.items() if k != "details"}, indent=1))
    return 0


def _run_key(run: dict) -> tuple[int, str]:
    return run["tracks"], run.get("details", {}).get("engine_commit", "")


def merge(path: Path, result: dict) -> None:
    """Replace the run with the same track count and engine commit (keeping a separately
    measured Olaf); runs of other engine commits stay, so a curve is never half old, half new."""
    runs = json.loads(path.read_text()) if path.exists() else []
    key = _run_key(result)
    old = next((r for r in runs if _run_key(r) == key), {})
    merged = {**old, **result}
    runs = sorted([r for r in runs if _run_key(r) != key] + [merged],
                  key=lambda r: (r.get("details", {}).get("run_utc", ""), r["tracks"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(runs, indent=1) + "\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
