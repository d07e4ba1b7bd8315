"""Back-to-back music the episode plays elsewhere too (repeats.py): the local engine cuts where
a repeated piece stops and another starts, and does not cut one piece at a level change.
Fixtures are synthesized at test time (the pieces of test_local_changepoints.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cuesheet_app.identify.base import IdentifyRequest
from cuesheet_app.identify.local.engine import LocalEngine
from cuesheet_app.identify.local.landmarks import QUERY_DENSE, find_peaks
from cuesheet_app.identify.local.repeats import find_repeats
from cuesheet_app.identify.local.spectro import FRAME_S, spectrogram_chunks
from cuesheet_app.media.decode import decode_blocks
from tests.audio_fixtures import silence, write_wav
from tests.test_local_changepoints import RATE, piece
from tests.test_local_changepoints import empty_library as empty_library  # the module's fixture


def _music_events(library: Path, path: Path, repeats: bool = True) -> list:
    engine = LocalEngine(library, repeat_cuts=repeats)
    return [e for e in engine.identify(IdentifyRequest(media_path=path)).events if e.music_detected]


def _episode(tmp_path: Path, parts: list[np.ndarray]) -> Path:
    return write_wav(tmp_path / "ep.wav", np.concatenate(parts))


def test_two_repeated_pieces_back_to_back_are_cut_at_the_change(tmp_path: Path, empty_library: Path) -> None:
    """A and B are each heard once on their own; later B follows A directly (a hard cut, no
    gap, one level). Change points alone (the default: strong evidence only) leave that stretch
    one event; with the repeats (``repeat_cuts=True``) it is two, cut within 1 s of the change."""
    a = piece(24.0, key=60, tempo=120, bright=2, seed=1)
    b = piece(22.0, key=63, tempo=92, bright=6, seed=2)
    gap = silence(3.0)
    # 2-26 A, 29-51 B, 54-74 A (its last 20 s) then 74-92 B (its first 18 s)
    path = _episode(tmp_path, [silence(2.0), a, gap, b, gap, a[int(4 * RATE):], b[:int(18 * RATE)], silence(2.0)])
    before = _music_events(empty_library, path, repeats=False)
    assert len(before) == 3, [(float(e.start), float(e.end)) for e in before]
    events = _music_events(empty_library, path)
    spans = [(float(e.start), float(e.end)) for e in events]
    assert len(events) == 4, spans
    assert abs(spans[2][1] - 74.0) <= 1.0, spans
    assert events[2].end == events[3].start
    assert abs(spans[2][0] - 54.0) <= 1.0 and abs(spans[3][1] - 92.0) <= 1.0


def test_one_repeated_piece_with_a_level_change_is_not_cut(tmp_path: Path, empty_library: Path) -> None:
    """The same piece twice, the second time 4 dB quieter from half-way: the repeat runs
    across the level change, so it stays one event."""
    a = piece(30.0, key=62, tempo=104, bright=4, seed=3)
    stepped = a.copy()
    stepped[int(15 * RATE):] *= 10 ** (-4 / 20)
    path = _episode(tmp_path, [silence(2.0), a, silence(3.0), stepped, silence(2.0)])
    events = _music_events(empty_library, path)
    assert len(events) == 2, [(float(e.start), float(e.end)) for e in events]


def test_repeats_find_where_the_shared_audio_plays(tmp_path: Path) -> None:
    """find_repeats on its own: 12 s of one piece heard twice, 20 s apart, is one repeat of lag
    20 s covering those 12 s (within a second), over the episode's peaks in music."""
    rng = np.random.default_rng(5)
    shared = piece(12.0, key=65, tempo=110, bright=3, seed=6)
    path = _episode(tmp_path, [shared, piece(8.0, key=58, tempo=80, bright=5, seed=7), shared,
                               0.01 * rng.standard_normal(RATE)])
    frames, bins = [], []
    for chunk in spectrogram_chunks(decode_blocks(path)):
        f, b = find_peaks(chunk.spec, QUERY_DENSE, chunk.before, chunk.before + chunk.core)
        frames.append(f + chunk.first)
        bins.append(b)
    f, b = np.concatenate(frames), np.concatenate(bins)
    music = np.ones(int(f.max()) + 1, bool)
    found = [r for r in find_repeats(f, b, music) if abs(r.lag * FRAME_S - 20.0) <= 0.1]
    assert found, find_repeats(f, b, music)
    best = max(found, key=lambda r: r.hits)
    assert best.start * FRAME_S <= 1.0 and best.end * FRAME_S >= 11.0
