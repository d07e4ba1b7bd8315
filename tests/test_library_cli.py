"""``cuesheet library ...`` and ``cuesheet identify --library`` as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from cuesheet_app.storage import project_file
from tests.audio_fixtures import silence, write_wav
from tests.cli_helpers import run_cli
from tests.local_media import synth_music

RATE = 22050


def test_library_add_list_stats_remove_then_identify(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    for i in range(3):
        write_wav(refs / f"cue{i}.wav", synth_music(16.0, seed=20 + i))
    sheet = tmp_path / "meta.csv"
    with open(sheet, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["File", "Title", "Composers", "Catalogue Number"])
        w.writerow(["cue1.wav", "Harbour Lights", "Jane Doe [PRS] 100%", "HL 001"])
        w.writerow(["cue9.wav", "Missing", "", ""])
    lib = tmp_path / "lib"
    added = run_cli("library", "add", str(refs), "--library", str(lib), "--metadata", str(sheet), "--json")
    assert added.returncode == 0, added.stderr
    report = json.loads(added.stdout)
    assert len(report["added"]) == 3 and report["unmatched_rows"] == [3]
    again = run_cli("library", "add", str(refs), "--library", str(lib))
    assert again.returncode == 0 and "0 added" in again.stdout and "3 unchanged" in again.stdout
    listed = json.loads(run_cli("library", "list", "--library", str(lib), "--json").stdout)
    assert {t["title"] for t in listed["tracks"] if "title" in t} == {"Harbour Lights"}
    stats = run_cli("library", "stats", "--library", str(lib))
    assert stats.returncode == 0 and "3 track(s)" in stats.stdout
    assert "too common" not in stats.stdout  # nothing held back in a small library
    as_json = json.loads(run_cli("library", "stats", "--library", str(lib), "--json").stdout)
    assert as_json["held_hashes"] == 0 and as_json["posting_cap"] >= 200

    episode = np.concatenate([silence(2.0), synth_music(16.0, seed=21)[3 * RATE:13 * RATE], silence(2.0)])
    ep = write_wav(tmp_path / "ep1.wav", episode)
    out = tmp_path / "ep1.cuesheet"
    events = tmp_path / "ep1.events.json"
    ident = run_cli("identify", str(ep), "--library", str(lib), "-o", str(out), "--events", str(events))
    assert ident.returncode == 0, ident.stderr
    sheet_obj = project_file.load(out)
    cue = next(c for c in sheet_obj.cues if c.identified)
    assert cue.title == "Harbour Lights" and cue.catalogue_number == "HL 001"
    assert [p.display_name for p in cue.parties] == ["Jane Doe"]
    doc = json.loads(events.read_text())
    assert doc["engine"] == "local" and doc["events"][0]["music_identified"] is True

    removed = run_cli("library", "remove", str(refs / "cue1.wav"), "--library", str(lib))
    assert removed.returncode == 0 and "removed 1" in removed.stdout
    missing = run_cli("library", "remove", str(refs / "nope.wav"), "--library", str(lib))
    assert missing.returncode == 2 and "no indexed track" in missing.stderr


def test_library_errors_are_one_line(tmp_path: Path) -> None:
    bad_sheet = run_cli("library", "add", str(tmp_path), "--library", str(tmp_path / "lib"),
                        "--metadata", str(tmp_path / "nope.xlsx"))
    assert bad_sheet.returncode == 2
    assert "nope.xlsx: metadata sheet not found" in bad_sheet.stderr
    assert "Traceback" not in bad_sheet.stderr
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    stats = run_cli("library", "stats", "--library", str(not_a_dir))
    assert stats.returncode == 2 and "is a file, not a library folder" in stats.stderr


def test_two_programs_adding_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two `library add` runs at the same time (say the GUI and a script) both land."""
    import os
    import subprocess
    import sys

    from tests.cli_helpers import ROOT

    lib = tmp_path / "lib"
    folders = []
    for name, seed in (("a", 11), ("b", 22)):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(3):
            write_wav(folder / f"{name}{i}.wav", synth_music(6.0, seed=seed + i), 22050)
        folders.append(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "cuesheet_app", "library", "add", str(f),
                               "--library", str(lib), "--quiet"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in folders]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    listed = json.loads(run_cli("library", "list", "--library", str(lib), "--json").stdout)
    names = sorted(Path(t["path"]).name for t in listed["tracks"])
    assert names == ["a0.wav", "a1.wav", "a2.wav", "b0.wav", "b1.wav", "b2.wav"]


def test_a_busy_library_says_so(tmp_path: Path, monkeypatch) -> None:
    from filelock import FileLock

    from cuesheet_app.identify.local import library as library_module
    from cuesheet_app.identify.local.library import Library

    lib = tmp_path / "lib"
    lib.mkdir()
    monkeypatch.setattr(library_module, "LOCK_TIMEOUT_S", 0.2)
    track = write_wav(tmp_path / "t.wav", synth_music(4.0, seed=5), 22050)
    with FileLock(lib / ".lock"):  # another program is indexing
        import threading

        errors: list[str] = []
        worker = threading.Thread(target=lambda: _try_add(Library(lib), track, errors))
        worker.start()
        worker.join(10)
    assert errors and "another program is updating this library" in errors[0]
    assert Library(lib).tracks() == []


def _try_add(library, track: Path, errors: list[str]) -> None:
    from cuesheet_app.identify.local.library import LibraryError

    try:
        library.add([track], workers=1)
    except LibraryError as exc:
        errors.append(str(exc))


def test_library_sheet_with_one_bad_isrc_and_one_bad_share_still_applies_the_rows(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    for i in range(2):
        write_wav(refs / f"cue{i}.wav", synth_music(6.0, seed=40 + i))
    sheet = tmp_path / "sheet.csv"
    with open(sheet, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["File", "Title", "ISRC", "Composers", "Publishers"])
        w.writerow(["cue0.wav", "Harbour Lights", "QZ-EV1-2O-00002", "Jane Doe [PRS] 100%", "Sea Songs [PRS] 100%"])
        w.writerow(["cue1.wav", "Low Tide", "qz ev1 20 00003", "Jane Doe [PRS] 120%", "Sea Songs [PRS] 100%"])
    lib = tmp_path / "lib"
    r = run_cli("library", "add", str(refs), "--library", str(lib), "--metadata", str(sheet))
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("sheet.csv row 2, column isrc: 'QZ-EV1-2O-00002' is not a valid ISRC") == 1
    assert r.stderr.count("sheet.csv row 3, column composers: 'Jane Doe [PRS] 120%': a share of 120% "
                          "is over 100%") == 1
    assert "1 value(s) normalised, e.g. sheet.csv row 3, column isrc: 'qz ev1 20 00003' normalised to " \
           "QZEV12000003" in r.stderr
    assert "2 added" in r.stdout and "2 sheet row(s) applied with problems" in r.stdout
    tracks = {t["title"]: t for t in json.loads(run_cli("library", "list", "--library", str(lib),
                                                        "--json").stdout)["tracks"]}
    assert set(tracks) == {"Harbour Lights", "Low Tide"}
    assert "isrc" not in tracks["Harbour Lights"] and tracks["Harbour Lights"]["composers"] == "Jane Doe [PRS] 100%"
    assert tracks["Low Tide"]["isrc"] == "QZEV12000003" and tracks["Low Tide"]["publishers"] == "Sea Songs [PRS] 100%"
    assert tracks["Low Tide"]["composers"] == "Jane Doe [PRS]"  # the name stays; the impossible share goes
