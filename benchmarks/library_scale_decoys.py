"""Procedurally generated decoy tracks for the library-scale benchmark: different music, not copies.

Why not speed-shifted copies of library tracks (what the local-engine benchmark uses)? A
speed-robust engine *should* match those, so they would count as wrong IDs for the right
reason. Each decoy here is its own piece, drawn from a seeded generator:

- tempo 66-168 BPM with its own swing, a key (root 0-11) and a scale (major, minor, dorian,
  mixolydian, harmonic minor, pentatonic), and a concert pitch of its own (A4 = 428-452 Hz);
- a chord progression per section (two sections, A and B), voiced by a pad or an arpeggio;
- a bass line on chord roots and fifths, a melody (random walk on the scale, with rests);
- drums (kick, snare, hi-hat) from a random 16-step pattern, or none for a fifth of the pieces;
- every instrument a random timbre: a harmonic spectrum in a wavetable, its own attack and
  decay, vibrato on the lead.

Rendering is vectorised numpy at the engine's analysis rate (11,025 Hz, so nothing is wasted
on resampling): a note is one wavetable gather times one envelope, drums are per-piece hits
added at their pattern's steps. ``render_decoy(i, seed)`` is a pure function of
``(seed, i)``: the same library is rebuilt bit for bit on any machine, and the 1,000-track
library's decoys are the first decoys of the 5,000-track one.
"""

from __future__ import annotations

import numpy as np

RATE = 11025
TABLE = 2048
SCALES = {
    "major": [0, 2, 4, 5, 7, 9, 11],
    "minor": [0, 2, 3, 5, 7, 8, 10],
    "dorian": [0, 2, 3, 5, 7, 9, 10],
    "mixolydian": [0, 2, 4, 5, 7, 9, 10],
    "harmonic_minor": [0, 2, 3, 5, 7, 8, 11],
    "pentatonic": [0, 2, 4, 7, 9],
}


def _wavetable(rng: np.random.Generator, n_harm: int, tilt: float) -> np.ndarray:
    """One period of a random harmonic spectrum (amplitude ~ k^-tilt, random phases, gaps)."""
    x = np.arange(TABLE) / TABLE
    k = np.arange(1, n_harm + 1)
    amp = k ** -tilt * rng.uniform(0.3, 1.0, n_harm) * (rng.random(n_harm) > 0.25)
    amp[0] = max(amp[0], 0.5)
    phase = rng.uniform(0, 2 * np.pi, n_harm)
    table = (amp[:, None] * np.sin(2 * np.pi * k[:, None] * x[None, :] + phase[:, None])).sum(0)
    return (table / (np.abs(table).max() + 1e-9)).astype(np.float32)


class _Instrument:
    def __init__(self, rng: np.random.Generator, kind: str) -> None:
        self.kind = kind
        n_harm = {"bass": int(rng.integers(2, 7)), "pad": int(rng.integers(3, 10)),
                  "lead": int(rng.integers(2, 12)), "arp": int(rng.integers(3, 12))}[kind]
        self.table = _wavetable(rng, n_harm, float(rng.uniform(0.6, 2.0)))
        self.attack = float({"pad": rng.uniform(0.08, 0.4)}.get(kind, rng.uniform(0.003, 0.03)))
        self.decay = float({"pad": rng.uniform(1.5, 6.0), "arp": rng.uniform(0.15, 0.6),
                            "bass": rng.uniform(0.3, 1.5)}.get(kind, rng.uniform(0.4, 3.0)))
        self.vibrato = float(rng.uniform(0.0, 0.006)) if kind == "lead" else 0.0
        self.vib_rate = float(rng.uniform(4.0, 6.5))
        self.gain = {"bass": 0.5, "pad": 0.18, "lead": 0.35, "arp": 0.22}[kind] * float(rng.uniform(0.7, 1.2))

    def note(self, freq: float, seconds: float) -> np.ndarray:
        n = max(16, int(seconds * RATE))
        t = np.arange(n, dtype=np.float32) / RATE
        inst = freq * (1 + self.vibrato * np.sin(2 * np.pi * self.vib_rate * t)) if self.vibrato else freq
        phase = np.cumsum(np.broadcast_to(inst, t.shape) / RATE, dtype=np.float64) if self.vibrato \
            else freq * t.astype(np.float64)
        idx = ((phase * TABLE).astype(np.int64)) & (TABLE - 1)
        env = np.minimum(1.0, t / self.attack) * np.exp(-t / self.decay)
        release = min(n, int(0.02 * RATE))
        env[-release:] *= np.linspace(1, 0, release, dtype=np.float32)
        return self.table[idx] * env.astype(np.float32) * self.gain


def _drum_hits(rng: np.random.Generator) -> dict[str, np.ndarray]:
    t = np.arange(int(0.35 * RATE), dtype=np.float32) / RATE
    f0, f1 = rng.uniform(90, 160), rng.uniform(38, 60)
    sweep = f1 + (f0 - f1) * np.exp(-t / rng.uniform(0.02, 0.06))
    kick = np.sin(2 * np.pi * np.cumsum(sweep) / RATE) * np.exp(-t / rng.uniform(0.08, 0.25))
    noise = rng.normal(0, 1, t.size).astype(np.float32)
    tone = rng.uniform(150, 260)
    snare = (0.6 * noise + 0.5 * np.sin(2 * np.pi * tone * t)) * np.exp(-t / rng.uniform(0.05, 0.16))
    hat_noise = np.diff(rng.normal(0, 1, t.size + 1)).astype(np.float32)
    hat = hat_noise * np.exp(-t / rng.uniform(0.012, 0.05)) * 0.4
    return {"kick": (kick * 0.9).astype(np.float32), "snare": (snare * 0.45).astype(np.float32),
            "hat": hat.astype(np.float32)}


def _degree_freq(degree: int, scale: list[int], root: int, octave: int, a4: float) -> float:
    midi = 12 * (octave + 1) + root + scale[degree % len(scale)] + 12 * (degree // len(scale))
    return float(a4 * 2 ** ((midi - 69) / 12))


def render_decoy(index: int, seed: int = 12, seconds: float = 60.0) -> np.ndarray:
    """Decoy number ``index`` of the library built from ``seed``: mono float32 at RATE, peak 0.9."""
    rng = np.random.default_rng([seed, index])
    bpm = float(rng.uniform(66, 168))
    beat = 60.0 / bpm
    step = beat / 4
    swing = float(rng.uniform(0, 0.25)) * step
    a4 = float(rng.uniform(428, 452))
    root = int(rng.integers(12))
    scale = list(SCALES.values())[int(rng.integers(len(SCALES)))]
    n = int(seconds * RATE)
    out = np.zeros(n + RATE * 8, np.float32)
    bass, lead = _Instrument(rng, "bass"), _Instrument(rng, "lead")
    harmony = _Instrument(rng, "pad" if rng.random() < 0.5 else "arp")
    n_deg = len(scale)
    sections = [rng.integers(0, n_deg, 4) for _ in range(2)]
    form = [int(s) for s in rng.choice(2, size=64)]
    bar_s = 4 * beat
    n_bars = int(np.ceil(seconds / bar_s))
    lead_oct, bass_oct, chord_oct = int(rng.integers(4, 6)), int(rng.integers(1, 3)), int(rng.integers(3, 5))
    rest_p = float(rng.uniform(0.1, 0.45))
    mel_deg = int(rng.integers(0, n_deg))

    def put(x: np.ndarray, at_s: float) -> None:
        i = int(at_s * RATE)
        if i < out.size:
            m = min(x.size, out.size - i)
            out[i:i + m] += x[:m]

    for bar in range(n_bars):
        t0 = bar * bar_s
        prog = sections[form[(bar // 4) % len(form)]]
        chord = int(prog[bar % 4])
        if harmony.kind == "pad":
            for d in (0, 2, 4):
                put(harmony.note(_degree_freq(chord + d, scale, root, chord_oct, a4), bar_s), t0)
        else:
            for k in range(8):
                d = (0, 2, 4, 7)[k % 4]
                put(harmony.note(_degree_freq(chord + d, scale, root, chord_oct, a4), 2 * step), t0 + k * 2 * step)
        for b in range(4):
            d = chord if b % 2 == 0 or rng.random() < 0.5 else chord + 4
            put(bass.note(_degree_freq(d, scale, root, bass_oct, a4), beat * 0.9), t0 + b * beat)
        k = 0
        while k < 16:
            length = int(rng.choice([1, 2, 2, 4, 4, 6, 8]))
            if rng.random() > rest_p:
                mel_deg = int(np.clip(mel_deg + rng.integers(-3, 4), -n_deg, 2 * n_deg))
                freq = _degree_freq(mel_deg, scale, root, lead_oct, a4)
                put(lead.note(freq, length * step), t0 + k * step + (swing if k % 2 else 0.0))
            k += length
    if rng.random() < 0.8:
        hits = _drum_hits(rng)
        steps = np.arange(n_bars * 16)
        times = steps * step + np.where(steps % 2 == 1, swing, 0.0)
        probs = {"kick": np.where(np.arange(16) % 4 == 0, 0.9, rng.uniform(0, 0.3, 16)),
                 "snare": np.where(np.arange(16) % 8 == 4, 0.9, rng.uniform(0, 0.15, 16)),
                 "hat": rng.uniform(0.2, 1.0, 16) * (rng.random() < 0.85)}
        for name, p in probs.items():
            pattern = rng.random(16) < p
            pattern[0] |= name == "kick"
            on = np.tile(pattern, n_bars)
            gains = rng.uniform(0.7, 1.0, int(on.sum()))
            for at, g in zip(times[on], gains, strict=True):
                put(hits[name] * np.float32(g), float(at))
    out = out[:n]
    fade = int(0.05 * RATE)
    out[:fade] *= np.linspace(0, 1, fade, dtype=np.float32)
    out[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    return (out / (np.abs(out).max() + 1e-9) * 0.9).astype(np.float32)
