"""The speed pass's vote keeps only dense runs of keys: every cell that can be a candidate (or
beat one) keeps exactly its smoothed count."""

from __future__ import annotations

import numpy as np
import pytest

from cuesheet_app.identify.local.matcher_v2 import _dense_runs


def _smooth(key: np.ndarray) -> dict[int, int]:
    uniq, counts = np.unique(key, return_counts=True)
    c = dict(zip(uniq.tolist(), counts.tolist(), strict=True))
    return {k: c.get(k - 1, 0) + n + c.get(k + 1, 0) for k, n in c.items()}


@pytest.mark.parametrize("seed", range(5))
def test_dense_runs_keep_every_candidate_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    chance = rng.integers(0, 200_000, 20_000)  # mostly lone keys
    lines = np.concatenate([c + rng.integers(-1, 2, int(rng.integers(3, 9))) for c in rng.integers(0, 200_000, 60)])
    key = np.sort(np.concatenate([chance, lines]))
    kept = _dense_runs(key, 5)
    assert kept.size < key.size // 4  # most of the vote is dropped ...
    full, part = _smooth(key), _smooth(kept)
    strong = {k: v for k, v in full.items() if v >= 5}
    assert strong  # ... and the candidates are there with the same counts
    assert {k: v for k, v in part.items() if v >= 5} == strong
    # a cell kept but counted short stays under the threshold
    assert all(part[k] == full[k] or part[k] < 5 for k in part)


def test_dense_runs_edge_cases() -> None:
    assert _dense_runs(np.array([1, 2, 3], np.int64), 5).size == 0
    key = np.array([10, 10, 11, 12, 12, 40], np.int64)
    np.testing.assert_array_equal(_dense_runs(key, 5), key[:5])
    np.testing.assert_array_equal(_dense_runs(key, 1), key)
