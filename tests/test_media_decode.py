"""Streaming decode (any container, downmix, resample) and its refusals, which name the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.media.decode import (
    ANALYSIS_RATE,
    DecodeStats,
    decode_all,
    decode_blocks,
    open_audio,
)
from cuesheet_app.media.errors import MediaError
from tests.audio_fixtures import chord_music, write_wav
from tests.local_media import write_media, write_video_only

SIGNAL = chord_music(4.0, seed=3)


@pytest.mark.parametrize(("name", "codec", "layout", "video"), [
    ("a.wav", "pcm_s16le", "stereo", False),
    ("b.flac", "flac", "mono", False),
    ("c.mp4", "aac", "5.1", True),
    ("d.mkv", "flac", "stereo", False),
    ("e.mp3", "mp3", "stereo", False),
    ("f.mov", "aac", "stereo", True),
])
def test_containers_decode_to_mono_analysis_rate(tmp_path: Path, name: str, codec: str, layout: str,
                                                 video: bool) -> None:
    path = write_media(tmp_path / name, SIGNAL, codec=codec, layout=layout, video=video)
    y = decode_all(path)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(y.size / ANALYSIS_RATE - 4.0) < 0.1
    assert np.abs(y).max() > 0.2  # the audio really came through, not silence
    # same signal, whatever the container: correlation with the WAV decode is high
    ref = decode_all(write_wav(tmp_path / "ref.wav", SIGNAL))
    n = min(ref.size, y.size) - 2000
    lag = int(np.argmax(np.correlate(y[:n], ref[1000:1000 + n // 2], mode="valid")))
    a, b = y[lag:lag + n // 2], ref[1000:1000 + n // 2]
    assert np.corrcoef(a, b)[0, 1] > 0.9


def test_blocks_are_bounded_and_cover_the_whole_file(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "long.wav", chord_music(25.0, seed=1))
    blocks = list(decode_blocks(path, block_s=10.0))
    assert [b.size for b in blocks[:2]] == [10 * ANALYSIS_RATE] * 2
    assert abs(sum(b.size for b in blocks) / ANALYSIS_RATE - 25.0) < 0.05


def test_second_audio_stream_is_selectable_and_missing_one_is_named(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "one.wav", SIGNAL)
    assert open_audio(path).channels == 1
    with pytest.raises(MediaError, match=r"one\.wav.*stream 1 does not exist"):
        open_audio(path, audio_stream=1)


def test_refusals_name_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a media file at all\n" * 100)
    cases = {
        empty: "empty",
        tmp_path: "folder",
        tmp_path / "missing.wav": "not found",
        junk: "junk.mp4",
    }
    for path, words in cases.items():
        with pytest.raises(MediaError) as err:
            decode_all(path)
        assert str(path.name) in str(err.value) and words in str(err.value)


def test_file_without_audio_stream(tmp_path: Path) -> None:
    path = write_video_only(tmp_path / "video_only.mp4")
    with pytest.raises(MediaError, match=r"video_only\.mp4: has no audio stream"):
        decode_all(path)


def test_corrupt_middle_is_skipped_with_a_warning_and_time_kept(tmp_path: Path) -> None:
    good = write_media(tmp_path / "ep.mp4", chord_music(20.0, seed=4), codec="aac", layout="stereo")
    data = bytearray(good.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 3000] = np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    stats = DecodeStats()
    y = np.concatenate(list(decode_blocks(bad, stats=stats)))
    assert stats.warnings and "bad.mp4" in stats.warnings[0]
    assert abs(y.size / ANALYSIS_RATE - 20.0) < 0.2  # later events keep their times


def test_truncated_file_decodes_what_is_there_with_a_warning(tmp_path: Path) -> None:
    good = write_media(tmp_path / "t.flac", chord_music(20.0, seed=5), codec="flac")
    cut = tmp_path / "cut.flac"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    stats = DecodeStats()
    y = np.concatenate(list(decode_blocks(cut, stats=stats)))
    assert 3.0 < y.size / ANALYSIS_RATE < 10.0
    assert any("truncated" in w and "cut.flac" in w for w in stats.warnings)


def test_a_format_change_mid_stream_is_decoded_not_refused(tmp_path: Path) -> None:
    """Two MP3s back to back (what a joined download or a radio capture is): the second half
    changes the sample rate, or the channels. One resampler is set up from the first frame and
    refuses any other (ValueError, which escaped as a crash); each part must decode, in order."""
    a = write_media(tmp_path / "a.mp3", chord_music(5.0, seed=1, rate=44100), rate=44100,
                    codec="mp3", layout="stereo")
    b = write_media(tmp_path / "b.mp3", chord_music(5.0, seed=2, rate=22050), rate=22050,
                    codec="mp3", layout="stereo")
    c = write_media(tmp_path / "c.mp3", chord_music(5.0, seed=2, rate=44100), rate=44100,
                    codec="mp3", layout="mono")
    for second in (b, c):
        joined = tmp_path / f"a_{second.name}"
        joined.write_bytes(a.read_bytes() + second.read_bytes())
        y = decode_all(joined)
        assert abs(y.size / ANALYSIS_RATE - 10.0) < 0.3, second.name
        tail = y[int(6 * ANALYSIS_RATE):int(9 * ANALYSIS_RATE)]
        assert np.abs(tail).max() > 0.2, second.name  # the second part's audio came through
        # the same audio as the second file alone (the MP3s' encoder delay and padding between)
        ref = decode_all(second)[int(1.1 * ANALYSIS_RATE):int(3.9 * ANALYSIS_RATE)]
        lag = int(np.argmax(np.correlate(tail, ref, mode="valid")))
        assert abs(lag - 0.1 * ANALYSIS_RATE) < 0.1 * ANALYSIS_RATE, second.name
        assert np.corrcoef(tail[lag:lag + ref.size], ref)[0, 1] > 0.9, second.name


def test_sample_formats_numpy_cannot_hold_still_decode(tmp_path: Path) -> None:
    """64-bit integer PCM (s64): PyAV has no numpy view of it, so it cannot go into a batch of
    frames; it must still reach the resampler (it did before frames were batched)."""
    import av

    path = tmp_path / "s64.wav"
    signal = chord_music(3.0, seed=6)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s64le", rate=22050, layout="stereo")
        to_s64 = av.AudioResampler(format="s64", layout="stereo", rate=22050)
        for start in range(0, signal.size, 2205):
            chunk = np.repeat(signal[start:start + 2205, None], 2, axis=1).astype(np.float32).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="flt", layout="stereo")
            frame.sample_rate, frame.pts = 22050, start
            for converted in to_s64.resample(frame):
                for packet in stream.encode(converted):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    y = decode_all(path)
    assert abs(y.size / ANALYSIS_RATE - 3.0) < 0.05
    ref = decode_all(write_wav(tmp_path / "ref.wav", signal))
    n = min(y.size, ref.size)
    assert np.corrcoef(y[:n], ref[:n])[0, 1] > 0.99
