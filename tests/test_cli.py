from __future__ import annotations

import json
from pathlib import Path

import pytest

from cuesheet_app.storage import project_file
from tests.audio_fixtures import silence, write_wav
from tests.cli_helpers import run_cli
from tests.test_events import EXAMPLE


@pytest.fixture
def episode(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "episode.wav", silence(30, 8000), 8000)


def test_help_for_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0 and "import-events" in result.stdout
    for cmd in ("gui", "identify", "library", "export", "validate", "import-events", "catalogue"):
        r = run_cli(cmd, "--help")
        assert r.returncode == 0, (cmd, r.stderr)
        assert "usage: cuesheet " + cmd in r.stdout


def test_import_events_then_validate(tmp_path: Path, episode: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    project = tmp_path / "ep.cuesheet"
    r = run_cli("import-events", str(events), "--media", str(episode), "-o", str(project))
    assert r.returncode == 0, r.stderr
    sheet = project_file.load(project)
    assert [c.title for c in sheet.cues] == ["Unidentified music 1", "Schön Rosmarin"]
    assert sheet.header.program_duration == 30 * 25
    assert sheet.media[0].fingerprint
    r = run_cli("validate", str(project))
    assert r.returncode == 1  # no writers yet, production company missing
    assert "no composer" in r.stdout and "error(s)" in r.stdout
    r = run_cli("--json", "validate", str(project))
    data = json.loads(r.stdout)
    assert data["errors"] >= 2 and all("severity" in f for f in data["findings"])


def test_import_events_refuses_malformed_json_and_keeps_existing(tmp_path: Path, episode: Path) -> None:
    events = tmp_path / "bad.json"
    events.write_text('{"events": [{"start_time_s": 1}]}', encoding="utf-8")
    project = tmp_path / "ep.cuesheet"
    project.write_text("keep me")
    r = run_cli("import-events", str(events), "--media", str(episode), "-o", str(project), "--force")
    assert r.returncode == 2
    assert r.stderr.strip() == (f"cuesheet: error: {events}: event 0, field 'end_time_s': missing")
    assert project.read_text() == "keep me"


def test_validate_truncated_and_newer_projects(tmp_path: Path) -> None:
    trunc = tmp_path / "t.cuesheet"
    trunc.write_text('{"schema_version": 2, "cues": [')
    r = run_cli("validate", str(trunc))
    assert r.returncode == 2 and "truncated" in r.stderr and "Traceback" not in r.stderr
    newer = tmp_path / "n.cuesheet"
    newer.write_text('{"schema_version": 7}')
    r = run_cli("validate", str(newer))
    assert r.returncode == 2 and "newer version" in r.stderr


def test_missing_media_is_one_line(tmp_path: Path) -> None:
    events = tmp_path / "e.json"
    events.write_text(json.dumps(EXAMPLE))
    r = run_cli("import-events", str(events), "--media", str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "x.cuesheet"))
    assert r.returncode == 2 and "file not found" in r.stderr and len(r.stderr.strip().splitlines()) == 1
