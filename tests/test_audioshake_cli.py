"""``cuesheet identify --engine audioshake`` end to end, in a subprocess, against the fake server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.audioshake_helpers import KEY, files_containing, make_episode
from tests.cli_helpers import run_cli
from tests.fake_audioshake import FakeAudioShake


def env_for(fake: FakeAudioShake, key: str = KEY) -> dict[str, str]:
    return {"AUDIOSHAKE_BASE_URL": fake.url, "AUDIOSHAKE_API_KEY": key}


def write_settings(home: Path, **values: object) -> None:
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"settings_version": 1, **values}), encoding="utf-8")


def assert_no_key(result, *roots: Path) -> None:
    assert KEY not in result.stdout and KEY not in result.stderr
    for root in roots:
        assert files_containing(root, KEY) == []


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug-logging"])
def test_identify_end_to_end(debug: bool, tmp_path: Path, app_home: Path) -> None:
    episode = make_episode(tmp_path)
    project, events = tmp_path / "ep.cuesheet", tmp_path / "ep.events.json"
    with FakeAudioShake(KEY, polls_until_done=0) as fake:
        result = run_cli(*(["--debug"] if debug else []), "identify", str(episode), "--engine", "audioshake", "--yes",
                         "-o", str(project), "--events", str(events), "--json", env=env_for(fake), timeout=120)
        assert result.returncode == 0, result.stderr
        # The first GET /models prices the batch before anything goes up; the second checks access.
        assert [r.route for r in fake.received] == [
            "GET /models", "GET /models", "POST /assets", "POST /tasks", "GET /files"]
        assert all(r.headers.get("x-api-key") == KEY for r in fake.received[:4])
        assert fake.calls("POST /assets")[0].parts[0]["name"] == "file"
        assert fake.calls("POST /tasks")[0].json["targets"][0]["model"] == "music_identification"
    summary = json.loads(result.stdout)["results"][0]
    assert json.loads(result.stdout)["estimated_cost"]["credits_per_minute"] == 1.5
    assert summary["events"] == 2 and summary["identified"] == 1
    sheet = json.loads(project.read_text(encoding="utf-8"))
    assert any(c.get("title") == "Schön Rosmarin" for c in sheet["cues"])
    assert sheet["engine_state"]["audioshake"]["task_id"] == "task-2"
    assert json.loads(events.read_text(encoding="utf-8"))["events"][1]["isrc"] == "DEF059503430"
    if debug:  # urllib3 and our own debug lines were really there, and still no key
        assert "POST /assets HTTP/1.1" in result.stderr and "AudioShake POST /tasks -> 200" in result.stderr
    assert_no_key(result, app_home, tmp_path)


def test_resume_after_a_timeout_polls_the_same_task(tmp_path: Path, app_home: Path) -> None:
    episode = make_episode(tmp_path)
    project = tmp_path / "ep.cuesheet"
    with FakeAudioShake(KEY, polls_until_done=10**9) as fake:
        write_settings(app_home, audioshake_timeout_s=0)
        first = run_cli("identify", str(episode), "--engine", "audioshake", "--yes", "-o", str(project),
                        env=env_for(fake), timeout=120)
        assert first.returncode == 2
        assert "still processing" in first.stderr and "identify again later" in first.stderr
        assert len(first.stderr.strip().splitlines()) <= 4  # the cost line and a readable line, not a traceback
        stored = json.loads(project.read_text(encoding="utf-8"))["engine_state"]["audioshake"]
        assert stored["task_id"] == "task-2" and stored["asset_id"] == "asset-1"

        fake.polls_until_done = 0
        write_settings(app_home, audioshake_timeout_s=60)
        second = run_cli("identify", str(episode), "--engine", "audioshake", "--yes", "-o", str(project),
                         env=env_for(fake), timeout=120)
        assert second.returncode == 0, second.stderr
        assert fake.count("POST /assets") == 1 and fake.count("POST /tasks") == 1  # paid once
    sheet = json.loads(project.read_text(encoding="utf-8"))
    assert any(c.get("title") == "Schön Rosmarin" for c in sheet["cues"])
    assert_no_key(first, app_home, tmp_path)
    assert_no_key(second)


@pytest.mark.parametrize("key, expected", [
    ("ask_wrong_0000111122223333", "wrong or has been revoked"),
    ("", "No AudioShake API key"),
])
def test_key_problems_are_one_line(key: str, expected: str, tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    with FakeAudioShake(KEY) as fake:
        result = run_cli("identify", str(episode), "--engine", "audioshake", "--yes", env=env_for(fake, key), timeout=120)
        assert fake.count("POST /assets") == 0
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert not key or key not in result.stderr + result.stdout


def test_plain_http_to_a_remote_host_is_refused(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    result = run_cli("identify", str(episode), "--engine", "audioshake", "--yes",
                     env={"AUDIOSHAKE_BASE_URL": "http://api.example.com", "AUDIOSHAKE_API_KEY": KEY},
                     timeout=120)
    assert result.returncode == 2 and "must use https://" in result.stderr
