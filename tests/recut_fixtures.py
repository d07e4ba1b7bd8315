"""Generated episodes and their re-cuts, for the revise / diff / batch tests.

The library holds four synthetic tracks; an episode is a list of sections (library excerpts,
non-library music, silence) and a re-cut is the same sections re-ordered, dropped or joined
by new ones, so the expected revision is known exactly.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from cuesheet_app.identify.local.library import Library
from tests.audio_fixtures import silence, write_wav
from tests.local_media import synth_music

RATE = 22050


def build_library(root: Path) -> Path:
    refs = root / "refs"
    refs.mkdir(parents=True)
    for i in range(4):
        write_wav(refs / f"track{i}.wav", synth_music(24.0, seed=i))
    meta = root / "meta.csv"
    with open(meta, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "title", "artists", "library", "catalogue_number", "composers", "publishers"])
        w.writerow(["track1.wav", "Calm Sea", "Ann Arbor", "Seaside Library", "SSL 012",
                    "Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] 50%", "Sea Publishing [ASCAP] 100%"])
        w.writerow(["track2.wav", "Night Drive", "Bo Lane", "Seaside Library", "SSL 020", "", ""])
    Library(root / "lib").add([refs], metadata=meta, workers=1)
    return root / "lib"


def sections() -> dict[str, np.ndarray]:
    """Named pieces of programme audio (each followed by two seconds of silence)."""
    gap = silence(2.0)
    return {
        "lead": silence(2.0),
        "sea": np.concatenate([synth_music(24.0, seed=1)[0:12 * RATE], gap]),      # track1, 12 s
        "band": np.concatenate([synth_music(10.0, seed=99) * 0.8, gap]),          # not in the library
        "drive": np.concatenate([synth_music(24.0, seed=2)[4 * RATE:16 * RATE], gap]),  # track2 4-16 s
        "third": np.concatenate([synth_music(24.0, seed=3)[2 * RATE:12 * RATE], gap]),  # track3 2-12 s
        "new": np.concatenate([synth_music(24.0, seed=0)[0:10 * RATE], gap]),     # track0 0-10 s
    }


ORIGINAL = ("lead", "sea", "band", "drive", "third")
# the re-cut: "third" removed, "sea" and "drive" swapped, "new" inserted after "band"
RECUT = ("lead", "drive", "band", "new", "sea")


def write_episode(path: Path, order: tuple[str, ...]) -> Path:
    parts = sections()
    return write_wav(path, np.concatenate([parts[name] for name in order]))


def start_of(order: tuple[str, ...], name: str) -> float:
    parts = sections()
    t = 0.0
    for n in order:
        if n == name:
            return t
        t += parts[n].size / RATE
    raise KeyError(name)
