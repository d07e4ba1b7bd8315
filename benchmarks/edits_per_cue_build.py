"""Build the back-to-back music episodes for ``edits_per_cue.py``, under benchmarks/data/edits_per_cue/.

    nice -n 10 .venv/bin/python benchmarks/edits_per_cue_build.py [--minutes 6] [--seed 13]

Why its own set: the local engine's benchmark episodes put speech, noise or silence between
most excerpts, so they say little about what happens when one piece of music follows another.
Here most music comes in *chains*: 2-4 pieces back to back, joined by a hard cut or a
crossfade (1-4 s), at different levels (so a level step often marks the change), some pieces
ducked by 10 dB part way through (one cue, not two), under speech for all, part or none of the
chain, library and non-library music mixed. A noise bed of the episode's noise type runs
under everything.

Sources, all from Debian's archive with the ordinary client (``apt-get download`` +
``dpkg-deb -x``, the local engine benchmark's ``fetch_packages``), licences in each package's
``/usr/share/doc/*/copyright``:

  music   drascula-music, singularity-music (tune split); asc-music, hyperrogue-music,
          planetblupi-music-ogg, warzone2100-music (test split). Each package's tracks of 45 s
          or more (duplicates removed) are split, seeded, into library and non-library tracks.
  speech  espeak-ng (tune: en, en-us, de voices; test: fr, es, it, nl, en-gb-x-rp) and flite
          (test only: kal, awb, rms, slt). flite is installed by this script when missing
          (``apt-get install flite``).
  noise   generated: pink, hum (tune); brown, babble (six voices summed), white, rain (shaped
          noise bursts) (test).

Tune and test share no package, voice or noise type: the test split's groups are all held out.

``--train [--rounds 5]`` builds training episodes for the piece-boundary score instead, under
``train/`` with their own manifest (never the benchmark's): all music non-library, from
extremetuxracer-data, lincity-ng-data, nexuiz-music, ufoai-music, xmoto-data and
wesnoth-1.16-music (fetched into ``pkgs-extra``), espeak-ng en, en-us, de, pt, pl, sv, and
pink, hum and room-tone beds: nothing the test split uses.

Truth convention: a crossfade's boundary is its midpoint (the engine's written convention,
docs/local-engine.md); a ducked piece is one cue. Each episode gets a ``.truth.json`` with
its cues (start, end, library or not, track) and what it was built from.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "local_engine"))

import build_dataset as base  # noqa: E402

from cuesheet_app.media.identity import quick_fingerprint  # noqa: E402
from cuesheet_app.media.probe import probe  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "edits_per_cue"
RATE = base.RATE
SPEECH_RMS = base.SPEECH_RMS
TUNE_PACKAGES = ["drascula-music", "singularity-music"]
TEST_PACKAGES = ["asc-music", "hyperrogue-music", "planetblupi-music-ogg", "warzone2100-music"]
TRAIN_PACKAGES = ["extremetuxracer-data", "lincity-ng-data", "nexuiz-music", "ufoai-music", "xmoto-data",
                  "wesnoth-1.16-music"]
SPLITS = {
    "tune": {"packages": TUNE_PACKAGES, "synths": ["espeak-ng"], "noises": ["pink", "hum"],
             "espeak_voices": ["en", "en-us", "de"]},
    "test": {"packages": TEST_PACKAGES, "synths": ["espeak-ng", "flite"],
             "noises": ["brown", "babble", "white", "rain"],
             "espeak_voices": ["fr", "es", "it", "nl", "en-gb-x-rp"]},
    # training episodes for the piece-boundary score (--train): other packages than both
    # splits, the tune split's voices plus others the test split never uses, and noises the test
    # split never uses; not in the benchmark's manifest, so its numbers never see them
    "train": {"packages": TRAIN_PACKAGES, "synths": ["espeak-ng"], "noises": ["pink", "hum", "room"],
              "espeak_voices": ["en", "en-us", "de", "pt", "pl", "sv"]},
}
TRAIN = DATA / "train"
FLITE_VOICES = ["kal", "awb", "rms", "slt"]
LIB_PER_PACKAGE, NONLIB_PER_PACKAGE = 10, 6
LENGTHS = [6, 8, 10, 12, 15, 20, 25, 30, 40]
LEVELS = ["clean", 0, -6, -12]  # music RMS relative to the speech RMS when under speech


def ensure_flite() -> None:
    if shutil.which("flite") is None:
        print("apt-get install flite", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "flite"], check=True)


def package_tracks(pkg: str, min_s: float = 45.0, root: Path | None = None) -> list[str]:
    """A package's audio files of ``min_s`` or more, duplicates removed; under ``root``
    (default: the benchmarks' package folder)."""
    out, seen = [], set()
    for path in sorted(((root or base.PKGS) / pkg).rglob("*")):
        if path.suffix.lower() not in (".ogg", ".mp3", ".flac", ".opus", ".wav") or not path.is_file():
            continue
        try:
            seconds = float(probe(path).duration_s)
        except Exception:
            continue
        fp = quick_fingerprint(path)
        if seconds >= min_s and fp not in seen:
            seen.add(fp)
            out.append(str(path))
    return out


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        r = w.getframerate()
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    return np.interp(np.linspace(0, raw.size - 1, int(raw.size * RATE / r)), np.arange(raw.size),
                     raw).astype(np.float32)


def synth_speech(synth: str, voices: list[str], rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Sentences in varied voices with short pauses, normalised to SPEECH_RMS."""
    tmp = DATA / f"speech-{synth}.tmp.wav"
    parts, total = [], 0.0
    while total < seconds:
        text = ". ".join(rng.choice(base.TEXT, size=3)) + "."
        if synth == "flite":
            voice = str(rng.choice(FLITE_VOICES))
            stretch = float(rng.uniform(0.85, 1.2))
            subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.2f}",
                            "-t", text, "-o", str(tmp)], check=True, capture_output=True)
            s = read_wav(tmp)
        else:
            voice = str(rng.choice(voices)) + str(rng.choice(base.VARIANTS))
            s = base.espeak(text, voice, int(rng.integers(140, 190)), int(rng.integers(30, 70)), tmp)
        parts += [s, np.zeros(int(rng.uniform(0.2, 0.8) * RATE), np.float32)]
        total += (s.size + parts[-1].size) / RATE
    tmp.unlink(missing_ok=True)
    pool = np.concatenate(parts)
    active = pool[np.abs(pool) > 1e-3]
    return (pool / (np.sqrt(np.mean(active**2)) + 1e-9) * SPEECH_RMS).astype(np.float32)


def make_noise(kind: str, n: int, rng: np.random.Generator, pool: np.ndarray) -> np.ndarray:
    """Unit-RMS noise of one kind."""
    if kind == "babble":
        x = np.zeros(n, np.float32)
        for _ in range(6):
            src = np.roll(pool, int(rng.integers(0, pool.size)))
            x += np.resize(src, n)
    elif kind == "rain":
        w = rng.normal(0, 1, n)
        w = np.diff(w, prepend=0.0)  # tilted up, hiss-like
        drops = (rng.random(n) < 40 / RATE).astype(np.float64)  # ~40 bursts a second
        env = np.convolve(drops, np.exp(-np.arange(int(0.03 * RATE)) / (0.006 * RATE)), mode="same")
        x = w * (0.3 + env)
    else:
        x = base.noise(kind, n, rng).astype(np.float64)
    x = np.asarray(x, np.float64)
    return (x / (np.sqrt(np.mean(x**2)) + 1e-9)).astype(np.float32)


@dataclass
class Piece:
    kind: str  # lib / nonlib
    track: str
    offset_s: float
    music: np.ndarray  # unit-RMS excerpt, with its fades/duck applied as gain envelope later
    level: object
    duck_at: float | None


def build_episode(name: str, split: str, synth: str, noise_kind: str, pkg: str, lib: list[str],
                  nonlib: list[str], minutes: float, seed: int, folder: Path = DATA / "episodes") -> dict:
    out = folder / f"{name}.m4a"
    truth_path = out.with_suffix(".truth.json")
    if out.exists() and truth_path.exists():
        return json.loads(truth_path.read_text())
    rng = np.random.default_rng(seed)
    cfg = SPLITS[split]
    pool = synth_speech(synth, cfg["espeak_voices"], rng, 150)
    decoded = base.Decoded()
    total_n = int(minutes * 60 * RATE)
    signal = np.zeros(total_n + 120 * RATE, np.float32)
    cues: list[dict] = []
    t = int(2 * RATE)
    while t < total_n:
        r = rng.random()
        if r < 0.14:  # speech alone
            n = int(rng.uniform(4, 15) * RATE)
            p0 = int(rng.integers(0, pool.size - n))
            signal[t:t + n] += pool[p0:p0 + n]
            t += n
            continue
        if r < 0.22:  # a louder stretch of the noise alone
            n = int(rng.uniform(3, 10) * RATE)
            signal[t:t + n] += make_noise(noise_kind, n, rng, pool) * 0.03
            t += n
            continue
        if r < 0.27:
            t += int(rng.uniform(0.5, 3) * RATE)
            continue
        t = _chain(signal, t, rng, pool, lib, nonlib, decoded, cues)
        t += int(rng.uniform(0.5, 4) * RATE)
    end = t
    signal = signal[:end]
    bed_db = float(rng.uniform(-48, -38))
    signal += make_noise(noise_kind, end, rng, pool) * 10 ** (bed_db / 20)
    peak = float(np.abs(signal).max())
    if peak > 0.99:
        signal *= 0.99 / peak
    base.encode_aac(signal, out)
    truth = {"episode": out.name, "split": split, "synth": synth, "noise": noise_kind,
             "package": pkg, "noise_bed_dbfs": round(bed_db, 1), "duration_s": round(end / RATE, 3),
             "cues": cues}
    truth_path.write_text(json.dumps(truth, indent=1))
    print(f"built {out.name}: {end / RATE / 60:.1f} min, {len(cues)} cues", flush=True)
    return truth


def _chain(signal: np.ndarray, t: int, rng: np.random.Generator, pool: np.ndarray, lib: list[str],
           nonlib: list[str], decoded: base.Decoded, cues: list[dict]) -> int:
    """2-4 pieces back to back from ``t``; returns where the chain ends."""
    n_pieces = int(rng.choice([2, 2, 3, 3, 4]))
    speech_mode = str(rng.choice(["none", "full", "part"], p=[0.35, 0.35, 0.3]))
    chain_start = t
    last_track = None
    for i in range(n_pieces):
        kind = "lib" if rng.random() < 0.6 or not nonlib else "nonlib"
        choices = [s for s in (lib if kind == "lib" else nonlib) if s != last_track]
        if not choices:  # a package with one non-library track: never the same piece twice
            kind = "lib" if kind == "nonlib" else "nonlib"
            choices = [s for s in (lib if kind == "lib" else nonlib) if s != last_track]
        src = str(rng.choice(choices))
        last_track = src
        x = decoded.get(src)
        length = min(float(rng.choice(LENGTHS)), x.size / RATE - 1)
        off = float(rng.uniform(0, x.size / RATE - length))
        music = x[int(off * RATE):int(off * RATE) + int(length * RATE)].astype(np.float32)
        music = music / base.rms(music)
        level = LEVELS[int(rng.integers(len(LEVELS)))] if speech_mode != "none" else "clean"
        gain = SPEECH_RMS * (1.0 if level == "clean" else 10 ** (int(level) / 20))  # type: ignore[arg-type]
        env = np.full(music.size, gain, np.float32)
        duck_at = None
        if rng.random() < 0.2 and length >= 12:
            duck_at = float(rng.uniform(0.3, 0.7) * length)
            k = int(duck_at * RATE)
            ramp = min(int(0.5 * RATE), music.size - k)
            env[k:k + ramp] *= np.linspace(1, 10 ** (-10 / 20), ramp, dtype=np.float32)
            env[k + ramp:] *= 10 ** (-10 / 20)
        transition = "start"
        xfade = 0
        if i == 0:
            if rng.random() < 0.3:
                n = int(1.5 * RATE)
                env[:n] *= np.linspace(0, 1, n, dtype=np.float32)
                transition = "fade_in"
        else:
            transition = str(rng.choice(["cut", "crossfade"], p=[0.55, 0.45]))
            if transition == "crossfade":
                xfade = int(rng.uniform(1.0, 4.0) * RATE)
                xfade = min(xfade, music.size // 3, int((cues[-1]["end_s"] - cues[-1]["start_s"]) * RATE) // 3)
        if i == n_pieces - 1 and rng.random() < 0.3:
            n = int(1.5 * RATE)
            env[-n:] *= np.linspace(1, 0, n, dtype=np.float32)
        start = t
        if xfade:
            start = t - xfade
            fade_out = np.linspace(1, 0, xfade, dtype=np.float32)
            # the previous piece fades out over the overlap: rescale what was written
            prev = signal[start:t] - _speech_part(signal, start, t)
            signal[start:t] -= prev * (1 - fade_out)
            env[:xfade] *= fade_out[::-1]
            mid = (start + t) / 2 / RATE
            cues[-1]["end_s"] = round(mid, 4)
            cues[-1]["transition_out"] = "crossfade"
        signal[start:start + music.size] += music * env
        cue_start = (start + xfade / 2) / RATE if xfade else start / RATE
        cues.append({"kind": kind, "track": src, "track_offset_s": round(off, 4),
                     "start_s": round(cue_start, 4), "end_s": round((start + music.size) / RATE, 4),
                     "level": level, "transition_in": transition, "transition_out": "end",
                     "crossfade_s": round(xfade / RATE, 3), "ducked_at_s": duck_at})
        if i:
            cues[-2]["transition_out"] = transition if transition != "cut" else "cut"
        t = start + music.size
    chain_end = t
    if speech_mode != "none":
        a, b = chain_start, chain_end
        if speech_mode == "part":
            span = b - a
            a = a + int(rng.uniform(0, 0.4) * span)
            b = b - int(rng.uniform(0, 0.4) * span)
        n = b - a
        p0 = int(rng.integers(0, max(1, pool.size - n)))
        sp = pool[p0:p0 + n]
        signal[a:a + sp.size] += sp
        _SPEECH.append((a, a + sp.size, sp))
    return chain_end


# speech written into the current episode, so a crossfade rescales only the music under it
_SPEECH: list[tuple[int, int, np.ndarray]] = []


def _speech_part(signal: np.ndarray, a: int, b: int) -> np.ndarray:
    out = np.zeros(b - a, np.float32)
    for s, e, sp in _SPEECH:
        lo, hi = max(a, s), min(b, e)
        if hi > lo:
            out[lo - a:hi - a] += sp[lo - s:hi - s]
    return out


def plan() -> list[dict]:
    """Episodes: tune = every tune package x noise, twice; test = every test package x synth, noises cycled."""
    eps = []
    k = 0
    for pkg in TUNE_PACKAGES:
        for noise_kind in SPLITS["tune"]["noises"]:
            eps.append({"name": f"tune{len(eps) + 1:02d}", "split": "tune", "synth": "espeak-ng",
                        "noise": noise_kind, "package": pkg})
    noises = SPLITS["test"]["noises"]
    for pkg in TEST_PACKAGES:
        for synth in SPLITS["test"]["synths"]:
            eps.append({"name": f"test{k + 1:02d}", "split": "test", "synth": synth,
                        "noise": noises[k % len(noises)], "package": pkg})
            k += 1
    # a second round of tune episodes (other seeds: appended, so the episodes above keep theirs):
    # four episodes were too few to choose between rules that act on a few cues each
    for pkg in TUNE_PACKAGES:
        for noise_kind in SPLITS["tune"]["noises"]:
            n_tune = sum(e["split"] == "tune" for e in eps)
            eps.append({"name": f"tune{n_tune + 1:02d}", "split": "tune", "synth": "espeak-ng",
                        "noise": noise_kind, "package": pkg})
    return eps


def build_train(minutes: float, seed: int, rounds: int) -> int:
    """Training episodes for the piece-boundary score, under ``TRAIN`` with their own
    ``manifest.json``: every piece is non-library music from ``TRAIN_PACKAGES`` (all of a
    package's tracks of 45 s or more), ``rounds`` episodes per package and noise (a later round
    only appends: the earlier episodes keep their names and seeds)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from library_scale import EXTRA_PKGS, fetch

    fetch(TRAIN_PACKAGES, EXTRA_PKGS)
    TRAIN.mkdir(parents=True, exist_ok=True)
    tracks = {pkg: package_tracks(pkg, root=EXTRA_PKGS) for pkg in TRAIN_PACKAGES}
    eps = []
    for pkg in TRAIN_PACKAGES:
        print(f"{pkg}: {len(tracks[pkg])} tracks", flush=True)
    for pkg in [p for _ in range(rounds) for p in TRAIN_PACKAGES if len(tracks[p]) >= 2]:
        for noise_kind in SPLITS["train"]["noises"]:
            eps.append({"name": f"train{len(eps) + 1:02d}", "split": "train", "synth": "espeak-ng",
                        "noise": noise_kind, "package": pkg})
    (TRAIN / "manifest.json").write_text(json.dumps({"seed": seed, "episodes": eps,
                                                     "tracks": tracks}, indent=1))
    for i, ep in enumerate(eps):
        _SPEECH.clear()
        build_episode(ep["name"], "train", ep["synth"], ep["noise"], ep["package"], [], tracks[ep["package"]],
                      minutes, seed * 7919 + i, folder=TRAIN)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=6.0)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--train", action="store_true",
                    help="build the piece-boundary score's training episodes instead (under train/)")
    ap.add_argument("--rounds", type=int, default=5, help="with --train: episodes per package and noise")
    args = ap.parse_args(argv)
    if args.train:
        return build_train(args.minutes, args.seed, args.rounds)
    base.fetch_packages(TUNE_PACKAGES + TEST_PACKAGES)
    ensure_flite()
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    manifest: dict = {"library": [], "non_library": {}, "seed": args.seed, "episodes": plan()}
    split_of: dict[str, tuple[list[str], list[str]]] = {}
    for pkg in TUNE_PACKAGES + TEST_PACKAGES:
        tracks = package_tracks(pkg)
        order = rng.permutation(len(tracks))
        n_lib = max(1, min(LIB_PER_PACKAGE, int(round(len(tracks) * 0.6))))
        lib = sorted(tracks[i] for i in order[:n_lib])
        nonlib = sorted(tracks[i] for i in order[n_lib:n_lib + NONLIB_PER_PACKAGE])
        split_of[pkg] = (lib, nonlib)
        manifest["library"] += lib
        manifest["non_library"][pkg] = nonlib
        print(f"{pkg}: {len(lib)} library, {len(nonlib)} non-library tracks", flush=True)
    (DATA / "manifest.json").write_text(json.dumps(manifest, indent=1))
    for i, ep in enumerate(manifest["episodes"]):
        _SPEECH.clear()
        lib, nonlib = split_of[ep["package"]]
        build_episode(ep["name"], ep["split"], ep["synth"], ep["noise"], ep["package"], lib, nonlib,
                      args.minutes, args.seed * 1000 + i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
