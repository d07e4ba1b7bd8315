"""The client's small rules: which base URLs get the key, Retry-After, backoff bounds, "Test connection"."""

from __future__ import annotations

import random
import socket

import pytest

from cuesheet_app.identify.audioshake import check_connection
from cuesheet_app.identify.audioshake.client import AudioShakeClient, validate_base_url
from cuesheet_app.identify.audioshake.engine import AudioShakeEngine
from cuesheet_app.identify.audioshake.errors import ConfigurationError
from cuesheet_app.identify.audioshake.poll import PollSchedule
from cuesheet_app.identify.audioshake.retry import RetryPolicy, parse_retry_after
from cuesheet_app.identify.registry import create_engine
from cuesheet_app.settings.store import Settings
from tests.audioshake_helpers import KEY
from tests.fake_audioshake import FakeAudioShake, Fault


@pytest.mark.parametrize("url", ["https://api.audioshake.ai", "https://api.audioshake.ai/",
                                 "http://127.0.0.1:8080", "http://localhost:1234", "http://[::1]:99"])
def test_accepted_base_urls(url: str) -> None:
    assert validate_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url, problem", [
    ("http://api.audioshake.ai", "must use https://"),
    ("http://192.168.1.5", "must use https://"),
    ("ftp://api.audioshake.ai", "is not a URL"),
    ("api.audioshake.ai", "is not a URL"),
    ("", "is not a URL"),
    ("https://user:pw@api.audioshake.ai", "must not carry"),
])
def test_refused_base_urls(url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        validate_base_url(url)


def test_client_needs_a_plausible_key() -> None:
    with pytest.raises(ConfigurationError, match="No AudioShake API key"):
        AudioShakeClient("https://api.audioshake.ai", "  ")
    for bad in ("ask_live\nX-Other: 1", "ask\u2019live", "ask live"):
        with pytest.raises(ConfigurationError, match="contains spaces or characters") as info:
            AudioShakeClient("https://api.audioshake.ai", bad)
        assert bad not in str(info.value)
    assert AudioShakeClient("https://api.audioshake.ai", "  ask_live-123.ABC \n")._key == "ask_live-123.ABC"


@pytest.mark.parametrize("value, expected", [
    ("3", 3.0), (" 0 ", 0.0), ("1.5", 1.5), ("-4", 0.0),
    ("Thu, 26 Nov 2026 12:00:30 GMT", 30.0), ("Thu, 26 Nov 2026 11:59:00 GMT", 0.0),
    ("soon", None), ("", None), (None, None),
])
def test_retry_after(value: str | None, expected: float | None) -> None:
    now = 1795694400.0  # 2026-11-26 12:00:00 UTC
    assert parse_retry_after(value, now=now) == expected


def test_backoff_is_exponential_jittered_and_bounded() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0, max_retry_after_s=60, rng=random.Random(4))
    for n, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (12, 8)]:
        delays = [policy.delay(n) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 40  # jittered, so clients do not retry in lockstep
    assert policy.delay(1, retry_after=5) == 5
    assert policy.delay(1, retry_after=3600) == 60


def test_poll_schedule_grows_to_its_cap() -> None:
    it = PollSchedule().intervals()
    got = [next(it) for _ in range(10)]
    assert got[0] == 2.0 and got == sorted(got) and got[-1] == 15.0


def test_engine_from_settings_and_env(monkeypatch) -> None:
    settings = Settings(audioshake_timeout_s=120)
    engine = create_engine("audioshake", settings)
    assert isinstance(engine, AudioShakeEngine) and engine.name == "audioshake"
    assert engine.base_url == "https://api.audioshake.ai" and engine.timeout_s == 120
    assert "api.audioshake.ai" in engine.describe() and "music_identification" in engine.describe()
    monkeypatch.setenv("AUDIOSHAKE_BASE_URL", "http://127.0.0.1:9")
    assert AudioShakeEngine.from_settings(settings).base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize("access, expected", [
    ("enabled", "Connected. The key works and music_identification is enabled"),
    ("request_access", "not enabled for this account (request_access): request access"),
])
def test_check_connection_reports_access(access: str, expected: str) -> None:
    with FakeAudioShake(KEY, access=access) as fake:
        message = check_connection(fake.url, KEY)
        assert fake.calls("GET /models")[0].headers["x-api-key"] == KEY
    assert expected in message


def test_check_connection_bad_key_and_server_errors() -> None:
    wrong = "ask_wrong_abcdefabcdef"
    with FakeAudioShake(KEY) as fake:
        message = check_connection(fake.url, wrong)
        assert "rejected" in message and "revoked" in message and wrong not in message
        fake.fail("GET /models", Fault(500, body={"message": "database down"}), Fault(500))
        assert "Cannot reach AudioShake" in check_connection(fake.url, KEY)
        fake.fail("GET /models", Fault(400, body={"error": {"code": "bad", "message": "Bad thing"}}))
        assert "Bad thing" in check_connection(fake.url, KEY)


def test_check_connection_unreachable_and_insecure() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nobody listens there
    message = check_connection(f"http://127.0.0.1:{port}", KEY, timeout_s=2)
    assert message.startswith("Cannot reach AudioShake") and "Connection refused" in message
    assert "must use https://" in check_connection("http://api.audioshake.ai", KEY)
    assert KEY not in message


def test_transport_errors_are_not_chained_into_ours() -> None:
    """A requests exception carries the prepared request, headers and key included: a crash
    reporter walking ``__context__`` must not find it."""
    from cuesheet_app.identify.audioshake.errors import UnreachableError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = AudioShakeClient(f"http://127.0.0.1:{port}", KEY, retry=RetryPolicy(attempts=1))
    with pytest.raises(UnreachableError) as info:
        client.list_models()
    assert info.value.__context__ is None and info.value.__cause__ is None
    with FakeAudioShake(KEY) as fake:
        fake.fail("GET /models", Fault(403, body={"message": "Forbidden"}))
        client = AudioShakeClient(fake.url, KEY)
        with pytest.raises(Exception) as info:
            client.list_models()
    assert "Forbidden (HTTP 403" in str(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None
