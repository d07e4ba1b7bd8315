"""Do level classes survive dialogue? The measurement behind library format 4's hash bits.

A format-4 pair hash holds, above its 20-bit shape, the class of (anchor log level - partner
log level) cut at ``landmarks.LEVEL_CUTS``. That only helps if a true pair (an episode pair that
meets its reference pair at the excerpt's offset) keeps its class under speech, gain and codec,
while a chance hit (the same shape anywhere else) keeps it no more often than chance.

For each unchanged library excerpt of a library-scale episode (``library_scale.py`` work
folder), this pairs the episode's query peaks and the reference track's peaks as the engine
does, finds the true pairs (same shape, reference frame = episode frame + offset, within one
frame) and the chance hits (same shape in another library track: hits elsewhere in the same
track are mostly the music repeating itself, which keeps its classes), and reports per music
level:

- ``true_same``: share of true pairs whose class is the reference's (no spread);
- ``true_found``: share found with the query's spread (``LEVEL_SPREAD``: both classes near a cut);
- ``chance_same``, ``chance_found``: the same two shares for chance hits (25 % without the
  spread would be a class no better than random);
- ``ref_classes``: how full the four classes are over all reference pairs.

    python benchmarks/local_engine/level_class_survival.py --work /work/cache/ls --seed 12
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cuesheet_app.identify.local.landmarks import (  # noqa: E402
    LEVEL_SPREAD,
    QUERY,
    SHAPE_BITS,
    SHAPE_MASK,
    PeakCollector,
    pair_hashes,
)
from cuesheet_app.identify.local.library import fingerprint_file  # noqa: E402
from cuesheet_app.identify.local.spectro import FRAME_S, spectrogram_chunks  # noqa: E402
from cuesheet_app.media.decode import decode_all  # noqa: E402


def episode_paths(work: Path, seed: int) -> tuple[Path, Path]:
    for folder in ("episodes", "episodes-heldout"):
        audio = work / folder / f"episode-s{seed}.flac"
        if audio.exists():
            return audio, audio.with_name(f"episode-s{seed}.truth.json")
    raise SystemExit(f"no episode of seed {seed} under {work} (run library_scale.py or library_scale_heldout.py)")


def query_pairs(audio: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The episode's (hashes, anchor frames) as the pair pass makes them, without the spread
    and with it."""
    c = PeakCollector(QUERY)
    for chunk in spectrogram_chunks([decode_all(audio)]):
        c.add(chunk)
    f, b = c.peaks()
    plain = pair_hashes(f, b, QUERY.fan_out, c.levels())
    spread = pair_hashes(f, b, QUERY.fan_out, c.levels(), LEVEL_SPREAD)
    return plain, spread


def survival(work: Path, seed: int) -> dict:
    audio, truth_path = episode_paths(work, seed)
    truth = json.loads(truth_path.read_text())
    (qh, qt), (sh, st) = query_pairs(audio)
    groups: dict[str, dict[str, int]] = {}
    ref_counts = np.zeros(4, np.int64)
    segments = [s for s in truth["segments"] if s["kind"] == "lib" and s["change"] == "none"]
    tracks = sorted({s["track"] for s in segments})
    refs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # by shape: (shape, frame, class)
    for path in tracks:
        fp = fingerprint_file(path)
        h = fp.hashes.astype(np.int64)
        ref_counts += np.bincount(h >> SHAPE_BITS, minlength=4)[:4]
        order = np.argsort(h & SHAPE_MASK, kind="stable")
        refs[path] = ((h & SHAPE_MASK)[order], fp.frames.astype(np.int64)[order], (h >> SHAPE_BITS)[order])
    for seg in segments:
        lo, hi = int(seg["start_s"] / FRAME_S), int(seg["end_s"] / FRAME_S)
        shift = int(round(seg["track_offset_s"] / FRAME_S)) - lo
        g = groups.setdefault(f"{seg['level']} dB", dict.fromkeys(
            ("true", "true_same", "true_found", "chance", "chance_same", "chance_found"), 0))
        r_shape, r_frame, r_class = refs[seg["track"]]
        # chance hits: the same pairs against another track (the next one in path order)
        o_shape, _, o_class = refs[tracks[(tracks.index(seg["track"]) + 1) % len(tracks)]]
        for hashes, times, key in ((qh, qt, "plain"), (sh, st, "spread")):
            i, j = np.searchsorted(times, [lo, hi])
            h, t = hashes[i:j].astype(np.int64), times[i:j].astype(np.int64)
            shape, cls = h & SHAPE_MASK, h >> SHAPE_BITS
            a, b = np.searchsorted(r_shape, shape, "left"), np.searchsorted(r_shape, shape, "right")
            n = b - a
            qi = np.repeat(np.arange(shape.size), n)
            ri = np.concatenate([np.arange(x, y) for x, y in zip(a, b, strict=True)]) if n.sum() else np.zeros(0, np.int64)
            true = np.abs(r_frame[ri] - (t[qi] + shift)) <= 1
            same = r_class[ri] == cls[qi]
            a, b = np.searchsorted(o_shape, shape, "left"), np.searchsorted(o_shape, shape, "right")
            oq = np.repeat(np.arange(shape.size), b - a)
            oi = np.concatenate([np.arange(x, y) for x, y in zip(a, b, strict=True)]) if (b - a).sum() else np.zeros(0, np.int64)
            chance_same = o_class[oi] == cls[oq]
            if key == "plain":
                g["true"] += int(np.unique(qi[true]).size)
                g["true_same"] += int(np.unique(qi[true & same]).size)
                g["chance"] += int(oq.size)
                g["chance_same"] += int(chance_same.sum())
            else:  # a pair counts once however many classes it was looked up in
                pair_id = t[qi] * (1 << SHAPE_BITS) + shape[qi]
                g["true_found"] += int(np.unique(pair_id[true & same]).size)
                g["chance_found"] += int(chance_same.sum())
    out = {"episode_seed": seed, "ref_classes": (ref_counts / max(1, ref_counts.sum())).round(3).tolist(), "levels": {}}
    for level, g in sorted(groups.items()):
        plain_chance = max(1, g["chance"])
        out["levels"][level] = {"true_pairs": g["true"], "true_same": round(g["true_same"] / max(1, g["true"]), 3),
                                "true_found": round(g["true_found"] / max(1, g["true"]), 3),
                                "chance_same": round(g["chance_same"] / plain_chance, 3),
                                "chance_found": round(g["chance_found"] / plain_chance, 3)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    out = survival(args.work, args.seed)
    text = json.dumps(out, indent=1)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
