"""Detection's long-context features are computed per block of frames where a step treats each
frame on its own (to bound memory over long episodes): the numbers must not depend on the block."""

from __future__ import annotations

import numpy as np
import pytest

from cuesheet_app.identify.local import detect


def _summary(n: int, seed: int) -> detect.FrameSummary:
    rng = np.random.default_rng(seed)
    return detect.FrameSummary(
        peaks_hi=rng.random((n, detect.HI_BIN - 14)) < 0.05,
        peaks_lo=rng.random((n, 14 - detect.LO_BIN)) < 0.05,
        bands=rng.normal(0, 1, (n, detect.N_BANDS)).astype(np.float32),
        onset=rng.random(n).astype(np.float32),
        comb=rng.choice(np.array([0, 0, 0, 1, 2], np.int8), (n, detect.HI_BIN - detect.COMB_LO)),
    )


@pytest.mark.parametrize("n", [100, 3000])
def test_long_features_do_not_depend_on_the_block_size(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = _summary(n, seed=n)
    monkeypatch.setattr(detect, "_ROWS", 70)  # blocks of 70 frames, the last one short
    blocked = detect.long_features(summary)
    monkeypatch.setattr(detect, "_ROWS", 10**9)  # one block: the whole episode at once
    whole = detect.long_features(summary)
    assert blocked.shape == (n, len(detect.LONG_FEATURES))
    np.testing.assert_array_equal(blocked, whole)
