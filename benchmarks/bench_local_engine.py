"""Local engine benchmark for ``make bench``: build the data set if needed, then measure.

Runs benchmarks/local_engine/build_dataset.py (a no-op once built) and
benchmarks/local_engine/run.py; exits non-zero when a target of issue 3 is missed.
The first run downloads ~365 MB of Debian music packages and builds ~2 GB of files under
benchmarks/data/ (git-ignored) and can take 20-30 minutes on two cores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "local_engine"


def main() -> int:
    for script in ("build_dataset.py", "run.py"):
        code = subprocess.run([sys.executable, str(HERE / script)]).returncode
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
