"""Training pieces for the detector: a small MLP in numpy, Platt calibration, the threshold
choice on a validation split, and the reliability table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from cuesheet_app.identify.local.classifier import FrameClassifier
from cuesheet_app.identify.local.detect import (
    FEATURES,
    DetectParams,
    hysteresis_segments,
    smooth_scores,
)

HIDDEN = (24, 12)
FP_BUDGET = 0.015  # validation share of speech/noise frames flagged (the target is 2 %)


def train_mlp(x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int, features: list[str],
              epochs: int = 12, batch: int = 2048) -> FrameClassifier:
    """features -> HIDDEN (tanh) -> 1 (logistic), class-balanced weighted log loss, minibatch Adam."""
    rng = np.random.default_rng(seed)
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = ((x - mean) / std).astype(np.float32)
    sizes = [z.shape[1], *HIDDEN, 1]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        params += [rng.normal(0, 1 / np.sqrt(a), (a, b)).astype(np.float32), np.zeros(b, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    pos, neg = (w * y).sum(), (w * (1 - y)).sum()
    w = (w * np.where(y > 0.5, 0.5 / max(pos, 1), 0.5 / max(neg, 1)) * y.size).astype(np.float32)
    step = 0
    for epoch in range(epochs):
        lr = 0.01 * (0.5 ** (epoch / 4))
        for idx in np.array_split(rng.permutation(len(z)), max(1, len(z) // batch)):
            step += 1
            acts = [z[idx]]
            h = acts[0]
            for i in range(0, len(params) - 2, 2):
                h = np.tanh(h @ params[i] + params[i + 1])
                acts.append(h)
            out = 1 / (1 + np.exp(-(h @ params[-2] + params[-1])[:, 0]))
            g = (w[idx] * (out - y[idx]) / len(idx))[:, None].astype(np.float32)
            grads: list = [None] * len(params)
            for i in range(len(params) - 2, -1, -2):
                grads[i] = acts[i // 2].T @ g
                grads[i + 1] = g.sum(0)
                if i:
                    g = (g @ params[i].T) * (1 - acts[i // 2] ** 2)
            for k, (p, gk) in enumerate(zip(params, grads, strict=True)):
                m[k] = 0.9 * m[k] + 0.1 * gk
                v[k] = 0.999 * v[k] + 0.001 * gk**2
                p -= lr * (m[k] / (1 - 0.9**step)) / (np.sqrt(v[k] / (1 - 0.999**step)) + 1e-8)
    layers = [(params[i], params[i + 1]) for i in range(0, len(params), 2)]
    return FrameClassifier(features, mean.astype(np.float32), std.astype(np.float32), layers)


def model_params(model) -> DetectParams:
    """The detection parameters a model file sets (as ``MusicDetector`` applies them)."""
    params = DetectParams(base_high=model.threshold, base_low=model.low)
    if getattr(model, "bridge_s", None) is not None:
        params = replace(params, bridge_s=model.bridge_s)
    if getattr(model, "smooth_s", None) is not None:
        params = replace(params, smooth_s=model.smooth_s)
    return params


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def calibrate(val: list, model: FrameClassifier, params: DetectParams | None = None) -> list[tuple[float, float]]:
    """Isotonic calibration of the smoothed score (smoothed as ``params`` say), fitted on the
    validation episodes: quantile bins of the raw score, each bin's share of music frames,
    pooled until monotone (pool adjacent violators); the engine interpolates between these knots."""
    params = params or DetectParams()
    raw = np.concatenate([smooth_scores(model.predict(e.feats, FEATURES), e.loud, params) for e in val])
    y = np.concatenate([e.label for e in val]).astype(float)
    keep = np.concatenate([e.scored for e in val])
    raw, y = raw[keep], y[keep]
    order = np.argsort(raw, kind="stable")
    raw, y = raw[order], y[order]
    blocks = [[float(r.mean()), float(t.sum()), len(t)] for r, t in
              zip(np.array_split(raw, 40), np.array_split(y, 40), strict=True) if len(t)]
    pooled: list[list[float]] = []
    for blk in blocks:  # [sum of scores * n, positives, n]
        pooled.append([blk[0] * blk[2], blk[1], blk[2]])
        while len(pooled) > 1 and pooled[-2][1] / pooled[-2][2] >= pooled[-1][1] / pooled[-1][2]:
            last = pooled.pop()
            pooled[-1] = [pooled[-1][0] + last[0], pooled[-1][1] + last[1], pooled[-1][2] + last[2]]
    knots = [(0.0, 0.0)] + [(round(x / n, 5), round(pos / n, 5)) for x, pos, n in pooled] + [(1.0, 1.0)]
    xs = np.maximum.accumulate([k[0] for k in knots])
    return [(float(x), float(k[1])) for x, k in zip(xs, knots, strict=True)]


def choose_threshold(val: list, model: FrameClassifier, metrics: Callable) -> float:
    """The lowest "on" level whose validation false-positive share stays within FP_BUDGET
    (the lowest catches the most quiet music); ties go to the higher of equals."""
    best = 0.95
    for thr in np.arange(0.95, 0.34, -0.05):
        model.threshold = round(float(thr), 2)
        if metrics(val, model)["fp"] <= globals()["FP_BUDGET"]:
            best = model.threshold
        else:
            break
    return best


HIGHS = [round(float(t), 2) for t in np.arange(0.95, 0.34, -0.05)]
GAPS = (0.15, 0.3, 0.45, 0.6)  # "off" this far under "on"
BRIDGES = (1.5, 2.5, 3.5)  # gaps between segments closed (s)


def choose_hysteresis(val: list, model, metrics: Callable) -> tuple[tuple, tuple[float, float, float]]:
    """("on", "off", bridge) chosen together on validation scores: of the settings whose share
    of speech/noise frames flagged stays within FP_BUDGET, the one that leaves the fewest of
    detection's edits per music block (adds: blocks covered less than half; extras: a block
    broken into several events; deletes: events mostly over no music), ties to the higher
    music recall. A lower "off" and a longer bridge keep quiet music under dialogue in one event
    through the dips between phrases; the budget says how far they may go before they run on
    into speech. Returns (the objective, smaller is better; (on, off, bridge))."""
    saved = model.threshold, model.low, model.bridge_s
    ok: list[tuple[float, float, float, float, float]] = []  # (edits, -recall, high, low, bridge)
    for bridge in BRIDGES:
        for high in HIGHS:
            for gap in GAPS:
                low = round(high - gap, 2)
                if low < 0.05:
                    continue
                model.threshold, model.low, model.bridge_s = high, low, bridge
                m = metrics(val, model)
                if m["fp"] <= globals()["FP_BUDGET"]:
                    ok.append((m["edits/block"], -m["recall music"], -high, -low, bridge))
    model.threshold, model.low, model.bridge_s = saved
    if not ok:
        return (np.inf,), (0.95, 0.8, BRIDGES[0])
    best = min(ok)
    return best, (-best[2], -best[3], best[4])


def reliability(pairs: list) -> dict:
    """Frame-level (smoothed calibrated score) and event-level (detection_confidence) reliability
    of (episode, model) pairs: each episode scored by a model that did not train on it."""
    scores, labels, ev_conf, ev_true = [], [], [], []
    for e, model in pairs:
        params = model_params(model)
        s = smooth_scores(model.predict(e.feats, FEATURES), e.loud, params, model.calibration)
        scores.append(s[e.loud])
        labels.append(e.label[e.loud])
        for seg in hysteresis_segments(s, params):
            ev_conf.append(seg.confidence)
            ev_true.append(float(e.label[seg.start_frame:seg.end_frame].mean()))
    s, lab = np.concatenate(scores), np.concatenate(labels)
    edges = np.linspace(0, 1, 11)
    frames, events = [], []
    ev_conf_a, ev_true_a = np.asarray(ev_conf), np.asarray(ev_true)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (s >= lo) & (s < hi if hi < 1 else s <= hi)
        frames.append({"bin": f"{lo:.1f}-{hi:.1f}", "frames": int(sel.sum()),
                       "mean_score": round(float(s[sel].mean()), 3) if sel.any() else None,
                       "music_share": round(float(lab[sel].mean()), 3) if sel.any() else None})
        sel = (ev_conf_a >= lo) & (ev_conf_a < hi if hi < 1 else ev_conf_a <= hi)
        events.append({"bin": f"{lo:.1f}-{hi:.1f}", "events": int(sel.sum()),
                       "mean_confidence": round(float(ev_conf_a[sel].mean()), 3) if sel.any() else None,
                       "music_share": round(float(ev_true_a[sel].mean()), 3) if sel.any() else None})
    return {"frames": frames, "events": events}


def check_signal() -> np.ndarray:
    """A fixed 16 s analysis-rate signal (tones, noise, clicks, silence): the model file stores
    its feature means and mean score, and a test recomputes them, so a feature change that the
    model was not retrained for is caught."""
    from cuesheet_app.media.decode import ANALYSIS_RATE

    rng = np.random.default_rng(1234)
    t = np.arange(4 * ANALYSIS_RATE) / ANALYSIS_RATE
    tones = sum(np.sin(2 * np.pi * f * t) / (i + 1) for i, f in enumerate((220.0, 277.2, 329.6, 440.0)))
    clicks = np.zeros(t.size)
    clicks[:: ANALYSIS_RATE // 3] = 1.0
    parts = [0.1 * tones, 0.05 * rng.normal(0, 1, t.size), 0.3 * clicks + 0.02 * tones, np.zeros(t.size)]
    return np.concatenate(parts).astype(np.float32)


def check_values(model: FrameClassifier) -> dict:
    from cuesheet_app.identify.local.detect import signal_features

    feats, loud = signal_features(check_signal())
    params = model_params(model)
    scores = smooth_scores(model.predict(feats, FEATURES), loud, params, model.calibration)
    cols = [FEATURES.index(f) for f in model.features]
    return {"feature_means": [round(float(v), 5) for v in feats[:, cols].mean(axis=0)],
            "score_mean": round(float(scores.mean()), 5)}
