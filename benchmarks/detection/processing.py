"""Broadcast processing for the detection data: EQ, compression + limiting, loudness
normalisation to -23 LUFS (ITU-R BS.1770 K-weighting and gating), codec round trips."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
from scipy.ndimage import maximum_filter1d
from scipy.signal import lfilter

from benchmarks.detection.sources import RATE


def _rbj(kind: str, fc: float, q: float, gain_db: float = 0.0, rate: int = RATE) -> tuple[np.ndarray, np.ndarray]:
    a_ = 10 ** (gain_db / 40)
    w = 2 * np.pi * fc / rate
    alpha = np.sin(w) / (2 * q)
    cw = np.cos(w)
    if kind == "peak":
        b = [1 + alpha * a_, -2 * cw, 1 - alpha * a_]
        a = [1 + alpha / a_, -2 * cw, 1 - alpha / a_]
    elif kind == "highshelf":
        sq = 2 * np.sqrt(a_) * alpha
        b = [a_ * ((a_ + 1) + (a_ - 1) * cw + sq), -2 * a_ * ((a_ - 1) + (a_ + 1) * cw), a_ * ((a_ + 1) + (a_ - 1) * cw - sq)]
        a = [(a_ + 1) - (a_ - 1) * cw + sq, 2 * ((a_ - 1) - (a_ + 1) * cw), (a_ + 1) - (a_ - 1) * cw - sq]
    elif kind == "highpass":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    else:  # lowpass
        b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    return np.asarray(b) / a[0], np.asarray(a) / a[0]


def eq(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    y = x.astype(np.float64)
    for _ in range(int(rng.integers(1, 4))):
        y = lfilter(*_rbj("peak", rng.uniform(100, 6000), rng.uniform(0.5, 2), rng.uniform(-8, 8)), y)
    if rng.random() < 0.5:
        y = lfilter(*_rbj("highpass", rng.uniform(60, 200), 0.707), y)
    if rng.random() < 0.5:
        y = lfilter(*_rbj("lowpass", rng.uniform(3500, 9000), 0.707), y)
    return y.astype(np.float32)


def compress(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Feed-forward compressor (threshold, ratio, smoothed level) then a peak limiter."""
    thr_db, ratio = rng.uniform(-30, -12), rng.uniform(2, 8)
    level = np.sqrt(lfilter([0.002], [1, -0.998], x.astype(np.float64) ** 2) + 1e-12)
    level_db = 20 * np.log10(level)
    gain_db = np.where(level_db > thr_db, (thr_db - level_db) * (1 - 1 / ratio), 0.0)
    y = x * 10 ** (gain_db / 20)
    y = y / (rms(y) + 1e-12) * rms(x)  # make-up gain
    ceiling = 10 ** (rng.uniform(-6, -1) / 20) * np.abs(y).max()
    peak = maximum_filter1d(np.abs(y), size=int(0.005 * RATE))
    g = np.minimum(1.0, ceiling / (peak + 1e-12))
    g = lfilter([0.05], [1, -0.95], g) / 1.0
    return (y * np.minimum(g, ceiling / (np.abs(y) + 1e-12))).astype(np.float32)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def loudness_lufs(x: np.ndarray, rate: int = RATE) -> float:
    """Integrated loudness (BS.1770-4: K-weighting, 400 ms blocks, -70 LUFS and -10 LU gates)."""
    y = lfilter(*_rbj("highshelf", 1681.97, 0.7072, 3.9998, rate), x.astype(np.float64))
    y = lfilter(*_rbj("highpass", 38.135, 0.5003, rate=rate), y)
    block, hop = int(0.4 * rate), int(0.1 * rate)
    if y.size < block:
        return -70.0
    sq = np.cumsum(np.concatenate([[0.0], y**2]))
    starts = np.arange(0, y.size - block + 1, hop)
    ms = (sq[starts + block] - sq[starts]) / block
    lk = -0.691 + 10 * np.log10(ms + 1e-20)
    ms = ms[lk > -70]
    if not ms.size:
        return -70.0
    rel = -0.691 + 10 * np.log10(ms.mean()) - 10
    ms = ms[-0.691 + 10 * np.log10(ms) > rel]
    return float(-0.691 + 10 * np.log10(ms.mean()))


def normalise(x: np.ndarray, target: float = -23.0) -> np.ndarray:
    return (x * 10 ** ((target - loudness_lufs(x)) / 20)).astype(np.float32)


CODECS = {"aac": (".m4a", 128000), "mp2": (".mp2", 192000), "ac3": (".ac3", 192000), "flac": (".flac", 0)}


def encode(signal: np.ndarray, out: Path, codec: str) -> Path:
    """Write ``signal`` (RATE, mono) as ``codec`` at 48 kHz stereo (a broadcast delivery)."""
    suffix, bitrate = CODECS[codec]
    out = out.with_suffix(suffix)
    tmp = out.with_name(out.stem + ".tmp" + suffix)
    pcm = np.clip(signal, -1, 1).astype(np.float32)
    with av.open(str(tmp), "w") as c:
        s = c.add_stream(codec, rate=48000, layout="stereo")
        if bitrate:
            s.bit_rate = bitrate
        for i in range(0, pcm.size, RATE * 10):
            frame = av.AudioFrame.from_ndarray(pcm[None, i:i + RATE * 10].copy(), format="flt", layout="mono")
            frame.sample_rate, frame.pts = RATE, i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    os.replace(tmp, out)
    return out
