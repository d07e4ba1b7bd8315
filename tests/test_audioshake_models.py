"""AudioShake's documented ``GET /models``: finding the model by ``id``, and what its entry
decides before an upload (access, input formats, duration limit, the cost estimate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cuesheet_app.identify.audioshake.check import check_connection
from cuesheet_app.identify.audioshake.client import AudioShakeClient
from cuesheet_app.identify.audioshake.errors import CostDeclined, NoAccessError, OverLimitError
from cuesheet_app.identify.audioshake.models import ModelInfo, find_model
from cuesheet_app.identify.base import IdentifyRequest
from tests.audio_fixtures import chord_music, write_wav
from tests.audioshake_helpers import KEY, fast_engine, make_episode
from tests.cli_helpers import run_cli
from tests.fake_audioshake import FakeAudioShake


def test_the_documented_model_list_is_read_by_id_not_by_name() -> None:
    with FakeAudioShake(KEY) as fake, AudioShakeClient(fake.url, KEY) as client:
        answer = fake.models_answer()
        entry = next(m for m in answer["models"] if m["id"] == "music_identification")
        assert entry["name"] == "Music Identification"  # a label: never what we look up
        assert set(entry) == {"id", "name", "category", "description", "access", "creditsPerMinute",
                              "inputs", "outputFormats"}
        info = client.model_info("music_identification")
    assert info is not None and info.enabled and info.name == "Music Identification"
    assert info.category == "copyrightCompliance" and info.credits_per_minute == 1.5
    assert info.input_formats == {"wav", "aiff", "flac", "mp3", "aac", "m4a", "mp4", "mov"}
    assert info.task_fields == {"url", "assetId"} and info.output_formats == ("json",)
    assert info.limits == {} and info.max_input_seconds is None
    # The documentation's own example entry, field for field.
    bass = ModelInfo.from_json({
        "id": "bass", "name": "Bass", "category": "instrumentStemSeparation",
        "description": "Low-end bass sources (electric bass, double bass, bass synth).",
        "access": "enabled", "creditsPerMinute": 1,
        "inputs": [{"id": "media", "description": "Source audio or video file", "required": True,
                    "taskFields": ["url", "assetId"],
                    "formats": {"audio": ["wav", "aiff", "flac", "mp3", "aac", "m4a"], "video": ["mp4", "mov"]}}],
        "outputFormats": ["aiff", "wav", "flac", "mp3", "mp4"],
        "limits": {"maxInputDurationSeconds": 600}, "supportedLanguages": ["en"]})
    assert bass is not None and bass.max_input_seconds == 600 and bass.supported_languages == ("en",)
    # A name that happens to equal another model's id does not stand in for it.
    assert find_model([{"id": "x", "name": "music_identification"}], "music_identification") is None


def test_identify_runs_against_the_documented_list(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    with FakeAudioShake(KEY, polls_until_done=0) as fake:
        doc = fast_engine(fake.url).identify(IdentifyRequest(episode, state={}))
        assert fake.count("POST /assets") == 1 and fake.count("POST /tasks") == 1
    assert len(doc.events) == 2


def test_a_gated_model_without_pricing_is_refused_before_upload(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)
    with FakeAudioShake(KEY, access="request_access") as fake:
        entry = next(m for m in fake.models_answer()["models"] if m["id"] == "music_identification")
        assert "creditsPerMinute" not in entry  # gated models omit pricing, as documented
        engine = fast_engine(fake.url)
        with pytest.raises(NoAccessError, match="access is 'request_access'.*Nothing was uploaded"):
            engine.identify(IdentifyRequest(episode, state={}))
        with pytest.raises(NoAccessError):
            engine.estimate([episode])
        assert "request access" in check_connection(fake.url, KEY)
        assert fake.count("POST /assets") == 0 and fake.count("POST /tasks") == 0


def test_a_programme_over_the_models_duration_limit_is_refused_before_upload(tmp_path: Path) -> None:
    long_one = make_episode(tmp_path, "long.wav", seconds=4.0)
    with FakeAudioShake(KEY, limits={"maxInputDurationSeconds": 3}) as fake:
        engine = fast_engine(fake.url)
        with pytest.raises(OverLimitError, match=r"long.wav is 0:04 long.*at most 0:03 "
                                                 r"\(maxInputDurationSeconds 3\)\. Nothing was uploaded"):
            engine.identify(IdentifyRequest(long_one, state={}))
        with pytest.raises(OverLimitError, match="long.wav"):
            engine.estimate([long_one])
        assert fake.count("POST /assets") == 0 and fake.count("POST /tasks") == 0
        short = make_episode(tmp_path, "short.wav", seconds=2.0)
        engine.identify(IdentifyRequest(short, state={}))
        assert fake.count("POST /tasks") == 1


def test_the_models_input_formats_decide_what_is_converted(tmp_path: Path) -> None:
    episode = make_episode(tmp_path)  # a WAV file
    with FakeAudioShake(KEY, polls_until_done=0) as fake:
        fast_engine(fake.url).identify(IdentifyRequest(episode, state={}))
        assert fake.calls("POST /assets")[0].parts[0]["filename"] == "episode.wav"  # sent as it is
    with FakeAudioShake(KEY, polls_until_done=0, input_formats={"audio": ["flac", "mp3"]}) as fake:
        fast_engine(fake.url).identify(IdentifyRequest(episode, state={}, force=True))
        assert fake.calls("POST /assets")[0].parts[0]["filename"] == "episode.flac"  # WAV not listed
    with FakeAudioShake(KEY, polls_until_done=0, input_formats={"audio": ["wav"]}) as fake:
        other = make_episode(tmp_path, "episode.aiff")  # a WAV body behind an .aiff name
        fast_engine(fake.url).identify(IdentifyRequest(other, state={}, force=True))
        assert fake.calls("POST /assets")[0].parts[0]["filename"] == "episode.wav"


def test_cost_estimate_and_the_question_before_upload(tmp_path: Path) -> None:
    a, b = make_episode(tmp_path, "a.wav", 3.0), make_episode(tmp_path, "b.wav", 6.0)
    with FakeAudioShake(KEY, polls_until_done=0, credits_per_minute=2) as fake:
        engine = fast_engine(fake.url)
        estimate = engine.estimate([a, b])
        assert estimate.minutes == pytest.approx(9 / 60) and estimate.credits == pytest.approx(0.3)
        assert estimate.describe() == ("Estimated cost: 0.3 credits for 2 file(s), 0:09 of audio "
                                       "at 2 credit(s) per minute (music_identification).")
        engine.confirm_cost = lambda est: False
        with pytest.raises(CostDeclined, match="Nothing was uploaded"):
            engine.identify(IdentifyRequest(a, state={}))
        assert fake.count("POST /assets") == 0
        asked = []
        engine.confirm_cost = lambda est: asked.append(est.credits) or True
        engine.identify(IdentifyRequest(a, state={}))
        assert asked == [pytest.approx(0.1)] and fake.count("POST /tasks") == 1
        # A file with a result already costs nothing and is not counted.
        again = engine.estimate([a, b])
        assert [f.path for f in again.files] == [b] and again.cached == (a,)


def test_the_cli_prints_the_cost_and_asks_once(tmp_path: Path) -> None:
    a = make_episode(tmp_path, "a.wav", 3.0)
    b = write_wav(tmp_path / "b.wav", chord_music(3.0, seed=11))  # other content: not a cached result
    with FakeAudioShake(KEY, polls_until_done=0, credits_per_minute=4) as fake:
        env = {"AUDIOSHAKE_BASE_URL": fake.url, "AUDIOSHAKE_API_KEY": KEY}
        out = tmp_path / "out"
        declined = run_cli("identify", str(a), str(b), "--engine", "audioshake", "-o", str(out),
                           env=env, input="n\n", timeout=120)
        assert declined.returncode == 2
        assert declined.stderr.count("Estimated cost: 0.4 credits for 2 file(s), 0:06 of audio at 4 "
                                     "credit(s) per minute") == 1
        assert "Upload and identify? [y/N]" in declined.stderr and "Not uploaded" in declined.stderr
        assert fake.count("POST /assets") == 0
        accepted = run_cli("identify", str(a), str(b), "--engine", "audioshake", "-o", str(out), "--json",
                           env=env, input="y\n", timeout=120)
        assert accepted.returncode == 0, accepted.stderr
        assert accepted.stderr.count("Upload and identify?") == 1  # once for the batch
        assert fake.count("POST /tasks") == 2
        assert json.loads(accepted.stdout)["estimated_cost"]["credits"] == pytest.approx(0.4)
        c = write_wav(tmp_path / "c.wav", chord_music(2.0, seed=12))
        scripted = run_cli("identify", str(c), "--engine", "audioshake", "--yes", env=env, timeout=120)
        assert scripted.returncode == 0 and "Upload and identify?" not in scripted.stderr
        assert "Estimated cost:" in scripted.stderr
