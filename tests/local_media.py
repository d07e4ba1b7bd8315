"""Writing small test media in several containers with PyAV (for the local engine's tests)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from cuesheet_app.identify.local.library import Library
from tests.audio_fixtures import write_wav


def write_media(path: Path, samples: np.ndarray, rate: int = 22050, codec: str = "pcm_s16le",
                layout: str = "mono", video: bool = False) -> Path:
    """Mono float samples -> ``path`` (container from the suffix), same signal on every channel."""
    n_ch = len(av.AudioLayout(layout).channels)
    pcm = (np.clip(np.asarray(samples, dtype=np.float64), -1, 1) * 32767).astype(np.int16)
    interleaved = np.repeat(pcm[:, None], n_ch, axis=1).reshape(1, -1)
    with av.open(str(path), "w") as container:
        if video:
            vs = container.add_stream("mpeg4", rate=25)
            vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        stream = container.add_stream(codec, rate=rate, layout=layout)
        frame_len = rate // 10
        for start in range(0, pcm.size, frame_len):
            chunk = np.ascontiguousarray(interleaved[:, start * n_ch:(start + frame_len) * n_ch])
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if video:
            for i in range(int(pcm.size / rate * 25)):
                img = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
                img.pts = i
                for packet in vs.encode(img):
                    container.mux(packet)
            for packet in vs.encode(None):
                container.mux(packet)
    return path


def synth_music(seconds: float, seed: int, rate: int = 22050) -> np.ndarray:
    """Deterministic 'production music', different per seed: a sustained pad (held chords, what
    music detection keys on) under a melody and plucked bass (dense landmarks)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros(n)

    def tone(midi: float, a: int, b: int, amp: float, decay: float, harmonics: int = 4) -> None:
        if a >= b:
            return
        seg = t[a:b] - t[a]
        env = np.exp(-seg * decay) * np.minimum(1.0, seg / 0.01)
        f = 440.0 * 2 ** ((midi - 69) / 12)
        for k in range(1, harmonics + 1):
            if f * k < rate / 2:
                out[a:b] += amp / k * env * np.sin(2 * np.pi * f * k * seg + rng.uniform(0, 6.28))

    bar = 2.0
    for i in range(int(np.ceil(seconds / bar))):
        a, b = int(i * bar * rate), min(n, int((i + 1) * bar * rate))
        root = int(rng.integers(48, 60))
        for interval in (0, 4, 7):
            tone(root + interval, a, b, 0.12, 0.2)
        for j in range(8):
            na = a + int(j * bar / 8 * rate)
            nb = min(n, na + int(bar / 8 * rate))
            if na < nb:
                tone(root + 12 + int(rng.choice([0, 2, 4, 5, 7, 9, 11, 12])), na, nb, 0.2, 4.0)
        for j in range(4):
            na = a + int(j * bar / 4 * rate)
            tone(root - 12, na, min(n, na + int(bar / 4 * rate)), 0.15, 8.0, harmonics=6)
    return 0.6 * out / max(1e-9, np.abs(out).max())


def synth_refs(folder: Path, count: int, seconds: float, seed: int, name: str = "t") -> Path:
    """``folder`` made and filled with ``count`` reference tracks ``<name><i>.wav`` of
    ``synth_music(seconds, seed + i)``: the small library most engine tests index."""
    folder.mkdir()
    for i in range(count):
        write_wav(folder / f"{name}{i}.wav", synth_music(seconds, seed=seed + i))
    return folder


def indexed_library(tmp_path: Path, count: int, seconds: float, seed: int) -> tuple[Path, Library]:
    """``synth_refs`` in ``tmp_path/refs`` added to a library in ``tmp_path/lib`` (one worker):
    the starting point of the library upgrade tests."""
    refs = synth_refs(tmp_path / "refs", count, seconds, seed)
    lib = Library(tmp_path / "lib")
    lib.add([refs], workers=1)
    return refs, lib


def mix(music: np.ndarray, speech: np.ndarray, music_db: float) -> np.ndarray:
    """Music at ``music_db`` relative to the speech's RMS, plus the speech."""
    n = min(music.size, speech.size)
    m, s = music[:n], speech[:n]
    rms_m, rms_s = np.sqrt(np.mean(m**2)) + 1e-12, np.sqrt(np.mean(s**2)) + 1e-12
    return m / rms_m * rms_s * 10 ** (music_db / 20) + s


def write_video_only(path: Path, frames: int = 10) -> Path:
    """A small file with a picture and no audio stream (MP4 or MKV by the suffix)."""
    import av

    with av.open(str(path), "w") as c:
        vs = c.add_stream("mpeg4", rate=25)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            for packet in vs.encode(frame):
                c.mux(packet)
        for packet in vs.encode(None):
            c.mux(packet)
    return path
