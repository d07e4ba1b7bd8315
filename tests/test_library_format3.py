"""Library formats 3 and 4: compact pair postings and fingerprint files, no triplet index, and
(format 4) level-classed pair hashes; older libraries are recognised, upgraded in place with
progress, and identify the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.identify.base import IdentifyRequest, Progress
from cuesheet_app.identify.local import library as library_module
from cuesheet_app.identify.local.engine import LocalEngine
from cuesheet_app.identify.local.fingerprints import (
    FORMAT,
    TrackFingerprint,
    encode,
    file_format,
    load_fine_peaks,
    load_pairs,
)
from cuesheet_app.identify.local.hash_index import MAX_POSTINGS, concat_postings
from cuesheet_app.identify.local.landmarks import SHAPE_MASK
from cuesheet_app.identify.local.library import (
    LIBRARY_FORMAT,
    Library,
    LibraryError,
    fingerprint_file,
    reference_triplets,
)
from cuesheet_app.identify.local.pair_segments import (
    N_HASHES,
    PairIndex,
    PairSegment,
    SegmentError,
    append_pair_segment,
    read_manifest,
)
from cuesheet_app.identify.local.segment_index import append_segment
from tests.audio_fixtures import silence, write_wav
from tests.cli_helpers import run_cli
from tests.local_media import indexed_library, synth_music, synth_refs

RATE = 11025


def _hits(index: PairIndex, hashes: np.ndarray) -> list[tuple[int, int, int, int]]:
    m = index.lookup(hashes, np.arange(hashes.size))
    return sorted(zip(m.query_frames.tolist(), m.tracks.tolist(), m.ref_frames.tolist(), m.hashes.tolist(),
                      strict=True))


def _expected(parts: list[tuple[int, np.ndarray, np.ndarray]], hashes: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Every posting of each query hash, from the parts themselves, with the cap applied."""
    h, tr, t = concat_postings(parts)
    out = []
    for q, x in enumerate(hashes.tolist()):
        at = np.flatnonzero(h == x)
        if at.size <= MAX_POSTINGS:
            out += [(q, int(tr[i]), int(t[i]), x) for i in at]
    return sorted(out)


@pytest.mark.parametrize("layout", ["dense", "sparse", "wide"])
def test_compact_postings_round_trip(tmp_path: Path, layout: str) -> None:
    rng = np.random.default_rng(5)
    n_hashes = {"dense": N_HASHES, "sparse": 5000, "wide": 5000}[layout]
    n = 2_000_000 if layout == "dense" else 3000  # dense once more than half the hashes occur
    top_frame = (1 << 32) if layout == "wide" else 77_000  # 32 frame bits leave no room for tracks
    parts = [(tid, rng.integers(0, n_hashes, n).astype(np.uint32),
              np.sort(rng.integers(0, top_frame, n)).astype(np.uint32)) for tid in (3, 7, 1000, 70_000)]
    # one hash over the cap only when both segments' postings are summed
    common = np.uint32(17)
    parts[0][1][:MAX_POSTINGS // 2 + 1] = common
    parts[2][1][:MAX_POSTINGS // 2 + 1] = common
    append_pair_segment(tmp_path, parts[:2])
    append_pair_segment(tmp_path, parts[2:])
    seg_dirs = [tmp_path / s["name"] for s in read_manifest(tmp_path)]
    names = {p.name for p in seg_dirs[0].iterdir()}
    if layout == "wide":
        assert {"tracks.npy", "times.npy"} <= names and "postings.npy" not in names
    else:
        assert "postings.npy" in names and np.load(seg_dirs[0] / "postings.npy").dtype == np.uint32
        assert ("keys.npy" in names) == (layout == "sparse")
        # 4 bytes per posting
        assert (seg_dirs[0] / "postings.npy").stat().st_size < 2 * n * 4 + 200
    index = PairIndex(tmp_path, {3, 7, 1000, 70_000})
    query = np.r_[common, parts[1][1][:60], parts[3][1][:60], rng.integers(0, n_hashes, 60)].astype(np.int64)
    got = _hits(index, query)
    assert got == _expected(parts, query)
    assert not [x for x in got if x[3] == int(common)]  # the cap counts both segments
    assert index.size == 4 * n


def test_a_corrupt_segment_gives_a_clear_error(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    write_wav(refs / "a.wav", synth_music(8.0, seed=3))
    lib = Library(tmp_path / "lib")
    lib.add([refs], workers=1)
    [seg] = read_manifest(tmp_path / "lib" / "index")
    postings = tmp_path / "lib" / "index" / seg["name"] / "postings.npy"
    postings.write_bytes(postings.read_bytes()[:-40])  # truncated
    with pytest.raises(SegmentError, match="index segment damaged"):
        PairSegment(postings.parent)
    with pytest.raises(LibraryError, match=f"{seg['name']}: index segment damaged"):
        lib.load_index()


def test_fingerprint_file_round_trip(tmp_path: Path) -> None:
    write_wav(tmp_path / "a.wav", synth_music(20.0, seed=11))
    fp = fingerprint_file(str(tmp_path / "a.wav"))
    fp.save(tmp_path / "a.npz")
    assert file_format(tmp_path / "a.npz") == FORMAT
    h, t = load_pairs(tmp_path / "a.npz")
    assert np.array_equal(h, fp.hashes) and np.array_equal(t, fp.frames) and h.size > 500
    f, b = load_fine_peaks(tmp_path / "a.npz")
    assert f.dtype == np.float32 and np.abs(f - fp.peak_frames).max() <= 1 / 128  # format 5 rounds them
    assert np.abs(b - fp.peak_bins).max() <= 1 / 128
    old = tmp_path / "old.npz"
    np.savez(old, format=np.int64(2), hashes=fp.hashes, frames=fp.frames, peak_frames=fp.peak_frames,
             peak_bins=fp.peak_bins)
    assert (tmp_path / "a.npz").stat().st_size * 2.5 < old.stat().st_size  # with 2 bits of level class a pair
    # pairs their peaks cannot give back (not made by pair_hashes) are kept as pairs
    odd = TrackFingerprint(np.array([5, 9, 9], np.uint32), np.array([1, 4, 4], np.uint32), 1.0,
                           fp.peak_frames[:3], fp.peak_bins[:3])
    (tmp_path / "odd.npz").write_bytes(encode(odd))
    h, t = load_pairs(tmp_path / "odd.npz")
    assert h.tolist() == [5, 9, 9] and t.tolist() == [1, 4, 4]


def _write_format_2(lib: Path) -> None:
    """What format 2 left on disk, written by hand: library.json format 2, fingerprint files with
    the pairs and float32 peaks, pair segments of 8-byte postings, and the triplet index."""
    manifest = json.loads((lib / "library.json").read_text())
    manifest["format"] = 2
    (lib / "library.json").write_text(json.dumps(manifest))
    parts, triplets = [], []
    for fp in sorted((lib / "fp").glob("*.npz")):
        hashes, frames = load_pairs(fp)
        hashes = hashes & np.uint32(SHAPE_MASK)  # format 2 had no level classes
        pf, pb = load_fine_peaks(fp)
        np.savez(fp, format=np.int64(2), hashes=hashes, frames=frames, peak_frames=pf, peak_bins=pb)
        parts.append((int(fp.stem), hashes, frames))
        triplets.append((int(fp.stem), reference_triplets(pf, pb)))
    shutil.rmtree(lib / "index")
    seg = lib / "index" / "pseg-000000000001"
    seg.mkdir(parents=True)
    hashes, tracks, times = concat_postings(parts)
    order = np.argsort(hashes, kind="stable")
    keys, counts = np.unique(hashes, return_counts=True)
    np.save(seg / "keys.npy", keys)
    np.save(seg / "offsets.npy", np.r_[0, np.cumsum(counts)].astype(np.int64))
    np.save(seg / "tracks.npy", tracks[order])
    np.save(seg / "times.npy", times[order])
    ids, per_track = np.unique(tracks, return_counts=True)
    np.save(seg / "ids.npy", ids.astype(np.int64))
    np.save(seg / "counts.npy", per_track.astype(np.int64))
    (lib / "index" / "segments.json").write_text(json.dumps(
        {"format": 2, "segments": [{"name": seg.name, "postings": int(hashes.size), "tracks": len(parts)}]}))
    append_segment(lib / "index2", triplets)


def _events(lib: Path, episode: Path, progress: list[Progress] | None = None) -> list[tuple]:
    doc = LocalEngine(lib).identify(IdentifyRequest(media_path=episode),
                                    progress=progress.append if progress is not None else lambda p: None)
    return [(e.start, e.end, e.extra.get("reference_file"), e.extra.get("speed_ratio"))
            for e in doc.events if e.music_identified]


def test_format_2_library_opens_upgrades_in_place_and_identifies_the_same(tmp_path: Path) -> None:
    refs = synth_refs(tmp_path / "refs", 3, 24.0, seed=50)
    Library(tmp_path / "lib").add([refs], workers=1)
    from tests.test_local_speed import speed_change
    episode = write_wav(tmp_path / "ep.wav", np.concatenate(
        [silence(1.0), synth_music(24.0, seed=51)[2 * RATE:14 * RATE] * 0.8, silence(1.0),
         speed_change(synth_music(24.0, seed=52)[2 * RATE:20 * RATE], 25 / 24) * 0.8, silence(1.0)]))
    fresh = _events(tmp_path / "lib", episode)
    assert [e[2] for e in fresh] == ["t1.wav", "t2.wav"]

    _write_format_2(tmp_path / "lib")
    old_bytes = sum(f.stat().st_size for f in (tmp_path / "lib").rglob("*") if f.is_file())
    lib = Library(tmp_path / "lib")
    stats = lib.stats()
    assert stats.format == 2 and stats.upgrade_needed and stats.tracks == 3
    with pytest.raises(LibraryError, match="older version"):
        lib.load_index()
    seen: list[Progress] = []
    assert _events(tmp_path / "lib", episode, seen) == fresh
    assert any(p.phase == "Upgrading library" and p.fraction == 1.0 for p in seen)
    stats = lib.stats()
    assert stats.format == LIBRARY_FORMAT and not stats.upgrade_needed and stats.segments == 1
    assert not (tmp_path / "lib" / "index2").exists()
    assert [p.name for p in (tmp_path / "lib" / "index").glob("pseg-*")] == [read_manifest(tmp_path / "lib" / "index")[0]["name"]]
    assert all(file_format(p) == FORMAT for p in (tmp_path / "lib" / "fp").glob("*.npz"))
    new_bytes = sum(f.stat().st_size for f in (tmp_path / "lib").rglob("*") if f.is_file())
    assert new_bytes < old_bytes


def test_a_damaged_segment_is_rebuilt_by_upgrade_as_its_error_says(tmp_path: Path) -> None:
    """A segment's error says to rebuild it with 'cuesheet library upgrade': on a library of the
    current format that must not be a no-op. The library reports it needs an upgrade, and the
    upgrade rebuilds the pair index from the fingerprint files (the same postings)."""
    refs, lib = indexed_library(tmp_path, 2, 8.0, seed=60)
    query = np.arange(1 << 20, dtype=np.int64)
    before = _hits(lib.load_index(), query)
    assert before and not lib.needs_upgrade()
    [seg] = read_manifest(tmp_path / "lib" / "index")
    postings = tmp_path / "lib" / "index" / seg["name"] / "postings.npy"
    postings.write_bytes(postings.read_bytes()[:-40])
    with pytest.raises(LibraryError, match="cuesheet library upgrade"):
        lib.load_index()
    assert lib.needs_upgrade()
    stats = lib.stats()  # what 'cuesheet library stats' shows says so too
    assert stats.upgrade_needed and stats.index_damaged and stats.format == LIBRARY_FORMAT
    shown = run_cli("library", "stats", "--library", str(tmp_path / "lib"))
    assert shown.returncode == 0 and "index damaged: run 'cuesheet library upgrade'" in shown.stdout
    lib.upgrade()
    assert not lib.needs_upgrade() and lib.stats().format == LIBRARY_FORMAT
    assert not lib.stats().upgrade_needed and not lib.stats().index_damaged
    assert _hits(lib.load_index(), query) == before


def test_identification_opens_the_pair_index_once_and_still_rebuilds_a_damaged_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Identification asked ``needs_upgrade()``, which opened every segment to check it, then
    ``load_index()``, which opened them twice more. It now calls ``load_index()`` alone: one
    opening, whose errors say when an upgrade (or an index rebuild) is due."""
    refs = synth_refs(tmp_path / "refs", 2, 8.0, seed=70)
    Library(tmp_path / "lib").add([refs], workers=1)
    episode = write_wav(tmp_path / "ep.wav", np.concatenate(
        [silence(1.0), synth_music(8.0, seed=71)[RATE:7 * RATE] * 0.8, silence(1.0)]))
    opened: list[Path] = []

    class Counting(PairIndex):
        def __init__(self, folder: Path, live_tracks: set[int] | None = None) -> None:
            opened.append(folder)
            super().__init__(folder, live_tracks)

    monkeypatch.setattr(library_module, "PairIndex", Counting)
    found = _events(tmp_path / "lib", episode)
    assert [e[2] for e in found] == ["t1.wav"]
    assert len(opened) == 1
    [seg] = read_manifest(tmp_path / "lib" / "index")
    postings = tmp_path / "lib" / "index" / seg["name"] / "postings.npy"
    postings.write_bytes(postings.read_bytes()[:-40])
    assert _events(tmp_path / "lib", episode) == found  # rebuilt by the engine's upgrade
    assert not Library(tmp_path / "lib").needs_upgrade()


@pytest.mark.parametrize("audio", ["gone", "damaged"])
def test_an_upgrade_drops_a_track_with_neither_a_readable_fingerprint_nor_readable_audio(
        tmp_path: Path, audio: str) -> None:
    """Such a track was kept in a library saved as format 3 with no postings: the index could
    not be built (every load_index failed on its fingerprint) while stats said all was well. The
    upgrade now removes it, reports why, and the other tracks are upgraded and indexed, whether
    its audio file is gone or there but damaged too."""
    refs, lib = indexed_library(tmp_path, 3, 8.0, seed=80)
    _write_format_2(tmp_path / "lib")
    [lost] = [r for r in lib.tracks() if r.path.endswith("t1.wav")]
    (tmp_path / "lib" / "fp" / f"{lost.id}.npz").write_bytes(b"not a fingerprint")
    if audio == "gone":
        Path(lost.path).unlink()
    else:
        Path(lost.path).write_bytes(b"not audio either")
    report = lib.upgrade(workers=1)
    assert [p for p, _ in report.failed] == [lost.path] and report.dropped == [lost.path]
    assert "removed from the library" in report.failed[0][1]
    assert sorted(report.updated) == sorted(str(refs / f"t{i}.wav") for i in (0, 2))
    assert [Path(r.path).name for r in lib.tracks()] == ["t0.wav", "t2.wav"]
    assert not (tmp_path / "lib" / "fp" / f"{lost.id}.npz").exists()
    assert not lib.needs_upgrade() and not lib.stats().upgrade_needed
    assert lib.load_index().size == sum(r.hashes for r in lib.tracks())


def test_an_unreadable_segment_list_is_an_error_not_an_empty_index(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A corrupt ``index/segments.json`` was read as "no segments": the next append deleted every
    segment folder and readers saw an empty index. Now it is a damaged index: the append refuses
    (the folders stay), ``load_index`` names the upgrade, and the upgrade (here the one ``add``
    runs first) rebuilds the index from the fingerprint files, with a warning in the log."""
    refs, lib = indexed_library(tmp_path, 2, 8.0, seed=90)
    index = tmp_path / "lib" / "index"
    [seg] = read_manifest(index)
    (index / "segments.json").write_text('{"format": 3, "segm')
    with pytest.raises(SegmentError, match="segments.json"):
        append_pair_segment(index, [(99, np.array([1], np.uint32), np.array([0], np.uint32))])
    assert (index / seg["name"] / "ids.npy").is_file()
    with pytest.raises(LibraryError, match="cuesheet library upgrade"):
        lib.load_index()
    assert lib.needs_upgrade() and lib.stats().index_damaged
    lib.add([synth_refs(tmp_path / "more", 1, 8.0, seed=95, name="m")], workers=1)
    assert "rebuilding the pair index" in caplog.text
    assert not lib.needs_upgrade() and len(lib.tracks()) == 3
    assert lib.load_index().covered() == {r.id for r in lib.tracks()}
    assert lib.load_index().size == sum(r.hashes for r in lib.tracks())


def test_an_upgrade_reindexes_or_drops_a_format_2_fingerprint_it_cannot_convert(tmp_path: Path) -> None:
    """A format-2 file whose format says 2 but whose landmarks cannot be read (a damaged member)
    failed the conversion and was kept: the upgrade then saved format 3 and failed on it, as did
    every identification. Its audio is fingerprinted again when it is there; else it is dropped."""
    refs, lib = indexed_library(tmp_path, 3, 8.0, seed=85)
    _write_format_2(tmp_path / "lib")
    by_name = {Path(r.path).name: r for r in lib.tracks()}
    for name in ("t0.wav", "t1.wav"):
        np.savez(tmp_path / "lib" / "fp" / f"{by_name[name].id}.npz", format=np.int64(2))
    Path(by_name["t1.wav"].path).unlink()
    report = lib.upgrade(workers=1)
    assert report.dropped == [by_name["t1.wav"].path]
    assert sorted(report.updated) == sorted(str(refs / f"t{i}.wav") for i in (0, 2))
    assert [Path(r.path).name for r in lib.tracks()] == ["t0.wav", "t2.wav"]
    assert not lib.needs_upgrade()
    assert lib.load_index().size == sum(r.hashes for r in lib.tracks())
