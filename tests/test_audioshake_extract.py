"""media/extract.py: which files go up as they are, and the stereo audio made for the others."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import numpy as np
import pytest

from cuesheet_app.identify.base import Cancelled, CancelToken, IdentifyRequest
from cuesheet_app.media import extract
from cuesheet_app.media.errors import MediaError
from cuesheet_app.media.probe import probe
from tests.audio_fixtures import chord_music, write_wav
from tests.audioshake_helpers import KEY, fast_engine
from tests.fake_audioshake import FakeAudioShake
from tests.local_media import write_media, write_video_only

MUSIC = chord_music(1.5, seed=1)


def rms_of(path: Path) -> tuple[int, float, float]:
    """(channels, seconds, rms) of the first audio stream."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        chunks = [f.to_ndarray().astype(np.float64) for f in c.decode(stream)]
        channels = stream.codec_context.channels
        rate = stream.codec_context.sample_rate
    data = np.concatenate([x.reshape(channels, -1) if x.shape[0] != channels else x for x in chunks], axis=1)
    if np.abs(data).max() > 2:  # integer samples
        data = data / 32768
    return channels, data.shape[1] / rate, float(np.sqrt(np.mean(data**2)))


@pytest.mark.parametrize("name, kwargs", [
    ("stereo.wav", {"layout": "stereo"}),
    ("mono.flac", {"codec": "flac"}),
    ("screener.mp4", {"codec": "aac", "layout": "stereo", "video": True}),
    ("master.mov", {"codec": "pcm_s16le", "layout": "stereo", "video": True}),
    ("song.m4a", {"codec": "aac"}),
])
def test_accepted_files_go_up_as_they_are(name: str, kwargs: dict, tmp_path: Path) -> None:
    path = write_media(tmp_path / name, MUSIC, **kwargs)
    plan = extract.plan_upload(path, tmp_path / "work")
    assert plan == extract.UploadPlan(path)


@pytest.mark.parametrize("name, kwargs, reason", [
    ("surround.wav", {"layout": "5.1"}, "6-channel audio"),
    ("episode.mkv", {"codec": "flac", "layout": "stereo", "video": True}, "matroska with flac audio"),
    ("episode.ts", {"codec": "mp2", "layout": "stereo"}, "mpegts with"),
    ("episode.mp4", {"codec": "mp3", "layout": "stereo", "video": True}, "mov with mp3"),
])
def test_other_files_become_stereo_flac(name: str, kwargs: dict, reason: str, tmp_path: Path) -> None:
    path = write_media(tmp_path / name, MUSIC, **kwargs)
    work = tmp_path / "work"
    work.mkdir()
    reports: list[float] = []
    plan = extract.plan_upload(path, work, report=reports.append)
    assert plan.extracted and reason in plan.reason
    assert plan.path.parent == work and plan.path.suffix == ".flac"
    channels, seconds, rms = rms_of(plan.path)
    assert channels == 2
    assert seconds == pytest.approx(1.5, abs=0.1)
    assert rms > 0.05  # the music is there, not silence
    assert reports[-1] == 1.0


def test_wrong_name_for_the_content_is_extracted(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "episode.bin", MUSIC)
    plan = extract.plan_upload(path, tmp_path)
    assert plan.extracted and plan.path.name == "episode.flac"


def test_the_chosen_stream_of_several_is_extracted(tmp_path: Path) -> None:
    path = tmp_path / "two-languages.mkv"
    rate = 22050
    with av.open(str(path), "w") as c:
        streams = [c.add_stream("pcm_s16le", rate=rate, layout="mono") for _ in range(2)]
        for stream, signal in zip(streams, (np.zeros_like(MUSIC), MUSIC), strict=True):
            frame = av.AudioFrame.from_ndarray((signal * 32767).astype(np.int16)[None, :], format="s16",
                                               layout="mono")
            frame.sample_rate, frame.pts = rate, 0
            for packet in [*stream.encode(frame), *stream.encode(None)]:
                c.mux(packet)
    assert len(probe(path).audio_streams) == 2
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    silent = extract.plan_upload(path, tmp_path / "a", 0)
    music = extract.plan_upload(path, tmp_path / "b", 1)
    assert "2 audio streams" in music.reason
    assert rms_of(silent.path)[2] < 0.001 < 0.05 < rms_of(music.path)[2]
    with pytest.raises(MediaError, match=r"two-languages.mkv: has no audio stream 2 \(it has 2\)"):
        extract.plan_upload(path, tmp_path, 2)


def test_over_2_gb_is_extracted_and_very_long_audio_becomes_aac(tmp_path: Path, monkeypatch) -> None:
    path = write_wav(tmp_path / "huge.wav", np.stack([MUSIC, MUSIC], axis=1))
    info = dataclasses.replace(probe(path), size=3 * 1024**3)
    assert "3.0 GB" in extract.upload_problem(info)
    monkeypatch.setattr(extract, "_SIZE_BUDGET", 0)  # as if the programme were many hours long
    out = extract.extract_audio(info, tmp_path)
    assert out.suffix == ".m4a"
    assert probe(out).audio_streams[0].codec == "aac"
    assert rms_of(out)[0] == 2


def test_cancel_stops_extraction_and_leaves_nothing(tmp_path: Path) -> None:
    path = write_media(tmp_path / "surround.wav", chord_music(5, seed=2), layout="5.1")
    work = tmp_path / "work"
    work.mkdir()
    token = CancelToken()
    calls = 0

    def check() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            token.cancel()
        token.raise_if_cancelled()

    with pytest.raises(Cancelled):
        extract.plan_upload(path, work, check=check)
    assert list(work.iterdir()) == []


def test_media_without_audio_is_refused(tmp_path: Path) -> None:
    path = write_video_only(tmp_path / "silent-film.mkv", frames=5)
    with pytest.raises(MediaError, match="silent-film.mkv: has no audio stream"):
        extract.plan_upload(path, tmp_path)


def test_engine_uploads_the_extracted_audio(tmp_path: Path) -> None:
    path = write_media(tmp_path / "episode.wav", MUSIC, layout="5.1")
    with FakeAudioShake(KEY, polls_until_done=0) as fake:
        fast_engine(fake.url).identify(IdentifyRequest(path))
        (part,) = fake.calls("POST /assets")[0].parts
    assert (part["name"], part["filename"]) == ("file", "episode.flac")
    assert part["size"] < path.stat().st_size
