"""Writing small test media in several containers with PyAV (for the local engine's tests)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


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
