"""Small synthetic media generated at test time (no media is committed)."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np


def write_wav(path: Path, samples: np.ndarray, rate: int = 22050) -> Path:
    """Mono or (n, channels) float samples in [-1, 1] -> 16-bit PCM WAV."""
    data = np.asarray(samples, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    pcm = (np.clip(data, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def silence(seconds: float, rate: int = 22050) -> np.ndarray:
    return np.zeros(int(seconds * rate))


def chord_music(seconds: float, seed: int = 0, rate: int = 22050, tempo: float = 2.0) -> np.ndarray:
    """Deterministic 'music': a chord progression with a beat, different per seed."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    out = np.zeros_like(t)
    step = 1.0 / tempo
    n_steps = int(np.ceil(seconds / step))
    roots = rng.integers(45, 70, size=n_steps)
    for i, root in enumerate(roots):
        a, b = int(i * step * rate), int(min(len(t), (i + 1) * step * rate))
        seg = t[a:b] - t[a]
        env = np.exp(-seg * 2.5)
        for interval in (0, 4, 7, 12):
            f = 440.0 * 2 ** ((root + interval - 69) / 12)
            out[a:b] += env * np.sin(2 * np.pi * f * seg) / 4
    return 0.5 * out / max(1e-9, np.abs(out).max())


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speech(path: Path, text: str, rate: int = 22050) -> np.ndarray:
    """Speech from espeak-ng, resampled to ``rate`` (tests skip where espeak-ng is missing)."""
    wav = path.with_suffix(".speech.wav")
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)
    with wave.open(str(wav), "rb") as w:
        src_rate = w.getframerate()
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768
    n = int(len(raw) * rate / src_rate)
    return np.interp(np.linspace(0, len(raw) - 1, n), np.arange(len(raw)), raw)
