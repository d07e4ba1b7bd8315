"""Back-to-back music: the local engine cuts where one piece follows another (changepoints.py),
places a crossfade's boundary at its midpoint, and lets an identified span bound its
unidentified neighbour exactly. Fixtures are synthesized at test time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.identify.base import IdentifyRequest
from cuesheet_app.identify.local.changepoints import ChangeParams, change_points, novelty
from cuesheet_app.identify.local.engine import LocalEngine
from cuesheet_app.identify.local.library import Library
from tests.audio_fixtures import silence, write_wav
from tests.local_media import synth_music

RATE = 22050


def piece(seconds: float, key: int, tempo: float, bright: int, seed: int) -> np.ndarray:
    """A short 'cue' of its own: a chord loop in one key, at one tempo, with its own timbre
    (``bright`` harmonics), a held pad and a plucked melody over it."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    beat = 60.0 / tempo
    scale = [0, 2, 4, 5, 7, 9, 11, 12]
    chords = [0, 5, 7, 3]
    for i in range(int(np.ceil(seconds / (4 * beat)))):
        a, b = int(i * 4 * beat * RATE), min(n, int((i + 1) * 4 * beat * RATE))
        seg = t[a:b] - t[a]
        root = key + chords[i % 4]
        for iv in (0, 4, 7):
            f = 440.0 * 2 ** ((root + iv - 69) / 12)
            for k in range(1, bright + 1):
                out[a:b] += 0.1 / k * np.sin(2 * np.pi * f * k * seg)
        for j in range(8):
            na = a + int(j * beat / 2 * RATE)
            nb = min(n, na + int(beat / 2 * RATE))
            if na >= nb:
                continue
            s = t[na:nb] - t[na]
            f = 440.0 * 2 ** ((key + 12 + scale[int(rng.integers(8))] - 69) / 12)
            for k in range(1, bright + 2):
                out[na:nb] += 0.15 / k * np.exp(-6 * s) * np.sin(2 * np.pi * f * k * s)
    return out / np.sqrt(np.mean(out**2)) * 0.1


def glides(seconds: float, seed: int) -> np.ndarray:
    """Library audio that shares nothing with ``piece``: tones gliding between random pitches."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    f = np.repeat(rng.uniform(300, 2000, int(seconds * 4) + 1), RATE // 4)[:n]
    f = np.convolve(f, np.ones(2000) / 2000, mode="same")
    return 0.3 * np.sin(2 * np.pi * np.cumsum(f) / RATE)


@pytest.fixture(scope="module")
def empty_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library none of the pieces below come from."""
    root = tmp_path_factory.mktemp("cp-empty")
    refs = root / "refs"
    refs.mkdir()
    write_wav(refs / "other.wav", glides(12.0, seed=41))
    Library(root / "lib").add([refs], workers=1)
    return root / "lib"


@pytest.fixture(scope="module")
def piece_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cp-lib")
    refs = root / "refs"
    refs.mkdir()
    write_wav(refs / "library_cue.wav", synth_music(30.0, seed=7))
    Library(root / "lib").add([refs], workers=1)
    return root / "lib"


def _music_events(library: Path, path: Path) -> list:
    doc = LocalEngine(library, split_changes=True).identify(IdentifyRequest(media_path=path))
    return [e for e in doc.events if e.music_detected]


def test_two_pieces_back_to_back_become_two_cues(tmp_path: Path, empty_library: Path) -> None:
    a = piece(20.0, key=60, tempo=120, bright=2, seed=1)
    b = piece(18.0, key=63, tempo=92, bright=6, seed=2)
    path = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), a, b, silence(2.0)]))
    events = _music_events(empty_library, path)
    assert len(events) == 2, [(float(e.start), float(e.end)) for e in events]
    assert abs(float(events[0].end) - 22.0) <= 1.0
    assert events[0].end == events[1].start
    assert abs(float(events[0].start) - 2.0) <= 1.0 and abs(float(events[1].end) - 40.0) <= 1.0


def test_by_default_only_strong_evidence_cuts(tmp_path: Path, empty_library: Path) -> None:
    """The default splits only where the evidence is strong (STRONG_CHANGES): these two pieces
    at one level stay one event; the same two with a 12 dB level step between them are two,
    cut within 1 s of the change."""
    a = piece(20.0, key=60, tempo=120, bright=2, seed=1)
    b = piece(18.0, key=63, tempo=92, bright=6, seed=2)
    path = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), a, b, silence(2.0)]))
    events = list(LocalEngine(empty_library).identify(IdentifyRequest(media_path=path)).events)
    assert len(events) == 1
    stepped = write_wav(tmp_path / "step.wav", np.concatenate([silence(2.0), a, b * 0.25, silence(2.0)]))
    events = [e for e in LocalEngine(empty_library).identify(IdentifyRequest(media_path=stepped)).events
              if e.music_detected]
    assert len(events) == 2, [(float(e.start), float(e.end)) for e in events]
    assert events[0].end == events[1].start and abs(float(events[0].end) - 22.0) <= 1.0
    off = LocalEngine(empty_library, split_changes=False).identify(IdentifyRequest(media_path=stepped))
    assert len([e for e in off.events if e.music_detected]) == 1


def test_one_piece_is_not_cut(tmp_path: Path, empty_library: Path) -> None:
    a = piece(40.0, key=62, tempo=104, bright=4, seed=3)
    path = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), a, silence(2.0)]))
    assert len(_music_events(empty_library, path)) == 1


def test_crossfade_boundary_is_its_midpoint(tmp_path: Path, empty_library: Path) -> None:
    # another key and tempo, similar brightness (a much brighter incoming piece pulls the
    # boundary towards the crossfade's start: see changepoints.py)
    a = piece(22.0, key=57, tempo=126, bright=3, seed=4)
    b = piece(22.0, key=64, tempo=84, bright=4, seed=5)
    xf = int(4.0 * RATE)
    ramp = np.linspace(0, 1, xf)
    mixed = np.concatenate([a[:-xf], a[-xf:] * ramp[::-1] + b[:xf] * ramp, b[xf:]])
    path = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), mixed, silence(2.0)]))
    events = _music_events(empty_library, path)
    assert len(events) == 2
    midpoint = 2.0 + 22.0 - 2.0  # the crossfade runs 20-24 s into the episode
    assert abs(float(events[0].end) - midpoint) <= 1.0
    assert events[0].end == events[1].start


def test_identified_span_bounds_its_unidentified_neighbour(tmp_path: Path, piece_library: Path) -> None:
    """A library excerpt directly followed by non-library music: the unidentified event starts
    exactly where the identified one ends, and that is where the music changes."""
    lib = synth_music(30.0, seed=7)[int(3 * RATE):int(19 * RATE)]  # 16 s of the library cue
    other = piece(16.0, key=61, tempo=100, bright=5, seed=8)
    other = other / np.sqrt(np.mean(other**2)) * np.sqrt(np.mean(lib**2))
    path = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), lib, other, silence(2.0)]))
    for split in (False, True):
        doc = LocalEngine(piece_library, split_changes=split).identify(IdentifyRequest(media_path=path))
        events = [e for e in doc.events if e.music_detected]
        assert [e.music_identified for e in events] == [True, False]
        ident, rest = events
        assert ident.end == rest.start
        assert abs(float(ident.end) - 18.0) <= 1.0
        assert abs(float(ident.start) - 2.0) <= 1.0 and abs(float(rest.end) - 34.0) <= 1.0


def test_novelty_is_symmetric_over_a_linear_crossfade() -> None:
    """The measure itself: over a crossfade between two steady pieces the peak sits at the
    midpoint (to the block), which is why no separate crossfade rule is needed."""
    n = 400
    ramp = np.clip((np.arange(n) - 180) / 40, 0, 1)[:, None]  # crossfade blocks 180-220
    feats = (1 - ramp) * np.zeros((1, 18)) + ramp * np.full((1, 18), 3.0)
    chroma = (1 - ramp) * np.eye(12)[0] + ramp * np.eye(12)[5]
    nov = novelty(feats.astype(np.float32), chroma.astype(np.float32))
    assert abs(int(np.argmax(nov)) + 1 - 200) <= 1
    assert change_points(feats.astype(np.float32), chroma.astype(np.float32), ChangeParams()) == [200]
