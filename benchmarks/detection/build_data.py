"""Build the music-detection episodes under benchmarks/data/detection/ (git-ignored).

    nice -n 10 .venv/bin/python -m benchmarks.detection.build_data [--episodes 66] [--seconds 100] [--seed 13]
    nice -n 10 .venv/bin/python -m benchmarks.detection.build_data --first 66 --episodes 132   # a second round

Each episode is tagged with ONE speech synthesizer group, ONE noise kind and ONE music group
(see sources.py), drawn so every group appears about equally often: a whole group can then be
held out (leave-one-synthesizer-out, leave-one-noise-out, leave-one-music-package-out).

An episode is a run of 4-20 s blocks: music alone, music under speech at 0/-6/-12/-20 dB
(music RMS relative to speech RMS), music over a noise bed, speech alone, speech over a noise
bed, noise alone (-50 to -25 dBFS), silence. A quarter of music blocks fade in and out. The
whole episode then gets random broadcast processing (EQ, compression and limiting, synthetic
reverb), loudness normalisation to -23 LUFS and a codec round trip (AAC, MP2, AC-3 or FLAC,
48 kHz stereo), and is decoded back by the product's own decoder. Written per episode:
``epNNN.<codec>`` (the audio), ``epNNN.json`` (blocks, groups, processing) and
``epNNN.frames.npz`` (per analysis frame: ``label`` music yes/no, ``tag`` block kind code).
Features are computed from the audio by ``features.py`` (cached per feature version).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.detection import processing as P  # noqa: E402
from benchmarks.detection import sources as S  # noqa: E402
from cuesheet_app.identify.local.spectro import FRAME_S, HOP, N_FFT  # noqa: E402
from cuesheet_app.media.decode import ANALYSIS_RATE, decode_all  # noqa: E402
from cuesheet_app.media.errors import MediaError  # noqa: E402

OUT = S.DATA / "detection"
SPEECH_RMS = 0.08
# tag codes per frame (stored in frames.npz)
TAGS = {"silence": 0, "speech": 1, "noise": 2, "speech+noise": 3, "music:clean": 10, "music:0": 11,
        "music:-6": 12, "music:-12": 13, "music:-20": 14, "music+noise": 15}
KINDS = [("music:clean", 1.0), ("music:speech", 3.0), ("music+noise", 0.6), ("speech", 2.0),
         ("speech+noise", 1.2), ("noise", 1.6), ("silence", 0.3)]


def speech_pool(synth: str) -> list[np.ndarray]:
    path = OUT / "speech" / f"{synth}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        utts = S.speech_utterances(synth, 70, seed=S.SYNTHS.index(synth) + 101)
        np.savez(path, *utts)
    with np.load(path) as z:
        return [z[k] for k in z.files]


def _speech(pool: list[np.ndarray], n: int, rng: np.random.Generator) -> np.ndarray:
    parts, total = [], 0
    while total < n:
        u = pool[int(rng.integers(len(pool)))]
        gap = np.zeros(int(rng.uniform(0.15, 0.7) * S.RATE), np.float32)
        parts += [u, gap]
        total += u.size + gap.size
    x = np.concatenate(parts)
    off = int(rng.integers(0, max(1, x.size - n)))
    return x[off:off + n] * SPEECH_RMS


def _music(group: str, n: int, rng: np.random.Generator, cache: dict) -> np.ndarray:
    if group == "pads":
        return S.pad(n, rng)
    tracks = S.music_tracks(group)
    x = None
    while x is None:
        path = tracks[int(rng.integers(len(tracks)))]
        if path not in cache:
            if len(cache) > 3:
                cache.pop(next(iter(cache)))
            try:
                cache[path] = decode_all(path, rate=S.RATE, max_seconds=100)  # decoding is the slow part
            except MediaError:  # a few packaged files FFmpeg cannot read: take another track
                cache[path] = None
        x = cache[path]
    if x.size <= n + S.RATE:
        x = np.tile(x, n // max(1, x.size) + 2)
    off = int(rng.integers(0, x.size - n))
    m = x[off:off + n]
    loud = m[np.abs(m) > 1e-4]
    return (m / (S.rms(loud) if loud.size else 1.0)).astype(np.float32)


def _fade(x: np.ndarray) -> np.ndarray:
    n = min(int(1.5 * S.RATE), x.size // 3)
    r = np.linspace(0, 1, n, dtype=np.float32)
    x = x.copy()
    x[:n] *= r
    x[-n:] *= r[::-1]
    return x


def build_episode(job: tuple[int, str, str, str, float, int]) -> str:
    k, synth, noise_kind, music_group, seconds, seed = job
    name = f"ep{k:03d}"
    meta_path = OUT / "episodes" / f"{name}.json"
    if meta_path.exists():
        return name
    rng = np.random.default_rng(seed * 1000 + k)
    pool = speech_pool(synth)
    babble = [u for s in S.SYNTHS for u in speech_pool(s)[:20]] if noise_kind == "babble" else []
    cache: dict = {}
    blocks, spans, t = [], [], 0
    names, weights = zip(*KINDS, strict=True)
    weights = np.asarray(weights) / sum(weights)
    while t < seconds * S.RATE:
        kind = str(rng.choice(names, p=weights))
        n = int(rng.uniform(4, 20) * S.RATE)
        bed_db = float(rng.uniform(-50, -25))

        def bed(n: int = n, bed_db: float = bed_db) -> np.ndarray:
            return S.noise(noise_kind, n, rng, babble) * 10 ** (bed_db / 20)

        item: dict = {"kind": kind, "start_s": round(t / S.RATE, 4)}
        if kind.startswith("music"):
            m = _music(music_group, n, rng, cache)
            faded = bool(rng.random() < 0.25)
            m = _fade(m) if faded else m
            item["fade"] = faded
            if kind == "music:speech":
                level = int(rng.choice([0, -6, -12, -20]))
                x = m * SPEECH_RMS * 10 ** (level / 20) + _speech(pool, n, rng)
                kind = f"music:{level}"
                if rng.random() < 0.3:
                    x = x + bed()
            elif kind == "music:clean":
                x = m * SPEECH_RMS * 10 ** (rng.uniform(-8, 4) / 20)
            else:
                x = m * SPEECH_RMS * 10 ** (rng.uniform(-12, 0) / 20) + bed()
        elif kind == "speech":
            x = _speech(pool, n, rng) * 10 ** (rng.uniform(-6, 4) / 20)
        elif kind == "speech+noise":
            x = _speech(pool, n, rng) + bed()
        elif kind == "noise":
            x, item["level_dbfs"] = bed(), round(bed_db, 1)
        else:
            n = int(rng.uniform(0.5, 3) * S.RATE)
            x = np.zeros(n, np.float32)
        item["kind"] = kind
        blocks.append(np.asarray(x, np.float32))
        t += n
        item["end_s"] = round(t / S.RATE, 4)
        spans.append(item)
    signal = np.concatenate(blocks)
    chain = []
    if rng.random() < 0.6:
        signal, _ = P.eq(signal, rng), chain.append("eq")
    if rng.random() < 0.3:
        signal, _ = S.reverb(signal, rng), chain.append("reverb")
    if rng.random() < 0.5:
        signal, _ = P.compress(signal, rng), chain.append("compress+limit")
    signal = P.normalise(signal, -23.0)
    chain.append("loudness -23 LUFS")
    peak = float(np.abs(signal).max())
    if peak > 0.99:
        signal *= 0.99 / peak
    codec = str(rng.choice(list(P.CODECS)))
    audio = P.encode(signal, OUT / "episodes" / name, codec)
    decoded = decode_all(audio, rate=ANALYSIS_RATE)
    n_frames = 1 + max(0, decoded.size - N_FFT) // HOP
    centre = (np.arange(n_frames) * HOP + N_FFT / 2) / ANALYSIS_RATE
    label = np.zeros(n_frames, bool)
    tag = np.zeros(n_frames, np.int8)
    for s in spans:
        sel = (centre >= s["start_s"]) & (centre < s["end_s"])
        tag[sel] = TAGS[s["kind"]]
        label[sel] = s["kind"].startswith("music")
    np.savez_compressed(OUT / "episodes" / f"{name}.frames.npz", label=label, tag=tag)
    meta = {"episode": name, "audio": audio.name, "synth": synth, "noise": noise_kind, "music": music_group,
            "codec": codec, "processing": chain, "seconds": round(t / S.RATE, 2), "frame_s": FRAME_S,
            "blocks": spans}
    meta_path.write_text(json.dumps(meta, indent=1))
    return name


def balanced(groups: list[str], n: int, rng: np.random.Generator) -> list[str]:
    out = (groups * (n // len(groups) + 1))[:n]
    return [out[i] for i in rng.permutation(n)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--episodes", type=int, default=66)
    ap.add_argument("--seconds", type=float, default=100)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--first", type=int, default=0, help="index of the first episode to build (a further round)")
    args = ap.parse_args(argv)
    S.fetch()
    (OUT / "episodes").mkdir(parents=True, exist_ok=True)
    for synth in S.SYNTHS:  # serially first: the pools are shared by the workers
        print(f"speech {synth}: {len(speech_pool(synth))} utterances", flush=True)
    # --first: a further round (episodes first..episodes-1), balanced on its own so that every
    # round, and so the whole, holds each group about equally often
    rng = np.random.default_rng(args.seed if not args.first else [args.seed, args.first])
    n = args.episodes - args.first
    synths = balanced(S.SYNTHS, n, rng)
    noises = balanced(S.NOISES, n, rng)
    musics = balanced(S.MUSIC_GROUPS, n, rng)
    jobs = [(args.first + k, synths[k], noises[k], musics[k], args.seconds, args.seed) for k in range(n)]
    with ProcessPoolExecutor(max_workers=args.workers) as ex:
        for name in ex.map(build_episode, jobs):
            print("built", name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
