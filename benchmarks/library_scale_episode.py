"""The library-scale benchmark's query episode: library excerpts under speech, a third speed-changed.

One 60-minute episode (seeded) alternates:
- library excerpts of 8-30 s at 0, -6 or -12 dB under espeak-ng speech (music RMS relative to
  speech RMS; voices and speaking rates vary, see local_engine/build_dataset.py);
- a third of those excerpts changed the way broadcast changes them: varispeed 0.96, 1.02 and
  25/24 (pitch moves with speed: 24 fps material on a 25 fps channel) or tempo 1.03 with the
  pitch kept (an editor fitting a cue to a scene);
- non-library music excerpts (real tracks held out of the library: naming them is a wrong ID);
- speech-only stretches.

Varispeed is linear-interpolation resampling (what a tape or a frame-rate conversion does).
Tempo with pitch kept is our own phase vocoder (``time_stretch``): STFT with a 1024-sample Hann
window and hop 256 at the episode rate, magnitudes interpolated between analysis frames,
phases advanced by each bin's measured instantaneous frequency, overlap-added at the synthesis
hop. It is the textbook method (Flanagan & Golden; Laroche & Dolson without phase locking), so
its "phasiness" is the kind a cheap editor's tempo tool leaves, which is what we want to survive.

The ground truth is written beside the episode as ``<name>.truth.json``: every block's kind,
start/end in the episode, and for music its track, offset in the track, level and change.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

RATE = 22050
SPEECH_RMS = 0.08
LEVELS = [0, -6, -12]
LENGTHS = [8, 10, 12, 15, 20, 25, 30]
CHANGES = [("speed", 0.96), ("speed", 1.02), ("speed", 25 / 24), ("tempo", 1.03)]


def varispeed(x: np.ndarray, factor: float) -> np.ndarray:
    """Play ``x`` ``factor`` times faster (pitch follows): linear-interpolation resampling."""
    n_out = int(x.size / factor)
    return np.interp(np.arange(n_out) * factor, np.arange(x.size), x).astype(np.float32)


def time_stretch(x: np.ndarray, factor: float, n_fft: int = 1024, hop: int = 256) -> np.ndarray:
    """Play ``x`` ``factor`` times faster with its pitch kept (phase vocoder, see module doc)."""
    window = np.hanning(n_fft).astype(np.float32)
    pad = np.concatenate([np.zeros(n_fft, np.float32), x, np.zeros(n_fft, np.float32)])
    n_frames = 1 + (pad.size - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    spec = np.fft.rfft(pad[idx] * window, axis=1)
    steps = np.arange(0, n_frames - 1, factor)
    lo = np.floor(steps).astype(np.int64)
    frac = (steps - lo)[:, None]
    mag = (1 - frac) * np.abs(spec[lo]) + frac * np.abs(spec[lo + 1])
    expected = 2 * np.pi * hop * np.arange(n_fft // 2 + 1) / n_fft
    dphi = np.angle(spec[lo + 1]) - np.angle(spec[lo]) - expected
    dphi -= 2 * np.pi * np.round(dphi / (2 * np.pi))
    phase = np.angle(spec[0]) + np.cumsum(np.vstack([np.zeros_like(expected), (expected + dphi)[:-1]]), axis=0)
    frames = np.fft.irfft(mag * np.exp(1j * phase), n=n_fft, axis=1).astype(np.float32) * window
    out = np.zeros(hop * (steps.size - 1) + n_fft, np.float32)
    norm = np.zeros_like(out)
    for i in range(steps.size):
        out[i * hop:i * hop + n_fft] += frames[i]
        norm[i * hop:i * hop + n_fft] += window ** 2
    out = out / np.maximum(norm, 1e-3)
    start = int(n_fft / factor)
    return out[start:start + int(x.size / factor)]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x ** 2)) + 1e-9)


def build_episode(out: Path, minutes: float, library: list[str], non_library: list[str], seed: int,
                  durations: dict[str, float], decode, speech_pool, encode) -> dict:  # type: ignore[no-untyped-def]
    """Write ``out`` (AAC) and ``out.truth.json``; returns the truth. ``decode(path, rate)``,
    ``speech_pool(rng, seconds)`` and ``encode(signal, out)`` come from the local-engine set.

    The whole episode is planned first (from the tracks' ``durations``), then each source track
    is decoded once for all its excerpts: decoding, not mixing, is what costs here."""
    truth_path = out.with_suffix(".truth.json")
    if out.exists() and truth_path.exists():
        return json.loads(truth_path.read_text())
    rng = np.random.default_rng(seed)
    pool = speech_pool(rng, 300)
    segments: list[dict] = []
    t, n_music = 0.0, 0
    while t < minutes * 60:
        kind = str(rng.choice(["lib", "lib", "lib", "lib", "nonlib", "speech"]))
        item: dict = {"kind": kind, "start_s": round(t, 4)}
        if kind == "speech":
            n = int(rng.uniform(4, 15) * RATE)
            item["_speech_at"] = int(rng.integers(0, pool.size - n))
        else:
            src = str(rng.choice(library if kind == "lib" else non_library))
            change = CHANGES[(n_music // 3) % len(CHANGES)] if n_music % 3 == 2 and kind == "lib" else None
            n_music += 1
            length = min(float(rng.choice(LENGTHS)), durations[src] / 1.1 - 1)
            need = length * (change[1] if change else 1.0) + 0.2
            off = float(rng.uniform(0, max(0.0, durations[src] - need - 0.5)))
            n = int(length * RATE)
            level = LEVELS[int(rng.integers(len(LEVELS)))]
            item.update(track=src, track_offset_s=round(off, 4), level=level,
                        change=f"{change[0]} {change[1]:.4f}" if change else "none",
                        ratio=round(change[1], 6) if change else 1.0,
                        _need=need, _speech_at=int(rng.integers(0, pool.size - n)))
        t += n / RATE
        item["end_s"] = round(t, 4)
        item["_n"] = n
        segments.append(item)
    music: dict[int, np.ndarray] = {}
    for src in sorted({s["track"] for s in segments if "track" in s}):
        x = decode(src, RATE)
        for i, s in enumerate(segments):
            if s.get("track") != src:
                continue
            piece = x[int(s["track_offset_s"] * RATE):int((s["track_offset_s"] + s["_need"]) * RATE)]
            if s["change"].startswith("speed"):
                piece = varispeed(piece, s["ratio"])
            elif s["change"].startswith("tempo"):
                piece = time_stretch(piece, s["ratio"])
            piece = piece[:s["_n"]]
            music[i] = np.pad(piece, (0, s["_n"] - piece.size))
    blocks = []
    for i, s in enumerate(segments):
        n, at = s.pop("_n"), s.pop("_speech_at")
        s.pop("_need", None)
        speech = pool[at:at + n]
        if i in music:
            m = music[i]
            blocks.append((m / rms(m) * SPEECH_RMS * 10 ** (s["level"] / 20) + speech).astype(np.float32))
        else:
            blocks.append(speech.astype(np.float32))
    signal = np.concatenate(blocks)
    peak = float(np.abs(signal).max())
    if peak > 0.99:
        signal *= 0.99 / peak
    encode(signal, out)
    truth = {"episode": out.name, "rate": RATE, "seed": seed, "segments": segments}
    truth_path.write_text(json.dumps(truth, indent=1))
    return truth
