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
