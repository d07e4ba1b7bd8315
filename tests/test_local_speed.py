"""Engine v2: speed/tempo-changed excerpts, decoys, the format upgrade, incremental segments."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from av.filter import Graph

from cuesheet_app.identify.base import IdentifyRequest, Progress
from cuesheet_app.identify.local.engine import LocalEngine
from cuesheet_app.identify.local.fingerprints import load_pairs
from cuesheet_app.identify.local.hash_index import build_index
from cuesheet_app.identify.local.landmarks import SHAPE_MASK
from cuesheet_app.identify.local.library import LIBRARY_FORMAT, Library
from cuesheet_app.identify.local.pair_segments import read_manifest as read_pair_manifest
from cuesheet_app.identify.local.segment_index import SegmentedIndex
from tests.audio_fixtures import espeak_available, silence, speech, write_wav
from tests.cli_helpers import run_cli
from tests.local_media import indexed_library, synth_music, synth_refs

RATE = 22050


def speed_change(x: np.ndarray, factor: float) -> np.ndarray:
    """Played ``factor`` times faster: time and pitch scaled together (a 24 fps film at 25)."""
    n = int(round(x.size / factor))
    return np.interp(np.arange(n) * factor, np.arange(x.size), x)


def tempo_change(x: np.ndarray, factor: float, rate: int = RATE) -> np.ndarray:
    """Faster by ``factor`` with the pitch kept: FFmpeg's ``atempo`` filter (WSOLA), as an
    editor's tool would do it, through PyAV's filter graph."""
    graph = Graph()
    src = graph.add_abuffer(format="flt", sample_rate=rate, layout="mono", channels=1)
    tempo = graph.add("atempo", str(factor))
    sink = graph.add("abuffersink")
    src.link_to(tempo)
    tempo.link_to(sink)
    graph.configure()
    out: list[np.ndarray] = []

    def drain() -> None:
        while True:
            try:
                out.append(graph.pull().to_ndarray().ravel())
            except (av.BlockingIOError, av.EOFError):
                return

    step = rate // 10
    for i in range(0, x.size, step):
        frame = av.AudioFrame.from_ndarray(x[None, i:i + step].astype(np.float32), format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, i
        graph.push(frame)
        drain()
    graph.push(None)
    drain()
    return np.concatenate(out).astype(np.float64)


def _identified(library: Path, episode: Path) -> list:
    doc = LocalEngine(library).identify(IdentifyRequest(media_path=episode))
    return [e for e in doc.events if e.music_identified]


@pytest.fixture(scope="module")
def speed_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("speed-lib")
    refs = synth_refs(root / "refs", 3, 30.0, seed=40, name="track")
    Library(root / "lib").add([refs], workers=1)
    return root / "lib"


def test_speed_25_24_and_tempo_1_03_are_identified_with_their_ratio(tmp_path: Path, speed_library: Path) -> None:
    a = speed_change(synth_music(30.0, seed=40)[4 * RATE:22 * RATE], 25 / 24)  # ~17.3 s
    b = tempo_change(synth_music(30.0, seed=41)[3 * RATE:21 * RATE], 1.03)  # ~17.5 s
    episode = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), a * 0.8, silence(3.0), b * 0.8,
                                                            silence(2.0)]))
    events = _identified(speed_library, episode)
    by_file = {e.extra["reference_file"]: e for e in events}
    assert set(by_file) == {"track0.wav", "track1.wav"}
    ea, eb = by_file["track0.wav"], by_file["track1.wav"]
    assert ea.extra["speed_ratio"] == pytest.approx(25 / 24, abs=0.004)
    assert ea.extra["pitch_ratio"] == pytest.approx(25 / 24, abs=0.01)  # a speed change
    assert eb.extra["speed_ratio"] == pytest.approx(1.03, abs=0.004)
    assert eb.extra["pitch_ratio"] == pytest.approx(1.0, abs=0.01)  # a tempo change
    # boundaries and the reference position follow the ratio model
    assert float(ea.start) == pytest.approx(2.0, abs=0.5)
    assert float(ea.end) == pytest.approx(2.0 + a.size / RATE, abs=0.5)
    assert ea.extra["track_offset_s"] == pytest.approx(4.0, abs=0.5)
    assert float(eb.start) == pytest.approx(2.0 + a.size / RATE + 3.0, abs=0.5)
    assert eb.extra["track_offset_s"] == pytest.approx(3.0, abs=0.5)
    # unchanged music still comes from the landmark pairs, with ratio 1
    plain = write_wav(tmp_path / "plain.wav", np.concatenate([silence(1.0), synth_music(30.0, seed=42)[RATE:15 * RATE]]))
    [e] = _identified(speed_library, plain)
    assert e.extra["reference_file"] == "track2.wav" and e.extra["speed_ratio"] == 1.0


def test_the_search_at_candidate_factors_needs_no_triplet_index(tmp_path: Path, speed_library: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed pass searches the landmark pairs at other factors; with the triplet search off
    (``TRIPLET_PASS``) an empty triplet index must not switch the pair search off too."""
    monkeypatch.setattr(Library, "load_triplet_index",
                        lambda self: SegmentedIndex(tmp_path / "no-index2", {r.id for r in self.tracks()}))
    a = speed_change(synth_music(30.0, seed=40)[4 * RATE:22 * RATE], 25 / 24)
    episode = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), a * 0.8, silence(2.0)]))
    [e] = _identified(speed_library, episode)
    assert e.extra["reference_file"] == "track0.wav"
    assert e.extra["speed_ratio"] == pytest.approx(25 / 24, abs=0.004)


def test_the_triplet_index_is_not_read_while_its_pass_is_off(tmp_path: Path, speed_library: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``TRIPLET_PASS`` off the query never opens the triplet index (opening it checks, and
    would append, every track's triplet postings): identification works without it."""
    def refuse(self: Library) -> SegmentedIndex:
        raise AssertionError("the triplet index was opened")

    monkeypatch.setattr(Library, "load_triplet_index", refuse)
    a = speed_change(synth_music(30.0, seed=40)[4 * RATE:22 * RATE], 25 / 24)
    episode = write_wav(tmp_path / "ep.wav", np.concatenate([silence(2.0), a * 0.8, silence(2.0)]))
    [e] = _identified(speed_library, episode)
    assert e.extra["reference_file"] == "track0.wav"
    assert e.extra["speed_ratio"] == pytest.approx(25 / 24, abs=0.004)


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng not installed")
def test_changed_excerpts_under_dialogue_are_identified_with_their_ratio(tmp_path: Path, speed_library: Path) -> None:
    """Speed (25/24, 0.96) and tempo (1.03) changes with speech on top at the music's level:
    the landmark pairs searched at candidate factors find them (triplets alone lost most such
    excerpts under dialogue, docs/engine-v2.md)."""
    a = speed_change(synth_music(30.0, seed=40)[4 * RATE:20 * RATE], 25 / 24)
    b = tempo_change(synth_music(30.0, seed=41)[3 * RATE:19 * RATE], 1.03)
    c = speed_change(synth_music(30.0, seed=42)[5 * RATE:21 * RATE], 0.96)
    music = np.concatenate([silence(1.0), a, silence(2.0), b, silence(2.0), c, silence(1.0)])
    text = ("Good evening and welcome back. Tonight we follow the river from the mountains down to the "
            "sea, and we meet the people who have lived beside it for generations. ") * 3
    talk = speech(tmp_path / "talk", text)
    talk = np.resize(talk, music.size)
    level = np.sqrt(np.mean(music[music != 0] ** 2)) / np.sqrt(np.mean(talk ** 2))
    episode = write_wav(tmp_path / "ep.wav", 0.45 * (music + level * talk) / np.abs(music + level * talk).max())
    events = _identified(speed_library, episode)
    by_file: dict[str, list] = {}
    for e in events:
        by_file.setdefault(e.extra["reference_file"], []).append(e)
    assert set(by_file) == {"track0.wav", "track1.wav", "track2.wav"}
    starts = {"track0.wav": 1.0, "track1.wav": 3.0 + a.size / RATE, "track2.wav": 5.0 + (a.size + b.size) / RATE}
    ratios = {"track0.wav": (25 / 24, 25 / 24), "track1.wav": (1.03, 1.0), "track2.wav": (0.96, 0.96)}
    for name, found in by_file.items():
        e = max(found, key=lambda x: float(x.end) - float(x.start))
        assert e.extra["speed_ratio"] == pytest.approx(ratios[name][0], abs=0.004)
        assert e.extra["pitch_ratio"] == pytest.approx(ratios[name][1], abs=0.01)
        assert float(e.start) == pytest.approx(starts[name], abs=1.5)


def test_decoy_heavy_library_gives_no_wrong_id(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    n = 200
    for i in range(n):  # generated tracks: different music, one tempo, key and melody each
        write_wav(refs / f"decoy{i:03d}.wav", synth_music(5.0, seed=1000 + i), rate=11025)
    write_wav(refs / "own.wav", synth_music(30.0, seed=777))  # the episode below uses this rate
    lib = Library(tmp_path / "lib")
    lib.add([refs])
    assert lib.stats().tracks == n + 1
    # music that is not in the library (other seeds), changed in speed and tempo, plus one
    # library excerpt at 24/25
    pieces = [silence(1.0)]
    for seed in (5000, 5001, 5002):
        pieces += [speed_change(synth_music(12.0, seed=seed), 25 / 24) * 0.8, silence(1.0)]
        pieces += [tempo_change(synth_music(12.0, seed=seed + 10), 0.95) * 0.8, silence(1.0)]
    pieces += [speed_change(synth_music(30.0, seed=777)[5 * RATE:20 * RATE], 24 / 25) * 0.8, silence(1.0)]
    episode = write_wav(tmp_path / "ep.wav", np.concatenate(pieces))
    events = _identified(tmp_path / "lib", episode)
    assert [e.extra["reference_file"] for e in events] == ["own.wav"]
    assert events[0].extra["speed_ratio"] == pytest.approx(24 / 25, abs=0.005)


def _downgrade_to_format_1(lib: Path) -> None:
    """What today's version (format 1) leaves on disk: library.json format 1, fingerprint
    files with landmark pairs only, no triplet index."""
    manifest = json.loads((lib / "library.json").read_text())
    manifest["format"] = 1
    (lib / "library.json").write_text(json.dumps(manifest))
    parts = []
    for fp in (lib / "fp").glob("*.npz"):
        hashes, frames = load_pairs(fp)
        hashes = hashes & np.uint32(SHAPE_MASK)  # format 1 had no level classes
        np.savez(fp, hashes=hashes, frames=frames)
        parts.append((int(fp.stem), hashes, frames))
    import shutil
    shutil.rmtree(lib / "index")  # format 1's pair index: one table, rebuilt on every change
    build_index(lib / "index", parts, "format-1")


def test_old_format_library_is_recognised_and_upgraded_with_progress(tmp_path: Path) -> None:
    refs, lib = indexed_library(tmp_path, 2, 24.0, seed=70)
    _downgrade_to_format_1(tmp_path / "lib")
    stats = lib.stats()
    assert stats.format == 1 and stats.upgrade_needed and stats.tracks == 2
    # the engine upgrades it (with progress) before identifying, and then finds a sped-up excerpt
    ep = write_wav(tmp_path / "ep.wav", np.concatenate(
        [silence(1.0), speed_change(synth_music(24.0, seed=71)[2 * RATE:20 * RATE], 25 / 24)]))
    seen: list[Progress] = []
    doc = LocalEngine(tmp_path / "lib").identify(IdentifyRequest(media_path=ep), progress=seen.append)
    phases = [p.phase for p in seen]
    assert "Upgrading library" in phases
    assert any(p.phase == "Upgrading library" and p.fraction == 1.0 for p in seen)
    [e] = [e for e in doc.events if e.music_identified]
    assert e.extra["reference_file"] == "t1.wav"
    assert e.extra["speed_ratio"] == pytest.approx(25 / 24, abs=0.005)
    stats = lib.stats()
    assert stats.format == LIBRARY_FORMAT and not stats.upgrade_needed and stats.segments >= 1
    # the old pair table was re-segmented from the fingerprint files, and its files are gone
    assert read_pair_manifest(tmp_path / "lib" / "index") and not (tmp_path / "lib" / "index" / "offsets.npy").exists()


def test_incremental_add_appends_a_segment_and_leaves_the_others(tmp_path: Path) -> None:
    refs1, refs2 = tmp_path / "a", tmp_path / "b"
    refs1.mkdir()
    refs2.mkdir()
    for i in range(2):
        write_wav(refs1 / f"a{i}.wav", synth_music(16.0, seed=80 + i))
    write_wav(refs2 / "b0.wav", synth_music(16.0, seed=90))
    lib = Library(tmp_path / "lib")
    lib.add([refs1], workers=1)
    assert not (tmp_path / "lib" / "index2").exists()  # no triplet index while its search is off
    # the landmark-pair index: one segment per add, earlier ones never rewritten
    pairs_first = read_pair_manifest(tmp_path / "lib" / "index")
    assert len(pairs_first) == 1 and pairs_first[0]["tracks"] == 2
    pair_dir = tmp_path / "lib" / "index" / pairs_first[0]["name"]
    pairs_before = {p.name: p.stat().st_mtime_ns for p in pair_dir.iterdir()}
    lib.add([refs2], workers=1)
    pairs_second = read_pair_manifest(tmp_path / "lib" / "index")
    assert [s["name"] for s in pairs_second][:1] == [pairs_first[0]["name"]] and pairs_second[1]["tracks"] == 1
    assert {p.name: p.stat().st_mtime_ns for p in pair_dir.iterdir()} == pairs_before
    assert lib.load_index().size == sum(t.hashes for t in lib.tracks())
    # all three are found, the new one included
    ep = write_wav(tmp_path / "ep.wav", np.concatenate(
        [silence(1.0), speed_change(synth_music(16.0, seed=90)[RATE:14 * RATE], 1.02)]))
    [e] = _identified(tmp_path / "lib", ep)
    assert e.extra["reference_file"] == "b0.wav"
    # a re-indexed track lives in the newest segment; removal hides it without a rewrite
    lib.remove([refs2 / "b0.wav"])
    assert _identified(tmp_path / "lib", ep) == []


def test_cli_shows_the_format_and_upgrades(tmp_path: Path) -> None:
    refs = synth_refs(tmp_path / "refs", 2, 12.0, seed=60)
    Library(tmp_path / "lib").add([refs], workers=1)
    _downgrade_to_format_1(tmp_path / "lib")
    lib = str(tmp_path / "lib")
    stats = run_cli("library", "stats", "--library", lib)
    assert stats.returncode == 0 and "format 1" in stats.stdout and "library upgrade" in stats.stdout
    up = run_cli("library", "upgrade", "--library", lib)
    assert up.returncode == 0 and "2 track(s) re-indexed" in up.stdout
    stats = run_cli("library", "stats", "--library", lib, "--json")
    assert json.loads(stats.stdout)["format"] == LIBRARY_FORMAT


def test_segment_directory_is_sparse_and_dense_segments_still_read(tmp_path: Path) -> None:
    """A segment stores only the hashes it holds (no 16 MB table over all 2**22); a segment
    written by the previous layout (dense offsets, no keys.npy) gives the same hits."""
    from cuesheet_app.identify.local.segment_index import N_HASHES, Segment, write_segment
    from cuesheet_app.identify.local.triplets import Triplets

    rng = np.random.default_rng(3)
    parts = []
    for tid in (1, 2):
        n = 500
        parts.append((tid, Triplets(rng.integers(0, N_HASHES, n).astype(np.uint32),
                                    np.sort(rng.uniform(0, 5000, n)).astype(np.float32),
                                    rng.uniform(12, 64, n).astype(np.float32),
                                    rng.uniform(6, 250, n).astype(np.float32))))
    write_segment(tmp_path / "sparse", parts)
    sparse = Segment(tmp_path / "sparse")
    assert (tmp_path / "sparse" / "offsets.npy").stat().st_size < 20_000
    dense_dir = tmp_path / "dense"
    dense_dir.mkdir()
    keys, offsets = np.load(tmp_path / "sparse" / "keys.npy"), np.load(tmp_path / "sparse" / "offsets.npy")
    counts = np.zeros(N_HASHES, np.int64)
    counts[keys] = np.diff(offsets.astype(np.int64))
    np.save(dense_dir / "offsets.npy", np.r_[0, np.cumsum(counts)].astype(np.uint32))
    for name in ("postings.npy", "tracks.npy"):
        (dense_dir / name).write_bytes((tmp_path / "sparse" / name).read_bytes())
    dense = Segment(dense_dir)
    query = np.r_[parts[0][1].hashes[:50], rng.integers(0, N_HASHES, 50)].astype(np.int64)
    qi, words = sparse.lookup(query, np.arange(query.size))
    qi2, words2 = dense.lookup(query, np.arange(query.size))
    assert words.size >= 50 and np.array_equal(qi, qi2) and np.array_equal(words, words2)
    assert np.array_equal(np.sort(sparse.all_hashes()), np.sort(np.concatenate([p[1].hashes for p in parts])))


def test_unchanged_music_searched_at_other_factors_comes_back_at_ratio_1(tmp_path: Path, speed_library: Path) -> None:
    """The factor grid leaves out the factors next to 1, so unchanged music in a searched region
    (a looping track the pair pass found in drifting pieces) was matched at the nearest factor
    outside, ~0.7 % off, which then mistimed its edges in back-to-back music; the refinement
    tries ratio 1 too and keeps it where it agrees at least as well."""
    from cuesheet_app.identify.local.matcher import MatchParams
    from cuesheet_app.identify.local.spectro import HOP, ChunkedSpectrogram
    from cuesheet_app.identify.local.speed_pass import ratio_pair_search
    from cuesheet_app.identify.local.triplets import QUERY, QUERY_PARTNERS, TripletCollector
    from cuesheet_app.media.decode import decode_blocks

    episode = write_wav(tmp_path / "plain.wav", np.concatenate([silence(1.0), synth_music(30.0, seed=42)[RATE:25 * RATE]]))
    phases = [ChunkedSpectrogram(), ChunkedSpectrogram(skip=HOP // 2)]
    fine = [TripletCollector(QUERY, QUERY_PARTNERS) for _ in phases]
    for block in decode_blocks(episode):
        for chunker, collector in zip(phases, fine, strict=True):
            for chunk in chunker.push(block):
                collector.add(chunk)
    for chunker, collector in zip(phases, fine, strict=True):
        for chunk in chunker.finish():
            collector.add(chunk)
    lib = Library(speed_library)
    track2 = next(t.id for t in lib.tracks() if t.path.endswith("track2.wav"))
    found = [m for m in ratio_pair_search(lib.load_index(), fine, [(0, 10 ** 6)], MatchParams())
             if m.track_id == track2]
    assert found, "the search over the grid finds the unchanged excerpt near ratio 1"
    assert [(m.ratio, m.pitch) for m in found] == [(1.0, 1.0)] * len(found)


def test_threads_give_the_events_of_one_thread(tmp_path: Path, speed_library: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The pair pass's slices and the speed pass's factors run side by side
    (``threads.THREADS``); the events must be exactly those of one thread."""
    from cuesheet_app.identify.local import threads

    a = speed_change(synth_music(30.0, seed=40)[4 * RATE:20 * RATE], 0.96)
    episode = write_wav(tmp_path / "ep.wav", np.concatenate([silence(1.0), synth_music(30.0, seed=42)[RATE:12 * RATE],
                                                            silence(2.0), a * 0.8, silence(1.0)]))
    runs = {}
    for n in (1, 2):
        monkeypatch.setattr(threads, "THREADS", n)
        doc = LocalEngine(speed_library).identify(IdentifyRequest(media_path=episode))
        runs[n] = doc.to_json()
    assert runs[1] == runs[2]
    assert sum(e["music_identified"] for e in json.loads(runs[2])["events"]) == 2


def test_ordered_map_keeps_the_order_and_stops_on_cancel() -> None:
    import threading
    import time

    from cuesheet_app.identify.base import Cancelled, CancelToken
    from cuesheet_app.identify.local.threads import ordered_map

    def slow_square(x: int) -> int:
        time.sleep(0.02 * (5 - x))  # later items finish first
        return x * x

    assert list(ordered_map(slow_square, range(5), threads=3)) == [0, 1, 4, 9, 16]
    token = CancelToken()
    started: list[int] = []
    lock = threading.Lock()

    def work(x: int) -> int:
        with lock:
            started.append(x)
        if x == 1:
            token.cancel()
        time.sleep(0.01)
        return x

    with pytest.raises(Cancelled):
        list(ordered_map(work, range(50), token, threads=2))
    assert len(started) < 50  # the jobs not yet started were dropped


def test_threads_follow_the_cores_this_process_may_use() -> None:
    """A process pinned to one core (a container's quota, ``taskset``) identifies on one thread,
    and the season batch's workers get their share of the cores."""
    import subprocess
    import sys

    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from cuesheet_app.identify.local import threads; print(threads.THREADS)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
    from cuesheet_app.identify.local import threads
    from cuesheet_app.services import season

    before = threads.THREADS
    try:
        season._share_cores(1)
        assert threads.THREADS == 1
    finally:
        threads.THREADS = before


def test_a_loose_search_only_proposes_what_the_refinement_confirms(tmp_path: Path) -> None:
    """With the search's criteria looser than the final ones (speed_pass.SEARCH_NOISE_FLOOR /
    SEARCH_MIN_WINDOW_HITS), a search match the full-density refinement does not find again is
    dropped; at the final criteria it is kept as found."""
    from cuesheet_app.identify.local import speed_pass
    from cuesheet_app.identify.local.matcher import MatchParams, TrackMatch
    from cuesheet_app.identify.local.pair_segments import PairIndex

    index = PairIndex.empty(tmp_path)  # finds nothing, so nothing is confirmed
    m = TrackMatch(track_id=1, offset_frames=0.0, start_frame=100, end_frame=400, hits=30, confidence=0.6,
                   ratio=1.04, pitch=1.04, source="pairs_ratio")
    rng = np.random.default_rng(0)
    f = np.sort(rng.uniform(0, 500, 2000))
    phases = [(f, rng.uniform(5, 400, f.size), rng.normal(size=f.size))]
    assert speed_pass._refined(index, phases, m, MatchParams(), 100.0) == [m]
    assert speed_pass._refined(index, phases, m, MatchParams(), 100.0, confirm=True) == []
