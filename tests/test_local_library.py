"""The reference library: incremental indexing, tags and sheets, bad files, removal, the index."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import mutagen.flac
import numpy as np
import pytest

from cuesheet_app.identify.base import Cancelled, CancelToken, Progress
from cuesheet_app.identify.local.library import Library
from tests.audio_fixtures import write_wav
from tests.local_media import synth_music, write_media


@pytest.fixture
def refs(tmp_path: Path) -> Path:
    folder = tmp_path / "refs"
    folder.mkdir()
    for i in range(3):
        write_wav(folder / f"track{i}.wav", synth_music(8.0, seed=i))
    flac = write_media(folder / "tagged.flac", synth_music(8.0, seed=7), codec="flac")
    tags = mutagen.flac.FLAC(flac)
    tags["title"], tags["artist"], tags["isrc"] = "Tagged Tune", "Ann Arbor", "GB-ABC-21-00007"
    tags["composer"], tags["label"] = "Ann Arbor", "Seaside Music"
    tags.save()
    return folder


def test_add_is_incremental(tmp_path: Path, refs: Path) -> None:
    lib = Library(tmp_path / "lib")
    seen: list[Progress] = []
    first = lib.add([refs], progress=seen.append, workers=1)
    assert len(first.added) == 4 and not first.failed
    assert seen[-1].phase == "Building index" and any(p.fraction == 1.0 for p in seen)
    again = lib.add([refs], workers=1)
    assert (len(again.added), len(again.updated), len(again.unchanged)) == (0, 0, 4)
    write_wav(refs / "track0.wav", synth_music(9.0, seed=10))
    os.utime(refs / "track0.wav", ns=(1, 2 * 10**18))
    (refs / "track2.wav").unlink()
    third = lib.add([refs], workers=1)
    assert [Path(p).name for p in third.updated] == ["track0.wav"]
    assert [Path(p).name for p in third.dropped] == ["track2.wav"]
    assert sorted(Path(t.path).name for t in lib.tracks()) == ["tagged.flac", "track0.wav", "track1.wav"]
    ids = {t.id for t in lib.tracks()}
    assert sorted(p.stem for p in (lib.folder / "fp").glob("*.npz")) == sorted(map(str, ids))


def test_tags_and_sheet_metadata(tmp_path: Path, refs: Path) -> None:
    sheet = tmp_path / "meta.csv"
    with open(sheet, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["File", "Title", "Library", "Catalogue Number", "Composers", "Publishers", "ISRC"])
        w.writerow(["track1.wav", "Calm Sea", "SML", "SML 012", "Jane Doe [ASCAP] [00012345678] 50%; "
                    "John Roe [BMI] 50%", "Sea Publishing [ASCAP] 100%", ""])
        w.writerow(["", "", "", "SML 077", "", "", "GBABC2100007"])  # matched by the tag's ISRC
        w.writerow(["nowhere.wav", "Nobody", "", "", "", "", ""])
        w.writerow(["bad.wav", "Bad", "", "", "Jane [??] 50%", "", "NOPE"])
    lib = Library(tmp_path / "lib")
    report = lib.add([refs], metadata=sheet, workers=1)
    by_name = {Path(t.path).name: t for t in lib.tracks()}
    calm = by_name["track1.wav"]
    assert calm.title == "Calm Sea" and calm.metadata["catalogue_number"] == "SML 012"
    assert calm.metadata["composers"].startswith("Jane Doe [ASCAP]") and calm.metadata_source == "sheet"
    tagged = by_name["tagged.flac"]
    assert tagged.metadata["title"] == "Tagged Tune" and tagged.metadata["artists"] == ["Ann Arbor"]
    assert tagged.metadata["isrc"] == "GBABC2100007" and tagged.metadata["catalogue_number"] == "SML 077"
    assert tagged.metadata["label"] == "Seaside Music" and tagged.metadata_source == "tags+sheet"
    assert by_name["track0.wav"].title == "track0"  # no tags, no row: the file name
    assert report.unmatched_rows == [4, 5]  # a row with a bad value still applies (here: no such file)
    assert any(line.startswith("meta.csv row 5, column isrc: 'NOPE'") for line in report.sheet_errors)
    # a new sheet updates metadata of unchanged files without re-indexing them
    with open(sheet, "w", newline="") as fh:
        csv.writer(fh).writerows([["file", "title"], ["track1.wav", "Calmer Sea"]])
    again = lib.add([refs], metadata=sheet, workers=1)
    assert len(again.unchanged) == 4
    assert {Path(t.path).name: t.title for t in lib.tracks()}["track1.wav"] == "Calmer Sea"


def test_bad_files_are_reported_by_name_and_the_rest_indexed(tmp_path: Path, refs: Path) -> None:
    (refs / "empty.wav").write_bytes(b"")
    (refs / "junk.mp3").write_bytes(b"\x00garbage" * 500)
    write_wav(refs / "silent.wav", np.zeros(22050 * 3))
    lib = Library(tmp_path / "lib")
    report = lib.add([refs, tmp_path / "missing.wav"], workers=1)
    failed = dict(report.failed)
    assert any("empty.wav" in e and "empty" in e for e in failed.values())
    assert any("junk.mp3" in e for e in failed.values())
    assert any("missing.wav" in p for p in failed)
    assert len(report.added) == 5  # the silent file indexes (with no landmarks): it is valid audio
    assert {Path(t.path).name: t.hashes for t in lib.tracks()}["silent.wav"] == 0


def test_parallel_indexing_matches_serial(tmp_path: Path, refs: Path) -> None:
    serial, parallel = Library(tmp_path / "a"), Library(tmp_path / "b")
    serial.add([refs], workers=1)
    parallel.add([refs], workers=2)
    assert [(Path(t.path).name, t.hashes) for t in serial.tracks()] == \
        [(Path(t.path).name, t.hashes) for t in parallel.tracks()]


def test_remove_stats_and_stale_index_rebuild(tmp_path: Path, refs: Path) -> None:
    lib = Library(tmp_path / "lib")
    lib.add([refs], workers=1)
    before = lib.stats()
    assert before.tracks == 4 and before.postings > 1000 and before.index_bytes > 0
    removed = lib.remove([refs / "track0.wav"])
    assert [Path(r.path).name for r in removed] == ["track0.wav"]
    assert lib.stats().tracks == 3 and lib.load_index().size < before.postings
    shutil.rmtree(lib.folder / "index")
    assert lib.load_index().size == lib.stats().postings  # rebuilt from the per-track files
    assert len(lib.remove([refs])) == 3 and lib.stats().tracks == 0


def test_cancel_keeps_what_was_indexed(tmp_path: Path, refs: Path) -> None:
    token = CancelToken()
    lib = Library(tmp_path / "lib")

    def stop_after_first(p: Progress) -> None:
        if p.phase == "Indexing" and p.fraction and p.fraction > 0:
            token.cancel()

    with pytest.raises(Cancelled):
        lib.add([refs], progress=stop_after_first, cancel=token, workers=1)
    assert len(lib.tracks()) == 1
    assert lib.load_index().size == lib.tracks()[0].hashes
