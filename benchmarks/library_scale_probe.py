"""Whether today's code would write a library exactly as the code that wrote a stored one: a probe.

Why: re-indexing the 20,000-track benchmark library costs 20-25 minutes of both cores, so
``library_scale.py`` reuses a library when the code that builds it is unchanged. Comparing
source files (``same_index_code``) cannot tell a query-side edit in a file that also writes the
index (``pair_segments.py`` held the writer and the reader until 2026-12-03, ``hash_index.py`` the posting
expansion) from a change to what is written, so a tidy-up of the lookup once threw a 20,000-track
library away. The probe compares what is written instead: three generated tracks (different
tempo, key and instruments, 20 s each) indexed in two adds (two segments) into a scratch
library, and a SHA-256 over everything the library keeps that the code decides: each track's
record without its path and file times, every array of every fingerprint file, and every
segment's files in segment order (segment folder names are random). The digest is stored in the
library's stamp; equal digests mean the same bytes for the probe's tracks.

What it cannot see: a change that only shows with other input (a 30-minute track's wide
layout, a merge of more than six segments). The dense directory of a large library's pair
segments is probed separately, from generated postings (``_dense_segment``). Those paths are in files whose source is compared
too; the probe only adds a way to say "unchanged" when the source comparison says "changed".
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np

from cuesheet_app.identify.local.fingerprints import read_arrays
from cuesheet_app.identify.local.library import Library

RATE = 22050


def _track(seed: int, seconds: float = 20.0) -> np.ndarray:
    """A deterministic little piece: a chord progression with a bass and clicks."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    beat = 60.0 / rng.uniform(80, 150)
    root = 110.0 * 2 ** (rng.integers(0, 12) / 12)
    x = np.zeros_like(t)
    for i in range(int(seconds / (4 * beat)) + 1):
        a, b = i * 4 * beat, (i + 1) * 4 * beat
        on = (t >= a) & (t < b)
        step = [0, 5, 7, 3][i % 4]
        for k in (0, 4, 7):
            f = root * 2 ** ((step + k) / 12) * 2
            x[on] += 0.15 * np.sin(2 * np.pi * f * t[on]) * np.exp(-(t[on] - a) * 0.7)
        x[on] += 0.3 * np.sin(2 * np.pi * root * 2 ** (step / 12) * t[on])
    for i in range(int(seconds / (beat / 2)) + 1):  # a melody in eighth notes
        a = i * beat / 2
        on = (t >= a) & (t < a + beat / 2)
        f = root * 4 * 2 ** (int(rng.choice([0, 2, 4, 5, 7, 9, 11, 12])) / 12)
        x[on] += 0.2 * np.sin(2 * np.pi * f * t[on]) * np.exp(-(t[on] - a) * 3.0)
    clicks = (np.floor(t / beat) != np.floor((t - 1 / RATE) / beat))
    x += np.convolve(clicks.astype(float), rng.normal(0, 0.4, 200), mode="same")
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def _write(path: Path, x: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((x * 32767).astype("<i2").tobytes())


def index_probe() -> str:
    """SHA-256 (hex) of what today's code writes for the probe's tracks."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        for seed in (1, 2, 3):
            p = root / f"probe{seed}.wav"
            _write(p, _track(seed))
            paths.append(p)
        lib_dir = root / "lib"
        library = Library(lib_dir)
        library.add(paths[:2], workers=1)
        library.add(paths[2:], workers=1)
        digest = hashlib.sha256()
        records = json.loads((lib_dir / "library.json").read_text())
        for rec in records["tracks"]:
            kept = {k: v for k, v in rec.items() if k not in ("path", "mtime_ns", "size")}
            digest.update(json.dumps(kept, sort_keys=True).encode())
        for fp in sorted((lib_dir / "fp").glob("*.npz")):
            digest.update(fp.name.encode())
            arrays = read_arrays(fp)  # any format: a zip of .npy files up to format 4, our own container since
            for name in sorted(arrays):
                digest.update(name.encode())
                digest.update(np.ascontiguousarray(arrays[name]).tobytes())
        index = lib_dir / "index"
        for manifest in sorted(index.glob("*.json")):
            order = [s["name"] for s in json.loads(manifest.read_text()).get("segments", [])]
            rest = {k: v for k, v in json.loads(manifest.read_text()).items() if k != "segments"}
            digest.update(json.dumps(rest, sort_keys=True).encode())
            for name in order:
                for f in sorted((index / name).iterdir()):
                    digest.update(f.name.encode())
                    digest.update(f.read_bytes())
        _dense_segment(root / "dense", digest)
        return digest.hexdigest()


def _dense_segment(folder: Path, digest: Any) -> None:
    """The pair segment layout of a large library, which the probe's three tracks never reach:
    a segment holding more than an eighth of all hashes has a dense directory (and one hash with
    more postings than a byte counts), a hash over 1.5 times the posting cap is held back, and
    segments are merged. Written through the index's own appends and merge from generated
    postings (~2 s), each state digested."""
    from cuesheet_app.identify.local.pair_segments import (
        N_HASHES,
        append_pair_segment,
        merge_pair_segments,
    )

    rng = np.random.default_rng(12)

    def parts(ids: tuple[int, ...]) -> list:
        out = []
        for tid in ids:
            hashes = rng.integers(0, N_HASHES, 250_000).astype(np.uint32)
            hashes[:300] = 777  # held back: 900 postings in the first segment
            hashes[300:400] = 4242  # 300 in the first segment (more than a byte counts), held from the second
            out.append((tid, hashes, np.sort(rng.integers(0, 60_000, hashes.size)).astype(np.uint32)))
        return out

    def files() -> None:
        for seg in json.loads((folder / "segments.json").read_text())["segments"]:
            for f in sorted((folder / seg["name"]).iterdir()):
                digest.update(f.name.encode())
                digest.update(f.read_bytes())

    append_pair_segment(folder, parts((2, 5, 9)), {2, 5, 9, 11})
    append_pair_segment(folder, parts((11, 5)), {2, 5, 9, 11})  # 5 indexed again
    files()
    merge_pair_segments(folder, {2, 5, 9, 11}, max_segments=1)
    files()


if __name__ == "__main__":
    print(index_probe())
