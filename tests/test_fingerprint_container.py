"""Format 5 of the fingerprint files: format 4's arrays in one xz stream of our own instead of a
zip of .npy files (~0.9 KB a track of headers less). A format-4 file (a library built before) must
still read the same, the new file must be smaller, and a damaged file must say so by name."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.identify.local.fingerprints import (
    FORMAT,
    FingerprintError,
    file_format,
    has_classes,
    index_pairs,
    load_fine_peaks,
    read_arrays,
)
from cuesheet_app.identify.local.library import fingerprint_file
from tests.audio_fixtures import write_wav
from tests.local_media import synth_music


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fp")
    write_wav(folder / "a.wav", synth_music(30.0, seed=12))
    fingerprint_file(str(folder / "a.wav")).save(folder / "a.npz")
    return folder / "a.npz"


def test_a_format_4_zip_reads_the_same_and_is_larger(saved: Path, tmp_path: Path) -> None:
    assert FORMAT == 5 and file_format(saved) == 5 and saved.read_bytes()[:4] == b"CSFP"
    arrays = read_arrays(saved)
    assert {"pair_steps", "pair_bins", "levels", "fine_frames", "fine_bins"} <= set(arrays)
    old = tmp_path / "old.npz"
    buf = io.BytesIO()
    np.savez_compressed(buf, **{**arrays, "format": np.int64(4)})  # what format 4 wrote
    old.write_bytes(buf.getvalue())
    assert file_format(old) == 4 and has_classes(old) and has_classes(saved)
    for a, b in zip(index_pairs(old), index_pairs(saved), strict=True):
        assert np.array_equal(a, b) and a.size > 1_000
    for a, b in zip(load_fine_peaks(old), load_fine_peaks(saved), strict=True):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert saved.stat().st_size + 600 < old.stat().st_size


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty"])
def test_a_damaged_file_is_reported_by_name(saved: Path, tmp_path: Path, damage: str) -> None:
    data = bytearray(saved.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "flipped":
        data[len(data) // 2] ^= 0x40
    else:
        data = data[:6]
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(FingerprintError, match="bad.npz: fingerprint file damaged"):
        index_pairs(bad)
