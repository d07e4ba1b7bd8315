"""How fast is music detection alone? (target: >= 300x real time)

    nice -n 10 .venv/bin/python -m benchmarks.detection.speed [--minutes 20]

Decodes the detection episodes (build_data.py) once, concatenates them to ``--minutes``, then
times the engine's detection path on them: chunked spectrogram -> features -> classifier ->
smoothing -> hysteresis, as ``LocalEngine`` runs it. CPU time of this process is reported next
to wall time because the machine is shared (wall time depends on the neighbours' load). The
same is done with the previous 9-feature model (``--old-model FILE``) to show the cost of the
change.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.detection.build_data import OUT  # noqa: E402
from cuesheet_app.identify.local import classifier as C  # noqa: E402
from cuesheet_app.identify.local.detect import DetectParams, MusicDetector  # noqa: E402
from cuesheet_app.identify.local.spectro import ChunkedSpectrogram  # noqa: E402
from cuesheet_app.media.decode import ANALYSIS_RATE, decode_all  # noqa: E402


def run(signal: np.ndarray) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    det = MusicDetector(DetectParams())
    chunker = ChunkedSpectrogram()
    for i in range(0, signal.size, 10 * ANALYSIS_RATE):
        for chunk in chunker.push(signal[i:i + 10 * ANALYSIS_RATE]):
            det.add(chunk)
    for chunk in chunker.finish():
        det.add(chunk)
    segs = det.segments()
    return time.perf_counter() - wall, time.process_time() - cpu, len(segs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--old-model", default="")
    args = ap.parse_args(argv)
    parts, total = [], 0
    for path in sorted((OUT / "episodes").glob("ep*.json")):
        meta = json.loads(path.read_text())
        parts.append(decode_all(OUT / "episodes" / meta["audio"]))
        total += parts[-1].size
        if total >= args.minutes * 60 * ANALYSIS_RATE:
            break
    signal = np.concatenate(parts)
    seconds = signal.size / ANALYSIS_RATE
    out = {"audio_minutes": round(seconds / 60, 1)}
    wall, cpu, n = run(signal)
    out["current"] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "x_realtime_cpu": round(seconds / cpu),
                      "x_realtime_wall": round(seconds / wall), "segments": n}
    if args.old_model:
        original = C.MODEL_PATH
        C.MODEL_PATH = Path(args.old_model)
        from cuesheet_app.identify.local import detect

        detect.load_classifier.__defaults__ = (C.MODEL_PATH,)
        wall, cpu, n = run(signal)
        C.MODEL_PATH = original
        out["old_model"] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "x_realtime_cpu": round(seconds / cpu),
                            "x_realtime_wall": round(seconds / wall), "segments": n}
    print(json.dumps(out, indent=1))
    (ROOT / "benchmarks" / "results" / "detection_speed.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
