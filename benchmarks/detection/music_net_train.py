"""Train the music network (``benchmarks.detection.music_net.py``) with PyTorch.

    OMP_NUM_THREADS=2 nice -n 10 .venv/bin/python -m benchmarks.detection.music_net_train final

PyTorch is needed here only (``pip install -e '.[train]'``); the product runs the weights in
numpy. ``final`` trains on all the detection episodes (``build_data.py``), chooses the event forming
(thresholds, bridge, smoothing) and the calibration with the feature classifier's search
(``evaluate._event_params``) on out-of-fold scores, each episode scored by a network trained
without its speech synthesizer, and writes
``music_net.npz`` (weights, with an input and the output PyTorch computed for it, which
``tests/test_music_net.py`` checks numpy reproduces) with the event settings.

Training: random 1,024-frame crops (24 s) of whole episodes, 16 a batch, soft targets per
8-frame step (the share of its frames that are music), frames of digital silence weighted
~0. Augmentation varies what the world varies: level (±6 dB), a one-band shift of the mel
bands (pitch and speed), and a second crop mixed in underneath at −8 to 0 dB in the power
domain (its music label kept), so voices, beds and music meet in combinations the episodes
did not hold. The mixing is off when the network also reads the detection features
(``NET_FEATURES``, the default: the "hybrid"), since a mix's features are unknown without its
audio; ``NET_FEATURES = ()`` is the bands-only network of the "aug" results.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.detection.build_data import OUT  # noqa: E402
from benchmarks.detection.music_net import (  # noqa: E402
    MEL_BANDS,
    STEP,
    MusicNet,
    mel_matrix,
    signal_bands,
)
from cuesheet_app.identify.local.detect import FEATURES  # noqa: E402
from cuesheet_app.media.decode import decode_all  # noqa: E402
from cuesheet_app.storage.atomic import atomic_write_bytes  # noqa: E402

CROP = 1024
BATCH = 16
STEPS = 1200
LR = 2e-3
DILATIONS = (1, 2, 4, 8, 16)
CHANNELS = (16, 24, 32)
HIDDEN = 48
# (share of crops replaced by pure band_noise, share given a band_noise bed); () for none
NOISE_AUG: tuple[float, ...] = (0.15, 0.3)
# detection features the network also reads (all but the absolute level, which the gain
# augmentation would contradict); the mixing augmentations are off with them, since a mix's
# features are not known without its audio
NET_FEATURES: tuple[str, ...] = tuple(f for f in FEATURES if f != "level")
MIX = 0.3  # share of crops with a second crop mixed under them (bands only)


def episode_bands(ep) -> np.ndarray:
    """The product's bands of an episode (cached beside the features)."""
    path = OUT / "bands" / f"{ep.name}.npy"
    if path.exists():
        return np.load(path)
    bands = signal_bands(decode_all(OUT / "episodes" / ep.meta["audio"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, bands)
    tmp.replace(path)
    return bands


def _torch_net(n_feats: int = 0):
    import torch
    from torch import nn
    from torch.nn import functional as F

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            c1, c2, c3 = CHANNELS
            self.c1 = nn.Conv2d(1, c1, 3, padding=1)
            self.c2 = nn.Conv2d(c1, c2, 3, padding=1)
            self.c3 = nn.Conv2d(c2, c3, 3, padding=1)
            self.proj = nn.Conv1d(c3 * (MEL_BANDS // 8), HIDDEN, 1)
            self.res = nn.ModuleList(nn.Conv1d(HIDDEN, HIDDEN, 3, padding=d, dilation=d) for d in DILATIONS)
            self.head = nn.Conv1d(HIDDEN, 1, 1)
            self.fproj = nn.Conv1d(n_feats, HIDDEN, 1) if n_feats else None
            self.drop = nn.Dropout(0.2)

        def forward(self, x: torch.Tensor, f: torch.Tensor | None = None) -> torch.Tensor:  # (B, T, bands)
            x = x.transpose(1, 2).unsqueeze(1)
            x = F.avg_pool2d(x, (1, 2))
            x = F.max_pool2d(F.relu(self.c1(x)), 2)
            x = F.max_pool2d(F.relu(self.c2(x)), 2)
            x = F.max_pool2d(F.relu(self.c3(x)), (2, 1))
            h = self.proj(self.drop(x.flatten(1, 2)))
            if self.fproj is not None:  # features (B, T, n) averaged per step of STEP frames
                f = f.reshape(f.shape[0], -1, STEP, f.shape[2]).mean(dim=2).transpose(1, 2)
                h = h + self.fproj(f)
            h = F.relu(h)
            for r in self.res:
                h = h + F.relu(r(h))
            return self.head(h)[:, 0]

    return Net()


def _export(net, mean: float, std: float, fmean: np.ndarray | None = None,
            fstd: np.ndarray | None = None) -> MusicNet:
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    w = {"c1.w": sd["c1.weight"], "c1.b": sd["c1.bias"], "c2.w": sd["c2.weight"], "c2.b": sd["c2.bias"],
         "c3.w": sd["c3.weight"], "c3.b": sd["c3.bias"], "proj.w": sd["proj.weight"], "proj.b": sd["proj.bias"],
         "head.w": sd["head.weight"], "head.b": sd["head.bias"]}
    for i in range(len(DILATIONS)):
        w[f"r{i}.w"], w[f"r{i}.b"] = sd[f"res.{i}.weight"], sd[f"res.{i}.bias"]
    if net.fproj is None:
        return MusicNet(mean, std, w, DILATIONS)
    w["fproj.w"], w["fproj.b"] = sd["fproj.weight"], sd["fproj.bias"]
    return MusicNet(mean, std, w, DILATIONS, features=NET_FEATURES, feat_mean=fmean, feat_std=fstd)


def _bins_per_band() -> np.ndarray:
    """Effective FFT bins averaged in each mel band (1 / sum of squared weights): how much a
    noise's band power fluctuates from frame to frame."""
    m = mel_matrix()
    return 1.0 / (m**2).sum(axis=1)


def band_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, MEL_BANDS) natural-log band power of a random non-music sound, made in the band
    domain: a random spectral shape (tilt and bumps), a random envelope (steady, slow swells,
    or bursts of 20-300 ms), sometimes a few steady tonal bands, and the frame-to-frame
    fluctuation of noise power in a band of that many bins. A generic prior, not one of the
    episodes' noise generators: "sound that is not music" in shapes the data may never have
    held."""
    bands = np.arange(MEL_BANDS) / (MEL_BANDS - 1)
    shape = rng.uniform(-4, 1) * bands
    for _ in range(int(rng.integers(0, 4))):
        shape += rng.uniform(-2, 2) * np.exp(-0.5 * ((bands - rng.uniform()) / rng.uniform(0.05, 0.3)) ** 2)
    kind = rng.choice(["steady", "swell", "bursts"], p=[0.35, 0.4, 0.25])
    t = np.arange(n)
    if kind == "steady":
        env = np.zeros(n)
    elif kind == "swell":
        knots = max(2, int(n * 0.0232 / rng.uniform(0.3, 3.0)))
        env = np.interp(t, np.linspace(0, n - 1, knots), rng.normal(0, rng.uniform(0.3, 1.2), knots))
    else:
        env = np.full(n, -4.0)
        for _ in range(rng.poisson(n * 0.0232 * rng.uniform(1, 20))):
            a = int(rng.integers(0, n))
            env[a:a + int(rng.integers(1, 13))] = rng.uniform(-1, 0.5)
    k = _bins_per_band()
    fluct = np.log(rng.gamma(k, 1.0 / k, size=(n, MEL_BANDS)))
    x = shape[None, :] + env[:, None] + fluct
    if rng.random() < 0.3:
        tonal = rng.choice(MEL_BANDS, size=int(rng.integers(1, 5)), replace=False)
        x[:, tonal] = np.logaddexp(x[:, tonal], rng.uniform(1, 3.5, tonal.size)[None, :])
    return x.astype(np.float32)


def _code_key() -> str:
    """Hash of this module's source as imported (read at import, so an edit made while a run
    is going cannot file that run's nets under the edited code's key)."""
    return _SOURCE_KEY


_SOURCE_KEY = hashlib.sha1(inspect.getsource(sys.modules[__name__]).encode()).hexdigest()[:12]


def train_net(eps: list, seed: int, log=print) -> MusicNet:
    """The network trained on ``eps`` (evaluate.Episode with ``bands``), cached on disk by
    code, seed and episodes."""
    key = hashlib.sha1(json.dumps([_code_key(), seed, sorted((e.name, len(e.label)) for e in eps)])
                       .encode()).hexdigest()[:16]
    path = OUT / "nets" / f"{key}.npz"
    if path.exists():
        from benchmarks.detection.music_net import load_net

        net = load_net(path)
        if net is not None:
            return net
    net = _train(eps, seed, log)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, net.save(path))
    return net


def _train(eps: list, seed: int, log) -> MusicNet:
    import torch
    from torch.nn import functional as F

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    bands = [e.bands for e in eps]
    allb = np.concatenate([b[e.loud] for b, e in zip(bands, eps, strict=True)])
    mean, std = float(allb.mean()), float(allb.std())
    xs = [((b - mean) / std).astype(np.float32) for b in bands]
    ys = [e.label[:len(b)].astype(np.float32) for b, e in zip(bands, eps, strict=True)]
    ws = [(e.loud[:len(b)] + 1e-3).astype(np.float32) for b, e in zip(bands, eps, strict=True)]
    fs, fmean, fstd = None, None, None
    if NET_FEATURES:
        cols = [FEATURES.index(f) for f in NET_FEATURES]
        allf = np.concatenate([e.feats[e.loud][:, cols] for e in eps])
        fmean, fstd = np.nanmean(allf, axis=0), np.nanstd(allf, axis=0) + 1e-6
        fs = [np.nan_to_num((e.feats[:len(b), cols] - fmean) / fstd).astype(np.float32)
              for b, e in zip(bands, eps, strict=True)]
    lengths = np.array([len(x) for x in xs])
    pick_p = lengths / lengths.sum()
    net = _torch_net(len(NET_FEATURES))
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=STEPS, pct_start=0.1)
    db = np.log(10.0) / 10.0 / std  # one dB of power in standardised units

    def crop() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        i = rng.choice(len(xs), p=pick_p)
        n = len(xs[i])
        a = int(rng.integers(0, max(1, n - CROP)))
        x, y, w = xs[i][a:a + CROP], ys[i][a:a + CROP], ws[i][a:a + CROP]
        f = fs[i][a:a + CROP] if fs is not None else None
        if len(x) < CROP:
            pad = CROP - len(x)
            x = np.pad(x, ((0, pad), (0, 0)), mode="edge")
            f = np.pad(f, ((0, pad), (0, 0)), mode="edge") if f is not None else None
            y, w = np.pad(y, (0, pad)), np.pad(w, (0, pad))
        return x, y, w, f

    t0 = time.time()
    net.train()
    for step in range(STEPS):
        bx, by, bw, bf = [], [], [], []
        for _ in range(BATCH):
            x, y, w, f = crop()
            x = x + rng.uniform(-6, 6) * db
            if rng.random() < 0.3:
                x = np.roll(x, int(rng.choice([-1, 1])), axis=1)
            if fs is None and rng.random() < MIX:
                x2, y2, w2, _ = crop()
                x2 = x2 + rng.uniform(-8, 0) * db
                # power sum in standardised log units: std * x is the natural log of power
                x = np.logaddexp(x * std, x2 * std) / std
                y, w = np.maximum(y, y2), np.maximum(w, w2)
            if fs is None and NOISE_AUG and rng.random() < NOISE_AUG[0]:  # a crop of pure non-music sound
                x = band_noise(CROP, rng)
                x = (x - x.mean()) / std + rng.uniform(-1.5, 1.0)
                y, w = np.zeros(CROP, np.float32), np.ones(CROP, np.float32)
            elif fs is None and NOISE_AUG and rng.random() < NOISE_AUG[1]:  # a bed under the crop, -30..-5 dB
                bed = band_noise(CROP, rng)
                ref = np.percentile((x * std).mean(axis=1), 90)
                bed = bed - bed.mean() + ref + rng.uniform(-30, -5) * db * std
                x = np.logaddexp(x * std, bed) / std
            bx.append(x)
            bf.append(f)
            by.append(y.reshape(-1, STEP).mean(axis=1))
            bw.append(w.reshape(-1, STEP).mean(axis=1))
        xb = torch.from_numpy(np.stack(bx).astype(np.float32))
        yb = torch.from_numpy(np.stack(by))
        wb = torch.from_numpy(np.stack(bw))
        fb = torch.from_numpy(np.stack(bf)) if fs is not None else None
        loss = (F.binary_cross_entropy_with_logits(net(xb, fb), yb, reduction="none") * wb).sum() / wb.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0 or step == STEPS - 1:
            log(f"  step {step}: loss {loss.item():.4f} ({time.time() - t0:.0f} s)")
    net.eval()
    return _export(net, mean, std, fmean, fstd)


def check_pair(net: MusicNet, eps: list) -> dict[str, np.ndarray]:
    """An input (the first 2,000 frames of an episode) and PyTorch's probabilities for it,
    stored with the weights for the product's test."""
    import torch

    x = eps[0].bands[:2000]
    feats = eps[0].feats[:2000][:, [FEATURES.index(f) for f in net.features]] if net.features else None
    tnet = _torch_net(len(net.features))
    state = {}
    for name, arr in net.weights.items():
        layer, kind = name.rsplit(".", 1)
        layer = f"res.{layer[1:]}" if layer.startswith("r") and layer[1:].isdigit() else layer
        state[f"{layer}.{'weight' if kind == 'w' else 'bias'}"] = torch.from_numpy(arr)
    tnet.load_state_dict(state)
    tnet.eval()
    f = None
    if feats is not None:
        f = torch.from_numpy(np.nan_to_num((feats - net.feat_mean) / net.feat_std).astype(np.float32))[None]
    with torch.no_grad():
        z = tnet(torch.from_numpy(((x - net.mean) / net.std).astype(np.float32))[None], f)[0].numpy()
    prob = np.repeat(1 / (1 + np.exp(-z)), STEP)[:len(x)]
    out = {"_check_in": x.astype(np.float32), "_check_out": prob.astype(np.float32)}
    if feats is not None:
        out["_check_feats"] = feats.astype(np.float32)
    return out


def final(seed: int = 5, log=print) -> MusicNet:
    """Train on every episode; choose event forming and calibration on out-of-fold scores, each
    episode scored by a network trained without its speech synthesizer (``music_net_eval``'s
    rule, the one its held-out table measures); write ``music_net.npz``."""
    from benchmarks.detection import evaluate as E
    from benchmarks.detection import music_net_eval as V
    from benchmarks.detection.music_net import NET_PATH

    eps = E.load_episodes()
    for e in eps:
        e.bands = episode_bands(e)[:len(e.label)]
    E.LOW_RULE, E.SMOOTHS = "search", [1.0, 2.0, 3.0]
    scores = V.scores_of("net", eps, eps[:1], seed, log)
    V._oof_event_params("net", eps, scores, seed, log)
    net = scores.net
    for field in ("threshold", "low", "bridge_s", "smooth_s", "calibration"):
        setattr(net, field, getattr(scores, field))
    log(f"event forming on out-of-fold scores: on {net.threshold} off {net.low} "
        f"bridge {net.bridge_s} smooth {net.smooth_s}")
    atomic_write_bytes(NET_PATH, net.save(NET_PATH, check_pair(net, eps)))
    return net


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["final"])
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    final(args.seed)


if __name__ == "__main__":
    main()
