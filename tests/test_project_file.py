from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from cuesheet_app.domain.model import Cue, CueSheet, Party
from cuesheet_app.storage import project_file
from cuesheet_app.storage.atomic import WriteError, atomic_open, atomic_write_bytes


def sample() -> CueSheet:
    s = CueSheet()
    s.header.program_title = "Łódź Nights"
    s.header.frame_rate = "29.97DF"
    s.cues.append(Cue(title="Schön Rosmarin", start=10, end=900, parties=[
        Party(role="C", first_name="Fritz", last_name="Kreisler", share=Fraction(100, 3))]))
    return s


def test_round_trip_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "a.cuesheet"
    project_file.save(sample(), path)
    loaded = project_file.load(path)
    assert loaded.to_dict() == sample().to_dict() | {"cues": loaded.to_dict()["cues"]}
    assert loaded.cues[0].parties[0].share == Fraction(100, 3)
    assert json.loads(path.read_text())["schema_version"] == project_file.SCHEMA_VERSION


def test_save_keeps_backup(tmp_path: Path) -> None:
    path = tmp_path / "a.cuesheet"
    project_file.save(sample(), path)
    s = sample()
    s.header.program_title = "Second"
    project_file.save(s, path)
    assert project_file.load(path.with_name("a.cuesheet~")).header.program_title == "Łódź Nights"
    assert project_file.load(path).header.program_title == "Second"


def test_truncated_file_is_named_and_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "a.cuesheet"
    project_file.save(sample(), path)
    data = path.read_bytes()[:-40]
    path.write_bytes(data)
    with pytest.raises(project_file.ProjectError, match=r"line \d+, column \d+.*truncated"):
        project_file.load(path)
    assert path.read_bytes() == data


def test_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.cuesheet"
    path.write_text(json.dumps({"schema_version": 99, "cues": []}))
    with pytest.raises(project_file.ProjectError, match="newer version"):
        project_file.load(path)


def test_v1_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.cuesheet"
    path.write_text(json.dumps({"schema_version": 1, "header": {"frame_rate": "25"},
                                "cues": [{"title": "x", "start_s": "1.5", "end_s": "4"}]}))
    cue = project_file.load(path).cues[0]
    assert (cue.start, cue.end) == (38, 100)


@pytest.mark.parametrize("content", [b"", b"[1, 2]", b"\xff\xfe garbage"])
def test_garbage_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.cuesheet"
    path.write_bytes(content)
    with pytest.raises(project_file.ProjectError):
        project_file.load(path)


def test_failed_write_leaves_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "a.cuesheet"
    path.write_bytes(b"good")
    with pytest.raises(RuntimeError, match="disk full"), atomic_open(path) as fh:
        fh.write(b"half")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["a.cuesheet"]


def test_unwritable_folder_gives_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="Cannot write"):
        atomic_write_bytes(tmp_path / "missing" / "x.cuesheet", b"x")


def test_schema_2_file_loads_as_a_draft_without_previous_version(tmp_path: Path) -> None:
    """v3 added the sheet's status and the previous version; a v2 file still opens."""
    path = tmp_path / "old.cuesheet"
    path.write_text(json.dumps({"schema_version": 2, "header": {"frame_rate": "25", "program_title": "P"},
                                "cues": [{"id": "a1", "title": "T", "start": 25, "end": 50}]}))
    sheet = project_file.load(path)
    assert sheet.header.status == "draft" and sheet.header.status_date == "" and sheet.previous is None
    assert sheet.cues[0].end == 50
    sheet.header.status = "submitted"
    sheet.previous = sheet.snapshot_for_revision()
    project_file.save(sheet, path)
    again = project_file.load(path)
    assert again.header.status == "submitted" and again.previous.cues[0].id == "a1"
