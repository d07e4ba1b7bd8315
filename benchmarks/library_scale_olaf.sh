#!/usr/bin/env bash
# Build Olaf (J. Six, open source) from its public source for the library-scale benchmark's
# side-by-side run: outside the repository, never vendored. Its code is only compiled here.
#
#   benchmarks/library_scale_olaf.sh <olaf git dir or clone URL> [commit]
#   -> prints the binary's path: pass it as library_scale.py --olaf
#
# Needs Debian's ffmpeg at run time (Olaf decodes through it) and ziglang from PyPI (its
# .zigversion says which). Everything goes under $CACHE (default /work/cache).
set -euo pipefail
SRC_REPO=${1:?usage: $0 <olaf git dir or URL> [commit]}
COMMIT=${2:-e5d89fb}        # the commit the committed runs were made with
CACHE=${CACHE:-/work/cache}
SRC=$CACHE/olaf-src
ZIGENV=$CACHE/zigenv

command -v ffmpeg >/dev/null || { echo "install Debian's ffmpeg first (apt-get install ffmpeg)" >&2; exit 1; }
if [ ! -d "$SRC/.git" ]; then
    git clone -q "$SRC_REPO" "$SRC"
fi
git -C "$SRC" checkout -q "$COMMIT"
ZIGVER=$(cat "$SRC/.zigversion" 2>/dev/null || echo 0.15.2)
if [ ! -x "$ZIGENV/bin/python" ]; then
    python3 -m venv "$ZIGENV"
fi
"$ZIGENV/bin/pip" install -q "ziglang==$ZIGVER" >&2
cd "$SRC"
nice -n 10 "$ZIGENV/bin/python" -m ziglang build -Doptimize=ReleaseFast >&2
echo "$SRC/zig-out/bin/olaf"
