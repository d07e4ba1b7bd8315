"""The episode's peaks are found once per chunk for the pair and the triplet collectors."""

from __future__ import annotations

import numpy as np

from cuesheet_app.identify.local import landmarks, triplets
from cuesheet_app.identify.local.spectro import spectrogram_chunks
from tests.local_media import synth_music


def test_query_pairs_and_triplets_share_their_peak_search() -> None:
    # the engine only shares the search when the parameters pick the same peaks; today's
    # query settings do, so the saving is real (a change to either must keep this in mind)
    assert landmarks.same_peaks(landmarks.QUERY, triplets.QUERY)
    assert not landmarks.same_peaks(landmarks.QUERY_DENSE, triplets.QUERY)
    assert not landmarks.same_peaks(landmarks.REFERENCE, triplets.REFERENCE)


def test_shared_peaks_give_the_same_triplet_peaks() -> None:
    signal = synth_music(30.0, seed=3)[::2].astype(np.float32)  # 22,050 -> 11,025 Hz
    pairs = landmarks.PeakCollector(landmarks.QUERY)
    shared = triplets.TripletCollector(triplets.QUERY, triplets.QUERY_PARTNERS)
    own = triplets.TripletCollector(triplets.QUERY, triplets.QUERY_PARTNERS)
    for chunk in spectrogram_chunks([signal], core_frames=512):
        shared.add(chunk, pairs.add(chunk))
        own.add(chunk)
    f_shared, b_shared = shared.peaks()
    f_own, b_own = own.peaks()
    assert f_own.size > 100
    np.testing.assert_array_equal(f_shared, f_own)
    np.testing.assert_array_equal(b_shared, b_own)
