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
    _planes,
    file_format,
    has_classes,
    index_pairs,
    load_fine_peaks,
    pack,
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
    assert {"pair_steps", "pair_bins", "levels", "fine_origin", "fine_frame_steps", "fine_bins_q"} <= set(arrays)
    frames, bins = load_fine_peaks(saved)
    old = tmp_path / "old.npz"
    buf = io.BytesIO()  # what format 4 wrote: a zip, the fine peaks as float32 byte planes
    np.savez_compressed(buf, **{k: v for k, v in arrays.items() if not k.startswith("fine") and k != "format"},
                        format=np.int64(4), fine_frames=_planes(frames), fine_bins=_planes(bins))
    old.write_bytes(buf.getvalue())
    assert file_format(old) == 4 and has_classes(old) and has_classes(saved)
    for a, b in zip(index_pairs(old), index_pairs(saved), strict=True):
        assert np.array_equal(a, b) and a.size > 1_000
    for a, b in zip(load_fine_peaks(old), (frames, bins), strict=True):
        assert np.array_equal(a, b)
    assert saved.stat().st_size * 1.2 < old.stat().st_size


def test_fine_peaks_are_kept_to_a_128th_of_a_frame_and_a_bin_in_half_the_bytes(tmp_path: Path) -> None:
    write_wav(tmp_path / "b.wav", synth_music(60.0, seed=13))
    fp = fingerprint_file(str(tmp_path / "b.wav"))
    fp.save(tmp_path / "b.npz")
    frames, bins = load_fine_peaks(tmp_path / "b.npz")
    assert frames.dtype == bins.dtype == np.float32 and frames.size == fp.peak_frames.size > 300
    assert np.abs(frames - fp.peak_frames).max() <= 1 / 128 + 1e-6
    assert np.abs(bins - fp.peak_bins).max() <= 1 / 128 + 1e-6
    assert not np.array_equal(frames, fp.peak_frames)  # they are rounded
    assert np.all(np.diff(frames) >= 0) and frames[0] < 0  # sorted (searchsorted), from just before 0
    exact = {"fine_frames": _planes(fp.peak_frames), "fine_bins": _planes(fp.peak_bins)}
    rounded = {k: v for k, v in read_arrays(tmp_path / "b.npz").items() if k.startswith("fine")}
    assert len(pack(rounded)) * 1.6 < len(pack(exact))


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


@pytest.mark.parametrize("bad", ["origin_0d", "origin_float", "format_2", "planes_u16"])
def test_a_well_formed_file_with_wrong_contents_is_reported_too(saved: Path, tmp_path: Path, bad: str) -> None:
    arrays = read_arrays(saved)
    if bad == "origin_0d":
        arrays["fine_origin"] = np.int64(3)
    elif bad == "origin_float":
        arrays["fine_origin"] = np.array([np.inf, 0.0])
    elif bad == "format_2":
        arrays["format"] = np.array([5, 5], np.int64)
    else:
        arrays["fine_bins_q"] = arrays["fine_bins_q"].astype(np.uint16)
    path = tmp_path / "odd.npz"
    path.write_bytes(pack(arrays))
    with pytest.raises(FingerprintError, match="odd.npz: fingerprint file damaged"):
        file_format(path)
        load_fine_peaks(path)


def test_a_damaged_format_4_zip_is_reported_by_name(saved: Path, tmp_path: Path) -> None:
    buf = io.BytesIO()
    np.savez_compressed(buf, **read_arrays(saved))
    data = buf.getvalue()
    bad = tmp_path / "zip.npz"
    bad.write_bytes(data[: len(data) * 2 // 3])  # its directory, at the end, is gone
    with pytest.raises(FingerprintError, match="zip.npz: fingerprint file damaged"):
        index_pairs(bad)
        load_fine_peaks(bad)
