"""Music detection on held-out groups: baseline, leave-one-group-out training, the shipped model.

    nice -n 10 .venv/bin/python -m benchmarks.detection.evaluate baseline   # the committed model, every group
    nice -n 10 .venv/bin/python -m benchmarks.detection.evaluate logo       # leave-one-group-out
    nice -n 10 .venv/bin/python -m benchmarks.detection.evaluate final      # train on all, write the model

Data: the episodes of build_data.py. Features come from the product's own
``detect.signal_features`` on the product's own decode of each episode's audio file, and
scores from the product's ``smooth_scores`` + ``hysteresis_segments``: what is measured is what
the engine does.

Leave-one-group-out: for each group of each axis (speech synthesizer, noise kind, music group)
the model is trained on the episodes without it, minus a validation fifth (whole episodes) on
which the threshold and calibration are chosen; then it is scored on the held-out group's
episodes only. Metrics (per 23 ms frame, after smoothing and hysteresis, as events):
``fp`` share of speech-only / speech-over-noise / noise-only frames flagged as music, ``P``
precision of flagged frames, recall per level (clean, 0, -6, -12, -20 dB, music over a noise
bed), F1 at 0 and -6 dB. Frames within 0.5 s of a music/non-music boundary are not scored (a
collar: where an edge lands is the segmentation's job and is scored by the edits benchmark);
``fp_nocollar`` is also reported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.ndimage import binary_dilation

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.detection import model_train  # noqa: E402
from benchmarks.detection.build_data import OUT, TAGS  # noqa: E402
from benchmarks.detection.model_train import (  # noqa: E402
    calibrate,
    choose_hysteresis,
    choose_threshold,
    model_params,
    train_mlp,
)
from benchmarks.detection.sources import MUSIC_GROUPS, NOISES, SYNTHS  # noqa: E402
from cuesheet_app.identify.local.classifier import (  # noqa: E402
    MODEL_PATH,
    FrameClassifier,
    load_classifier,
    stack_context,
)
from cuesheet_app.identify.local.detect import (  # noqa: E402
    FEATURES,
    DetectParams,
    hysteresis_segments,
    signal_features,
    smooth_scores,
)
from cuesheet_app.identify.local.spectro import FRAME_S  # noqa: E402
from cuesheet_app.media.decode import decode_all  # noqa: E402
from cuesheet_app.storage.atomic import atomic_write_bytes  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
FEATURE_KEY = "-".join(FEATURES)
NONMUSIC = (TAGS["speech"], TAGS["noise"], TAGS["speech+noise"])
LEVEL_TAGS = {"clean": 10, "0": 11, "-6": 12, "-12": 13, "-20": 14, "noise bed": 15}
AXES = {"synth": SYNTHS, "noise": NOISES, "music": MUSIC_GROUPS}


class Episode:
    def __init__(self, meta: dict) -> None:
        self.meta = meta
        self.name = meta["episode"]
        cache = OUT / "features" / f"{self.name}.{_key()}.npz"
        if cache.exists():
            with np.load(cache) as z:
                self.feats, self.loud = z["feats"], z["loud"]
        else:
            cache.parent.mkdir(parents=True, exist_ok=True)
            signal = decode_all(OUT / "episodes" / meta["audio"])
            self.feats, self.loud = signal_features(signal)
            np.savez(cache, feats=self.feats, loud=self.loud)
        with np.load(OUT / "episodes" / f"{self.name}.frames.npz") as z:
            label, tag = z["label"], z["tag"]
        n = min(len(label), len(self.feats))
        self.feats, self.loud, self.label, self.tag = self.feats[:n], self.loud[:n], label[:n], tag[:n]
        edge = np.zeros(n, bool)
        edge[1:] = self.label[1:] != self.label[:-1]
        self.scored = ~binary_dilation(edge, iterations=int(round(0.5 / FRAME_S)))
        self.blocks = _runs(self.label.astype(bool))  # the true music blocks (the event search reads them often)


def _key() -> str:
    import zlib

    return f"{zlib.crc32(FEATURE_KEY.encode()):08x}"


def load_episodes() -> list[Episode]:
    metas = [json.loads(p.read_text()) for p in sorted((OUT / "episodes").glob("ep*.json"))]
    return [Episode(m) for m in metas]


def episode_scores(ep: Episode, model: FrameClassifier) -> np.ndarray:
    """Smoothed calibrated scores exactly as the engine computes them (they do not depend on
    the thresholds, so a threshold search computes them once)."""
    return smooth_scores(model.predict(ep.feats, FEATURES), ep.loud, params_for(model), model.calibration)


def flag_frames(scores: np.ndarray, params: DetectParams) -> tuple[np.ndarray, int]:
    """(frames inside a detected event, number of events): the engine's hysteresis."""
    flagged = np.zeros(scores.size, bool)
    segs = hysteresis_segments(scores, params)
    for seg in segs:
        flagged[seg.start_frame:seg.end_frame] = True
    return flagged, len(segs)


def params_for(model: FrameClassifier) -> DetectParams:
    return model_params(model)


def metrics(eps: list[Episode], model: FrameClassifier, scores: list[np.ndarray] | None = None) -> dict:
    """Frame metrics of ``model`` at its thresholds on ``eps`` (``scores``: precomputed
    ``episode_scores``), plus ``events/block``: detected events per true music block that
    any event touches (1.0: every piece found is one event; more: detection broke it up)."""
    params = params_for(model)
    fl, lab, tag, sc = [], [], [], []
    pieces, blocks, edits = 0, 0, np.zeros(4)
    for i, ep in enumerate(eps):
        s = scores[i] if scores is not None else episode_scores(ep, model)
        f, _ = flag_frames(s, params)
        fl.append(f)
        lab.append(ep.label)
        tag.append(ep.tag)
        sc.append(ep.scored)
        n_ev, n_bl = _events_per_block(f, ep.label, ep.blocks)
        pieces, blocks = pieces + n_ev, blocks + n_bl
        edits += _edits(f, ep.label, ep.blocks)
    f, lab, tag, sc = map(np.concatenate, (fl, lab, tag, sc))
    non = np.isin(tag, NONMUSIC)
    out = {"frames": int(f.size), "fp": _rate(f, non & sc), "fp_nocollar": _rate(f, non),
           "fp_speech": _rate(f, (tag == TAGS["speech"]) & sc), "fp_noise": _rate(f, (tag == TAGS["noise"]) & sc)}
    prec = float((f & lab & sc).sum() / max(1, (f & sc).sum()))
    out["precision"] = round(prec, 4)
    for name, code in LEVEL_TAGS.items():
        r = _rate(f, (tag == code) & sc)
        out[f"recall {name}"] = r
        if name in ("0", "-6") and r is not None:
            out[f"F1 {name}"] = round(2 * prec * r / max(1e-9, prec + r), 4)
    out["recall music"] = _rate(f, lab.astype(bool) & sc)
    out["events/block"] = round(pieces / max(1, blocks), 3)
    out["edits/block"] = round(float(edits[:3].sum() / max(1, edits[3])), 3)
    out["adds, extras, deletes, blocks"] = [int(v) for v in edits]
    return out


def _edits(flagged: np.ndarray, label: np.ndarray, blocks: list[tuple[int, int]] | None = None) -> np.ndarray:
    """Detection's share of a supervisor's edits, per episode (music blocks stand for cues):
    (adds: blocks that events cover less than half; extras: events beyond the first on a block;
    deletes: events mostly over no music; blocks)."""
    events = _runs(flagged)
    music = label.astype(bool)
    adds = extras = 0
    blocks = _runs(music) if blocks is None else blocks
    for a, b in blocks:
        if flagged[a:b].mean() < 0.5:
            adds += 1
        extras += max(0, sum(1 for c, d in events if c < b and d > a) - 1)
    deletes = sum(1 for c, d in events if music[c:d].mean() < 0.5)
    return np.array([adds, extras, deletes, len(blocks)], float)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _events_per_block(flagged: np.ndarray, label: np.ndarray,
                      blocks: list[tuple[int, int]] | None = None) -> tuple[int, int]:
    """(events overlapping true music blocks, blocks overlapped by an event)."""
    events = _runs(flagged)
    n_ev = n_bl = 0
    for a, b in (_runs(label.astype(bool)) if blocks is None else blocks):
        k = sum(1 for c, d in events if c < b and d > a)
        if k:
            n_ev, n_bl = n_ev + k, n_bl + 1
    return n_ev, n_bl


def _rate(flag: np.ndarray, where: np.ndarray) -> float | None:
    return round(float(flag[where].mean()), 4) if where.any() else None


USE = list(FEATURES)  # the columns a model is trained on (--features picks a subset)
CONTEXT: list[int] = []  # frame offsets stacked as the network's input (--context)


class OutOfFold:
    """Stands in for a classifier on the training episodes: each episode's probabilities come from
    a model of the K-fold split that did not train on it (keyed by the episode's feature array)."""

    def __init__(self) -> None:
        self.probs: dict[int, np.ndarray] = {}
        self.threshold: float | None = None
        self.low: float | None = None
        self.bridge_s: float | None = None
        self.smooth_s: float | None = None
        self.calibration: list[tuple[float, float]] | None = None

    def predict(self, feats: np.ndarray, columns: object = None) -> np.ndarray:
        return self.probs[id(feats)]


VAL_FOLDS = 1  # 1: one validation fifth; K > 1: threshold + calibration on K-fold out-of-fold scores


def fit(train: list[Episode], seed: int) -> FrameClassifier:
    """Train on four fifths of ``train`` (whole episodes), choose threshold + calibration on the
    rest; or (VAL_FOLDS = K > 1) choose them on out-of-fold scores of all of ``train`` (K models,
    each scoring the episodes it did not train on) and train the model itself on all of it."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    if VAL_FOLDS > 1:
        oof = OutOfFold()
        for k in range(VAL_FOLDS):
            held = set(order[k::VAL_FOLDS].tolist())
            m = _train([train[i] for i in range(len(train)) if i not in held], seed + k)
            for i in held:
                oof.probs[id(train[i].feats)] = m.predict(train[i].feats, FEATURES)
        model = _train(train, seed)
        _event_params(train, oof)
    else:
        n_val = max(2, len(train) // 5)
        val = [train[i] for i in order[:n_val]]
        model = _train([train[i] for i in order[n_val:]], seed)
        oof = model
        _event_params(val, model)
    for field in ("calibration", "threshold", "low", "bridge_s", "smooth_s"):
        setattr(model, field, getattr(oof, field))
    return model


LOW_RULE = "fixed"  # "fixed": "off" 0.15 under "on"; "search": choose_hysteresis over SMOOTHS
SMOOTHS = [1.0]  # score smoothing widths (s) the search tries (--smooth), calibration refitted for each


def _event_params(val: list[Episode], model) -> None:
    """Set calibration, thresholds (and with the search rule bridge and smoothing) of
    ``model`` from its scores on ``val``."""
    if LOW_RULE == "fixed":
        model.smooth_s = model.bridge_s = model.low = None
        model.calibration = calibrate(val, model)
        model.threshold = choose_threshold(val, model, metrics)
        return
    best = None
    for smooth in SMOOTHS:
        model.smooth_s = None if smooth == DetectParams.smooth_s else smooth
        model.calibration = calibrate(val, model, params_for(model))
        scores = [episode_scores(e, model) for e in val]
        key, (high, low, bridge) = choose_hysteresis(val, model, lambda eps, m, sc=scores: metrics(eps, m, sc))
        if best is None or key < best[0]:
            best = (key, model.smooth_s, model.calibration, high, low, bridge)
    _, model.smooth_s, model.calibration, model.threshold, model.low, model.bridge_s = best


def _train(fit_eps: list[Episode], seed: int) -> FrameClassifier:
    """The classifier of MODEL_KIND trained on ``fit_eps``; an ensemble ("mean", "min") is the
    network and the trees trained apart (each cached on its own) and combined."""
    if MODEL_KIND in ("mean", "min", "veto"):
        net, trees = _train_kind(fit_eps, seed, "mlp"), _train_kind(fit_eps, seed, "gbdt")
        return FrameClassifier(net.features, net.mean, net.std, net.layers, trees=trees.trees,
                               context=net.context, combine=MODEL_KIND)
    return _train_kind(fit_eps, seed, MODEL_KIND)


def _train_kind(fit_eps: list[Episode], seed: int, kind: str) -> FrameClassifier:
    """The MLP or the trees trained on ``fit_eps``, cached on disk by recipe, training code and
    episodes (a threshold rule can then be re-run over the same models in minutes; a change to
    the training code makes new models instead of reusing stale ones)."""
    import hashlib

    recipe = [kind, gbdt_recipe()] if kind != "mlp" else [list(model_train.HIDDEN)]
    key = hashlib.sha1(json.dumps([USE, CONTEXT, seed, FEATURE_KEY, *recipe, _code_key(kind),
                                   sorted((e.name, len(e.label)) for e in fit_eps)]).encode()).hexdigest()[:16]
    path = OUT / "models" / f"{key}.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # none, or left half-written
        return FrameClassifier.from_dict(json.loads(path.read_text()))
    model = _train_uncached(fit_eps, seed, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    # atomically: runs are killed (and run side by side), and a half-written model would be read
    atomic_write_bytes(path, json.dumps(model.to_dict()).encode())
    return model


def _code_key(kind: str) -> str:
    """Hash of the code that trains a ``kind`` model (the row sampling and weights here, and
    ``train_mlp`` or the whole of ``gbdt.py``)."""
    import hashlib
    import inspect

    from benchmarks.detection import gbdt

    src = inspect.getsource(_train_uncached)
    src += inspect.getsource(gbdt) if kind == "gbdt" else inspect.getsource(train_mlp)
    return hashlib.sha1(src.encode()).hexdigest()[:12]


MODEL_KIND = "mlp"  # "gbdt", or an ensemble of both: "mean" / "min" of their probabilities (--model)


def gbdt_recipe() -> list:
    from benchmarks.detection import gbdt

    return [gbdt.BINS, gbdt.DEPTH, gbdt.TREES, gbdt.RATE, gbdt.LAMBDA, gbdt.SUBSAMPLE, gbdt.MIN_HESS]


def _train_uncached(fit_eps: list[Episode], seed: int, kind: str) -> FrameClassifier:
    cols = [FEATURES.index(f) for f in USE]
    x = np.concatenate([stack_context(e.feats[:, cols], CONTEXT)[::3] for e in fit_eps])
    y = np.concatenate([e.label[::3] for e in fit_eps]).astype(float)
    w = np.concatenate([np.where(np.isin(e.tag[::3], (TAGS["music:-20"],)), 0.5, 1.0) * e.loud[::3]
                        for e in fit_eps]) + 1e-3
    if kind == "gbdt":
        from benchmarks.detection.gbdt import train_gbdt

        nf = x.shape[1]
        model = FrameClassifier(list(USE), np.zeros(nf, np.float32), np.ones(nf, np.float32), [],
                                trees=train_gbdt(x, y, w, seed))
    else:
        model = train_mlp(x, y, w, seed, list(USE))
    model.context = list(CONTEXT) if CONTEXT else None
    return model


def table(rows: list[tuple[str, dict]]) -> str:
    cols = ["fp", "fp_nocollar", "precision", "F1 0", "F1 -6", "recall -12", "recall -20", "recall clean",
            "recall noise bed", "events/block"]
    lines = ["| group | " + " | ".join(cols) + " |", "|" + " --- |" * (len(cols) + 1)]
    for name, m in rows:
        cells = []
        for c in cols:
            v = m.get(c)
            cells.append("–" if v is None else (f"{100 * v:.1f} %" if c.startswith("fp") else f"{v:.3f}"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def worst(rows: list[tuple[str, dict]]) -> dict:
    out = {}
    for key, better in [("fp", min), ("fp_nocollar", min), ("F1 0", max), ("F1 -6", max), ("recall -12", max),
                        ("recall -20", max)]:
        vals = [(m[key], name) for name, m in rows if m.get(key) is not None]
        if not vals:
            continue
        v, name = (max if better is min else min)(vals)
        out[key] = {"value": v, "group": name}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["baseline", "logo", "final"])
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--features", default="", help="comma-separated subset of FEATURES (default all)")
    ap.add_argument("--tag", default="", help="suffix of the results files")
    ap.add_argument("--context", default="", help="comma-separated frame offsets stacked as input (default none)")
    ap.add_argument("--hidden", default="", help="hidden layer sizes, e.g. 32,16")
    ap.add_argument("--val-folds", type=int, default=1, help="K > 1: threshold + calibration on K-fold out-of-fold scores")
    ap.add_argument("--out", default="", help="final: write the model here instead of detector_model.json")
    ap.add_argument("--model", choices=["mlp", "gbdt", "mean", "min", "veto"], default="mlp",
                    help="the MLP, the trees, the mean / min of both's probabilities, or veto (trees < 0.2 veto)")
    ap.add_argument("--episodes", default="",
                    help="only these episode numbers, e.g. 0-43,66-105 (a quick check while data builds)")
    ap.add_argument("--groups", default="", help="logo: only these held-out groups (comma-separated), a quick check")
    ap.add_argument("--trees", type=int, default=0, help="gbdt: number of trees (default gbdt.TREES)")
    ap.add_argument("--depth", type=int, default=0, help="gbdt: tree depth (default gbdt.DEPTH)")
    ap.add_argument("--low", choices=["fixed", "search"], default="fixed",
                    help="hysteresis off level: 0.15 under on (fixed), or both chosen on validation (search)")
    ap.add_argument("--smooth", default="1", help="search: score smoothing widths to try (s), e.g. 1,2,3")
    ap.add_argument("--fp-budget", type=float, default=model_train.FP_BUDGET,
                    help="validation false-positive share the threshold may spend")
    args = ap.parse_args(argv)
    model_train.FP_BUDGET = args.fp_budget
    if args.features:
        USE[:] = args.features.split(",")
    global VAL_FOLDS, LOW_RULE, MODEL_KIND
    VAL_FOLDS = args.val_folds
    LOW_RULE = args.low
    MODEL_KIND = args.model
    from benchmarks.detection import gbdt

    gbdt.TREES = args.trees or gbdt.TREES
    gbdt.DEPTH = args.depth or gbdt.DEPTH
    SMOOTHS[:] = [float(v) for v in args.smooth.split(",")]
    if args.context:
        CONTEXT[:] = [int(k) for k in args.context.split(",")]
    if args.hidden:
        model_train.HIDDEN = tuple(int(k) for k in args.hidden.split(","))
    t0 = time.perf_counter()
    eps = load_episodes()
    if args.episodes:
        keep = {k for part in args.episodes.split(",")
                for k in range(int(part.split("-")[0]), int(part.split("-")[-1]) + 1)}
        eps = [e for e in eps if int(e.name[2:]) in keep]
    print(f"{len(eps)} episodes, {sum(len(e.label) for e in eps) * FRAME_S / 60:.1f} min, "
          f"features in {time.perf_counter() - t0:.0f} s", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, dict]] = []
    if args.mode == "baseline":
        model = load_classifier()
        for axis, groups in AXES.items():
            for g in groups:
                sel = [e for e in eps if e.meta[axis] == g]
                if sel:
                    rows.append((f"{axis}: {g}", metrics(sel, model)))
                    print(rows[-1], flush=True)
        rows.append(("all episodes", metrics(eps, model)))
    elif args.mode == "logo":
        held_out: list = []  # (episode, model not trained on it), over the synthesizer axis
        for axis, groups in AXES.items():
            for g in groups:
                if args.groups and g not in args.groups.split(","):
                    continue
                test = [e for e in eps if e.meta[axis] == g]
                train = [e for e in eps if e.meta[axis] != g]
                if not test:
                    continue
                model = fit(train, args.seed)
                low = f"/{model.low:.2f}" if model.low is not None else ""
                low += f", bridge {model.bridge_s:.1f} s" if model.bridge_s is not None else ""
                low += f", smooth {model.smooth_s:.0f} s" if model.smooth_s is not None else ""
                rows.append((f"{axis}: {g} (thr {model.threshold:.2f}{low})", metrics(test, model)))
                print(rows[-1], flush=True)
                if axis == "synth":
                    held_out += [(e, model) for e in test]
        from benchmarks.detection.model_train import reliability

        if held_out:  # (a --groups check may leave out the synthesizer axis)
            rel = reliability(held_out)
            (RESULTS / f"detection_reliability{args.tag}.json").write_text(json.dumps(rel, indent=1))
            print(json.dumps(rel["frames"]), "\n", json.dumps(rel["events"]))
    else:
        model = fit(eps, args.seed)
        from benchmarks.detection.model_train import check_values

        doc = model.to_dict()
        doc["check"] = check_values(model)
        doc["trained_by"] = "benchmarks/detection/evaluate.py final"
        doc["data"] = {"fp_budget": args.fp_budget, "episodes": len(eps), "minutes": round(sum(len(e.label) for e in eps) * FRAME_S / 60, 1),
                       "seed": args.seed, "hidden": list(model_train.HIDDEN), "context": list(CONTEXT),
                       "val_folds": VAL_FOLDS, "low_rule": LOW_RULE, "model": MODEL_KIND,
                       "trees": gbdt.TREES if MODEL_KIND != "mlp" else None,
                       "smooths": SMOOTHS, "gaps": list(model_train.GAPS), "bridges": list(model_train.BRIDGES)}
        out = Path(args.out) if args.out else MODEL_PATH
        out.write_text(json.dumps(doc, separators=(",", ":")))
        print(f"wrote {out}: threshold {model.threshold}, low {model.low}, calibration {model.calibration}")
        return 0
    doc = {"mode": args.mode, "fp_budget": args.fp_budget, "rows": rows, "worst": worst([r for r in rows if r[0] != "all episodes"]),
           "machine": "2 cores, shared", "episodes": len(eps)}
    (RESULTS / f"detection_{args.mode}{args.tag}.json").write_text(json.dumps(doc, indent=1))
    (RESULTS / f"detection_{args.mode}{args.tag}.md").write_text(table(rows) + "\n\nworst: " + json.dumps(doc["worst"]) + "\n")
    print(table(rows))
    print("worst:", json.dumps(doc["worst"]))
    print(f"done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
