"""The opt-in piece-identity cuts (changepoints.identity_signals / IDENTITY_CHANGES,
``LocalEngine(identity_changes=True)``): two synthesized pieces of different tempo, key and
timbre back to back under speech (6 dB under the music), at one level, are cut within 1 s of the change, where the
default (novelty on strong evidence only) leaves them one event; one piece under the same
speech is not cut. Off by default, the engine does not collect the features at all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.identify.base import IdentifyRequest
from cuesheet_app.identify.local.changepoints import ChangeFeatures, identity_signals
from cuesheet_app.identify.local.engine import LocalEngine
from tests.audio_fixtures import espeak_available, silence, speech, write_wav
from tests.test_local_changepoints import RATE, empty_library, piece  # noqa: F401  (fixture)

TEXT = ("The committee met again on Thursday to talk about the harbour, the new road and the "
        "old school, and nobody could agree on anything at all before the evening came. ") * 3


def _under_speech(tmp_path: Path, music: np.ndarray) -> np.ndarray:
    """``music`` with speech over all of it, 6 dB under the music (RMS). (With the speech as loud
    as the music, the score at this change is 0.22, under the 0.3 that cuts: no cut.)"""
    voice = speech(tmp_path / "voice", TEXT, RATE)
    voice = np.resize(voice, music.size)
    voice *= 0.5 * np.sqrt(np.mean(music**2)) / (np.sqrt(np.mean(voice**2)) + 1e-9)
    return music + voice


def _music(library: Path, path: Path, identity: bool) -> list[tuple[float, float]]:
    doc = LocalEngine(library, identity_changes=identity).identify(IdentifyRequest(media_path=path))
    return [(float(e.start), float(e.end)) for e in doc.events if e.music_detected]


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng not installed")
def test_two_pieces_under_speech_are_cut_at_the_change(tmp_path: Path, empty_library: Path) -> None:  # noqa: F811
    a = piece(24.0, key=60, tempo=120, bright=2, seed=1)
    b = piece(24.0, key=63, tempo=84, bright=6, seed=2)
    mixed = _under_speech(tmp_path, np.concatenate([a, b]))
    path = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), mixed, silence(2.0)]))
    assert len(_music(empty_library, path, identity=False)) == 1  # the default leaves them one
    events = _music(empty_library, path, identity=True)
    assert len(events) == 2, events
    assert events[0][1] == events[1][0]
    assert abs(events[0][1] - 26.0) <= 1.0, events


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng not installed")
def test_one_piece_under_speech_is_not_cut(tmp_path: Path, empty_library: Path) -> None:  # noqa: F811
    a = piece(48.0, key=62, tempo=104, bright=4, seed=3)
    path = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), _under_speech(tmp_path, a), silence(2.0)]))
    assert len(_music(empty_library, path, identity=True)) == 1


def test_identity_features_only_when_asked() -> None:
    assert ChangeFeatures().identity() is None
    assert ChangeFeatures(identity=True).identity().shape == (0, 25)


def test_identity_signals_shape_and_ends() -> None:
    """One column per signal, every block boundary; distances, so never negative."""
    rng = np.random.default_rng(0)
    n = 300
    feats = rng.normal(size=(n, 18)).astype(np.float32)
    chroma = rng.random((n, 12)).astype(np.float32)
    ident = rng.normal(size=(n, 25)).astype(np.float32)
    sig = identity_signals(feats, chroma, ident, rng.random(n * 4).astype(np.float32))
    assert sig.shape == (n - 1, 5)
    assert np.all(np.isfinite(sig)) and np.all(sig[:, 1:4] >= 0)


def test_repetition_columns_with_the_segments_peaks() -> None:
    """With peaks and repetition windows, two more columns per window (repetition.py), and
    split_segment hands each segment its own peaks."""
    from cuesheet_app.identify.local.changepoints import ChangeParams, split_segment

    rng = np.random.default_rng(1)
    n = 300
    feats = rng.normal(size=(n, 18)).astype(np.float32)
    chroma = rng.random((n, 12)).astype(np.float32)
    ident = rng.normal(size=(n, 25)).astype(np.float32)
    frames = np.sort(rng.integers(0, n * 4, 2000))
    bins = rng.integers(10, 400, 2000)
    params = ChangeParams(repetition_windows_s=(6.0, 10.0))
    sig = identity_signals(feats, chroma, ident, None, params, (frames, bins))
    assert sig.shape == (n - 1, 9) and np.all(np.isfinite(sig))
    assert identity_signals(feats, chroma, ident, None, params).shape == (n - 1, 5)  # no peaks, no columns
    weights = (0.0,) * 9 + (-20.0,)  # never a change
    scored = ChangeParams(identity_weights=weights, repetition_windows_s=(6.0, 10.0))
    assert split_segment(feats, chroma, 40, 1000, scored, None, ident, (frames, bins)) == [(40, 1000)]
    weights = (0.0,) * 9 + (20.0,)  # a change everywhere: cut every min_piece_s
    scored = ChangeParams(identity_weights=weights, repetition_windows_s=(6.0, 10.0))
    assert len(split_segment(feats, chroma, 40, 1000, scored, None, ident, (frames, bins))) > 1
