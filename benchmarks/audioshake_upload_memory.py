"""Peak memory and speed of a streamed AudioShake upload (POST /assets) against the fake server.

    .venv/bin/python benchmarks/audioshake_upload_memory.py [SIZE_GB]   (default 2.0 - 1 byte)

Uploads a sparse file of SIZE_GB through the real client (requests-toolbelt streaming
multipart) to tests/fake_audioshake.py on 127.0.0.1 (which hashes and discards the body),
and prints the process's peak RSS before and after. Flat memory = the delta stays a few MB,
independent of the file size.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cuesheet_app.identify.audioshake.client import AudioShakeClient  # noqa: E402
from tests.fake_audioshake import FakeAudioShake  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    size = int(float(sys.argv[1]) * 1024**3) if len(sys.argv) > 1 else 2 * 1024**3 - 1
    key = "bench-key-0123456789"
    with tempfile.TemporaryDirectory() as tmp, FakeAudioShake(key) as fake:
        path = Path(tmp) / "episode.wav"
        with open(path, "wb") as fh:
            fh.truncate(size)  # sparse: no disk used, reads as zeros
        before = peak_rss_mb()
        updates = 0

        def progress(done: int, total: int) -> None:
            nonlocal updates
            updates += 1

        started = time.monotonic()
        with AudioShakeClient(fake.url, key, timeout=(10, 600)) as client:
            asset = client.upload_asset(path, progress=progress)
        seconds = time.monotonic() - started
        after = peak_rss_mb()
        received = fake.calls("POST /assets")[0].body_size
    print(f"uploaded {size / 1024**3:.2f} GiB as asset {asset['id']} ({received} bytes on the wire) "
          f"in {seconds:.1f} s = {size / 1024**2 / seconds:.0f} MiB/s; {updates} progress callbacks")
    print(f"peak RSS before upload {before:.0f} MiB, after {after:.0f} MiB (+{after - before:.1f} MiB)")


if __name__ == "__main__":
    main()
