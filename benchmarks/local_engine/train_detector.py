"""Train the music/no-music frame classifier and write cuesheet_app/identify/local/detector_model.json.

    .venv/bin/python benchmarks/local_engine/train_detector.py [--minutes 30] [--seed 11]

Data: tracks of three Debian game-music packages (drascula-music, planetblupi-music-ogg,
singularity-music; fetched by build_dataset.py with ``apt-get download``), espeak-ng speech
and generated noise, mixed like the benchmark episodes (clean music, music 0 to -20 dB under
speech, speech alone, noise alone, silence) but with another seed and different excerpts.
Model: 9 features -> 16 -> 8 -> 1 (tanh, logistic), full-batch Adam in numpy, class-balanced.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_dataset as B  # noqa: E402

from cuesheet_app.identify.local.classifier import MODEL_PATH, FrameClassifier  # noqa: E402
from cuesheet_app.identify.local.detect import FEATURES, signal_features  # noqa: E402
from cuesheet_app.identify.local.spectro import FRAME_S  # noqa: E402
from cuesheet_app.media.decode import ANALYSIS_RATE  # noqa: E402

TRAIN_PACKAGES = ("drascula-music", "planetblupi-music-ogg", "singularity-music")


def mixture(minutes: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signal at ANALYSIS_RATE, music label per frame, weight per frame)."""
    rng = np.random.default_rng(seed)
    tracks = [str(p) for p, _ in B.real_tracks() if any(f"/{pkg}/" in str(p) for pkg in TRAIN_PACKAGES)]
    pool = B.speech_pool(rng, 300)
    decoded = B.Decoded()
    blocks, spans, t = [], [], 0.0
    while t < minutes * 60:
        kind = str(rng.choice(["music", "music", "music", "speech", "noise", "silence"]))
        weight = 1.0
        if kind == "music":
            x = decoded.get(str(rng.choice(tracks)))
            length = min(float(rng.uniform(4, 30)), x.size / B.RATE - 1)
            off = float(rng.uniform(0, x.size / B.RATE - length))
            m = x[int(off * B.RATE):int((off + length) * B.RATE)]
            if rng.random() < 0.25:
                m = B.fade(m)
            level = B.LEVELS[int(rng.integers(len(B.LEVELS)))]
            if level == "clean":
                block = m / B.rms(m) * B.SPEECH_RMS * 10 ** (rng.uniform(-10, 6) / 20)
            else:
                p0 = int(rng.integers(0, pool.size - m.size))
                block = m / B.rms(m) * B.SPEECH_RMS * 10 ** (level / 20) + pool[p0:p0 + m.size]
                weight = 0.3 if level == -20 else 1.0
        elif kind == "speech":
            n = int(rng.uniform(5, 25) * B.RATE)
            p0 = int(rng.integers(0, pool.size - n))
            block = pool[p0:p0 + n] * 10 ** (rng.uniform(-6, 6) / 20)
        elif kind == "noise":
            block = B.noise(str(rng.choice(["white", "pink", "brown", "hum", "room"])),
                            int(rng.uniform(3, 15) * B.RATE), rng)
        else:
            block = np.zeros(int(rng.uniform(0.5, 3) * B.RATE), np.float32)
        blocks.append(block.astype(np.float32))
        spans.append((t, t + block.size / B.RATE, kind == "music", weight))
        t += block.size / B.RATE
    signal = np.concatenate(blocks)
    signal = np.interp(np.arange(0, signal.size, B.RATE / ANALYSIS_RATE), np.arange(signal.size), signal)
    n = int(signal.size / 256) + 1
    label, weight = np.zeros(n, bool), np.ones(n)
    for a, b, is_music, w in spans:
        label[int(a / FRAME_S):int(b / FRAME_S)] = is_music
        weight[int(a / FRAME_S):int(b / FRAME_S)] = w
    return signal.astype(np.float32), label, weight


def features_of(signal: np.ndarray) -> np.ndarray:
    return signal_features(signal)[0]


def train(x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int, steps: int = 1500) -> FrameClassifier:
    rng = np.random.default_rng(seed)
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / std
    sizes = [z.shape[1], 16, 8, 1]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        params += [rng.normal(0, 1 / np.sqrt(a), (a, b)), np.zeros(b)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    pos, neg = (w * y).sum(), (w * (1 - y)).sum()
    w = w * np.where(y > 0.5, 0.5 / max(pos, 1), 0.5 / max(neg, 1)) * y.size
    for step in range(1, steps + 1):
        acts = [z]
        h = z
        for i in range(0, len(params) - 2, 2):
            h = np.tanh(h @ params[i] + params[i + 1])
            acts.append(h)
        out = 1 / (1 + np.exp(-(h @ params[-2] + params[-1])[:, 0]))
        grad_out = (w * (out - y) / y.size)[:, None]
        grads = [None] * len(params)
        g = grad_out
        for i in range(len(params) - 2, -1, -2):
            grads[i] = acts[i // 2].T @ g
            grads[i + 1] = g.sum(0)
            if i:
                g = (g @ params[i].T) * (1 - acts[i // 2] ** 2)
        for k, (p, gk) in enumerate(zip(params, grads, strict=True)):
            m[k] = 0.9 * m[k] + 0.1 * gk
            v[k] = 0.999 * v[k] + 0.001 * gk**2
            p -= 0.01 * (m[k] / (1 - 0.9**step)) / (np.sqrt(v[k] / (1 - 0.999**step)) + 1e-8)
        if step % 500 == 0:
            loss = -np.mean(w * (y * np.log(out + 1e-9) + (1 - y) * np.log(1 - out + 1e-9)))
            print(f"step {step}: loss {loss:.4f}", flush=True)
    layers = [(params[i].astype(np.float32), params[i + 1].astype(np.float32)) for i in range(0, len(params), 2)]
    return FrameClassifier(list(FEATURES), mean.astype(np.float32), std.astype(np.float32), layers)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", default=str(MODEL_PATH))
    args = ap.parse_args(argv)
    B.fetch_packages()
    B.DATA.mkdir(parents=True, exist_ok=True)
    cache = B.DATA / f"train_features_{args.minutes:g}min_seed{args.seed}.npz"
    if cache.exists():
        with np.load(cache) as z:
            feats, label, weight = z["feats"], z["label"], z["weight"]
    else:
        signal, label, weight = mixture(args.minutes, args.seed)
        feats = features_of(signal)
        np.savez(cache, feats=feats, label=label, weight=weight)
    n = min(len(feats), len(label))
    model = train(feats[:n].astype(np.float64), label[:n].astype(float), weight[:n], args.seed)
    prob = model.predict(feats[:n])
    print(f"training frames {n}: music recall {np.mean(prob[label[:n]] > 0.5):.3f}, "
          f"false music {np.mean(prob[~label[:n]] > 0.5):.3f}")
    doc = model.to_dict()
    doc["trained_by"] = "benchmarks/local_engine/train_detector.py"
    doc["data"] = {"packages": list(TRAIN_PACKAGES), "minutes": args.minutes, "seed": args.seed}
    Path(args.out).write_text(json.dumps(doc, separators=(",", ":")))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
