"""The audio print that finds unidentified music again in a re-cut: speed, and right/wrong pairs.

    .venv/bin/python benchmarks/bench_audio_print.py [MINUTES]

A programme of MINUTES one-minute pieces of distinct synthetic music (plus a little noise) is
re-cut (one minute dropped, two swapped) and the re-cut is delivered four ways: as is, 6 dB
quieter, as 128 kbit/s AAC, and with louder noise added. For every piece kept, its old
stretch is looked for in its new place (a right pair must be found with the right shift and
at least 40 of its 50 s); every piece is also looked for in its neighbour's new place (a wrong
pair must not match). Printed per variant; the worst variant is the result. No targets were
set by the issue: the numbers are in docs/versions-and-seasons.md.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cuesheet_app.media.audio_print import episode_print, find_in  # noqa: E402
from tests.audio_fixtures import write_wav  # noqa: E402
from tests.local_media import synth_music, write_media  # noqa: E402

RATE = 22050


def main() -> int:
    minutes = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    rng = np.random.default_rng(0)
    parts = [synth_music(60.0, seed=s) * 0.6 + rng.normal(0, 0.01, 60 * RATE) for s in range(minutes)]
    order = [i for i in range(minutes) if i != 3]
    order[4], order[6] = order[6], order[4]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        old = write_wav(d / "old.wav", np.concatenate(parts))
        recut = np.concatenate([parts[i] for i in order])
        noise = rng.normal(0, 0.03, recut.size)
        snr = 10 * np.log10(np.mean(recut**2) / np.mean(noise**2))
        variants = {
            "as is": write_wav(d / "recut.wav", recut),
            "-6 dB": write_wav(d / "recut_quiet.wav", recut * 0.5),
            "AAC 128k": write_media(d / "recut.m4a", recut, codec="aac"),
            f"noise SNR {snr:.0f} dB": write_wav(d / "recut_noise.wav", recut + noise),
        }
        t = time.perf_counter()
        old_print = episode_print(old)
        elapsed = time.perf_counter() - t
        print(f"print of {minutes * 60} s: {elapsed:.2f} s ({minutes * 60 / elapsed:.0f}x real time), "
              f"{old_print.size} words ({old_print.nbytes / 1024:.0f} KiB)")
        t = time.perf_counter()
        episode_print(old, spans=[(300.0, 360.0)])
        print(f"print of the same file with one 60 s span asked for: {time.perf_counter() - t:.2f} s")
        worst = 1.0
        for name, path in variants.items():
            new_print = episode_print(path)
            right = wrong = 0
            for k, i in enumerate(order):
                m = find_in(old_print, (i * 60 + 5, i * 60 + 55), new_print, (k * 60, k * 60 + 60))
                right += m is not None and abs(m.shift_s - (k - i) * 60) < 0.1 and m.seconds >= 40
                other = order[(k + 1) % len(order)]
                w = find_in(old_print, (other * 60 + 5, other * 60 + 55), new_print, (k * 60, k * 60 + 60))
                wrong += w is not None
            worst = min(worst, right / len(order))
            print(f"{name:>16}: right pairs found {right}/{len(order)}, wrong pairs matched {wrong}/{len(order)}")
        print(f"worst variant: {worst:.0%} of right pairs found; "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
