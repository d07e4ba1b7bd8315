"""Scoring for the library-scale benchmark, shared by our engine and Olaf (same rules for both).

An identification is ``(start_s, end_s, track_path, speed_ratio or None)``. A library excerpt
counts as identified when an identification names its track and overlaps it by min(2 s, half
the excerpt). An identification is wrong when the block it overlaps most is another library
track, non-library music or speech. ``details`` lists the wrong identifications and the missed
excerpts (the harness moves the misses to a file beside the episode: they are for reading, not
for the results file).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "local_engine"))

from scoring import best_block, covers, wrong_kind  # noqa: E402

Ident = tuple[float, float, str, "float | None"]


def package_of(track: str) -> str:
    """The Debian package a real library track came from (the folder under ``pkgs``), else "other"."""
    parts = Path(track).parts
    for i, part in enumerate(parts[:-1]):
        if part in ("pkgs", "pkgs-extra"):
            return parts[i + 1]
    return "other"


def _recall(hits: list[bool]) -> float | None:
    return round(sum(hits) / len(hits), 4) if hits else None


def score(truth: dict, idents: list[Ident]) -> dict:
    segs = truth["segments"]
    wrong = {"wrong_track": 0, "non_library_music": 0, "speech": 0}
    wrong_list: list[dict] = []
    for a, b, track, ratio in idents:
        kind = wrong_kind(segs, a, b, track)
        if kind:
            wrong["speech" if kind == "other" else kind] += 1
            block = best_block(segs, a, b) or {}
            wrong_list.append({"start_s": round(a, 2), "end_s": round(b, 2), "named": Path(track).name,
                               "kind": kind, "truth": Path(block["track"]).name if "track" in block else block.get("kind"),
                               "truth_change": block.get("change"), "speed_ratio": ratio})
    groups: dict[str, list[bool]] = {}
    packages: dict[str, list[bool]] = {}  # 0/-6 dB, changed or not, per source package
    boundary: dict[str, list[float]] = {}
    ratio_err: list[float] = []
    missed: list[str] = []
    for s in segs:
        if s["kind"] != "lib":
            continue
        hits = [i for i in idents if i[2] == s["track"] and covers(s, i[0], i[1])]
        change = s["change"]
        key = f"{'loud' if s['level'] in (0, -6) else 'm12'} {change}"
        groups.setdefault(key, []).append(bool(hits))
        if s["level"] in (0, -6):
            packages.setdefault(package_of(s["track"]), []).append(bool(hits))
        if not hits:
            missed.append(f"{Path(s['track']).name} @{s['track_offset_s']:.0f}s {s['end_s'] - s['start_s']:.0f}s "
                          f"{s['level']} dB {change} (episode {s['start_s']:.0f} s)")
        if hits:
            first, last = min(hits, key=lambda i: i[0]), max(hits, key=lambda i: i[1])
            errs = [abs(first[0] - s["start_s"]), abs(last[1] - s["end_s"])]
            boundary.setdefault("changed" if change != "none" else "unchanged", []).extend(errs)
            if first[3] is not None and change != "none":
                ratio_err.append(abs(float(first[3]) - s["ratio"]))
    loud = groups.get("loud none", [])
    m12 = groups.get("m12 none", [])
    speed = [h for k, v in groups.items() if k.startswith("loud ") and k != "loud none" for h in v]
    return {
        "recall_loud": _recall(loud), "recall_m12": _recall(m12), "recall_speed": _recall(speed),
        "wrong_ids": sum(wrong.values()),
        "details": {
            "excerpts": {k: [sum(v), len(v)] for k, v in sorted(groups.items())},
            "loud_by_package": {k: [sum(v), len(v)] for k, v in sorted(packages.items())},
            "recall_speed_m12": _recall([h for k, v in groups.items() if k.startswith("m12 ") and k != "m12 none"
                                         for h in v]),
            "wrong": wrong,
            "wrong_list": wrong_list,
            "missed": missed,
            "boundary_median_s": {k: round(statistics.median(v), 3) for k, v in boundary.items() if v},
            "speed_ratio_median_error": round(statistics.median(ratio_err), 4) if ratio_err else None,
        },
    }
