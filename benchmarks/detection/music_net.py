"""A small convolutional network that scores music per frame from log-mel bands, in plain numpy.

Not shipped: measured against the feature classifier on held-out groups it lost once its
thresholds were chosen on scores of voices it had not heard (docs/local-engine.md, "A network
over mel bands"). It is written as the engine would run it (numpy, the engine's spectrogram
chunks, blocks with a margin) so that a better-trained one can be shipped as it is.

Why it was tried: the hand-made features (held peaks, pauses, flux, ...) miss quiet music under
dialogue (issue 13). A network over the spectrogram could learn held harmonics, beats and
syllables itself, and dilated time convolutions see about ±6 s, long enough to tell a steady
bed from a held chord. It does find far more quiet music; but from 40-55 training episodes it
also learnt the training voices, and an unheard voice or a crowd's babble scores as music.
The network can also read the detection features (``features``, added into its first time
layer), which is the variant measured best.

The shape (all "same" padded, ReLU):
    log-mel bands (40, T) -> mean over 2 frames -> conv 3x3 (16) -> max 2x2 -> conv 3x3 (24)
    -> max 2x2 -> conv 3x3 (32) -> max 2x1 -> (32 x 5 bands) per step of 8 frames (186 ms)
    -> 1x1 (48) -> five residual dilated convs k=3 (dilation 1, 2, 4, 8, 16) -> 1x1 -> logistic
The step's probability is repeated over its 8 frames. Weights are trained by
``benchmarks/detection/music_net_train.py`` (PyTorch, at benchmark time only) and stored in
``music_net.npz`` with an input/output pair the training script computed, which
``check_pairs`` compares with this file's output (PyTorch's and numpy's agree to ~1e-7).

Long episodes run in blocks with a margin wider than the receptive field, so memory stays
bounded and every output equals the whole-sequence result.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.spectro import N_FFT
from cuesheet_app.media.decode import ANALYSIS_RATE

log = logging.getLogger(__name__)
NET_PATH = Path(__file__).resolve().parents[1] / "data" / "detection" / "music_net.npz"
MEL_BANDS = 40
MEL_LO_HZ, MEL_HI_HZ = 60.0, 5000.0
STEP = 8  # frames per output step (the pooling: 2 x 2 x 2 in time)
BLOCK = 8192  # frames per inference block (a multiple of STEP)
MARGIN = 512  # frames of context either side of a block (> the receptive radius, ~270 frames)


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(f, np.float64) / 700.0)


def mel_matrix() -> np.ndarray:
    """(MEL_BANDS, N_FFT/2 + 1) triangular filters, each summing to one (a band's power is the
    mean power of its bins, so wide high bands do not dominate)."""
    freqs = np.arange(N_FFT // 2 + 1) * ANALYSIS_RATE / N_FFT
    edges = 700.0 * (10 ** (np.linspace(_hz_to_mel(MEL_LO_HZ), _hz_to_mel(MEL_HI_HZ), MEL_BANDS + 2) / 2595.0) - 1)
    m = np.zeros((MEL_BANDS, freqs.size))
    for i in range(MEL_BANDS):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        up = (freqs - lo) / max(mid - lo, 1e-9)
        down = (hi - freqs) / max(hi - mid, 1e-9)
        m[i] = np.clip(np.minimum(up, down), 0, None)
        if m[i].sum() == 0:  # narrower than a bin: take the nearest bin
            m[i, int(np.argmin(np.abs(freqs - mid)))] = 1.0
    return (m / m.sum(axis=1, keepdims=True)).astype(np.float32)


_MEL = mel_matrix()


def mel_bands(spec: np.ndarray) -> np.ndarray:
    """(frames, MEL_BANDS) natural-log band power of a (bins, frames) natural-log magnitude
    spectrogram (``spectro.log_spectrogram``): the network's input, one row per frame."""
    power = np.exp(2.0 * spec.astype(np.float32))
    return np.log(_MEL @ power + 1e-7).T.astype(np.float32)


def _conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """3x3 "same" convolution of x (C, F, T) with w (O, C, 3, 3), as one matrix product over
    the nine shifted copies (cross-correlation, as PyTorch's Conv2d)."""
    c, f, t = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    cols = np.empty((c, 3, 3, f, t), np.float32)
    for i in range(3):
        for j in range(3):
            cols[:, i, j] = xp[:, i:i + f, j:j + t]
    out = w.reshape(w.shape[0], -1) @ cols.reshape(c * 9, f * t)
    return (out + b[:, None]).reshape(w.shape[0], f, t)


def _conv1d(x: np.ndarray, w: np.ndarray, b: np.ndarray, dilation: int = 1) -> np.ndarray:
    """"Same" 1-D convolution of x (C, L) with w (O, C, K), dilated."""
    k = w.shape[2]
    pad = dilation * (k - 1) // 2
    xp = np.pad(x, ((0, 0), (pad, pad)))
    length = x.shape[1]
    out = np.repeat(b[:, None], length, axis=1).astype(np.float32)
    for i in range(k):
        out += w[:, :, i] @ xp[:, i * dilation:i * dilation + length]
    return out


def _maxpool(x: np.ndarray, pf: int, pt: int) -> np.ndarray:
    c, f, t = x.shape
    return x[:, :f - f % pf, :t - t % pt].reshape(c, f // pf, pf, t // pt, pt).max(axis=(2, 4))


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0, out=x)


@dataclass
class MusicNet:
    """The trained weights (names as in the training script's PyTorch module)."""

    mean: float
    std: float
    weights: dict[str, np.ndarray]
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16)
    # event forming chosen by the training script on its validation episodes (as the feature
    # classifier's: hysteresis "on"/"off", bridge, smoothing, isotonic calibration knots)
    threshold: float | None = None
    low: float | None = None
    bridge_s: float | None = None
    smooth_s: float | None = None
    calibration: list[tuple[float, float]] | None = None
    # detection features (detect.FEATURES names) the network also reads, added into its first
    # time layer through "fproj" (held peaks over 8 s, the mains comb, the beat...: long-context
    # cues the bands alone learn only from the voices and beds they saw); () for none
    features: tuple[str, ...] = ()
    feat_mean: np.ndarray | None = None
    feat_std: np.ndarray | None = None

    def logits(self, bands: np.ndarray, feats: np.ndarray | None = None) -> np.ndarray:
        """Logit per step of STEP frames of ``bands`` (frames, MEL_BANDS) and, for a network that
        reads them, ``feats`` (frames, len(features)); frames a multiple of STEP."""
        w = self.weights
        x = ((bands.T - self.mean) / self.std).astype(np.float32)  # (F, T)
        x = x.reshape(x.shape[0], -1, 2).mean(axis=2)[None]  # (1, F, T/2)
        x = _maxpool(_relu(_conv2d(x, w["c1.w"], w["c1.b"])), 2, 2)
        x = _maxpool(_relu(_conv2d(x, w["c2.w"], w["c2.b"])), 2, 2)
        x = _maxpool(_relu(_conv2d(x, w["c3.w"], w["c3.b"])), 2, 1)
        x = x.reshape(-1, x.shape[2])  # (C*F, steps)
        h = _conv1d(x, w["proj.w"], w["proj.b"])
        if self.features:
            f = np.nan_to_num((feats - self.feat_mean) / self.feat_std).astype(np.float32)
            f = f.reshape(-1, STEP, f.shape[1]).mean(axis=1).T  # (features, steps)
            h += _conv1d(f, w["fproj.w"], w["fproj.b"])
        h = _relu(h)
        for i, d in enumerate(self.dilations):
            h = h + _relu(_conv1d(h, w[f"r{i}.w"], w[f"r{i}.b"], d))
        return _conv1d(h, w["head.w"], w["head.b"])[0]

    def predict(self, bands: np.ndarray, feats: np.ndarray | None = None) -> np.ndarray:
        """Music probability per frame of ``bands`` (frames, MEL_BANDS) (and ``feats`` when the
        network reads features), in blocks of BLOCK frames with MARGIN frames of context each
        side: the same as one pass over the whole."""
        n = len(bands)
        if n == 0:
            return np.zeros(0, np.float32)
        padded = -(-n // STEP) * STEP
        x = np.pad(bands, ((0, padded - n), (0, 0)), mode="edge")
        f = np.pad(feats[:n], ((0, padded - n), (0, 0)), mode="edge") if self.features else None
        out = np.empty(padded // STEP, np.float32)
        for a in range(0, padded, BLOCK):
            b = min(padded, a + BLOCK)
            lo, hi = max(0, a - MARGIN), min(padded, b + MARGIN)
            z = self.logits(x[lo:hi], None if f is None else f[lo:hi])
            out[a // STEP:b // STEP] = z[(a - lo) // STEP:(a - lo) // STEP + (b - a) // STEP]
        prob = 1.0 / (1.0 + np.exp(-np.clip(out, -30, 30)))
        return np.repeat(prob, STEP)[:n].astype(np.float32)

    def save(self, path: Path, extra: dict[str, np.ndarray] | None = None) -> bytes:
        """The npz bytes (the caller writes them atomically)."""
        import io

        buf = io.BytesIO()
        events = {f"_{k}": np.float64(getattr(self, k)) for k in ("threshold", "low", "bridge_s", "smooth_s")
                  if getattr(self, k) is not None}
        if self.calibration:
            events["_calibration"] = np.asarray(self.calibration, np.float64)
        if self.features:
            events.update(_features=np.asarray(self.features), _feat_mean=self.feat_mean, _feat_std=self.feat_std)
        np.savez_compressed(buf, _mean=np.float32(self.mean), _std=np.float32(self.std),
                            _dilations=np.asarray(self.dilations, np.int32),
                            **events, **self.weights, **(extra or {}))
        return buf.getvalue()


_REQUIRED = {f"{layer}.{p}" for layer in ("c1", "c2", "c3", "proj", "head") for p in "wb"}


def load_net(path: Path = NET_PATH) -> MusicNet | None:
    """The trained network, or None when the file is missing or unreadable (logged)."""
    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            weights = {k: z[k].astype(np.float32) for k in z.files if not k.startswith("_")}
            events = {k: float(z[f"_{k}"]) for k in ("threshold", "low", "bridge_s", "smooth_s") if f"_{k}" in z.files}
            calibration = [(float(a), float(b)) for a, b in z["_calibration"]] if "_calibration" in z.files else None
            if "_features" in z.files:
                events.update(features=tuple(str(f) for f in z["_features"]),
                              feat_mean=z["_feat_mean"].astype(np.float32), feat_std=z["_feat_std"].astype(np.float32))
            net = MusicNet(float(z["_mean"]), float(z["_std"]), weights,
                           tuple(int(d) for d in z["_dilations"]), calibration=calibration, **events)
        missing = (_REQUIRED | {f"r{i}.{p}" for i in range(len(net.dilations)) for p in "wb"}
                   | ({"fproj.w", "fproj.b"} if net.features else set())) - set(weights)
        if missing:
            raise ValueError(f"missing weights {sorted(missing)}")
        return net
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("music network %s unreadable (%s)", path.name, exc)
        return None


def check_pairs(path: Path = NET_PATH) -> float:
    """Largest difference between this file's probabilities and the training script's on the
    input stored with the weights (``_check_in``, ``_check_out``)."""
    net = load_net(path)
    with np.load(path) as z:
        x, y = z["_check_in"], z["_check_out"]
        f = z["_check_feats"] if "_check_feats" in z.files else None
    return float(np.abs(net.predict(x, f) - y).max())


def signal_bands(signal: np.ndarray) -> np.ndarray:
    """(frames, MEL_BANDS) of a whole analysis-rate signal, chunked exactly as the engine's
    detector sees it: the training script and the benchmark call this."""
    from cuesheet_app.identify.local.spectro import spectrogram_chunks

    parts = [mel_bands(c.spec[:, c.before:c.before + c.core]) for c in spectrogram_chunks([signal])]
    return np.concatenate(parts) if parts else np.zeros((0, MEL_BANDS), np.float32)
