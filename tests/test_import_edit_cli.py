"""``cuesheet import-edit``: a project from the edit alone, and no project at all from bad input."""

from __future__ import annotations

import json
from pathlib import Path

from cuesheet_app.storage import project_file
from tests.cli_helpers import run_cli
from tests.editlist_fixtures import EDL_NDF, PROTOOLS_TEXT, write_otio
from tests.local_media import write_media


def _edl(tmp_path: Path, text: str = EDL_NDF, name: str = "ep101.edl") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _episode(tmp_path: Path, seconds: float) -> Path:
    import numpy as np

    return write_media(tmp_path / "ep101.mov", np.zeros(int(22050 * seconds)), video=True)


def test_import_edit_with_media_makes_a_frame_exact_project(tmp_path: Path) -> None:
    out = tmp_path / "ep101.cuesheet"
    media = _episode(tmp_path, 40)
    r = run_cli("import-edit", str(_edl(tmp_path)), "--media", str(media), "-o", str(out), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["format"] == "CMX 3600 EDL" and report["cues"] == 3
    assert any(c["clip"].startswith("SFX") and not c["music"] for c in report["clips"])
    sheet = project_file.load(out)
    assert sheet.header.frame_rate == "25"
    assert sheet.header.program_start == "01:00:00:00"  # the file has no timecode: the sequence start
    assert [(c.cue_number, c.title, c.start, c.end) for c in sheet.cues] == [
        ("1M01", "Dawn", 100, 462), ("1M02", "Rise", 462, 750), ("1M03", "Song of the Sea", 775, 900)]
    dawn = sheet.cues[0]
    assert (dawn.library, dawn.catalogue_number, dawn.track_number, dawn.origin) == ("APM", "ABC123", "01", "library")
    assert all("rights-needed" in c.flags for c in sheet.cues)  # nobody knows their rights yet
    assert sheet.timecode_at(dawn.start) == "01:00:04:00"
    v = run_cli("validate", str(out), "--json")
    assert "rights-needed" in v.stdout


def test_import_edit_without_media_and_fps(tmp_path: Path) -> None:
    out = tmp_path / "pt.cuesheet"
    session = tmp_path / "session.txt"
    session.write_text(PROTOOLS_TEXT, encoding="utf-8")
    r = run_cli("import-edit", str(session), "-o", str(out))
    assert r.returncode == 0, r.stderr
    sheet = project_file.load(out)
    assert sheet.header.program_start == "00:59:50:00"
    assert [(c.title, c.start, c.end) for c in sheet.cues] == [("Dawn", 350, 850), ("Song", 1250, 1500)]
    assert sheet.header.program_duration == 1500
    # --fps 50: the same seconds at another rate.
    r = run_cli("import-edit", str(session), "--fps", "50", "-o", str(out), "--force")
    assert r.returncode == 0, r.stderr
    sheet = project_file.load(out)
    assert sheet.header.frame_rate == "50"
    assert [(c.start, c.end) for c in sheet.cues] == [(700, 1700), (2500, 3000)]
    assert "converted" in r.stderr


def test_import_edit_otio_music_only_switch(tmp_path: Path) -> None:
    cut = write_otio(tmp_path / "cut.otio")
    out = tmp_path / "p.cuesheet"
    r = run_cli("import-edit", str(cut), "-o", str(out), "--music-only", "--json")
    assert r.returncode == 0, r.stderr
    titles = [c.title for c in project_file.load(out).cues]
    assert titles == ["Dawn", "Song"]  # DX and FX tracks stay excluded even in a music-only edit


def test_bad_input_writes_no_project(tmp_path: Path) -> None:
    out = tmp_path / "never.cuesheet"
    bad = EDL_NDF.replace("00:00:20:00 00:00:24:00 01:00:14:00 01:00:18:00", "00:00:20:00 00:00:24:00 01:00:14:00")
    cases = [
        (_edl(tmp_path, bad, "bad.edl"), [], "line 10: event 003 is truncated or malformed"),
        (_edl(tmp_path, "<?xml version='1.0'?><project/>", "x.xml"), [], "not Final Cut Pro XML"),
        (_edl(tmp_path, "hello\nworld\n", "notes.txt"), [], "not an edit list"),
        (_edl(tmp_path), ["--media", str(_episode(tmp_path, 20))], "outside the media"),
        (_edl(tmp_path), ["--fps", "17"], "Unknown frame rate"),
    ]
    for path, extra, message in cases:
        r = run_cli("import-edit", str(path), *extra, "-o", str(out))
        assert r.returncode == 2, (message, r.stdout, r.stderr)
        assert message in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
        assert not out.exists()


def test_library_clips_are_titled_from_the_library_with_rights(tmp_path: Path) -> None:
    """A clip whose file is in the reference library takes the library's title and rights;
    music the library does not know keeps its clip name and is flagged for rights."""
    import csv

    from cuesheet_app.identify.local.library import Library
    from tests.audio_fixtures import write_wav
    from tests.local_media import synth_music

    refs = tmp_path / "refs"
    refs.mkdir()
    write_wav(refs / "KPM_1043_01.wav", synth_music(6.0, seed=5))
    sheet = tmp_path / "meta.csv"
    with sheet.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "title", "library", "catalogue_number", "track_number", "composers", "publishers"])
        w.writerow(["KPM_1043_01.wav", "Morning Run", "KPM", "KPM 1043", "1",
                    "Jane Doe [ASCAP] 100%", "Acme Music [ASCAP] 100%"])
    Library(tmp_path / "lib").add([refs], metadata=sheet, workers=1)
    edl = _edl(tmp_path, """TITLE: LIB
FCM: NON-DROP FRAME
001  AX  A  C  00:00:00:00 00:00:04:00 01:00:00:00 01:00:04:00
* FROM CLIP NAME: KPM_1043_01.wav
* SOURCE FILE: D:\\\\Music\\\\KPM\\\\KPM_1043_01.wav
002  AX  A  C  00:00:00:00 00:00:03:00 01:00:05:00 01:00:08:00
* FROM CLIP NAME: MX_Composer_Demo_v3.wav
""", "lib.edl")
    out = tmp_path / "lib.cuesheet"
    r = run_cli("import-edit", str(edl), "--library", str(tmp_path / "lib"), "-o", str(out), "--json")
    assert r.returncode == 0, r.stderr
    clips = {c["clip"]: c["rule"] for c in json.loads(r.stdout)["clips"]}
    assert clips["KPM_1043_01.wav"] == "source found: library file KPM_1043_01"
    cues = project_file.load(out).cues
    lib, other = cues
    assert (lib.title, lib.library, lib.catalogue_number, lib.origin) == ("Morning Run", "KPM", "KPM 1043", "library")
    assert [p.display_name for p in lib.parties] == ["Jane Doe", "Acme Music"] and lib.flags == []
    assert other.title == "Composer Demo v3" and other.flags == ["rights-needed"]
