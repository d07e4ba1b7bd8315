"""Speed and peak memory of preparing a 5.1 episode for AudioShake (decode + downmix + FLAC).

    .venv/bin/python benchmarks/audioshake_extract_speed.py [MINUTES]   (default 10)

Writes a 48 kHz 16-bit 5.1 WAV of MINUTES (chunk by chunk, so the generator
itself stays small), then times ``media.extract.plan_upload`` on it and reports the output
size and the process's peak RSS before/after.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cuesheet_app.media.extract import plan_upload  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_surround(path: Path, minutes: float, rate: int = 48_000) -> None:
    rng = np.random.default_rng(0)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(6)
        w.setsampwidth(2)
        w.setframerate(rate)
        t0 = 0
        for _ in range(int(minutes * 60)):
            t = (t0 + np.arange(rate)) / rate
            tone = 0.3 * np.sin(2 * np.pi * (220 + 20 * np.sin(t)) * t)
            chans = [tone + 0.02 * rng.standard_normal(rate) for _ in range(6)]
            w.writeframes((np.stack(chans, axis=1) * 32767).astype("<i2").tobytes())
            t0 += rate


def main() -> None:
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "episode-5.1.wav"
        write_surround(src, minutes)
        before = peak_rss_mb()
        started = time.monotonic()
        plan = plan_upload(src, Path(tmp))
        seconds = time.monotonic() - started
        after = peak_rss_mb()
        print(f"{minutes:g} min 5.1 WAV ({src.stat().st_size / 1024**2:.0f} MiB) -> {plan.path.name} "
              f"({plan.path.stat().st_size / 1024**2:.0f} MiB) in {seconds:.1f} s "
              f"({minutes * 60 / seconds:.0f}x real time); reason: {plan.reason}")
        print(f"peak RSS before {before:.0f} MiB, after {after:.0f} MiB (+{after - before:.1f} MiB)")


if __name__ == "__main__":
    main()
