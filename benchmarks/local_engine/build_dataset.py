"""Build the local engine's benchmark set, reproducibly, under benchmarks/data/local_engine/.

    .venv/bin/python benchmarks/local_engine/build_dataset.py [--library-size 1000] [--episodes 2]
                                                              [--minutes 60] [--seed 7]

Sources (all fetched with the ordinary Debian client, nothing else):
  music  - Debian game-music packages (``apt-get download`` + ``dpkg-deb -x``): wesnoth-1.16-music,
           drascula-music, hyperrogue-music, singularity-music, planetblupi-music-ogg (free
           licences; see each package's /usr/share/doc/*/copyright).
  speech - espeak-ng, several voices, text written for this benchmark.
  noise  - generated (white, pink, brown, mains hum, room tone).

Real tracks of 45 s or more are split (seeded) into library and non-library music. The library
is filled up to ``--library-size`` with speed-shifted versions (one semitone or more, each
factor used once per track) of its tracks: realistic distractors (alternate versions of a
cue) that share rhythm and timbre.

Each episode mixes library excerpts of 4-60 s and non-library excerpts, clean or under speech at
0/-6/-12/-20 dB (music RMS relative to speech RMS), some with 1.5 s fades, with speech-only,
noise-only and silent stretches; it is AAC-encoded (48 kHz stereo) and comes with a
``.truth.json`` ground truth. Everything is derived from ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import wave
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cuesheet_app.media.decode import decode_all  # noqa: E402
from cuesheet_app.media.identity import quick_fingerprint  # noqa: E402
from cuesheet_app.media.probe import probe  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "local_engine"
DEBS = ROOT / "benchmarks" / "data" / "debs"
PKGS = ROOT / "benchmarks" / "data" / "pkgs"
PACKAGES = ["wesnoth-1.16-music", "drascula-music", "hyperrogue-music", "singularity-music",
            "planetblupi-music-ogg"]
RATE = 22050  # episodes are built at this rate, then AAC-encoded at 48 kHz stereo
SPEECH_RMS = 0.08
LEVELS = ["clean", 0, -6, -12, -20]
LENGTHS = [4, 6, 8, 10, 12, 15, 20, 30, 45, 60]
SPEED_FACTORS = [0.89, 1.06, 0.94, 1.12, 0.84, 1.19, 0.79, 1.26, 0.75, 1.33, 0.71, 1.41, 0.67, 1.5]
VOICES = ["en", "en-us", "en-gb-x-rp", "de", "fr", "es", "it", "nl"]
VARIANTS = ["", "+m3", "+f2", "+m7", "+f4"]
TEXT = """Good evening and welcome to the programme. Tonight we travel along the northern coast,
where the fishing boats leave before dawn and come back with the tide. The harbour master has
kept the same logbook for thirty years, and every page tells of storms, of quiet nights, and of
the ships that never returned. We spoke to the families who still live above the old quay.
In the spring the market fills with visitors, and the bakery on the corner sells out by nine.
The council wants to build a new road, but many people here are worried about the cliffs.
Scientists from the university have measured the erosion for a decade, and the numbers are clear.
Meanwhile the lifeboat crew trains every Thursday, in any weather, because somebody has to.
After the break we meet a teacher who has taught three generations of the same families.
Now the weather: rain in the west this evening, clearing overnight, with a cold start tomorrow.
""".replace("\n", " ").split(". ")


def fetch_packages(packages: list[str] | None = None) -> None:
    DEBS.mkdir(parents=True, exist_ok=True)
    PKGS.mkdir(parents=True, exist_ok=True)  # dpkg-deb -x makes the target, not its parent
    for pkg in packages or PACKAGES:
        target = PKGS / pkg
        if target.exists():
            continue
        if not list(DEBS.glob(f"{pkg}_*.deb")):
            print(f"apt-get download {pkg}", flush=True)
            subprocess.run(["apt-get", "download", pkg], cwd=DEBS, check=True)
        deb = sorted(DEBS.glob(f"{pkg}_*.deb"))[-1]
        subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)


def real_tracks(min_s: float = 45.0) -> list[tuple[Path, float]]:
    out, seen = [], set()
    for path in sorted(PKGS.rglob("*")):
        if path.suffix.lower() not in (".ogg", ".mp3", ".flac", ".wav") or not path.is_file():
            continue
        try:
            seconds = float(probe(path).duration_s)
        except Exception:
            continue
        fp = quick_fingerprint(path)
        if seconds >= min_s and fp not in seen:
            seen.add(fp)
            out.append((path, seconds))
    return out


def write_flac(path: Path, samples: np.ndarray, rate: int) -> None:
    import av

    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w") as c:
        s = c.add_stream("flac", rate=rate, layout="mono")
        for i in range(0, pcm.size, rate * 10):
            frame = av.AudioFrame.from_ndarray(pcm[None, i:i + rate * 10].copy(), format="s16", layout="mono")
            frame.sample_rate, frame.pts = rate, i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)


def make_variant(job: tuple[str, float, str]) -> str:
    """A speed-shifted copy (pitch and tempo together, like a varispeed edit)."""
    src, factor, dst = job
    if Path(dst).exists():
        return dst
    x = decode_all(src, rate=RATE)
    n_out = int(x.size / factor)
    y = np.interp(np.linspace(0, x.size - 1, n_out), np.arange(x.size), x).astype(np.float32)
    write_flac(Path(dst + ".tmp.flac"), y, RATE)
    os.replace(dst + ".tmp.flac", dst)
    return dst


def espeak(text: str, voice: str, speed: int, pitch: int, tmp: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(tmp), text],
                   check=True, capture_output=True)
    with wave.open(str(tmp), "rb") as w:
        r = w.getframerate()
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    return np.interp(np.linspace(0, raw.size - 1, int(raw.size * RATE / r)), np.arange(raw.size), raw).astype(np.float32)


def speech_pool(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Concatenated sentences, varied voices, short natural pauses; normalised to SPEECH_RMS."""
    tmp = DATA / "speech.tmp.wav"
    parts, total = [], 0.0
    while total < seconds:
        voice = str(rng.choice(VOICES)) + str(rng.choice(VARIANTS))
        text = ". ".join(rng.choice(TEXT, size=3)) + "."
        s = espeak(text, voice, int(rng.integers(140, 190)), int(rng.integers(30, 70)), tmp)
        parts += [s, np.zeros(int(rng.uniform(0.2, 0.8) * RATE), np.float32)]
        total += parts[-2].size / RATE + parts[-1].size / RATE
    tmp.unlink(missing_ok=True)
    pool = np.concatenate(parts)
    active = pool[np.abs(pool) > 1e-3]
    return pool / (np.sqrt(np.mean(active**2)) + 1e-9) * SPEECH_RMS


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / RATE
    if kind == "white":
        x = rng.normal(0, 1, n)
    elif kind == "pink":
        spec = np.fft.rfft(rng.normal(0, 1, n))
        spec /= np.sqrt(np.maximum(1, np.arange(spec.size)))
        x = np.fft.irfft(spec, n)
    elif kind == "brown":
        x = np.cumsum(rng.normal(0, 1, n))
        x -= np.convolve(x, np.ones(2000) / 2000, mode="same")
    elif kind == "hum":
        x = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 2, 3, 5)) + rng.normal(0, 0.05, n)
    else:  # room tone
        x = rng.normal(0, 0.05, n)
    x = x / (np.sqrt(np.mean(x**2)) + 1e-9)
    return (x * (0.03 if kind != "room" else 0.003)).astype(np.float32)


def fade(x: np.ndarray, seconds: float = 1.5) -> np.ndarray:
    n = min(int(seconds * RATE), x.size // 3)
    ramp = np.linspace(0, 1, n, dtype=np.float32)
    x = x.copy()
    x[:n] *= ramp
    x[-n:] *= ramp[::-1]
    return x


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)) + 1e-9)


class Decoded:
    """Small LRU of decoded source tracks (episode building reads each a few times)."""

    def __init__(self) -> None:
        self.cache: dict[str, np.ndarray] = {}

    def get(self, path: str) -> np.ndarray:
        if path not in self.cache:
            if len(self.cache) > 24:
                self.cache.pop(next(iter(self.cache)))
            self.cache[path] = decode_all(path, rate=RATE)
        return self.cache[path]


def build_episode(k: int, minutes: float, lib: list[str], nonlib: list[str], seed: int) -> None:
    out = DATA / "episodes" / f"episode{k}.m4a"
    truth_path = out.with_suffix(".truth.json")
    if out.exists() and truth_path.exists():
        return
    rng = np.random.default_rng(seed * 100 + k)
    pool = speech_pool(rng, 240)
    decoded = Decoded()
    blocks: list[np.ndarray] = []
    truth: list[dict] = []
    t = 0.0
    target = minutes * 60
    kinds = ["lib", "lib", "lib", "nonlib", "speech", "noise", "silence"]
    while t < target:
        kind = str(rng.choice(kinds))
        item: dict = {"kind": kind, "start_s": round(t, 4)}
        if kind in ("lib", "nonlib"):
            src = str(rng.choice(lib if kind == "lib" else nonlib))
            x = decoded.get(src)
            length = min(float(rng.choice(LENGTHS)), x.size / RATE - 1)
            off = float(rng.uniform(0, x.size / RATE - length))
            music = x[int(off * RATE):int(off * RATE) + int(length * RATE)].copy()
            level = LEVELS[int(rng.integers(len(LEVELS)))]
            faded = bool(rng.random() < 0.25)
            if faded:
                music = fade(music)
            if level == "clean":
                block = music / rms(music) * SPEECH_RMS
            else:
                p0 = int(rng.integers(0, pool.size - music.size))
                block = music / rms(music) * SPEECH_RMS * 10 ** (level / 20) + pool[p0:p0 + music.size]
            item.update(track=src, track_offset_s=round(off, 4), level=level, fade=faded)
        elif kind == "speech":
            n = int(rng.uniform(5, 25) * RATE)
            p0 = int(rng.integers(0, pool.size - n))
            block = pool[p0:p0 + n]
        elif kind == "noise":
            nk = str(rng.choice(["white", "pink", "brown", "hum", "room"]))
            block = noise(nk, int(rng.uniform(3, 15) * RATE), rng)
            item["noise"] = nk
        else:
            block = np.zeros(int(rng.uniform(0.5, 3) * RATE), np.float32)
        blocks.append(block.astype(np.float32))
        t += block.size / RATE
        item["end_s"] = round(t, 4)
        truth.append(item)
    signal = np.concatenate(blocks)
    peak = float(np.abs(signal).max())
    if peak > 0.99:
        signal *= 0.99 / peak
    encode_aac(signal, out)
    truth_path.write_text(json.dumps({"episode": out.name, "rate": RATE, "segments": truth}, indent=1))
    print(f"built {out.name}: {t / 60:.1f} min, {sum(1 for s in truth if s['kind'] == 'lib')} library excerpts",
          flush=True)


def encode_aac(signal: np.ndarray, out: Path) -> None:
    import av

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.m4a")
    with av.open(str(tmp), "w") as c:
        s = c.add_stream("aac", rate=48000, layout="stereo")
        s.bit_rate = 128000
        for i in range(0, signal.size, RATE * 10):
            frame = av.AudioFrame.from_ndarray(signal[None, i:i + RATE * 10].copy(), format="flt", layout="mono")
            frame.sample_rate, frame.pts = RATE, i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    os.replace(tmp, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--library-size", type=int, default=1000)
    ap.add_argument("--episodes", type=int, default=2)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    fetch_packages()
    DATA.mkdir(parents=True, exist_ok=True)
    tracks = real_tracks()
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(tracks))
    n_lib = int(round(len(tracks) * 0.75))
    lib = sorted(str(tracks[i][0]) for i in order[:n_lib])
    nonlib = sorted(str(tracks[i][0]) for i in order[n_lib:])
    variant_dir = DATA / "variants"
    variant_dir.mkdir(exist_ok=True)
    jobs = []
    if args.library_size - len(lib) > len(lib) * len(SPEED_FACTORS):
        raise SystemExit("not enough distinct speed factors for that library size")
    for i in range(max(0, args.library_size - len(lib))):
        src = lib[i % len(lib)]
        factor = SPEED_FACTORS[(i // len(lib)) % len(SPEED_FACTORS)]
        jobs.append((src, factor, str(variant_dir / f"{Path(src).stem}-{i:04d}-x{factor:.2f}.flac")))
    with ProcessPoolExecutor(max_workers=2) as pool:
        variants = list(pool.map(make_variant, jobs, chunksize=4))
    manifest = {"library_originals": lib, "library_variants": variants, "non_library": nonlib,
                "packages": PACKAGES, "seed": args.seed}
    (DATA / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"{len(lib)} library tracks + {len(variants)} variants, {len(nonlib)} non-library tracks", flush=True)
    for k in range(1, args.episodes + 1):
        build_episode(k, args.minutes, lib, nonlib, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
