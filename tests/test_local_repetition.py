"""The repetition signal (identify/local/repetition.py): a piece's own repeats span any moment
inside it and stop at a change of piece."""

from __future__ import annotations

import numpy as np

from cuesheet_app.identify.local.repetition import repetition

BLOCK = 4


def riff(seed: int, bar_frames: int, bars: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of a piece that repeats one bar: the same 12 notes (frame in bar, bin) every bar."""
    rng = np.random.default_rng(seed)
    notes_f = np.sort(rng.integers(0, bar_frames, 12))
    notes_b = rng.integers(20, 400, 12)
    frames = np.concatenate([start + k * bar_frames + notes_f for k in range(bars)])
    return frames, np.tile(notes_b, bars)


def test_repeats_stop_at_a_change_of_piece() -> None:
    a_f, a_b = riff(1, 86, 15, 0)  # ~2 s bars, 30 s
    b_f, b_b = riff(2, 70, 18, 15 * 86)  # another piece, another tempo, straight after
    frames, bins = np.concatenate([a_f, b_f]), np.concatenate([a_b, b_b])
    n_blocks = int(frames.max()) // BLOCK + 1
    sig = repetition(frames, bins, n_blocks, BLOCK, window=108)  # ~10 s each side
    change = 15 * 86 // BLOCK  # block where the second piece starts
    ratio = sig[:, 0]
    assert ratio[change - 1] < -3.0  # nothing repeats across the change
    inside = ratio[[120, 160, 450, 500]]  # well inside one piece or the other
    assert np.all(inside > -0.5)
    assert np.all(sig[[120, 450], 1] > 2.0)  # both pieces repeat a lot on each side


def test_unrepeated_peaks_and_held_tones_say_nothing() -> None:
    rng = np.random.default_rng(3)
    frames = np.sort(rng.integers(0, 4000, 3000))  # speech-like: no pattern comes back
    bins = rng.integers(10, 500, 3000)
    sig = repetition(frames, bins, 1000, BLOCK, window=108)
    assert sig.shape == (999, 2)
    assert np.all(sig[200:800, 1] < 1.5)  # few self-matches on either side
    assert np.abs(sig[200:800, 0]).max() < 2.0  # so no strong dip anywhere
    # a held tone under it (mains hum): its own pairs recur all the time and are dropped; its
    # pairs with the other peaks recur by chance, evenly, so still no dip
    hum = np.arange(4000)
    sig = repetition(np.concatenate([frames, hum, hum]),
                     np.concatenate([bins, np.full(4000, 30), np.full(4000, 60)]), 1000, BLOCK, window=108)
    assert np.abs(sig[200:800, 0]).max() < 2.0
    assert repetition(np.zeros(0), np.zeros(0), 10, BLOCK, 5).shape == (9, 2)
