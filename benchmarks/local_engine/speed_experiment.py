"""Quick experiment: do triplet fingerprints identify excerpts after speed/tempo changes?

Library: N real tracks (any folder of .ogg/.wav/...), optionally plus decoy folders.
Episode: one 12 s excerpt per track (random start), transformed (speed by resampling, tempo
by ffmpeg's ``atempo`` with the pitch kept), under espeak-ng speech at a given level, with 3 s
of speech between excerpts. Reports, per condition, how many excerpts were identified as
the right track, wrong IDs, the ratio error and the time taken.

    python benchmarks/local_engine/speed_experiment.py MUSIC_DIR [--tracks 30] [--db 0]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cuesheet_app.identify.local.matcher import MatchParams  # noqa: E402
from cuesheet_app.identify.local.matcher_v2 import match_episode_v2  # noqa: E402
from cuesheet_app.identify.local.segment_index import SegmentedIndex, append_segment  # noqa: E402
from cuesheet_app.identify.local.spectro import FRAME_S, HOP, ChunkedSpectrogram, spectrogram_chunks  # noqa: E402
from cuesheet_app.identify.local.triplets import (  # noqa: E402
    QUERY,
    QUERY_PARTNERS,
    TripletCollector,
    Triplets,
    reference_fingerprint,
)
from cuesheet_app.media.decode import ANALYSIS_RATE, decode_blocks  # noqa: E402

RATE = ANALYSIS_RATE
CONDITIONS = [("speed", 1.0), ("speed", 25 / 24), ("tempo", 1.03), ("speed", 24 / 25), ("speed", 1.02),
              ("speed", 0.93), ("tempo", 0.94)]


def decode(path: Path, limit_s: float = 240) -> np.ndarray:
    out, n = [], 0
    for b in decode_blocks(str(path), block_s=30.0):
        out.append(b)
        n += b.size
        if n > limit_s * RATE:
            break
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def speech(seconds: float, seed: int, tmp: Path) -> np.ndarray:
    rng = np.random.default_rng(seed)
    words = ["the", "committee", "will", "meet", "again", "on", "tuesday", "to", "discuss", "the", "budget", "and", "the", "new", "road", "plans", "while", "the", "mayor", "said", "she", "had", "not", "yet", "seen", "the", "report", "from", "the", "council"]
    out, n = [], 0
    i = 0
    while n < seconds * RATE:
        text = " ".join(rng.choice(words, 14))
        wav = tmp / f"sp{seed}_{i}.wav"
        voice = ["en", "en-us", "en+m3", "en+f2", "de", "fr"][i % 6]
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(int(rng.integers(140, 190))), "-w", str(wav), text],
                       check=True, capture_output=True)
        x = decode(wav)
        out.append(x)
        n += x.size
        i += 1
    return np.concatenate(out)[: int(seconds * RATE)]


def change(x: np.ndarray, kind: str, factor: float, tmp: Path) -> np.ndarray:
    """speed: everything faster by ``factor``; tempo: time only (ffmpeg atempo)."""
    if factor == 1.0:
        return x
    if kind == "speed":
        n = int(round(x.size / factor))
        return np.interp(np.arange(n) * factor, np.arange(x.size), x).astype(np.float32)
    if shutil.which("ffmpeg"):
        src, dst = tmp / "t_in.f32", tmp / "t_out.f32"
        x.astype("<f4").tofile(src)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", str(src),
                        "-filter:a", f"atempo={factor}", "-f", "f32le", str(dst)], check=True)
        return np.fromfile(dst, "<f4")
    # no ffmpeg here: the library-scale episode's own phase vocoder
    from library_scale_episode import time_stretch
    return time_stretch(x, factor).astype(np.float32)


def query_triplets(signal: np.ndarray) -> Triplets:
    parts = []
    for skip in (0, HOP // 2):
        c = TripletCollector(QUERY, QUERY_PARTNERS)
        ch = ChunkedSpectrogram(skip=skip)
        for chunk in ch.push(signal.astype(np.float32)) + ch.finish():
            c.add(chunk)
        tr = c.triplets()
        if skip:
            tr = Triplets(tr.hashes, tr.t1 + 0.5, tr.span, tr.f1)
        parts.append(tr)
    o = np.argsort(np.concatenate([p.t1 for p in parts]), kind="stable")
    return Triplets(*(np.concatenate([getattr(p, k) for p in parts])[o] for k in ("hashes", "t1", "span", "f1")))


class _Found:
    def __init__(self, track_id: int, start_frame: int, end_frame: int, ratio: float) -> None:
        self.track_id, self.start_frame, self.end_frame, self.ratio = track_id, start_frame, end_frame, ratio


def write_pcm(path: Path, x: np.ndarray) -> Path:
    import wave
    pcm = (np.clip(x / max(1e-9, float(np.abs(x).max())) * 0.9, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return path


def load_tracks(folder: Path, n: int) -> dict[int, np.ndarray]:
    """Up to ``n`` tracks longer than 40 s from ``folder`` (a seeded shuffle), ids from 1."""
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".ogg", ".wav", ".flac", ".mp3"))
    np.random.default_rng(7).shuffle(files)
    audio: dict[int, np.ndarray] = {}
    for f in files:
        x = decode(f)
        if x.size > 40 * RATE:
            audio[len(audio) + 1] = x
        if len(audio) >= n:
            break
    return audio


def condition_episode(audio: dict[int, np.ndarray], kind: str, factor: float, excerpt_s: float, db: float,
                      speech_signal: np.ndarray, tmp: Path) -> tuple[np.ndarray, list[tuple[int, int, int]], np.ndarray]:
    """(music, truth, episode) of one condition: an excerpt of each track (seeded starts),
    changed, 3 s apart, under the speech at ``db`` relative to it; truth = (track, first
    sample, end sample) per excerpt."""
    pieces, truth, at = [], [], 0
    erng = np.random.default_rng(11)
    for tid, x in audio.items():
        start = int(erng.integers(0, x.size - int(excerpt_s * 1.1 * RATE)))
        ex = change(x[start:start + int(excerpt_s * 1.1 * RATE)], kind, factor, tmp)
        ex = ex[: int(excerpt_s * RATE)]
        gap = np.zeros(3 * RATE, np.float32)
        pieces += [gap, ex]
        at += gap.size
        truth.append((tid, at, at + ex.size))
        at += ex.size
    music = np.concatenate(pieces)
    s = speech_signal[: music.size]
    rms_s = np.sqrt(np.mean(s ** 2))
    rms_m = np.sqrt(np.mean(music[music != 0] ** 2))
    return music, truth, music / rms_m * rms_s * 10 ** (db / 20) + s


def score(matches: list, truth: list[tuple[int, int, int]], factor: float,
          beside_ok: bool = False) -> tuple[set[int], int, list[float]]:
    """(tracks found, wrong IDs, ratio errors of the right ones). A match is right when the
    excerpt under its middle is its track's; otherwise wrong, unless ``beside_ok`` and it
    is its own track within 3 s of that track's excerpt (a piece of the right track beside it)."""
    wrong, errs = 0, []
    for m in matches:
        mid = (m.start_frame + m.end_frame) / 2 * FRAME_S * RATE
        hit = [t for t in truth if t[1] <= mid < t[2]]
        if hit and hit[0][0] == m.track_id:
            errs.append(abs(m.ratio - factor))
        elif not (beside_ok and any(t[0] == m.track_id and m.start_frame * FRAME_S * RATE < t[2] + 3 * RATE
                                    and m.end_frame * FRAME_S * RATE > t[1] - 3 * RATE for t in truth)):
            wrong += 1
    found = {t[0] for t in truth for m in matches
             if m.track_id == t[0] and m.start_frame * FRAME_S * RATE < t[2] and m.end_frame * FRAME_S * RATE > t[1]}
    return found, wrong, errs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("music", type=Path)
    ap.add_argument("--tracks", type=int, default=30)
    ap.add_argument("--decoys", type=Path, nargs="*", default=[])
    ap.add_argument("--db", type=float, nargs="*", default=[0.0])
    ap.add_argument("--excerpt", type=float, default=12.0)
    ap.add_argument("--conditions", type=int, default=len(CONDITIONS))
    ap.add_argument("--min-hits", type=int, default=None, help="v2 only: min_window_hits and min_slice_hits")
    ap.add_argument("--engine", action="store_true",
                    help="run the whole LocalEngine (pairs first, then triplets) on a Library")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    audio = load_tracks(args.music, args.tracks)
    decoys = sorted(p for d in args.decoys for p in d.rglob("*") if p.suffix in (".ogg", ".wav", ".flac"))
    t0 = time.time()
    parts, seconds = [], 0.0
    for tid, x in audio.items():
        tr, _, _ = reference_fingerprint(spectrogram_chunks([x]))
        parts.append((tid, tr))
        seconds += x.size / RATE
    for j, f in enumerate(decoys):
        x = decode(f)
        tr, _, _ = reference_fingerprint(spectrogram_chunks([x]))
        parts.append((1000 + j, tr))
        seconds += x.size / RATE
    append_segment(tmp / "index", parts)
    engine = None
    if args.engine:
        from cuesheet_app.identify.local.engine import LocalEngine
        refs = tmp / "refs"
        refs.mkdir()
        for tid, x in audio.items():
            write_pcm(refs / f"{tid}.wav", x)
        from cuesheet_app.identify.local.library import Library
        Library(tmp / "lib").add([refs])
        engine = LocalEngine(tmp / "lib")
    dt = time.time() - t0
    n_post = sum(p[1].size for p in parts)
    print(f"library {len(parts)} tracks, {seconds / 3600:.2f} h, {n_post} postings "
          f"({n_post / seconds:.1f}/s), fingerprinting {seconds / dt:.0f}x RT")
    index = SegmentedIndex(tmp / "index")
    sp = speech(args.excerpt * len(audio) + 3 * len(audio) + 30, 1, tmp)
    for db in args.db:
        for kind, factor in CONDITIONS[:args.conditions]:
            music, truth, episode = condition_episode(audio, kind, factor, args.excerpt, db, sp, tmp)
            t0 = time.time()
            if engine is not None:
                from cuesheet_app.identify.base import IdentifyRequest
                wav = write_pcm(tmp / "episode.wav", episode)
                doc = engine.identify(IdentifyRequest(media_path=wav))
                matches = [_Found(int(Path(e.extra["reference_file"]).stem), int(float(e.start) / FRAME_S),
                                  int(float(e.end) / FRAME_S), float(e.extra.get("speed_ratio", 1.0)))
                           for e in doc.events if e.music_identified]
                tr = Triplets.empty()
            else:
                tr = query_triplets(episode)
                mp = MatchParams() if args.min_hits is None else MatchParams(
                    min_window_hits=args.min_hits, min_slice_hits=args.min_hits - 1)
                matches = match_episode_v2(index, tr, mp)
            el = time.time() - t0
            found, wrong, errs = score(matches, truth, factor)
            print(f"{db:+.0f} dB {kind} {factor:.4f}: {len(found)}/{len(truth)} found, {wrong} wrong, "
                  f"ratio err median {np.median(errs) if errs else float('nan'):.4f}, "
                  f"{music.size / RATE / el:.0f}x RT ({tr.size} query triplets)", flush=True)


if __name__ == "__main__":
    main()
