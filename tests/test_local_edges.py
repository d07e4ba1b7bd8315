"""Edge refinement (identify/local/edges.py) on synthetic audio: a match whose landmark span
falls short of the real excerpt is widened to where the reference's peaks stop being found."""

from __future__ import annotations

import numpy as np

from cuesheet_app.identify.local.edges import EpisodePeaks, reference_peaks, refine_edges
from cuesheet_app.identify.local.landmarks import (
    QUERY,
    REFERENCE,
    PeakCollector,
    fingerprint_chunks,
)
from cuesheet_app.identify.local.spectro import FRAME_S, HOP, spectrogram_chunks
from cuesheet_app.media.decode import ANALYSIS_RATE
from tests.local_media import synth_music

RATE = ANALYSIS_RATE


def _peaks_of(signal: np.ndarray, params=QUERY) -> EpisodePeaks:  # type: ignore[no-untyped-def]
    collector = PeakCollector(params)
    for chunk in spectrogram_chunks([signal.astype(np.float32)]):
        collector.add(chunk)
    return EpisodePeaks(*collector.peaks())


def _reference(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    music = synth_music(30.0, seed=seed, rate=RATE)
    hashes, frames = fingerprint_chunks(spectrogram_chunks([music.astype(np.float32)]), REFERENCE)
    f, b = reference_peaks(hashes, frames.astype(np.uint32))
    return music, f, b


def _episode(music: np.ndarray, music_from_s: float, start_s: float, end_s: float,
             total_s: float, seed: int = 3) -> np.ndarray:
    """Babble-like noise throughout (amplitude-modulated band noise), the music excerpt
    between start_s and end_s at about the noise's level (0 dB)."""
    rng = np.random.default_rng(seed)
    n = int(total_s * RATE)
    noise = np.convolve(rng.normal(0, 1, n), np.hanning(9), mode="same")
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4.0 * np.arange(n) / RATE)
    noise = 0.1 * noise / np.sqrt(np.mean(noise**2)) * envelope
    a, b = int(start_s * RATE), int(end_s * RATE)
    excerpt = music[int(music_from_s * RATE):int(music_from_s * RATE) + (b - a)]
    out = noise.copy()
    out[a:a + excerpt.size] += excerpt / np.sqrt(np.mean(excerpt**2)) * 0.1
    return out


def test_short_match_is_widened_to_the_excerpt_edges() -> None:
    music, ref_f, ref_b = _reference(seed=5)
    # excerpt: reference 6 s .. 18 s, at 4 s .. 16 s of a 22 s episode (offset = +2 s)
    episode = _episode(music, 6.0, 4.0, 16.0, 22.0)
    peaks = _peaks_of(episode)
    offset = int(round(2.0 * RATE / HOP))
    start, end = int(6.5 / FRAME_S), int(13.5 / FRAME_S)  # the landmarks fell 2.5 s short
    edges = refine_edges(peaks, ref_f, ref_b, offset, start, end, 0, int(22.0 / FRAME_S))
    assert abs(edges.start * FRAME_S - 4.0) < 0.3, edges
    assert abs(edges.end * FRAME_S - 16.0) < 0.3, edges
    assert edges.loose_start <= edges.start and edges.loose_end >= edges.end


def test_edges_stay_within_limits_and_without_evidence() -> None:
    music, ref_f, ref_b = _reference(seed=5)
    episode = _episode(music, 6.0, 4.0, 16.0, 22.0)
    peaks = _peaks_of(episode)
    offset = int(round(2.0 * RATE / HOP))
    start, end = int(6.5 / FRAME_S), int(13.5 / FRAME_S)
    # a neighbouring match ends at 5.5 s: the start may not move before it
    limited = refine_edges(peaks, ref_f, ref_b, offset, start, end, int(5.5 / FRAME_S), int(22.0 / FRAME_S))
    assert limited.start * FRAME_S >= 5.5 - 1e-9
    # another track's peaks are not found in the episode: the edges stay where they were
    _, other_f, other_b = _reference(seed=77)
    unchanged = refine_edges(peaks, other_f, other_b, offset, start, end, 0, int(22.0 / FRAME_S))
    assert (unchanged.start, unchanged.end) == (start, end)
