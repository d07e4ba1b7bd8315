"""Landmark pairs as defined: each anchor pairs with its next peaks (in frame order) at 1..DT_MAX
frames and at most DF_MAX bins away, up to ``fan_out`` of them; ``pair_hashes`` (vectorised,
anchors dropped once they are done) must give exactly the pairs of that definition, in the same
order: the index and every query depend on it."""

from __future__ import annotations

import numpy as np
import pytest

from cuesheet_app.identify.local.landmarks import DF_MAX, DT_MAX, pair_hashes


def _by_definition(frames: np.ndarray, bins: np.ndarray, fan_out: int) -> tuple[list[int], list[int]]:
    pairs: list[tuple[int, int, int, int]] = []  # (anchor frame, k, anchor, hash), ordered as pair_hashes orders them
    n = frames.size
    for a in range(n):
        taken = 0
        for k in range(1, 64):
            j = a + k
            if j >= n or frames[j] - frames[a] > DT_MAX or taken >= fan_out:
                break
            dt, df = int(frames[j] - frames[a]), int(bins[j] - bins[a])
            if dt >= 1 and abs(df) <= DF_MAX:
                taken += 1
                pairs.append((int(frames[a]), k, a, (int(bins[a]) << 12) | ((df + 32) << 6) | dt))
    pairs.sort(key=lambda p: (p[0], p[1], p[2]))  # by anchor frame, then step, then anchor
    return [p[3] for p in pairs], [p[0] for p in pairs]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("fan_out", [2, 4, 6])
def test_pairs_are_the_defined_ones(seed: int, fan_out: int) -> None:
    rng = np.random.default_rng(seed)
    n_frames = int(rng.integers(50, 400))
    n = int(n_frames * rng.uniform(0.3, 3.0))
    frames = np.sort(rng.integers(0, n_frames, n)).astype(np.int64)
    bins = rng.integers(1, 256, n).astype(np.int64)
    order = np.lexsort((bins, frames))
    frames, bins = frames[order], bins[order]
    hashes, times = pair_hashes(frames, bins, fan_out)
    want_h, want_t = _by_definition(frames, bins, fan_out)
    assert hashes.tolist() == want_h and times.tolist() == want_t
    assert hashes.dtype == np.uint32 and times.dtype == np.int64
