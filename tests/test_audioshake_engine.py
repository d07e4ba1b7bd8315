"""The AudioShake engine against the fake server: the contract on the wire, faults, resume, cache."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest

from cuesheet_app.identify.audioshake.errors import (
    ApiError,
    AudioShakeError,
    AuthError,
    ConfigurationError,
    NoAccessError,
    TaskFailed,
    TaskTimeout,
    UnreachableError,
)
from cuesheet_app.identify.base import Cancelled, CancelToken, IdentifyRequest, Progress
from cuesheet_app.media.identity import content_hash
from tests.audioshake_helpers import (
    KEY,
    RecordingRetry,
    fast_engine,
    files_containing,
    make_episode,
)
from tests.fake_audioshake import DEFAULT_EVENTS, FakeAudioShake, Fault

API_ROUTES = ("GET /models", "POST /assets", "POST /tasks", "GET /tasks")


@pytest.fixture
def fake():
    with FakeAudioShake(KEY, polls_until_done=2) as server:
        yield server


@pytest.fixture
def episode(tmp_path: Path) -> Path:
    return make_episode(tmp_path)


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture):
    """Capture everything, urllib3 included, so the leak checks see what a debug log would."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    assert KEY not in caplog.text


def no_leaks(*roots: Path) -> None:
    for root in roots:
        assert files_containing(root, KEY) == []


def test_happy_path_on_the_wire_and_in_the_result(fake, episode, tmp_path, app_home) -> None:
    saved: list[dict] = []
    state: dict = {}
    reports: list[Progress] = []
    engine = fast_engine(fake.url)
    engine.set_state_saver(lambda: saved.append(dict(state)))

    doc = engine.identify(IdentifyRequest(episode, state=state), progress=reports.append)

    assert [e.title for e in doc.events] == [None, "Schön Rosmarin"]
    assert doc.events[1].isrc == "DEF059503430"
    # every API call carried the key; the signed output link did not get it
    for rec in fake.received:
        if rec.route in API_ROUTES:
            assert rec.headers["x-api-key"] == KEY
        else:
            assert rec.route == "GET /files" and "x-api-key" not in rec.headers
    assert [r.route for r in fake.received] == [
        "GET /models", "POST /assets", "POST /tasks", "GET /tasks", "GET /tasks", "GET /files"]
    upload = fake.calls("POST /assets")[0]
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert int(upload.headers["content-length"]) == upload.body_size  # streamed with a length, not chunked
    assert [(p["name"], p["filename"]) for p in upload.parts] == [("file", "episode.wav")]
    assert upload.parts[0]["sha256"] == content_hash(episode)
    body = fake.calls("POST /tasks")[0].json
    assert body["assetId"] == "asset-1"
    assert body["targets"] == [{"model": "music_identification", "formats": ["json"]}]
    assert "url" not in body
    # ids saved as soon as known: the asset before the task exists, then the task
    assert saved[0]["asset_id"] == "asset-1" and "task_id" not in saved[0]
    assert saved[1]["task_id"] == "task-2"
    assert state["status"] == "completed"
    phases = [p.phase for p in reports]
    order = ["preparing audio", "uploading", "waiting for AudioShake", "downloading results", "done"]
    assert [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p] == order
    uploads = [p.fraction for p in reports if p.phase == "uploading"]
    assert uploads[-1] == 1.0 and uploads == sorted(uploads)
    no_leaks(app_home, tmp_path)


def test_cached_result_is_reused_unless_forced(fake, episode) -> None:
    engine = fast_engine(fake.url)
    first = engine.identify(IdentifyRequest(episode, state={}))
    calls = len(fake.received)
    again = engine.identify(IdentifyRequest(episode, state={}))
    assert again.to_dict() == first.to_dict()
    assert len(fake.received) == calls  # not one request: nothing paid twice
    engine.identify(IdentifyRequest(episode, state={}, force=True))
    assert fake.count("POST /assets") == 2 and fake.count("POST /tasks") == 2


def test_key_from_the_keyring(fake, episode, memory_keyring) -> None:
    from cuesheet_app.settings.secrets import set_api_key

    set_api_key(KEY)
    doc = fast_engine(fake.url, api_key=None).identify(IdentifyRequest(episode))
    assert len(doc.events) == 2


def test_no_key_says_where_to_put_one(fake, episode) -> None:
    with pytest.raises(ConfigurationError, match="AUDIOSHAKE_API_KEY"):
        fast_engine(fake.url, api_key=None).identify(IdentifyRequest(episode))
    assert fake.received == []


def test_429_honours_retry_after_then_succeeds(fake, episode) -> None:
    retry = RecordingRetry(max_retry_after_s=0.01)
    fake.fail("GET /models", Fault(429, headers={"Retry-After": "7"}))
    fake.fail("POST /tasks", Fault(429, body={"error": "Too many requests"}))
    fast_engine(fake.url, retry=retry).identify(IdentifyRequest(episode))
    assert fake.count("GET /models") == 2 and fake.count("POST /tasks") == 2
    assert retry.asked[0][1] == 7.0  # the header's value was used ...
    assert retry.asked[0][2] == 0.01  # ... capped by the policy
    assert retry.asked[1][1] is None  # no header: exponential backoff


def test_5xx_then_success_creates_one_task(fake, episode) -> None:
    fake.fail("POST /tasks", Fault(500), Fault(502, body="<html>Bad Gateway</html>"))
    fake.fail("GET /tasks", Fault(503))
    doc = fast_engine(fake.url).identify(IdentifyRequest(episode))
    assert len(doc.events) == 2
    assert fake.count("POST /tasks") == 3
    assert len(fake.tasks) == 1


def test_persistent_5xx_gives_up_with_a_clear_message(fake, episode) -> None:
    fake.fail("GET /models", *[Fault(503, body={"message": "Service Unavailable"})] * 3)
    with pytest.raises(UnreachableError, match=r"GET /models failed 3 times, last: Service Unavailable"):
        fast_engine(fake.url, retry=RecordingRetry(attempts=3)).identify(IdentifyRequest(episode))


def test_400_is_not_retried_and_shows_the_server_message(fake, episode) -> None:
    fake.fail("POST /tasks", Fault(400, body={"message": "Insufficient credits"}))
    with pytest.raises(ApiError, match=r"refused POST /tasks: Insufficient credits \(HTTP 400"):
        fast_engine(fake.url).identify(IdentifyRequest(episode))
    assert fake.count("POST /tasks") == 1


def test_connection_dropped_mid_upload_is_retried(fake, episode) -> None:
    fake.fail("POST /assets", Fault(drop=True))
    doc = fast_engine(fake.url).identify(IdentifyRequest(episode))
    assert len(doc.events) == 2
    first, second = fake.calls("POST /assets")
    assert first.body_size < int(first.headers["content-length"])  # the server hung up halfway
    assert second.parts[0]["sha256"] == content_hash(episode)  # the retry sent the whole file again
    assert len(fake.assets) == 1


@pytest.mark.parametrize("status", ["error", "failed"])
def test_failed_target_reports_code_and_message_and_reuses_the_asset(status, episode, tmp_path) -> None:
    state: dict = {}
    with FakeAudioShake(KEY, polls_until_done=1, final_status=status,
                        error={"code": "unsupported_audio", "message": "No audio stream"}) as fake:
        with pytest.raises(TaskFailed, match=rf"\({status}\): unsupported_audio: No audio stream \(task task-2\)"):
            fast_engine(fake.url).identify(IdentifyRequest(episode, state=state))
        assert "task_id" not in state and state["failed_task_id"] == "task-2"
        fake.final_status = "completed"
        doc = fast_engine(fake.url).identify(IdentifyRequest(episode, state=state))
        assert len(doc.events) == 2
        assert fake.count("POST /assets") == 1  # the new task reused the uploaded asset
        assert [r.json["assetId"] for r in fake.calls("POST /tasks")] == ["asset-1", "asset-1"]


def test_expired_output_link_refetches_the_task(episode) -> None:
    with FakeAudioShake(KEY, polls_until_done=1, expire_first_links=1) as fake:
        doc = fast_engine(fake.url).identify(IdentifyRequest(episode))
        assert len(doc.events) == 2
        assert fake.count("GET /files") == 2
        routes = [r.route for r in fake.received]
        assert routes[-3:] == ["GET /files", "GET /tasks", "GET /files"]
        links = [r.path for r in fake.calls("GET /files")]
        assert links[0] != links[1]  # the second download used the fresh link


@pytest.mark.parametrize("output, expected", [
    (b"<html>Internal error</html>", r"not valid JSON \(line 1, column 1"),
    (json.dumps({"events": [{"start_time_s": 5, "end_time_s": 1}]}).encode(), r"event 0, field 'end_time_s'"),
    (json.dumps({"results": []}).encode(), r"missing the 'events' list"),
])
def test_unusable_output_is_refused_kept_and_not_cached(output, expected, episode, app_home) -> None:
    with FakeAudioShake(KEY, polls_until_done=0, output=output) as fake:
        engine = fast_engine(fake.url)
        with pytest.raises(AudioShakeError, match=expected) as info:
            engine.identify(IdentifyRequest(episode))
        assert "task task-2" in str(info.value) and "--force" in str(info.value)
        kept = list(app_home.rglob("rejected/task-2.json"))
        assert len(kept) == 1 and kept[0].read_bytes() == output
        assert not list(app_home.rglob(f"{content_hash(episode)}*.json"))


def test_401_says_the_key_is_wrong_and_uploads_nothing(fake, episode) -> None:
    wrong = "ask_wrong_0000111122223333"
    with pytest.raises(AuthError, match="wrong or has been revoked") as info:
        fast_engine(fake.url, api_key=wrong).identify(IdentifyRequest(episode))
    assert "dashboard" in str(info.value) and wrong not in str(info.value)
    assert [r.route for r in fake.received] == ["GET /models"]  # not retried, nothing uploaded


def test_request_access_stops_before_uploading(episode) -> None:
    with FakeAudioShake(KEY, access="request_access") as fake:
        with pytest.raises(NoAccessError, match=r"access is 'request_access'.*Nothing was uploaded"):
            fast_engine(fake.url).identify(IdentifyRequest(episode))
        assert [r.route for r in fake.received] == ["GET /models"]


def test_task_that_never_completes_times_out_and_keeps_its_id(episode) -> None:
    state: dict = {}
    with FakeAudioShake(KEY, polls_until_done=10**9) as fake:
        started = time.monotonic()
        with pytest.raises(TaskTimeout, match="still processing after 0.3 s.*without paying again"):
            fast_engine(fake.url, timeout_s=0.3).identify(IdentifyRequest(episode, state=state))
        assert time.monotonic() - started < 5
        assert fake.count("GET /tasks") >= 2  # it kept polling until the deadline
    assert state["task_id"] == "task-2" and state["status"] == "processing"


def test_cancel_while_waiting_keeps_the_task_for_later(fake, episode) -> None:
    fake.polls_until_done = 10**9
    state: dict = {}
    cancel = CancelToken()

    def on_progress(p: Progress) -> None:
        if p.phase.startswith("waiting"):
            cancel.cancel()

    with pytest.raises(Cancelled):
        fast_engine(fake.url).identify(IdentifyRequest(episode, state=state), on_progress, cancel)
    assert state["task_id"] == "task-2"
    assert fake.count("GET /tasks") == 0


def test_cancel_mid_upload_stops_sending(fake, tmp_path) -> None:
    episode = make_episode(tmp_path, seconds=20)  # ~880 KB: many chunks
    cancel = CancelToken()

    def on_progress(p: Progress) -> None:
        if p.phase == "uploading" and (p.fraction or 0) > 0.1:
            cancel.cancel()

    engine = fast_engine(fake.url)
    engine.progress_interval_s = 0  # every chunk reported, so the cancel lands at 10 %
    with pytest.raises(Cancelled):
        engine.identify(IdentifyRequest(episode), on_progress, cancel)
    assert fake.assets == {} and fake.count("POST /tasks") == 0
    # the server's thread may still be reading what was sent when the client gives up (a loaded machine)
    deadline = time.monotonic() + 10
    while not fake.calls("POST /assets") and time.monotonic() < deadline:
        time.sleep(0.01)
    (upload,) = fake.calls("POST /assets")
    assert upload.body_read.wait(10)
    assert upload.body_size < int(upload.headers["content-length"]) / 2  # it stopped sending early


def test_cancel_during_a_long_retry_after_is_prompt(fake, episode) -> None:
    fake.fail("GET /models", Fault(429, headers={"Retry-After": "60"}))
    cancel = CancelToken()
    threading.Timer(0.2, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        fast_engine(fake.url, retry=RecordingRetry(max_retry_after_s=120)).identify(
            IdentifyRequest(episode), cancel=cancel)
    assert time.monotonic() - started < 5


def test_resume_a_stored_task_without_paying_again(fake, episode) -> None:
    task_id = fake.add_task()
    state = {"content_hash": content_hash(episode), "audio_stream": None, "asset_id": "asset-1",
             "asset_uploaded_at": time.time(), "task_id": task_id, "status": "processing"}
    doc = fast_engine(fake.url).identify(IdentifyRequest(episode, state=state))
    assert len(doc.events) == 2
    assert fake.count("POST /assets") == 0 and fake.count("POST /tasks") == 0
    assert {r.path for r in fake.calls("GET /tasks")} == {f"/tasks/{task_id}"}


def test_state_of_another_file_is_ignored(fake, episode, tmp_path) -> None:
    other_task = fake.add_task()
    state = {"content_hash": "0" * 64, "audio_stream": None, "task_id": other_task}
    fast_engine(fake.url).identify(IdentifyRequest(episode, state=state))
    assert fake.count("POST /assets") == 1 and state["task_id"] != other_task


def test_a_vanished_task_starts_over(fake, episode) -> None:
    state = {"content_hash": content_hash(episode), "audio_stream": None, "task_id": "task-gone"}
    doc = fast_engine(fake.url).identify(IdentifyRequest(episode, state=state))
    assert len(doc.events) == 2 and fake.count("POST /assets") == 1


def test_redirects_are_not_followed_with_the_key(fake, episode) -> None:
    fake.fail("GET /models", Fault(302, body="", headers={"Location": "http://127.0.0.1:9/steal"}))
    with pytest.raises(ApiError, match="unexpected redirect"):
        fast_engine(fake.url).identify(IdentifyRequest(episode))
    assert fake.count("GET /models") == 1


def test_the_default_events_round_trip(fake, episode) -> None:
    doc = fast_engine(fake.url).identify(IdentifyRequest(episode))
    assert doc.to_dict() == DEFAULT_EVENTS


def test_an_outage_while_waiting_does_not_abandon_the_task(fake, episode) -> None:
    fake.polls_until_done = 2
    retry = RecordingRetry(attempts=2)
    fake.fail("GET /tasks", *[Fault(drop=True)] * 4)  # two whole polls lost, retries included
    reports: list[Progress] = []
    doc = fast_engine(fake.url, retry=retry).identify(IdentifyRequest(episode), reports.append)
    assert len(doc.events) == 2
    assert fake.count("POST /tasks") == 1 and fake.count("GET /tasks") == 6
    assert any("unreachable, retrying" in p.detail for p in reports)


def test_hash_matches_the_media_identity_digest(tmp_path) -> None:
    from cuesheet_app.identify.audioshake.engine import _content_hash

    path = make_episode(tmp_path, seconds=30)  # > 1 MiB: several chunks
    assert _content_hash(path, lambda p: None, CancelToken()) == content_hash(path)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        _content_hash(path, lambda p: None, token)


def test_non_ascii_file_names_upload(fake, tmp_path) -> None:
    episode = make_episode(tmp_path, name='Épisode 3 "Noël".wav')
    fast_engine(fake.url).identify(IdentifyRequest(episode))
    (part,) = fake.calls("POST /assets")[0].parts
    assert part["name"] == "file" and part["sha256"] == content_hash(episode)
    assert "pisode 3" in part["filename"]
