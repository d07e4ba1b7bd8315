"""Library format 4: pair hashes carry a level class (which peak of the pair is louder), so a
large library's postings split four ways; queries near a cut are looked up in both classes,
and a format-3 track whose audio is gone still upgrades (classless) and is still found."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.identify.base import Cancelled, CancelToken, IdentifyRequest, Progress
from cuesheet_app.identify.local.engine import LocalEngine
from cuesheet_app.identify.local.fingerprints import FORMAT as FINGERPRINT_FORMAT
from cuesheet_app.identify.local.fingerprints import (
    file_format,
    has_classes,
    load_pairs,
    read_arrays,
)
from cuesheet_app.identify.local.landmarks import (
    LEVEL_CUTS,
    QUERY,
    REFERENCE,
    SHAPE_BITS,
    SHAPE_MASK,
    PeakCollector,
    level_classes,
    pair_hashes,
)
from cuesheet_app.identify.local.library import LIBRARY_FORMAT
from cuesheet_app.identify.local.spectro import spectrogram_chunks
from tests.audio_fixtures import silence, write_wav
from tests.local_media import indexed_library, synth_music

RATE = 11025


def _hashes(x: np.ndarray, params=REFERENCE) -> np.ndarray:  # type: ignore[no-untyped-def]
    c = PeakCollector(params)
    for chunk in spectrogram_chunks([x.astype(np.float32)]):
        c.add(chunk)
    return c.hashes()[0]


def test_level_classes_cut_at_the_documented_points() -> None:
    d = np.array([-2.0, -0.5, -0.01, 0.0, 0.49, 0.5, 3.0])
    assert level_classes(d).tolist() == [0, 1, 1, 2, 2, 3, 3]
    assert LEVEL_CUTS.tolist() == [-0.5, 0.0, 0.5]


def test_a_gain_change_keeps_the_hashes_and_their_classes() -> None:
    """The class is a level *difference*: a quieter copy of the music gives the same hashes."""
    x = synth_music(12.0, seed=5)
    loud, quiet = _hashes(x), _hashes(x * 0.25)
    assert loud.size > 300 and int(loud.max()) >> SHAPE_BITS > 0  # classes are used
    assert len(np.intersect1d(loud, quiet)) >= 0.97 * len(np.unique(loud))


def test_query_pairs_near_a_cut_are_hashed_in_both_classes() -> None:
    rng = np.random.default_rng(2)
    frames = np.sort(rng.integers(0, 400, 300))
    bins = rng.integers(20, 200, 300)
    levels = rng.normal(0.0, 0.6, 300)
    plain, t_plain = pair_hashes(frames, bins, 6, levels)
    spread, t_spread = pair_hashes(frames, bins, 6, levels, 0.15)
    extra = spread.size - plain.size
    assert 0 < extra < plain.size  # some pairs, not all, lie within 0.15 of a cut
    # every plain hash is still there, and each duplicate has the shape of a plain one, one class over
    assert np.isin(plain, spread).all()
    dup = spread[~np.isin(spread, plain)]
    assert np.isin(dup & SHAPE_MASK, plain & SHAPE_MASK).all()
    # the shapes alone (no levels) are the 20-bit hashes the repeat finder uses
    shapes, _ = pair_hashes(frames, bins, 6)
    assert np.array_equal(np.sort(shapes), np.sort(plain & SHAPE_MASK)) and int(shapes.max()) <= SHAPE_MASK
    assert QUERY.level_spread > 0 and REFERENCE.level_spread == 0


def _to_format_3(lib: Path) -> None:
    """What format 3 left on disk: the same files without level classes, and a format-3 index."""
    manifest = json.loads((lib / "library.json").read_text())
    manifest["format"] = 3
    (lib / "library.json").write_text(json.dumps(manifest))
    for fp in (lib / "fp").glob("*.npz"):
        arrays = {k: v for k, v in read_arrays(fp).items() if k != "levels"}
        arrays["format"] = np.int64(3)
        np.savez_compressed(fp, **arrays)
    seg_list = lib / "index" / "segments.json"
    seg_list.write_text(json.dumps({**json.loads(seg_list.read_text()), "format": 3}))


def test_a_format_3_track_whose_audio_is_gone_is_upgraded_classless_and_still_found(tmp_path: Path) -> None:
    refs, lib = indexed_library(tmp_path, 3, 20.0, seed=40)
    _to_format_3(tmp_path / "lib")
    assert lib.stats().format == 3 and lib.needs_upgrade()
    by_name = {Path(r.path).name: r for r in lib.tracks()}
    gone = by_name["t1.wav"]
    away = tmp_path / "away.wav"
    Path(gone.path).rename(away)  # keeps its size and modification time
    report = lib.upgrade(workers=1)
    assert sorted(Path(p).name for p in report.updated) == ["t0.wav", "t1.wav", "t2.wav"]
    assert not report.dropped and lib.stats().format == LIBRARY_FORMAT
    fp_dir = tmp_path / "lib" / "fp"
    assert all(file_format(p) == FINGERPRINT_FORMAT for p in fp_dir.glob("*.npz"))
    assert not has_classes(fp_dir / f"{gone.id}.npz")  # no audio to classify its pairs with
    assert has_classes(fp_dir / f"{by_name['t0.wav'].id}.npz")  # fingerprinted again from its audio
    # the classless track is indexed in all four classes
    index = lib.load_index()
    assert index.size == sum(r.hashes * (4 if r.id == gone.id else 1) for r in lib.tracks())
    assert load_pairs(fp_dir / f"{gone.id}.npz")[0].max() <= SHAPE_MASK
    # and it is still identified, as the re-fingerprinted ones are
    ep = write_wav(tmp_path / "ep.wav", np.concatenate(
        [silence(1.0), synth_music(20.0, seed=41)[2 * RATE:16 * RATE] * 0.7, silence(1.0),
         synth_music(20.0, seed=40)[3 * RATE:15 * RATE] * 0.7, silence(1.0)]))
    doc = LocalEngine(tmp_path / "lib").identify(IdentifyRequest(media_path=ep))
    assert [e.extra["reference_file"] for e in doc.events if e.music_identified] == ["t1.wav", "t0.wav"]
    # when the file is back, unchanged, the next add fingerprints it again with its classes
    away.rename(gone.path)
    report = lib.add([refs], workers=1)
    assert report.updated == [gone.path] and sorted(Path(p).name for p in report.unchanged) == ["t0.wav", "t2.wav"]
    assert has_classes(fp_dir / f"{gone.id}.npz")
    assert lib.load_index().size == sum(r.hashes for r in lib.tracks())


def test_a_cancelled_upgrade_keeps_the_classless_mark_of_what_it_converted(tmp_path: Path) -> None:
    """The conversion writes each classless file at once but the library's record only at the
    end: an upgrade resumed after a cancel must still know which current-format files have no
    classes, or their tracks would stay at four times their postings for good."""
    refs, lib = indexed_library(tmp_path, 3, 12.0, seed=40)
    _to_format_3(tmp_path / "lib")
    by_name = {Path(r.path).name: r for r in lib.tracks()}
    for name in ("t1.wav", "t2.wav"):
        Path(by_name[name].path).rename(tmp_path / name)
    token = CancelToken()

    def progress(p: Progress) -> None:  # cancel once the first classless conversion is done
        if p.phase == "Upgrading library" and p.detail in ("t1.wav", "t2.wav"):
            token.cancel()

    with pytest.raises(Cancelled):
        lib.upgrade(progress=progress, cancel=token, workers=1)
    lib.upgrade(workers=1)
    assert {Path(r.path).name: r.classless for r in lib.tracks()} == {"t0.wav": False, "t1.wav": True, "t2.wav": True}
    assert lib.load_index().size == lib.stats().postings


def test_a_format_1_track_kept_without_its_audio_is_reindexed_when_its_file_is_back(tmp_path: Path) -> None:
    from tests.test_local_speed import _downgrade_to_format_1

    refs, lib = indexed_library(tmp_path, 2, 12.0, seed=40)
    _downgrade_to_format_1(tmp_path / "lib")
    t1 = {Path(r.path).name: r for r in lib.tracks()}["t1.wav"]
    away = tmp_path / "away.wav"
    Path(t1.path).rename(away)
    lib.upgrade(workers=1)
    assert [r.classless for r in lib.tracks()] == [False, True]
    assert lib.load_index().size == lib.stats().postings  # its old pairs in all four classes
    away.rename(t1.path)
    report = lib.add([refs], workers=1)
    assert report.updated == [t1.path]
    assert lib.load_index().size == sum(r.hashes for r in lib.tracks()) == lib.stats().postings
