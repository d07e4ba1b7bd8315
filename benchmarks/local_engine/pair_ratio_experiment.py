"""Quick experiment: landmark pairs searched at candidate speed/tempo factors.

The episode's fine (sub-bin, sub-frame) peaks are mapped into the reference's frame of
reference by a candidate (time ratio, pitch) -- time x ratio, frequency / pitch -- rounded, and
paired and looked up exactly as the pair pass does. Same set as ``speed_experiment.py``
(20 real tracks, 12 s excerpts under espeak-ng speech).

    python benchmarks/local_engine/pair_ratio_experiment.py MUSIC_DIR --db 0 -6 --grid oracle
    python benchmarks/local_engine/pair_ratio_experiment.py MUSIC_DIR --grid 0.004
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import speed_experiment as se  # noqa: E402

from cuesheet_app.identify.local.hash_index import HashIndex  # noqa: E402
from cuesheet_app.identify.local.landmarks import QUERY, fingerprint_chunks  # noqa: E402
from cuesheet_app.identify.local.matcher import MatchParams, resolve_overlaps  # noqa: E402
from cuesheet_app.identify.local.pair_segments import N_HASHES  # noqa: E402 (level-classed hashes)
from cuesheet_app.identify.local.spectro import HOP, ChunkedSpectrogram, spectrogram_chunks  # noqa: E402
from cuesheet_app.identify.local.speed_pass import pair_candidates, ratio_pair_matches  # noqa: E402
from cuesheet_app.identify.local.triplets import fine_peaks  # noqa: E402

RATE = se.RATE


def episode_fine_peaks(signal: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per frame phase, (frames, bins, log levels) of the episode's fine peaks, frames in phase-0 units."""
    out = []
    for phase, skip in enumerate((0, HOP // 2)):
        fs, bs, ys = [], [], []
        ch = ChunkedSpectrogram(skip=skip)
        for chunk in ch.push(signal.astype(np.float32)) + ch.finish():
            f, b, y = fine_peaks(chunk.spec, QUERY, chunk.before, chunk.before + chunk.core)
            fs.append(f + chunk.first + 0.5 * phase)
            bs.append(b)
            ys.append(y)
        out.append((np.concatenate(fs), np.concatenate(bs), np.concatenate(ys)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("music", type=Path)
    ap.add_argument("--tracks", type=int, default=20)
    ap.add_argument("--db", type=float, nargs="*", default=[0.0])
    ap.add_argument("--excerpt", type=float, default=12.0)
    ap.add_argument("--grid", default="oracle", help="'oracle' (the true factor) or 'engine' (speed_pass's grid)")
    ap.add_argument("--conditions", default="0,1,2,3,4")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    audio = se.load_tracks(args.music, args.tracks)
    parts = []
    for tid, x in audio.items():
        h, t = fingerprint_chunks(spectrogram_chunks([x]))
        parts.append((tid, h, t))
    hashes = np.concatenate([p[1] for p in parts]).astype(np.int64)
    tracks = np.concatenate([np.full(p[1].size, p[0], np.uint32) for p in parts])
    times = np.concatenate([p[2] for p in parts]).astype(np.uint32)
    o = np.argsort(hashes, kind="stable")
    offsets = np.zeros(N_HASHES + 1, np.int64)
    np.cumsum(np.bincount(hashes, minlength=N_HASHES), out=offsets[1:])
    index = HashIndex(offsets, tracks[o], times[o])
    sp = se.speech(args.excerpt * len(audio) + 3 * len(audio) + 30, 1, tmp)
    conds = [se.CONDITIONS[int(i)] for i in args.conditions.split(",")]
    params = MatchParams()
    for db in args.db:
        for kind, factor in conds:
            music, truth, episode = se.condition_episode(audio, kind, factor, args.excerpt, db, sp, tmp)
            ph = episode_fine_peaks(episode)
            t0 = time.time()
            if args.grid.startswith("oracle"):
                err = float(args.grid[6:] or 0)
                fe = factor * (1 + err)
                cands = [(fe, fe if kind == "speed" else 1.0)]
                matches = []
                for r, p in cands:
                    matches += ratio_pair_matches(index, ph, r, p, params)
                matches = resolve_overlaps(matches)
            elif args.grid.startswith("coarse"):
                # coarse:<step>:<fan_out>:<phases>:<max bin for speed candidates>
                _, step, fo, nph, mb = args.grid.split(":")
                cands = pair_candidates(float(step))
                matches = resolve_overlaps([m for r, p in cands for m in ratio_pair_matches(
                    index, ph[:int(nph)], r, p, params, int(fo), int(mb) if p != 1.0 else 256)])
            else:
                cands = pair_candidates()
                matches = resolve_overlaps([m for r, p in cands for m in ratio_pair_matches(index, ph, r, p, params)])
            el = time.time() - t0
            found, wrong, errs = se.score(matches, truth, factor, beside_ok=True)
            print(f"{db:+.0f} dB {kind} {factor:.4f}: {len(found)}/{len(truth)} found, {wrong} wrong, "
                  f"ratio err median {np.median(errs) if errs else float('nan'):.4f}, {len(cands)} candidates, "
                  f"{music.size / RATE / el:.0f}x RT", flush=True)


if __name__ == "__main__":
    main()
