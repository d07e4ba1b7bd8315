"""A tiny frame classifier (music / no music) over the detection features, in plain numpy.

The weights (``detector_model.json``, a few KB) are trained by
``benchmarks/detection/evaluate.py final`` on the episodes of ``benchmarks/detection/build_data.py``
(Debian music packages, several speech synthesizers and recorded speech, eleven noise kinds,
broadcast processing and codecs), so nothing is downloaded at run time and the data's licences
are known. Without the file, detection falls back to the continuous-frequency-activation score alone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
MODEL_PATH = Path(__file__).with_name("detector_model.json")


@dataclass
class TreeEnsemble:
    """Boosted trees (``benchmarks/detection/gbdt.py``), each stored complete: inner node i
    sends a row right when its feature ``>= thrs[i]`` (inf: every row left), children 2i+1 and
    2i+2, leaves in order. The logit is ``base`` plus one leaf value per tree."""

    feats: np.ndarray  # (trees, 2^depth - 1) int
    thrs: np.ndarray  # (trees, 2^depth - 1) float
    leaves: np.ndarray  # (trees, 2^depth) float
    base: float

    def raw(self, x: np.ndarray, block: int = 8192) -> np.ndarray:
        """Logit per row of ``x``; rows in blocks so (rows, trees) index arrays stay small."""
        n_trees, n_inner = self.feats.shape
        depth = int(np.log2(n_inner + 1))
        tree = np.arange(n_trees)
        out = np.empty(len(x), np.float64)
        for a in range(0, len(x), block):
            xs = x[a:a + block]
            rows = np.arange(len(xs))[:, None]
            idx = np.zeros((len(xs), n_trees), np.int64)
            for d in range(depth):
                node = (2**d - 1) + idx
                idx = 2 * idx + (xs[rows, self.feats[tree, node]] >= self.thrs[tree, node])
            out[a:a + block] = self.base + self.leaves[tree, idx].sum(axis=1)
        return out

    def to_dict(self) -> dict:
        return {"feats": self.feats.tolist(), "thrs": [[None if not np.isfinite(v) else float(v) for v in r]
                                                       for r in self.thrs],
                "leaves": self.leaves.tolist(), "base": self.base}

    @classmethod
    def from_dict(cls, d: dict) -> TreeEnsemble:
        thrs = np.array([[np.inf if v is None else v for v in r] for r in d["thrs"]], np.float32)
        return cls(np.asarray(d["feats"], np.int32), thrs, np.asarray(d["leaves"], np.float32), float(d["base"]))


# "veto" ensemble: below this tree probability the trees overrule the network (the min of
# both); above it the network alone decides, so the trees' misses of quiet music cost nothing
VETO_BELOW = 0.2


@dataclass
class FrameClassifier:
    features: list[str]
    mean: np.ndarray
    std: np.ndarray
    layers: list[tuple[np.ndarray, np.ndarray]]  # hidden layers tanh, last layer logistic
    threshold: float | None = None  # hysteresis "on" level chosen on the validation split
    low: float | None = None  # hysteresis "off" level chosen with it (None: 0.15 under "on")
    bridge_s: float | None = None  # gaps this short between segments closed (None: DetectParams')
    smooth_s: float | None = None  # score smoothing width the calibration was fitted for (None: DetectParams')
    trees: TreeEnsemble | None = None  # boosted trees (on raw inputs), instead of the layers or with them
    calibration: list[tuple[float, float]] | None = None  # isotonic knots (smoothed score, music share)
    context: list[int] | None = None  # frame offsets whose features are stacked (None: [0])
    # with both layers and trees: how their probabilities combine ("mean"; "min": either
    # model can veto, e.g. the trees a steady bed the network scores as music; "veto": the
    # network decides unless the trees are confident there is no music, p < VETO_BELOW)
    combine: str = "mean"

    def inputs(self, feats: np.ndarray, columns: tuple[str, ...] | list[str] | None = None) -> np.ndarray:
        """The network's input rows: the model's columns of ``feats`` (``columns`` names feats'
        columns), stacked with copies shifted by each ``context`` offset (edges repeated)."""
        if columns is not None and list(columns) != self.features:
            feats = feats[:, [list(columns).index(f) for f in self.features]]
        return stack_context(feats, self.context)

    def predict(self, feats: np.ndarray, columns: tuple[str, ...] | list[str] | None = None) -> np.ndarray:
        """Music probability per row of ``feats``; ``columns`` names feats' columns (the model
        takes the ones it was trained on, by name), else they are the model's own features."""
        x = self.inputs(feats, columns)
        probs = []
        if self.trees is not None:
            probs.append(1.0 / (1.0 + np.exp(-self.trees.raw(x))))
        if self.layers:
            h = (x - self.mean) / self.std
            for i, (w, b) in enumerate(self.layers):
                h = h @ w + b
                if i < len(self.layers) - 1:
                    h = np.tanh(h)
            probs.append(1.0 / (1.0 + np.exp(-h[:, 0])))
        if len(probs) == 1:
            return probs[0].astype(np.float32)
        # an ensemble: the network and the trees err on different held-out groups (the trees
        # flag fewer steady beds, the network finds more quiet music), so their mean is steadier
        if self.combine == "min":
            return np.minimum(*probs).astype(np.float32)
        if self.combine == "veto":
            p_trees, p_net = probs
            return np.where(p_trees < VETO_BELOW, np.minimum(p_net, p_trees), p_net).astype(np.float32)
        return ((probs[0] + probs[1]) / 2).astype(np.float32)

    def to_dict(self) -> dict:
        d = {"features": self.features, "mean": self.mean.tolist(), "std": self.std.tolist(),
             "layers": [{"w": w.tolist(), "b": b.tolist()} for w, b in self.layers]}
        if self.threshold is not None:
            d["threshold"] = self.threshold
        if self.low is not None:
            d["low"] = self.low
        if self.bridge_s is not None:
            d["bridge_s"] = self.bridge_s
        if self.smooth_s is not None:
            d["smooth_s"] = self.smooth_s
        if self.calibration is not None:
            d["calibration"] = [list(k) for k in self.calibration]
        if self.context is not None:
            d["context"] = list(self.context)
        if self.trees is not None:
            d["trees"] = self.trees.to_dict()
            if self.layers and self.combine != "mean":
                d["combine"] = self.combine
        return d

    @classmethod
    def from_dict(cls, d: dict) -> FrameClassifier:
        return cls(features=list(d["features"]), mean=np.asarray(d["mean"], np.float32),
                   std=np.asarray(d["std"], np.float32),
                   layers=[(np.asarray(layer["w"], np.float32), np.asarray(layer["b"], np.float32))
                           for layer in d["layers"]],
                   threshold=float(d["threshold"]) if "threshold" in d else None,
                   low=float(d["low"]) if "low" in d else None,
                   bridge_s=float(d["bridge_s"]) if "bridge_s" in d else None,
                   smooth_s=float(d["smooth_s"]) if "smooth_s" in d else None,
                   calibration=[(float(x), float(y)) for x, y in d["calibration"]]
                   if "calibration" in d else None,
                   context=[int(k) for k in d["context"]] if "context" in d else None,
                   trees=TreeEnsemble.from_dict(d["trees"]) if "trees" in d else None,
                   combine=str(d.get("combine", "mean")))


def stack_context(feats: np.ndarray, offsets: list[int] | None) -> np.ndarray:
    """Columns of ``feats`` at frame t+k for each offset k, side by side (rows beyond the ends
    repeat the first/last row): the network sees how the features move around the frame."""
    if not offsets or list(offsets) == [0]:
        return feats
    n = len(feats)
    idx = np.arange(n)
    return np.concatenate([feats[np.clip(idx + k, 0, max(0, n - 1))] for k in offsets], axis=1)


def load_classifier(path: Path = MODEL_PATH) -> FrameClassifier | None:
    """The trained detector, or None (detection then uses frequency activation alone, less
    accurately: say so, since a missing file in a build otherwise goes unnoticed)."""
    try:
        return FrameClassifier.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("Music detector model %s not usable (%s); using the simpler detector", path, exc)
        return None
